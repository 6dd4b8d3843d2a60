// A scripted scenario of 600 mixed operations, generated from a fixed seed, run on impl
// and ref side by side by the zswap differential driver: every return code, loaded
// byte and its source, every counter and pool size must agree after every operation.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "driver.h"
#include "pages.h"

namespace {

constexpr std::uint32_t kSeed = 20261122;
constexpr int kOperations = 600;

Op op(OpCode code, unsigned a0 = 0, unsigned a1 = 0, unsigned a2 = 0, unsigned a3 = 0) {
  return Op{code, {static_cast<std::uint16_t>(a0), static_cast<std::uint16_t>(a1),
                   static_cast<std::uint16_t>(a2), static_cast<std::uint16_t>(a3)}};
}

// Mostly stores and loads on two busy types and a few hot offsets (so stores meet
// their duplicates), with some out-of-range offsets, reclaim, I/O completion, limit
// changes, allocation failures and swapoff/swapon.
Program scenario() {
  std::mt19937 rng(kSeed);
  auto pick = [&rng](unsigned n) { return static_cast<unsigned>(rng() % n); };
  Program p;
  p.layer = Layer::zswap;
  for (int i = 0; i < kOperations; i++) {
    const unsigned type = pick(4) == 0 ? pick(4) : pick(2);
    const unsigned off = pick(3) == 0 ? pick(kOffsetRange) : pick(6);
    const unsigned r = pick(100);
    if (r < 45) p.ops.push_back(op(OpCode::store, type, off, pick(kPageKindCount), pick(kSeedRange)));
    else if (r < 70) p.ops.push_back(op(OpCode::load, type, off));
    else if (r < 80) p.ops.push_back(op(OpCode::invalidate, type, off));
    else if (r < 86) p.ops.push_back(op(OpCode::shrink, 1 + pick(4)));
    else if (r < 92) p.ops.push_back(op(OpCode::complete_io, 1 + pick(6)));
    else if (r < 94) p.ops.push_back(op(OpCode::set_pool_percent, 5 + pick(4) * 5));
    else if (r < 96) p.ops.push_back(op(OpCode::fail_pages, pick(3)));
    else if (r < 97) p.ops.push_back(op(OpCode::fail_slab, 1));
    else if (r < 99) p.ops.push_back(op(OpCode::swapoff, type));
    else p.ops.push_back(op(OpCode::swapon, type));
  }
  return p;
}

std::uint64_t counter(const std::string& summary, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex("\\b" + name + "=([0-9]+)"))) return 0;
  return std::stoull(m[1]);
}

TEST(Scenario, MixedOperationsAgreeWithRef) {
  const Program program = scenario();
  const RunResult result = run_zswap_diff(program);
  EXPECT_FALSE(result.divergence) << "seed " << kSeed << "\n" << format_report(program, result, "scenario", "");
  // The scenario must exercise the interesting paths, or it proves little.
  for (const char* name : {"written_back_pages", "pool_limit_hit", "duplicate_entry", "reject_compress_poor",
                           "writeback_completed", "reject_alloc_fail"})
    EXPECT_GT(counter(result.summary, name), 0u) << name << " in " << result.summary;
}

}  // namespace
