#include "scheduler.h"

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

#include "check.h"

namespace {

Scheduler* g_scheduler = nullptr;  // the one running, if any
thread_local int t_thread = 0;     // this OS thread's logical id; 0: not scheduled

// The OS threads that play the logical threads, kept from run to run: under ASan,
// creating three threads costs more than a typical run. Worker t always plays logical
// thread t, so a sanitizer report names the same threads in every run.
class Workers {
 public:
  // Runs job on worker t (created on first use).
  void start(int t, std::function<void()> job) {
    if (!slots_[t]) {
      slots_[t] = std::make_shared<Slot>();
      std::thread(loop, slots_[t]).detach();
    }
    std::lock_guard<std::mutex> lock(slots_[t]->mutex);
    slots_[t]->job = std::move(job);
    slots_[t]->busy = true;
    slots_[t]->cv.notify_one();
  }
  // Waits until worker t has returned from its job.
  void wait(int t) {
    std::unique_lock<std::mutex> lock(slots_[t]->mutex);
    slots_[t]->cv.wait(lock, [&] { return !slots_[t]->busy; });
  }
  // Worker t is parked for good (a deadlock): the next run gets a new one.
  void abandon(int t) { slots_[t].reset(); }

 private:
  struct Slot {
    std::mutex mutex;
    std::condition_variable cv;
    std::function<void()> job;
    bool busy = false;
  };
  static void loop(std::shared_ptr<Slot> slot) {
    std::unique_lock<std::mutex> lock(slot->mutex);
    for (;;) {
      slot->cv.wait(lock, [&] { return slot->busy && slot->job; });
      std::function<void()> job = std::move(slot->job);
      slot->job = nullptr;
      lock.unlock();
      job();
      lock.lock();
      slot->busy = false;
      slot->cv.notify_all();
    }
  }
  std::shared_ptr<Slot> slots_[kMaxThreads + 1];
};

Workers& workers() {
  static Workers* pool = new Workers;  // never destroyed: its threads outlive main
  return *pool;
}

TraceEvent::Kind kind_of(sched::Event e) {
  switch (e) {
    case sched::Event::acquire: return TraceEvent::Kind::acquire;
    case sched::Event::contended: return TraceEvent::Kind::contended;
    case sched::Event::acquired: return TraceEvent::Kind::acquired;
    case sched::Event::release: return TraceEvent::Kind::release;
    case sched::Event::point: return TraceEvent::Kind::point;
    case sched::Event::wait: return TraceEvent::Kind::wait;
  }
  return TraceEvent::Kind::point;
}

}  // namespace

const char* trace_kind_name(TraceEvent::Kind kind) {
  static const char* const names[] = {"begin", "end", "lock", "blocked", "locked", "unlock", "point", "wait"};
  return names[static_cast<int>(kind)];
}

Scheduler::Scheduler(Strategy& strategy, std::uint64_t max_steps)
    : strategy_(strategy), max_steps_(max_steps) {}

Scheduler::~Scheduler() {
  if (g_scheduler == this) {
    sched::hook.store(nullptr);
    g_scheduler = nullptr;
  }
}

void Scheduler::hook(sched::Event event, const void* object, const char* name) {
  if (t_thread == 0 || !g_scheduler) return;  // the main thread runs unscheduled
  g_scheduler->on_event(t_thread, event, object, name);
}

std::uint64_t Scheduler::mark(TraceEvent::Kind kind, int thread, int op_index, int result) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int t = thread + label_shift_;
  if (t < static_cast<int>(threads_.size())) {
    threads_[t].op_index = kind == TraceEvent::Kind::op_begin ? op_index : -1;
    threads_[t].op_marks++;
  }
  trace_.push_back(TraceEvent{step_, thread, kind, nullptr, "", op_index, result});
  return step_++;
}

