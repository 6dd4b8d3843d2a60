// Lock primitives with scheduling hooks.
//
// Every impl lock goes through SpinLock so that a deterministic scheduler (harness/)
// can take control at each acquire and release, and at the annotated points where
// the kernel's races live (sched::point). With no hook installed, SpinLock is a plain
// std::mutex and sched::point is one predictable branch.
#pragma once

#include <atomic>
#include <mutex>

namespace sched {

enum class Event : unsigned char {
  acquire,    // about to take a lock
  contended,  // the lock is held by another thread; the caller waits
  acquired,   // the lock is now held
  release,    // the lock was just released
  point,      // an annotated race window (name says which)
  wait,       // waiting for a condition another thread must establish
};

using Hook = void (*)(Event event, const void* object, const char* name);

// Installed by the harness scheduler; nullptr means free-running.
extern std::atomic<Hook> hook;

inline void point(const char* name) {
  if (Hook h = hook.load(std::memory_order_relaxed)) h(Event::point, nullptr, name);
}

// Called in a loop while waiting for another thread (e.g. swapoff draining users).
void wait(const void* object, const char* name);

}  // namespace sched

// The kernel's spinlock_t (and, for pages, the page lock): a mutex whose acquire and
// release are scheduling points.
class SpinLock {
 public:
  explicit SpinLock(const char* name) : name_(name) {}
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock() {
    sched::Hook h = sched::hook.load(std::memory_order_relaxed);
    if (!h) {
      mutex_.lock();
      return;
    }
    h(sched::Event::acquire, this, name_);
    while (!mutex_.try_lock()) h(sched::Event::contended, this, name_);
    h(sched::Event::acquired, this, name_);
  }

  bool try_lock() { return mutex_.try_lock(); }

  void unlock() {
    mutex_.unlock();
    if (sched::Hook h = sched::hook.load(std::memory_order_relaxed))
      h(sched::Event::release, this, name_);
  }

  const char* name() const { return name_; }

 private:
  std::mutex mutex_;
  const char* name_;
};

using SpinGuard = std::lock_guard<SpinLock>;
