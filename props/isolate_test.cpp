// run_isolated: each way a case can end in its worker (passes, fails an assertion, prints
// a finding and still passes, dies, leaks, hangs) reaches the parent as the right
// verdict; a worker runs case after case, a failing case retires it, and what one case
// leaves in a worker (the lock order it took, the memory it keeps) does not change the
// verdict of the next.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <new>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "case_allocations.h"
#include "isolate.h"
#include "sync.h"
#include "watchdog.h"

namespace {

// What the worker's pid was in the last case that recorded it: in memory shared with the
// workers, which are forked after this is mapped (at static initialization).
std::atomic<pid_t>* const g_worker_pid = [] {
  void* memory = mmap(nullptr, sizeof(std::atomic<pid_t>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return new (memory) std::atomic<pid_t>(0);
}();

void* volatile g_kept;  // a global root: what it points to is reachable
void* volatile g_sink;

[[gnu::noinline]] void leak_blocks() {
  for (int i = 0; i < 64; i++) g_sink = std::malloc(48);
  g_sink = nullptr;
}

// Takes a lock of class outer, then one of class inner under it.
void nest(const char* outer, const char* inner) {
  SpinLock first(outer), second(inner);
  SpinGuard g1(first), g2(second);
}

enum Behaviour : int {
  pass,
  record_pid,
  fail_assertion,
  fail_without_tag,
  print_finding,
  abort_process,
  exit_zero,
  print_context_then_fail,
  hang_in_shrink,
  freeze_process,
  leak,
  keep_a_block,  // reachable from g_kept; the block kept before becomes unreachable
  leak_past_the_table,  // after more live allocations than case_allocations tells apart
  lock_a_then_b,
  lock_b_then_a,
  lock_both_orders,
  hold_a_lock,  // and pass
};

void behave(const Program&, int mode) {
  switch (static_cast<Behaviour>(mode)) {
    case pass: return;
    case record_pid: g_worker_pid->store(getpid()); return;
    case fail_assertion: {
      // In a variable, as the properties build theirs: RC_FAIL also prints its argument's
      // source text, which must not be what is found.
      const std::string divergence = "[divergence] load: returned 1";
      RC_FAIL(divergence);
    }
    case fail_without_tag: {
      const std::string message = "no tag on this line";
      RC_FAIL(message);
    }
    case print_finding: std::fprintf(stderr, "WARNING: ThreadSanitizer: data race\n"); return;
    case abort_process: std::abort();
    case exit_zero: std::exit(0);
    case print_context_then_fail: {
      std::fprintf(stderr, "[schedule pct:7:3]\n");
      const std::string invariant = "[invariant] leaked";
      RC_FAIL(invariant);
    }
    case hang_in_shrink: {
      static const Op shrink{OpCode::shrink, {3, 0, 0, 0}};
      watchdog::note_operation(shrink);
      std::this_thread::sleep_for(std::chrono::hours(1));
      return;
    }
    case freeze_process: raise(SIGSTOP); return;  // every thread stops, the watchdog's too
    case leak: leak_blocks(); return;
    case keep_a_block: g_kept = std::malloc(48); return;
    case leak_past_the_table: {
      // The leaked blocks come after the table is full, and every recorded block is freed:
      // only the table's overflow says a leak check is due.
      std::vector<void*> blocks(case_allocations::kMaxLive);
      for (void*& block : blocks) block = std::malloc(16);
      leak_blocks();
      for (void* block : blocks) std::free(block);
      return;
    }
    case lock_a_then_b: nest("isolate_test.a", "isolate_test.b"); return;
    case lock_b_then_a: nest("isolate_test.b", "isolate_test.a"); return;
    case lock_both_orders:
      nest("isolate_test.a", "isolate_test.b");
      nest("isolate_test.b", "isolate_test.a");
      return;
    case hold_a_lock: {
      static SpinLock* const held = new SpinLock("isolate_test.held");
      held->lock();
      return;
    }
  }
}
const int kBehave = register_case_runner(&behave);

std::string run(Behaviour b, const std::string& context_prefix = "",
                std::chrono::seconds deadline = std::chrono::seconds(30)) {
  return run_isolated(kBehave, Program{}, b, context_prefix, deadline);
}

pid_t worker_pid() {
  EXPECT_EQ(run(record_pid), "");
  return g_worker_pid->load();
}

// The programs the suites send: a version-1 zswap program with compact (a version-2
// operation) and an offset past the last slot, and a race program with a schedule.
Program sequential_sample() {
  Program p;
  p.layer = Layer::zswap;
  p.ops = {make_op(OpCode::store, 1, 32, 5, 2), make_op(OpCode::compact, 0, 3), make_op(OpCode::set_pool_percent, 7)};
  return p;
}

Program race_sample() {
  Program p;
  p.layer = Layer::zswap;
  p.version = kRaceFormatVersion;
  p.threads = 3;
  p.ops = {make_op(OpCode::store, 0, 1, 2, 3, 0), make_op(OpCode::shrink, 2, 0, 0, 0, 1),
           make_op(OpCode::load, 0, 1, 0, 0, 3)};
  p.schedule = {9, 0, 255, 4};
  return p;
}

enum Sample : int { sequential, race };

void expect_sample(const Program& program, int which) {
  if (!(program == (which == sequential ? sequential_sample() : race_sample()))) {
    const std::string divergence = "[divergence] the program arrived changed:\n" + format_program(program);
    RC_FAIL(divergence);
  }
}
const int kExpectSample = register_case_runner(&expect_sample);

TEST(RunIsolated, APassingCaseIsNoFinding) { EXPECT_EQ(run(pass), ""); }

TEST(RunIsolated, AFailedAssertionIsItsMessage) { EXPECT_EQ(run(fail_assertion), "[divergence] load: returned 1"); }

TEST(RunIsolated, AFindingLineFailsAPassingCase) {
  EXPECT_EQ(run(print_finding), "WARNING: ThreadSanitizer: data race");
}

TEST(RunIsolated, AFailureWithoutAFindingLineShowsItsOutput) {
  const std::string finding = run(fail_without_tag);
  EXPECT_EQ(finding.rfind("failed without a finding line; its output:\n", 0), 0u) << finding;
  EXPECT_NE(finding.find("\nno tag on this line\n"), std::string::npos) << finding;
}

TEST(RunIsolated, ADeathWithoutAFindingLineSaysHow) {
  const std::string finding = run(abort_process);
  EXPECT_EQ(finding.rfind("killed by signal 6 without a finding line", 0), 0u) << finding;
}

TEST(RunIsolated, ACaseThatEndsItsWorkerWithExitZeroPasses) { EXPECT_EQ(run(exit_zero), ""); }

TEST(RunIsolated, TheContextBeforeAFindingIsAppended) {
  EXPECT_EQ(run(print_context_then_fail, "[schedule"), "[invariant] leaked [[schedule pct:7:3]]");
}

TEST(RunIsolated, AHangReportsItselfWithItsOperation) {
  EXPECT_EQ(run(hang_in_shrink, "", std::chrono::seconds(2)),
            "[invariant] hang: the property case still running after 1.5 s, last operation shrink");
}

TEST(RunIsolated, AHangIsKilledAtTheDeadlineWhenItsWatchdogCannotReport) {
  EXPECT_EQ(run(freeze_process, "", std::chrono::seconds(1)),
            "[invariant] hang: the case did not finish in 1 s and was killed (its own watchdog did not report)");
}

TEST(RunIsolated, TheProgramArrivesWhole) {
  EXPECT_EQ(run_isolated(kExpectSample, sequential_sample(), sequential), "");
  EXPECT_EQ(run_isolated(kExpectSample, race_sample(), race), "");
  // And the check can tell.
  EXPECT_EQ(run_isolated(kExpectSample, race_sample(), sequential).rfind("[divergence] the program arrived changed", 0),
            0u);
}

TEST(RunIsolated, AWorkerRunsCaseAfterCase) {
  const pid_t first = worker_pid();
  EXPECT_EQ(run(pass), "");
  EXPECT_EQ(worker_pid(), first);
}

TEST(RunIsolated, AFailingCaseRetiresItsWorkerAndTheNextCasePasses) {
  const pid_t first = worker_pid();
  EXPECT_NE(run(fail_assertion), "");
  const pid_t second = worker_pid();
  EXPECT_NE(second, first);
  EXPECT_EQ(run(abort_process).rfind("killed by signal 6", 0), 0u);
  EXPECT_EQ(run(pass), "");
  EXPECT_NE(worker_pid(), second);
}

TEST(RunIsolated, ALockOrderOfAnEarlierCaseIsForgotten) {
  // Each case alone takes one order; a process per case never saw both.
  const pid_t worker = worker_pid();
  EXPECT_EQ(run(lock_a_then_b), "");
  EXPECT_EQ(run(lock_b_then_a), "");
  EXPECT_EQ(worker_pid(), worker);
}

#if ZSWAP_LOCKDEP
TEST(RunIsolated, BothOrdersInOneCaseAreAnInversion) {
  const std::string finding = run(lock_both_orders);
  EXPECT_EQ(finding.rfind("[invariant] lock inversion: isolate_test.b -> isolate_test.a here: ", 0), 0u) << finding;
}

TEST(RunIsolated, ACaseThatLeavesALockHeldPassesAndTheNextGetsAFreshWorker) {
  const pid_t worker = worker_pid();
  EXPECT_EQ(run(hold_a_lock), "");
  EXPECT_NE(worker_pid(), worker);
  EXPECT_EQ(run(lock_a_then_b), "");
}
#endif

#ifdef ISOLATE_CHECKS_LEAKS
TEST(RunIsolated, ALeakFailsAPassingCaseUnderASan) {
  const std::string finding = run(leak);
  EXPECT_NE(finding.find("ERROR: LeakSanitizer: detected memory leaks"), std::string::npos) << finding;
}

TEST(RunIsolated, ALeakPastWhatTheTableHoldsIsStillFound) {
  const std::string finding = run(leak_past_the_table);
  EXPECT_NE(finding.find("ERROR: LeakSanitizer: detected memory leaks"), std::string::npos) << finding;
}

TEST(RunIsolated, MemoryAnEarlierCaseKeptIsNotALaterCasesLeak) {
  const pid_t worker = worker_pid();
  EXPECT_EQ(run(keep_a_block), "");
  // Again: this case leaves its own block live (so its worker checks for leaks) and the
  // earlier case's block unreachable, which a process per case would not have had.
  EXPECT_EQ(run(keep_a_block), "");
  EXPECT_EQ(worker_pid(), worker);
}
#endif

}  // namespace
