// The deterministic scheduler and its strategies.
#include <gtest/gtest.h>

#include <sanitizer/lsan_interface.h>

#include <cstdint>
#include <fstream>
#include <iterator>

#include "mutants.h"
#include "race.h"

namespace {

Program read_program(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  EXPECT_FALSE(bytes.empty()) << path;
  return race_program(decode(bytes.data(), bytes.size(), Layer::zswap));
}

const std::string kStaleData = std::string(CORPUS_DIR) + "/regressions/zswap_race/writeback_stale_data.race";

std::string fingerprint(const RaceResult& r) {
  std::string s = r.divergence ? r.divergence->message : "pass";
  for (const TraceEvent& e : r.trace)
    s += std::to_string(e.thread) + trace_kind_name(e.kind) + e.name + std::to_string(e.op_index) + ";";
  return s;
}

TEST(Scheduler, SameSeedSameInterleaving) {
  const Program p = read_program(kStaleData);
  for (const char* spec : {"random:42", "pct:7:3"}) {
    auto a = parse_strategy(spec), b = parse_strategy(spec);
    ASSERT_TRUE(a && b) << spec;
    const RaceResult first = run_zswap_race(p, *a);
    EXPECT_GT(first.trace.size(), 50u);
    EXPECT_EQ(fingerprint(first), fingerprint(run_zswap_race(p, *b))) << spec;
  }
  EXPECT_EQ(parse_strategy("pct:7"), nullptr);
  EXPECT_EQ(parse_strategy("random:x"), nullptr);
}

std::string g_lockdep_report;

TEST(Scheduler, ReportsALockOrderDeadlockWithItsHolders) {
  // The lock validator names the inversion first; recorded here (not aborting) so the
  // run goes on into the deadlock the scheduler must name as well.
  lockdep::set_report_handler([](const std::string& m) { g_lockdep_report = m; });
  // Kept alive (reachable, so LSan is satisfied) for the fibers left suspended on them.
  static auto* a = new SpinLock("lock A");
  static auto* b = new SpinLock("lock B");
  // Choices: start T1; T1 takes A; at T1's acquire of B, preempt (>= 224) to T2; T2
  // takes B, then blocks on A; T1 blocks on B.
  static auto* strategy = make_replay_strategy({0, 0, 255, 0, 0}).release();
  static auto* scheduler = new Scheduler(*strategy, 1000);
  // Thread 1 also holds memory only its frames point at: still reachable for the
  // leak check at exit, as a parked thread's would be.
  const RunVerdict v = scheduler->run({[] {
                                         auto* held = new std::string("held by a deadlocked thread");
                                         a->lock();
                                         b->lock();
                                         b->unlock();
                                         a->unlock();
                                         delete held;
                                       },
                                       [] { b->lock(); a->lock(); a->unlock(); b->unlock(); }});
  lockdep::set_report_handler(nullptr);
  ASSERT_EQ(v, RunVerdict::deadlock);
  EXPECT_EQ(scheduler->deadlock_report(),
            "thread 1 waits for lock B held by thread 2; thread 2 waits for lock A held by thread 1");
  EXPECT_EQ(g_lockdep_report.rfind("[invariant] lock inversion: lock B -> lock A here: lock A taken at ", 0), 0u)
      << g_lockdep_report;
}

TEST(Scheduler, AStepLimitNamesWhereEachThreadStood) {
  // Two threads spinning on their own locks forever: a livelock, not a deadlock.
  static auto* spin = new SpinLock("spin.lock");
  static auto* strategy = make_replay_strategy({}).release();
  static auto* scheduler = new Scheduler(*strategy, 300);
  auto forever = [] {
    for (;;) {
      spin->lock();
      sched::point("spinning");
      spin->unlock();
    }
  };
  ASSERT_EQ(scheduler->run({forever, forever}), RunVerdict::step_limit);
  const std::string where = scheduler->last_events(3);
  // The replay strategy with no choices never preempts: thread 2 never ran.
  EXPECT_EQ(where, "thread 1: locked spin.lock, point spinning, unlock spin.lock; thread 2: not started");
}

TEST(Scheduler, APrefixWaitingForeverIsADeadlockOfThreadZero) {
  static auto* strategy = make_replay_strategy({}).release();
  static auto* scheduler = new Scheduler(*strategy, 1000);
  static int never = 0;
  const RunVerdict v = scheduler->run_alone([] {
    while (never == 0) sched::wait(&never, "a condition nobody sets");
  });
  ASSERT_EQ(v, RunVerdict::deadlock);
  EXPECT_EQ(scheduler->deadlock_report(), "thread 0 waits for a condition no other thread can establish");
}

// What the kernel keeps per thread (the lock validator's held locks, the eviction
// record, the per-cpu buffer) is task-local: fibers sharing an OS thread keep theirs.
struct Marker {
  int value = 0;
};

TEST(Scheduler, EachThreadKeepsItsOwnTaskLocalsAcrossSwitches) {
  sched::task_local<Marker>().value = 99;  // the test's own thread
  // Choices: start T1; at T1's point preempt to T2; at T2's point preempt back to T1.
  static auto* strategy = make_replay_strategy({0, 255, 255}).release();
  Scheduler scheduler(*strategy, 1000);
  int seen[3] = {};
  auto body = [&seen](int t) {
    return [&seen, t] {
      sched::task_local<Marker>().value = t;
      sched::point("switch");
      seen[t] = sched::task_local<Marker>().value;
    };
  };
  ASSERT_EQ(scheduler.run({body(1), body(2)}), RunVerdict::finished);
  std::string order;
  for (const TraceEvent& e : scheduler.trace())
    if (e.kind == TraceEvent::Kind::point) order += std::to_string(e.thread);
  EXPECT_EQ(order, "12");  // both were at their point at once
  EXPECT_EQ(seen[1], 1);
  EXPECT_EQ(seen[2], 2);
  EXPECT_EQ(sched::task_local<Marker>().value, 99);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
TEST(Scheduler, ALeakInAFinishedThreadIsStillALeak) {
  // A finished fiber's dead frames still hold the pointer; they must not count as a root.
  static std::uintptr_t hidden = 0;  // complemented: not a pointer to LeakSanitizer
  static auto* strategy = make_replay_strategy({}).release();
  Scheduler scheduler(*strategy, 1000);
  ASSERT_EQ(scheduler.run({[] {
              std::string* volatile leaked = new std::string("leaked");
              hidden = ~reinterpret_cast<std::uintptr_t>(leaked);
            }}),
            RunVerdict::finished);
  EXPECT_NE(__lsan_do_recoverable_leak_check(), 0);
  delete reinterpret_cast<std::string*>(~hidden);
}
#endif
#endif

// Counts the seeds (1..n) under which a strategy makes the program fail.
int failing_seeds(const Program& p, const std::string& kind, int n) {
  int failures = 0;
  for (int seed = 1; seed <= n; seed++) {
    auto s = parse_strategy(kind == "pct" ? "pct:" + std::to_string(seed) + ":3" : "random:" + std::to_string(seed));
    failures += run_zswap_race(p, *s).divergence.has_value();
  }
  return failures;
}

TEST(Scheduler, RandomAndPctFindTheStaleWritebackRaceAndNeverTheCleanImpl) {
  const Program p = read_program(kStaleData);
  const Mutant before = mutants::active;
  mutants::select(Mutant::writeback_stale_data);
  const int pct = failing_seeds(p, "pct", 200), random = failing_seeds(p, "random", 200);
  mutants::select(Mutant::none);
  const int clean = failing_seeds(p, "pct", 100) + failing_seeds(p, "random", 100);
  mutants::select(before);
  EXPECT_GT(pct + random, 0) << "pct " << pct << "/200, random " << random << "/200";
  EXPECT_EQ(clean, 0);
}

}  // namespace
