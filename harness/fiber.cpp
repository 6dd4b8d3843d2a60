#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "check.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define FIBER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define FIBER_TSAN 1
#endif

#if FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#if FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__x86_64__)
// Pushes the callee-saved registers on the running stack, stores the stack pointer in
// *save, loads `load` as the stack pointer and pops that context's registers: the
// System V ABI leaves every other register to the caller. (ucontext's swapcontext
// would also save the signal mask, a system call per switch, and ASan's interceptor of
// it warns on every program start.)
extern "C" void zswap_fiber_swap(void** save, void* load);
// Where a new fiber's first switch returns to: calls r12(rbx), the start function
// and its context, which the constructor placed among the registers to pop.
extern "C" void zswap_fiber_first();
asm(R"(
  .text
  .p2align 4
  .globl zswap_fiber_swap
  .hidden zswap_fiber_swap
  .type zswap_fiber_swap, @function
zswap_fiber_swap:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size zswap_fiber_swap, .-zswap_fiber_swap

  .p2align 4
  .globl zswap_fiber_first
  .hidden zswap_fiber_first
  .type zswap_fiber_first, @function
zswap_fiber_first:
  movq %rbx, %rdi
  callq *%r12
  ud2
  .size zswap_fiber_first, .-zswap_fiber_first
)");
#else
void FiberContext::start_halves(unsigned high, unsigned low) {
  start(reinterpret_cast<FiberContext*>((std::uintptr_t{high} << 32) | low));
}
#endif

FiberContext::FiberContext() {
#if FIBER_TSAN
  tsan_fiber_ = __tsan_get_current_fiber();
#endif
}

FiberContext::FiberContext(void (*entry)(void*), void* arg)
    : guard_size_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))), entry_(entry), arg_(arg), stack_size_(kStackSize) {
  void* mapping = mmap(nullptr, guard_size_ + kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                       -1, 0);
  HARNESS_CHECK(mapping != MAP_FAILED);
  HARNESS_CHECK(mprotect(mapping, guard_size_, PROT_NONE) == 0);
  stack_ = static_cast<char*>(mapping) + guard_size_;
  stack_bottom_ = stack_;
#if defined(__x86_64__)
  // The frame zswap_fiber_swap pops: r15, r14, r13, r12 = start, rbx = this, rbp = 0
  // (the end of a frame-pointer walk), then its return address, zswap_fiber_first,
  // which then finds the stack 16-byte aligned for its call, as the ABI wants.
  const auto top = reinterpret_cast<std::uintptr_t>(stack_ + kStackSize) & ~std::uintptr_t{15};
  void** frame = reinterpret_cast<void**>(top - 72);
  void (*start_function)(FiberContext*) = &FiberContext::start;
  void* const initial[9] = {nullptr, nullptr, nullptr, reinterpret_cast<void*>(start_function), this, nullptr,
                            reinterpret_cast<void*>(&zswap_fiber_first), nullptr, nullptr};
  for (int i = 0; i < 9; i++) frame[i] = initial[i];
  saved_sp_ = frame;
#else
  getcontext(context_.get());
  context_->uc_stack.ss_sp = stack_;
  context_->uc_stack.ss_size = kStackSize;
  context_->uc_link = nullptr;
  const auto address = reinterpret_cast<std::uintptr_t>(this);
  makecontext(context_.get(), reinterpret_cast<void (*)()>(&FiberContext::start_halves), 2,
              static_cast<unsigned>(address >> 32), static_cast<unsigned>(address));
#endif
#if FIBER_TSAN
  tsan_fiber_ = __tsan_create_fiber(0);
  owns_tsan_fiber_ = true;
#endif
}

FiberContext::~FiberContext() {
  if (stack_) munmap(stack_ - guard_size_, guard_size_ + kStackSize);
#if FIBER_TSAN
  if (owns_tsan_fiber_) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

void FiberContext::switch_to(FiberContext& to) {
  to.from_ = this;
#if FIBER_ASAN
  __sanitizer_start_switch_fiber(&fake_stack_, to.stack_bottom_, to.stack_size_);
#endif
#if FIBER_TSAN
  // Flags 0: the switch orders the two fibers, as a handoff between threads would.
  __tsan_switch_to_fiber(to.tsan_fiber_, 0);
#endif
#if defined(__x86_64__)
  zswap_fiber_swap(&saved_sp_, to.saved_sp_);
#else
  swapcontext(context_.get(), to.context_.get());
#endif
  arrived();
}

void FiberContext::keep_frames_reachable() const {
#if FIBER_ASAN
#if defined(__x86_64__)
  const char* live = static_cast<const char*>(saved_sp_);  // its frames: from there to the top
#else
  const char* live = stack_;
#endif
  __lsan_register_root_region(live, static_cast<std::size_t>(stack_ + kStackSize - live));
#endif
}

void FiberContext::arrived() {
#if FIBER_ASAN
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(fake_stack_, &bottom, &size);
  from_->stack_bottom_ = bottom;  // how the thread's own context learns its stack
  from_->stack_size_ = size;
#endif
}

void FiberContext::start(FiberContext* self) {
  self->arrived();
  self->entry_(self->arg_);
  std::abort();  // an entry never returns: there is no context to return to
}
