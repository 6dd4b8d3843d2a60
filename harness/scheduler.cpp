#include "scheduler.h"

#include <algorithm>
#include <map>
#include <memory>

#include "check.h"

namespace {

Scheduler* g_scheduler = nullptr;  // the one running, if any
thread_local int t_thread = 0;     // the logical thread running on this OS thread; 0: none

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

// A fiber that plays one logical thread, with its task-local storage (sync.h), kept
// from run to run: a fresh stack per run would cost more than a typical run. Worker t
// always plays logical thread t, so a report names the same fibers in every run. Its
// loop plays one part per run, which ends by switching away (finish); the next run's
// first switch to the fiber resumes the loop. (No closure per run: one left on a
// finished fiber's stack would stay allocated after the run.)
struct Scheduler::Worker {
  explicit Worker(int t) : t(t), locals(t), context(&Worker::loop, this) {}
  static void loop(void* self) {
    Worker& w = *static_cast<Worker*>(self);
    for (;;) w.scheduler->play(w.t);
  }
  const int t;
  Scheduler* scheduler = nullptr;  // the run's
  sched::TaskLocals locals;
  FiberContext context;
};

std::unique_ptr<Scheduler::Worker>& Scheduler::worker_slot(int t) {
  static auto* slots = new std::unique_ptr<Worker>[kMaxThreads + 1];  // never destroyed
  return slots[t];
}

Scheduler::Worker& Scheduler::worker(int t) {
  std::unique_ptr<Worker>& slot = worker_slot(t);
  if (!slot) slot = std::make_unique<Worker>(t);
  return *slot;
}

void Scheduler::abandon(int t) {
  // Kept for good, with what its frames point at (the caller reports and exits).
  static auto* abandoned = new std::vector<std::unique_ptr<Worker>>;
  abandoned->push_back(std::move(worker_slot(t)));
  abandoned->back()->context.keep_frames_reachable();
}

void Scheduler::play(int t) {
  (*bodies_)[t - 1]();
  finish(t);
}

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

void Scheduler::reschedule(int self) {
  int candidates[kMaxThreads + 1];
  const int count = runnable(self, candidates);
  int next;
  if (count == 0) {
    describe_deadlock();
    stopped_ = true;
    next = 0;  // back to run() to report
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
  switch_to(self, next);
}

void Scheduler::switch_to(int self, int next) {
  if (next == self) return;
  t_thread = next;
  sched::switch_task_locals(next == 0 ? nullptr : &worker(next).locals);
  FiberContext& from = self == 0 ? *caller_ : worker(self).context;
  from.switch_to(next == 0 ? *caller_ : worker(next).context);
}

void Scheduler::finish(int t) {
  threads_[t].finished = true;
  threads_[t].op_index = -1;
  threads_[t].progress_step = ++step_;
  bool any_left = false;
  for (int u = 1; u < static_cast<int>(threads_.size()); u++) any_left |= !threads_[u].finished;
  if (any_left)
    reschedule(t);  // returns only in a later run, to play that run's part
  else
    switch_to(t, 0);
}

void Scheduler::on_event(int self, sched::Event event, const void* object, const char* name) {
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
  reschedule(self);
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
  threads_.assign(n + 1, ThreadState{});
  trace_.reserve(1024);  // enough for most runs; beyond 128 KiB ASan would mmap each time
  threads_[0].finished = true;
  FiberContext caller;
  caller_ = &caller;
  g_scheduler = this;
  sched::hook.store(&Scheduler::hook);

  bodies_ = &bodies;
  for (int t = 1; t <= n; t++) worker(t).scheduler = this;
  reschedule(0);  // the first choice; back here when all are done or the run stopped
  const RunVerdict verdict =
      !stopped_ ? RunVerdict::finished : (deadlock_report_.empty() ? RunVerdict::step_limit : RunVerdict::deadlock);
  for (int t = 1; t <= n; t++)
    if (!threads_[t].finished) abandon(t);  // suspended for good; the caller reports
  sched::hook.store(nullptr);
  g_scheduler = nullptr;
  caller_ = nullptr;
  bodies_ = nullptr;
  return verdict;
}
