// Fibers for the scheduler: execution contexts that one OS thread switches between
// explicitly. A handoff between logical threads is then a function call that swaps
// stacks (tens of nanoseconds), not a wake-up of another OS thread through the kernel
// (microseconds, and most of a race run's time when every lock is a scheduling point).
// ASan and TSan are told of every switch, so they keep each fiber's stack and
// happens-before apart as they would a thread's; TSan orders the fibers at each switch,
// as the handoff through a mutex did.
#pragma once

#include <cstddef>
#include <memory>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

class FiberContext {
 public:
  // The calling OS thread's own context: the one that switches to the first fiber.
  FiberContext();
  // A fiber that starts in entry(arg) on its first switch; entry must never return.
  FiberContext(void (*entry)(void*), void* arg);
  ~FiberContext();
  FiberContext(const FiberContext&) = delete;
  FiberContext& operator=(const FiberContext&) = delete;

  // From this context, the running one, to `to`; returns when a switch comes back.
  void switch_to(FiberContext& to);

  // A fiber suspended for good (a deadlock): what its frames point at stays reachable
  // for LeakSanitizer, as a parked thread's would, since its stack is not scanned.
  void keep_frames_reachable() const;

  // Enough for impl's deepest path under ASan (lz4 keeps a 16 KiB table on the stack).
  static constexpr std::size_t kStackSize = 512 * 1024;

 private:
  static void start(FiberContext* self);
#if !defined(__x86_64__)
  static void start_halves(unsigned high, unsigned low);  // makecontext passes ints only
#endif
  void arrived();  // what a context does first on each arrival

#if defined(__x86_64__)
  void* saved_sp_ = nullptr;          // where the switch left this context's registers
#else
  std::unique_ptr<ucontext_t> context_ = std::make_unique<ucontext_t>();  // its saved state
#endif
  // A fiber's stack: mapped, with an inaccessible guard page below it, so an overflow
  // faults instead of overwriting. Not from the heap, which LeakSanitizer scans whole:
  // the dead frames of a finished fiber may still hold pointers that would hide a leak.
  char* stack_ = nullptr;
  std::size_t guard_size_ = 0;
  void (*entry_)(void*) = nullptr;
  void* arg_ = nullptr;
  FiberContext* from_ = nullptr;      // the context that switched here last
  const void* stack_bottom_ = nullptr;  // for ASan; the thread's own: learned when it leaves
  [[maybe_unused]] std::size_t stack_size_ = 0;  // with stack_bottom_
  [[maybe_unused]] void* fake_stack_ = nullptr;  // ASan: its fake frames while away
  [[maybe_unused]] void* tsan_fiber_ = nullptr;  // TSan builds only
  [[maybe_unused]] bool owns_tsan_fiber_ = false;
};
