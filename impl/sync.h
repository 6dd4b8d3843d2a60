// Lock primitives with scheduling hooks and a lock validator.
//
// Every impl lock goes through SpinLock so that a deterministic scheduler (harness/)
// can take control at each acquire and release, and at the annotated points where
// the kernel's races live (sched::point). With no hook installed, SpinLock is a plain
// std::mutex and sched::point is one predictable branch.
//
// The lock validator (ZSWAP_LOCKDEP, on in every build but release: a small lockdep)
// knows each lock's owner and each thread's held locks with the site that took them.
// It reports, on the first execution that does it and whatever the interleaving:
//   - a lock taken again by the thread that holds it (recursive locking);
//   - a lock taken against the declared order of lock_order.h, or against an order
//     between two classes seen earlier in the run (lock inversion: A -> B here,
//     B -> A there), whether or not this run deadlocks;
//   - a lock released by a thread that does not hold it;
//   - lockdep_assert_held() of a lock the thread does not hold.
// A report is an "[invariant] ..." line on stderr and abort(), as a kernel BUG.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#ifndef ZSWAP_LOCKDEP
#define ZSWAP_LOCKDEP 1
#endif

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

// A task is what the kernel would call a thread (and, for per-cpu data, a cpu): an OS
// thread, or a logical thread that the harness's scheduler runs as a fiber on one OS
// thread. What the kernel keeps per thread or per cpu (the lock validator's held
// locks, zbud's eviction record, zswap's compression buffer) is task-local, not
// thread_local, so that fibers sharing an OS thread keep theirs apart.
class TaskLocals {
 public:
  // label > 0: the scheduler's fiber for logical thread `label`; 0: an OS thread's own.
  explicit TaskLocals(int label = 0) : label_(label) {}
  ~TaskLocals();  // destroys what task_local() created in it, the latest first
  TaskLocals(const TaskLocals&) = delete;
  TaskLocals& operator=(const TaskLocals&) = delete;

  int label() const { return label_; }
  void*& slot(int index) { return slots_[index]; }

  static constexpr int kMaxSlots = 8;

 private:
  const int label_;
  void* slots_[kMaxSlots] = {};
};

// The running task's storage on the calling OS thread: what switch_task_locals() set,
// else the thread's own.
TaskLocals& current_task_locals();
// The scheduler, as it switches fibers: `locals` (nullptr: the thread's own) from now on.
void switch_task_locals(TaskLocals* locals);
// "thread <tid>", or "fiber <label> (thread <tid>)": the running task, for reports.
std::string task_name();

// Numbers a kind of task-local object; destroy deletes one.
int register_task_local(void (*destroy)(void*));

// The running task's T, value-initialized on its first use in the task.
template <class T>
T& task_local() {
  static const int index = register_task_local([](void* p) { delete static_cast<T*>(p); });
  void*& slot = current_task_locals().slot(index);
  if (!slot) slot = new T();
  return *static_cast<T*>(slot);
}

}  // namespace sched

class SpinLock;

namespace lockdep {

// Where a lock operation happened: the caller's file, line and function.
struct Site {
  const char* file;
  int line;
  const char* function;
};
#define ZSWAP_CALLER_SITE \
  ::lockdep::Site { __builtin_FILE(), __builtin_LINE(), __builtin_FUNCTION() }

// The class (index) of a lock name, registered on first use.
unsigned class_of(const char* name);

// The checks; each reports and aborts (or calls the report handler) on a violation.
void before_acquire(const SpinLock& lock, const Site& site);  // recursion, order
void acquired(SpinLock& lock, const Site& site);
void before_release(SpinLock& lock, const Site& site);
void assert_held(const SpinLock& lock, const Site& site);

// What every thread holds and waits for, one line per thread ("" when nothing):
// for a hang report. Best effort: it reads the other threads' state while they run.
std::string describe_threads();

// Whether some thread holds or waits for a lock; the locks themselves are not read (a
// lock left held may be gone with the object it was in).
bool any_lock_held();

// Forgets the lock order seen so far (the class pairs held -> taken), so that the next
// run is judged by the declared order and its own history alone: a process that runs
// one program after another (a property-test worker) calls it between programs, or one
// program's verdict would depend on the orders an earlier one took. Only while no
// thread is taking a lock.
void forget_observed_order();

// Tests replace the abort with their own handler; nullptr restores print-and-abort.
// A handler must throw to unwind the violating call, except for a lock inversion,
// after which the lock may still be taken (recursive locking or a bad unlock would
// then deadlock or unlock a mutex not held).
using ReportHandler = void (*)(const std::string& message);
void set_report_handler(ReportHandler handler);

}  // namespace lockdep

// The kernel's spinlock_t (and, for pages, the page lock): a mutex whose acquire and
// release are scheduling points, checked by the lock validator.
class SpinLock {
 public:
  explicit SpinLock(const char* name);
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock(lockdep::Site site = ZSWAP_CALLER_SITE) {
#if ZSWAP_LOCKDEP
    lockdep::before_acquire(*this, site);
#endif
    sched::Hook h = sched::hook.load(std::memory_order_relaxed);
    if (!h) {
      mutex_.lock();
    } else {
      h(sched::Event::acquire, this, name_);
      while (!mutex_.try_lock()) h(sched::Event::contended, this, name_);
      h(sched::Event::acquired, this, name_);
    }
#if ZSWAP_LOCKDEP
    lockdep::acquired(*this, site);
#endif
  }

  void unlock(lockdep::Site site = ZSWAP_CALLER_SITE) {
#if ZSWAP_LOCKDEP
    lockdep::before_release(*this, site);
#endif
    mutex_.unlock();
    if (sched::Hook h = sched::hook.load(std::memory_order_relaxed))
      h(sched::Event::release, this, name_);
  }

  const char* name() const { return name_; }

 private:
  friend void lockdep::before_acquire(const SpinLock&, const lockdep::Site&);
  friend void lockdep::acquired(SpinLock&, const lockdep::Site&);
  friend void lockdep::before_release(SpinLock&, const lockdep::Site&);
  friend void lockdep::assert_held(const SpinLock&, const lockdep::Site&);

  std::mutex mutex_;
  const char* name_;
#if ZSWAP_LOCKDEP
  const unsigned class_;                     // index of name_ in the validator's classes
  std::atomic<const void*> owner_{nullptr};  // the holding thread's validator state
#endif
};

// std::lock_guard for SpinLock that records the guard's own site, not the library's.
class SpinGuard {
 public:
  explicit SpinGuard(SpinLock& lock, lockdep::Site site = ZSWAP_CALLER_SITE) : lock_(lock), site_(site) {
    lock_.lock(site_);
  }
  ~SpinGuard() { lock_.unlock(site_); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& lock_;
  lockdep::Site site_;
};

// The kernel's lockdep_assert_held: the calling thread must hold lock.
#if ZSWAP_LOCKDEP
#define lockdep_assert_held(lock) ::lockdep::assert_held((lock), ZSWAP_CALLER_SITE)
#else
#define lockdep_assert_held(lock) ((void)(lock))
#endif