int Scheduler::runnable(int self, int* out) const {
  int n = 0;
  auto ok = [this](int t) {
    const ThreadState& s = threads_[t];
    if (s.finished || s.blocked_on) return false;
    if (!s.waiting) return true;
    // A waiting thread rechecks only after another thread changed something since its
    // previous wait (its condition may have become true at any point after that).
    for (int u = 1; u < static_cast<int>(threads_.size()); u++)
      if (u != t && threads_[u].progress_step > s.wait_since) return true;
    return false;
  };
  if (self > 0 && ok(self)) out[n++] = self;
  for (int t = 1; t < static_cast<int>(threads_.size()); t++)
    if (t != self && ok(t)) out[n++] = t;
  // A thread polling in a wait loop cannot help anyone until another moves: while any
  // other thread can run, waiters sit out (otherwise two waiters could hand control
  // back and forth forever and starve the thread they wait for).
  int busy = 0;
  for (int i = 0; i < n; i++)
    if (!threads_[out[i]].waiting) out[busy++] = out[i];
  return busy > 0 ? busy : n;
}

const char* Scheduler::lock_name(const void* object) const {
  for (auto e = trace_.rbegin(); e != trace_.rend(); ++e)
    if (e->object == object && *e->name) return e->name;
  return "";
}

void Scheduler::describe_deadlock() {
  std::string r;
  for (int t = 1; t < static_cast<int>(threads_.size()); t++) {
    const ThreadState& s = threads_[t];
    if (s.finished) continue;
    if (!r.empty()) r += "; ";
    r += "thread " + std::to_string(t - label_shift_);
    if (s.blocked_on) {
      r += std::string(" waits for ") + lock_name(s.blocked_on);
      auto it = std::find_if(owner_.begin(), owner_.end(), [&](const auto& o) { return o.first == s.blocked_on; });
      if (it == owner_.end()) {
        r += " (no holder)";
      } else {
        r += " held by thread " + std::to_string(it->second - label_shift_);
        if (threads_[it->second].finished) r += " (finished: it never unlocked)";
      }
    } else {
      r += " waits for a condition no other thread can establish";
    }
  }
  deadlock_report_ = r;
}

std::vector<RunnableThread> Scheduler::describe_runnable(const int* runnable, int count) const {
  std::vector<RunnableThread> described(count);
  for (int i = 0; i < count; i++) {
    const ThreadState& s = threads_[runnable[i]];
    described[i].acquiring = s.acquiring;
    described[i].released = s.released;
    described[i].moves = s.moves;
    described[i].op_marks = s.op_marks;
    for (const auto& [held, holder] : owner_)
      if (holder == runnable[i]) described[i].held.push_back(held);
  }
  return described;
}

void Scheduler::reschedule(std::unique_lock<std::mutex>& lock, int self) {
  if (stopped_) {
    turn_[self].wait(lock, [] { return false; });  // parked for good
  }
  int candidates[kMaxThreads + 1];
  const int count = runnable(self, candidates);
  int next;
  if (count == 0) {
    describe_deadlock();
    stopped_ = true;
    next = 0;  // wake the main thread to report
  } else if (step_ >= max_steps_) {
    stopped_ = true;
    next = 0;
  } else if (count == 1) {
    next = candidates[0];
  } else {
    std::vector<RunnableThread> described;
    if (strategy_.wants_threads()) described = describe_runnable(candidates, count);
    const Choice choice{candidates, count, step_ - run_base_step_, candidates[0] == self,
                        described.empty() ? nullptr : described.data()};
    next = strategy_.choose(choice);
  }
  current_ = next;
  if (next != self) turn_[next].notify_one();
  // The main thread (0) waits in run(); a finished thread just leaves.
  if (self == next || self == 0 || threads_[self].finished) return;
  turn_[self].wait(lock, [&] { return current_ == self && !stopped_; });
}

void Scheduler::on_event(int self, sched::Event event, const void* object, const char* name) {
  std::unique_lock<std::mutex> lock(mutex_);
  ThreadState& s = threads_[self];
  trace_.push_back(TraceEvent{step_, self - label_shift_, kind_of(event), object, name ? name : "", s.op_index, 0});
  ++step_;
  if (event != sched::Event::acquired) s.moves++;  // acquired goes on without a choice
  s.acquiring = event == sched::Event::acquire || event == sched::Event::contended ? object : nullptr;
  s.released = event == sched::Event::release ? object : nullptr;
  if (event != sched::Event::wait && event != sched::Event::contended) s.progress_step = step_;
  switch (event) {
    case sched::Event::acquired:
      owner_.emplace_back(object, self);
      s.blocked_on = nullptr;
      return;  // holding the lock now: keep running to the next point
    case sched::Event::contended:
      s.blocked_on = object;
      break;
    case sched::Event::release:
      for (auto it = owner_.begin(); it != owner_.end(); ++it)
        if (it->first == object) {
          owner_.erase(it);
          break;
        }
      for (ThreadState& other : threads_)
        if (other.blocked_on == object) other.blocked_on = nullptr;
      break;
    case sched::Event::wait:
      s.waiting = true;
      s.wait_since = s.last_wait;
      s.last_wait = step_;
      break;
    case sched::Event::acquire:
    case sched::Event::point:
      break;
  }
  if (event != sched::Event::wait) s.waiting = false;
  reschedule(lock, self);
  s.waiting = false;
}

