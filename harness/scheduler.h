// The deterministic scheduler: runs logical threads as fibers (fiber.h) on the calling
// OS thread, one at a time, handing control over only at scheduling points (impl's
// sched hook: every lock acquire and release, and the annotated race windows). Same
// strategy choices, same interleaving, same verdict.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fiber.h"
#include "strategy.h"
#include "sync.h"

// One entry of the run's trace. thread 0 is the sequential prefix (main thread).
struct TraceEvent {
  enum class Kind : unsigned char { op_begin, op_end, acquire, contended, acquired, release, point, wait };
  std::uint64_t step;
  int thread;
  Kind kind;
  const void* object;   // the lock, for lock events
  const char* name;     // the lock's or the point's name (static strings); "" for ops
  int op_index;         // the program operation the thread is in, -1 outside
  int result;           // op_end: what the operation returned
};

const char* trace_kind_name(TraceEvent::Kind kind);

enum class RunVerdict { finished, deadlock, step_limit };

inline constexpr int kMaxThreads = 8;

class Scheduler {
 public:
  Scheduler(Strategy& strategy, std::uint64_t max_steps);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs bodies[i] as logical thread i + 1 until every one returns, all are stuck
  // (deadlock; the stuck fibers are left suspended for good), or max_steps points pass.
  RunVerdict run(std::vector<std::function<void()>> bodies);
  // Runs body alone as logical thread 0 (a program's sequential prefix): no choice to
  // make, but a deadlock or the step limit is caught and reported as in run().
  RunVerdict run_alone(std::function<void()> body);

  // Called by thread bodies (or by the main thread for the prefix) around each
  // program operation: records op_begin/op_end (with the result) and returns the step.
  std::uint64_t mark(TraceEvent::Kind kind, int thread, int op_index, int result = 0);

  const std::vector<TraceEvent>& trace() const { return trace_; }
  // The trace, moved out: it is long, and the caller keeps it after the scheduler is gone.
  std::vector<TraceEvent> take_trace() { return std::move(trace_); }
  // "thread 2 waits for page.lock held by thread 1 (finished)" after a deadlock.
  const std::string& deadlock_report() const { return deadlock_report_; }
  // "thread 1: lock zswap_tree.lock, point ..., unlock ...; thread 2: ..." (the last
  // `per_thread` events of each thread still running): where a stopped run stood.
  std::string last_events(std::size_t per_thread) const;
  std::uint64_t steps() const { return step_; }

 private:
  struct ThreadState {
    bool finished = false;
    const void* blocked_on = nullptr;  // a lock it could not take
    bool waiting = false;              // in a wait loop; runnable after others progress
    std::uint64_t wait_since = 0;      // its previous wait: others must have moved since
    std::uint64_t last_wait = 0;       // the step of its latest wait event
    std::uint64_t progress_step = 0;   // its latest event that changed anything
    std::uint64_t moves = 0;           // its scheduling points so far (events that may switch)
    const void* acquiring = nullptr;   // parked at an acquire (or contended) of this lock
    const void* released = nullptr;    // parked right after releasing this lock
    std::uint64_t op_marks = 0;        // operation beginnings and ends so far
    int op_index = -1;
  };

  // The fiber that plays logical thread t (scheduler.cpp), kept from run to run.
  struct Worker;
  static std::unique_ptr<Worker>& worker_slot(int t);
  static Worker& worker(int t);
  // Worker t is suspended for good (a deadlock): the next run gets a new one.
  static void abandon(int t);
  // Logical thread t's part of the run: its body, then finish.
  void play(int t);

  RunVerdict run_threads(std::vector<std::function<void()>> bodies);
  static void hook(sched::Event event, const void* object, const char* name);
  void on_event(int self, sched::Event event, const void* object, const char* name);
  // Picks the next thread (0, the caller of run(), once all are done or stopped) and,
  // if it is not self, switches to it; returns when self is chosen again.
  void reschedule(int self);
  void switch_to(int self, int next);
  // Logical thread t returned from its body.
  void finish(int t);
  // The threads that may run next, self first when it may; returns their count.
  int runnable(int self, int* out) const;
  void describe_deadlock();
  // The name a lock event gave object (the trace has them all).
  const char* lock_name(const void* object) const;
  // What the strategy asks to see of the runnable threads (Choice::threads).
  std::vector<RunnableThread> describe_runnable(const int* runnable, int count) const;

  Strategy& strategy_;
  const std::uint64_t max_steps_;
  FiberContext* caller_ = nullptr;  // during run(): the context of run()'s caller
  const std::vector<std::function<void()>>* bodies_ = nullptr;  // during run()
  int label_shift_ = 0;   // logical thread label = worker index - label_shift_ (1 in run_alone)
  std::uint64_t run_base_step_ = 0;  // step_ when run() began: strategies count from there
  bool stopped_ = false;  // deadlock or step limit: nobody runs any more
  std::uint64_t step_ = 0;
  std::vector<ThreadState> threads_;
  std::vector<std::pair<const void*, int>> owner_;  // held lock -> its holder (few at a time)
  std::vector<TraceEvent> trace_;
  std::string deadlock_report_;
};
