// The lock validator behind SpinLock (see sync.h for what it reports).
//
// Each task (sync.h: a thread, or a fiber of the scheduler) keeps the stack of locks
// it holds, with the site that took each. A lock's owner_ points at its holder's
// stack, so a recursive acquire is one compare.
// Lock classes (names) are numbered at construction; the run's observed order is a
// matrix of class pairs (held -> taken), each first seen at a recorded site. Known
// pairs are read without a lock; the first sighting of a pair takes graph_mutex.
// Tasks register their stacks so that a hang report can say what each holds.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "lock_order.h"
#include "sync.h"

#if ZSWAP_LOCKDEP
namespace lockdep {
namespace {

constexpr int kMaxClasses = 32;
constexpr int kMaxHeld = 16;
constexpr int kMaxThreads = 256;

struct ClassInfo {
  const char* name;
  int rank;  // from lock_order.h; -1: not in the declared order
};

constexpr ClassInfo kDeclared[] = {
#define ZSWAP_DECLARED_CLASS(name, rank) {name, rank},
    ZSWAP_LOCK_ORDER(ZSWAP_DECLARED_CLASS)
#undef ZSWAP_DECLARED_CLASS
};

std::mutex classes_mutex;
ClassInfo classes[kMaxClasses];            // [0, class_count): written once, under classes_mutex
std::atomic<const char*> class_names[kMaxClasses];  // the same names, for the lock-free lookup
std::atomic<int> class_count{0};

struct Held {
  const SpinLock* lock;
  unsigned cls;
  Site site;
};

struct ThreadLocks;
std::atomic<ThreadLocks*> threads[kMaxThreads];

struct ThreadLocks {
  Held held[kMaxHeld];
  std::atomic<int> depth{0};
  std::atomic<const SpinLock*> waiting_for{nullptr};  // between before_acquire and acquired
  Site waiting_site{};
  int slot = -1;
  const std::string name = sched::task_name();  // for reports, as the watchdog names it

