#include "boundaries.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/mman.h>

#include <cstdio>
#include <new>
#include <utility>

namespace {

std::atomic<std::uint64_t>* map_shared_counters(std::size_t n) {
  void* memory = mmap(nullptr, n * sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::bad_alloc();
  auto* counts = static_cast<std::atomic<std::uint64_t>*>(memory);
  for (std::size_t i = 0; i < n; i++) new (&counts[i]) std::atomic<std::uint64_t>(0);
  return counts;
}

}  // namespace

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "a lock would not be shared across fork");

BoundaryCounts::BoundaryCounts(std::vector<const char*> names)
    : names_(std::move(names)), counts_(map_shared_counters(names_.size())) {}

BoundaryCounts::~BoundaryCounts() { munmap(counts_, names_.size() * sizeof(std::atomic<std::uint64_t>)); }

void BoundaryCounts::reset() const {
  for (std::size_t i = 0; i < names_.size(); i++) counts_[i].store(0, std::memory_order_relaxed);
}

std::string BoundaryCounts::summary() const {
  std::string line = "boundaries reached:";
  for (std::size_t i = 0; i < names_.size(); i++)
    line += std::string(" ") + names_[i] + "=" + std::to_string(counts_[i].load(std::memory_order_relaxed));
  return line;
}

std::vector<const char*> BoundaryCounts::unreached() const {
  std::vector<const char*> out;
  for (std::size_t i = 0; i < names_.size(); i++)
    if (counts_[i].load(std::memory_order_relaxed) == 0) out.push_back(names_[i]);
  return out;
}

void check_reaching_boundaries(void (*property)(), const BoundaryCounts& counts) {
  counts.reset();
  rc::detail::checkGTest(property);
  std::printf("%s\n", counts.summary().c_str());
  std::fflush(stdout);
  if (::testing::Test::HasFailure()) return;
  for (const char* name : counts.unreached())
    ADD_FAILURE() << "no case reached boundary " << name << ": its generator does not get there";
}