std::string Scheduler::last_events(std::size_t per_thread) const {
  std::map<int, std::vector<std::string>> last;  // label -> its events, newest first
  for (auto e = trace_.rbegin(); e != trace_.rend(); ++e) {
    auto& events = last[e->thread];
    if (events.size() < per_thread)
      events.push_back(std::string(trace_kind_name(e->kind)) + (*e->name ? std::string(" ") + e->name : ""));
  }
  std::string r;
  for (int t = 1; t < static_cast<int>(threads_.size()); t++) {
    if (threads_[t].finished) continue;
    const int label = t - label_shift_;
    r += (r.empty() ? "thread " : "; thread ") + std::to_string(label) + ":";
    const auto& events = last[label];
    if (events.empty()) r += " not started";
    for (auto e = events.rbegin(); e != events.rend(); ++e) r += (e == events.rbegin() ? " " : ", ") + *e;
  }
  return r;
}

RunVerdict Scheduler::run(std::vector<std::function<void()>> bodies) {
  // A prefix run before (run_alone) must not move the strategy's change points.
  run_base_step_ = step_;
  strategy_.start(static_cast<int>(bodies.size()));
  return run_threads(std::move(bodies));
}

RunVerdict Scheduler::run_alone(std::function<void()> body) {
  label_shift_ = 1;
  const RunVerdict verdict = run_threads({std::move(body)});
  if (verdict == RunVerdict::finished) label_shift_ = 0;  // else kept for the reports
  return verdict;
}

RunVerdict Scheduler::run_threads(std::vector<std::function<void()>> bodies) {
  HARNESS_CHECK(g_scheduler == nullptr);
  const int n = static_cast<int>(bodies.size());
  HARNESS_CHECK(n <= kMaxThreads);
  if (n == 0) return RunVerdict::finished;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads_.assign(n + 1, ThreadState{});
    trace_.reserve(1024);  // enough for most runs; beyond 128 KiB ASan would mmap each time
    threads_[0].finished = true;
    current_ = -1;  // nobody runs until every thread is parked
  }
  g_scheduler = this;
  sched::hook.store(&Scheduler::hook);

  for (int t = 1; t <= n; t++) {
    workers().start(t, [this, t, &bodies] {
      t_thread = t;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        turn_[t].wait(lock, [&] { return current_ == t && !stopped_; });
      }
      bodies[t - 1]();
      std::unique_lock<std::mutex> lock(mutex_);
      threads_[t].finished = true;
      threads_[t].op_index = -1;
      threads_[t].progress_step = ++step_;
      if (!stopped_) {
        // Wake whoever is next (or the main thread when all are done).
        bool any_left = false;
        for (int u = 1; u <= static_cast<int>(threads_.size()) - 1; u++) any_left |= !threads_[u].finished;
        if (any_left) {
          reschedule(lock, t);
        } else {
          current_ = 0;
          turn_[0].notify_one();
        }
      }
    });
  }
  std::unique_lock<std::mutex> lock(mutex_);
  reschedule(lock, 0);  // the first choice
  turn_[0].wait(lock, [&] { return current_ == 0 || stopped_; });
  const bool stuck = stopped_;
  const RunVerdict verdict =
      !stuck ? RunVerdict::finished : (deadlock_report_.empty() ? RunVerdict::step_limit : RunVerdict::deadlock);
  std::vector<bool> parked(n + 1);
  for (int t = 1; t <= n; t++) parked[t] = !threads_[t].finished;
  lock.unlock();
  for (int t = 1; t <= n; t++) {
    if (parked[t])
      workers().abandon(t);  // parked forever; the caller reports and exits
    else
      workers().wait(t);
  }
  sched::hook.store(nullptr);
  g_scheduler = nullptr;
  return verdict;
}