  ThreadLocks() {
    for (int i = 0; i < kMaxThreads; i++) {
      ThreadLocks* expected = nullptr;
      if (threads[i].compare_exchange_strong(expected, this)) {
        slot = i;
        return;
      }
    }
  }
  ~ThreadLocks() {
    if (slot >= 0) threads[slot].store(nullptr);
  }
};

ThreadLocks& self() { return sched::task_local<ThreadLocks>(); }

// Pairs of classes (held -> taken): 0 unseen, 1 seen (edge_site valid).
std::atomic<unsigned char> edge_seen[kMaxClasses][kMaxClasses];
Site edge_site[kMaxClasses][kMaxClasses];          // graph_mutex; the site that took the inner
Site edge_held_site[kMaxClasses][kMaxClasses];     // graph_mutex; where the outer was taken
std::mutex graph_mutex;

std::atomic<ReportHandler> handler{nullptr};

std::string where(const Site& s) {
  const char* base = std::strrchr(s.file, '/');
  return std::string(base ? base + 1 : s.file) + ":" + std::to_string(s.line) + " (" + s.function + ")";
}

void report(const std::string& message) {
  if (ReportHandler h = handler.load()) {
    h(message);
    return;
  }
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

const Held* find_held(const ThreadLocks& t, const SpinLock* lock) {
  for (int i = t.depth.load(std::memory_order_relaxed) - 1; i >= 0; i--)
    if (t.held[i].lock == lock) return &t.held[i];
  return nullptr;
}

// Taking a lock of class c at site while `held` is held: the declared order, then the
// order this run has shown so far. (The report text is built only for a report: this
// runs on every nested acquire.)
void check_order(const Held& held, unsigned c, const Site& site) {
  const unsigned h = held.cls;
  if (h == c) return;  // same class: nesting two pages' locks is part of the design
  const ClassInfo& outer = classes[h];
  const ClassInfo& inner = classes[c];
  auto here = [&] {
    return std::string(inner.name) + " taken at " + where(site) + " while holding " + outer.name + " (taken at " +
           where(held.site) + ")";
  };
  if (outer.rank == kLeafLock)
    return report("[invariant] lock inversion: " + here() + "; " + outer.name +
                  " is a leaf in the declared order (impl/lock_order.h): no lock may be taken under it");
  if (outer.rank >= 0 && inner.rank >= 0 && inner.rank < outer.rank)
    return report("[invariant] lock inversion: " + here() + "; the declared order (impl/lock_order.h) is " +
                  inner.name + " -> " + outer.name);
  if (edge_seen[h][c].load(std::memory_order_acquire)) return;
  std::unique_lock<std::mutex> guard(graph_mutex);
  if (edge_seen[c][h].load(std::memory_order_relaxed)) {
    const std::string there = std::string(outer.name) + " taken at " + where(edge_site[c][h]) + " while holding " +
                              inner.name + " (taken at " + where(edge_held_site[c][h]) + ")";
    guard.unlock();
    return report(std::string("[invariant] lock inversion: ") + outer.name + " -> " + inner.name + " here: " + here() + "; but " +
                  inner.name + " -> " + outer.name + " earlier: " + there);
  }
  if (!edge_seen[h][c].load(std::memory_order_relaxed)) {
    edge_site[h][c] = site;
    edge_held_site[h][c] = held.site;
    edge_seen[h][c].store(1, std::memory_order_release);
  }
}

}  // namespace

unsigned class_of(const char* name) {
  // A lock is constructed per swap cache page: its name (a string literal, one address
  // per class in practice) is found without the mutex.
  for (int i = 0, n = class_count.load(std::memory_order_acquire); i < n; i++)
    if (class_names[i].load(std::memory_order_relaxed) == name) return static_cast<unsigned>(i);
  std::lock_guard<std::mutex> guard(classes_mutex);
  const int n = class_count.load(std::memory_order_relaxed);
  for (int i = 0; i < n; i++)
    if (std::strcmp(classes[i].name, name) == 0) return static_cast<unsigned>(i);
  if (n == kMaxClasses) {
    std::fprintf(stderr, "[harness bug] lock validator: more than %d lock classes (at %s)\n", kMaxClasses, name);
    std::abort();
  }
  int rank = -1;
  for (const ClassInfo& d : kDeclared)
    if (std::strcmp(d.name, name) == 0) rank = d.rank;
  classes[n] = ClassInfo{name, rank};
  class_names[n].store(name, std::memory_order_relaxed);
  class_count.store(n + 1, std::memory_order_release);
  return static_cast<unsigned>(n);
}

void before_acquire(const SpinLock& lock, const Site& site) {
  ThreadLocks& t = self();
  if (lock.owner_.load(std::memory_order_relaxed) == &t) {
    const Held* first = find_held(t, &lock);
    return report(std::string("[invariant] recursive locking: ") + lock.name_ + " taken at " + where(site) +
                  " by the thread that already holds it (taken at " + (first ? where(first->site) : "?") + ")");
  }
  const int depth = t.depth.load(std::memory_order_relaxed);
  for (int i = 0; i < depth; i++) check_order(t.held[i], lock.class_, site);
  t.waiting_site = site;
  t.waiting_for.store(&lock, std::memory_order_relaxed);
}

void acquired(SpinLock& lock, const Site& site) {
  ThreadLocks& t = self();
  t.waiting_for.store(nullptr, std::memory_order_relaxed);
  const int depth = t.depth.load(std::memory_order_relaxed);
  if (depth == kMaxHeld)
    return report("[invariant] lock depth: more than " + std::to_string(kMaxHeld) + " locks held, taking " +
                  lock.name_ + " at " + where(site));
  t.held[depth] = Held{&lock, lock.class_, site};
  t.depth.store(depth + 1, std::memory_order_release);
  lock.owner_.store(&t, std::memory_order_relaxed);
}

void before_release(SpinLock& lock, const Site& site) {
  ThreadLocks& t = self();
  if (lock.owner_.load(std::memory_order_relaxed) != &t)
    return report(std::string("[invariant] unlock of a lock not held: ") + lock.name_ + " released at " +
                  where(site) + " by a thread that does not hold it");
  lock.owner_.store(nullptr, std::memory_order_relaxed);
  const int depth = t.depth.load(std::memory_order_relaxed);
  for (int i = depth - 1; i >= 0; i--)
    if (t.held[i].lock == &lock) {
      for (int j = i; j + 1 < depth; j++) t.held[j] = t.held[j + 1];
      break;
    }
  t.depth.store(depth - 1, std::memory_order_release);
}

void assert_held(const SpinLock& lock, const Site& site) {
  if (lock.owner_.load(std::memory_order_relaxed) != &self())
    report(std::string("[invariant] lock not held: ") + lock.name_ + " must be held at " + where(site));
}

std::string describe_threads() {
  std::string out;
  for (int i = 0; i < kMaxThreads; i++) {
    const ThreadLocks* t = threads[i].load();
    if (!t) continue;
    std::string line;
    const int depth = t->depth.load(std::memory_order_acquire);
    for (int j = 0; j < depth && j < kMaxHeld; j++)
      line += std::string(line.empty() ? "holds " : ", ") + t->held[j].lock->name() + " (" + where(t->held[j].site) + ")";
    if (const SpinLock* w = t->waiting_for.load(std::memory_order_relaxed))
      line += std::string(line.empty() ? "" : "; ") + "waits for " + w->name() + " at " + where(t->waiting_site);
    if (!line.empty()) out += "  " + t->name + ": " + line + "\n";
  }
  return out;
}

bool any_lock_held() {
  for (const std::atomic<ThreadLocks*>& slot : threads)
    if (const ThreadLocks* t = slot.load();
        t && (t->depth.load(std::memory_order_acquire) > 0 || t->waiting_for.load(std::memory_order_relaxed)))
      return true;
  return false;
}

void forget_observed_order() {
  std::lock_guard<std::mutex> guard(graph_mutex);
  for (auto& row : edge_seen)
    for (std::atomic<unsigned char>& seen : row) seen.store(0, std::memory_order_relaxed);
}

void set_report_handler(ReportHandler h) { handler.store(h); }

}  // namespace lockdep

SpinLock::SpinLock(const char* name) : name_(name), class_(lockdep::class_of(name)) {}

#else  // the release build: no validator

std::string lockdep::describe_threads() { return ""; }
bool lockdep::any_lock_held() { return false; }
void lockdep::forget_observed_order() {}
void lockdep::set_report_handler(ReportHandler) {}
SpinLock::SpinLock(const char* name) : name_(name) {}

#endif
