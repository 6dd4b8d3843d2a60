#include "case_allocations.h"

#include "isolate.h"

#ifdef ISOLATE_CHECKS_LEAKS
#include <sanitizer/allocator_interface.h>
#include <sanitizer/lsan_interface.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace case_allocations {
namespace {

// Open addressing with linear probing and backward-shift deletion (no tombstones, so a
// case that allocates and frees millions of times never fills the table). Past
// kMaxLive, 3/4 of the slots, the probes would grow long, and the table gives up
// (stop() then says "live", and the leak check runs).
constexpr std::size_t kSlots = std::size_t{1} << kSlotBits;
constexpr std::size_t kMask = kSlots - 1;

// Each address is stored complemented (never 0, the empty slot): LeakSanitizer scans
// this table as a root, and the plain address would make every allocation in it reachable.
std::uintptr_t slots[kSlots];
std::size_t live = 0;
bool overflowed = false;
std::atomic_flag busy = ATOMIC_FLAG_INIT;  // guards the three above: hooks run on every thread
std::atomic<bool> recording{false};

// A spin lock: a mutex could allocate or call back into the hooks.
class Locked {
 public:
  Locked() {
    while (busy.test_and_set(std::memory_order_acquire)) {
    }
  }
  ~Locked() { busy.clear(std::memory_order_release); }
  Locked(const Locked&) = delete;
  Locked& operator=(const Locked&) = delete;
};

std::uintptr_t hidden(const volatile void* p) { return ~reinterpret_cast<std::uintptr_t>(p); }

std::size_t home(std::uintptr_t entry) {
  return static_cast<std::size_t>(((~entry >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - kSlotBits));
}

void insert(std::uintptr_t entry) {
  if (live == kMaxLive) {
    overflowed = true;
    return;
  }
  std::size_t i = home(entry);
  while (slots[i]) i = (i + 1) & kMask;
  slots[i] = entry;
  live++;
}

void erase(std::uintptr_t entry) {
  std::size_t i = home(entry);
  for (; slots[i] != entry; i = (i + 1) & kMask)
    if (!slots[i]) return;  // allocated before the case (or not recorded after an overflow)
  // Shift back each later entry of the run whose home is not between the hole and it.
  for (std::size_t j = (i + 1) & kMask; slots[j]; j = (j + 1) & kMask)
    if (((j - home(slots[j])) & kMask) >= ((j - i) & kMask)) {
      slots[i] = slots[j];
      i = j;
    }
  slots[i] = 0;
  live--;
}

void on_malloc(const volatile void* p, std::size_t) {
  if (!p || !recording.load(std::memory_order_relaxed)) return;
  const Locked locked;
  insert(hidden(p));
}

void on_free(const volatile void* p) {
  if (!p || !recording.load(std::memory_order_relaxed)) return;
  const Locked locked;
  erase(hidden(p));
}

}  // namespace

void start() {
  [[maybe_unused]] static const int installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  const Locked locked;
  overflowed = false;  // the table itself is empty: a case with live allocations ends in forget_live() or the worker's retirement
  recording.store(true, std::memory_order_relaxed);
}

bool stop() {
  recording.store(false, std::memory_order_relaxed);
  const Locked locked;
  return live > 0 || overflowed;
}

void forget_live() {
  const Locked locked;
  for (std::uintptr_t& entry : slots)
    if (entry) {
      __lsan_ignore_object(reinterpret_cast<const void*>(~entry));
      entry = 0;
    }
  live = 0;
}

}  // namespace case_allocations
#endif
