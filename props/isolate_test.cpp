// run_isolated: each way a case can end in its child (passes, fails an assertion, prints
// a finding and still exits 0, dies, leaks, hangs) reaches the parent as the right verdict.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "isolate.h"
#include "watchdog.h"

namespace {

TEST(RunIsolated, APassingBodyIsNoFinding) { EXPECT_EQ(run_isolated([] {}), ""); }

TEST(RunIsolated, AFailedAssertionIsItsMessage) {
  // In a variable, as the properties build theirs: RC_FAIL also prints its argument's
  // source text, which must not be what is found.
  const std::string finding = run_isolated([] {
    const std::string divergence = "[divergence] load: returned 1";
    RC_FAIL(divergence);
  });
  EXPECT_EQ(finding, "[divergence] load: returned 1");
}

TEST(RunIsolated, AFindingLineFailsEvenWhenTheChildExitsZero) {
  const std::string finding = run_isolated([] { std::fprintf(stderr, "WARNING: ThreadSanitizer: data race\n"); });
  EXPECT_EQ(finding, "WARNING: ThreadSanitizer: data race");
}

TEST(RunIsolated, ADeathWithoutAFindingLineSaysHow) {
  const std::string finding = run_isolated([] { std::abort(); });
  EXPECT_EQ(finding.rfind("killed by signal 6 without a finding line", 0), 0u) << finding;
}

TEST(RunIsolated, TheContextBeforeAFindingIsAppended) {
  const std::string finding = run_isolated(
      [] {
        std::fprintf(stderr, "[schedule pct:7:3]\n");
        const std::string invariant = "[invariant] leaked";
        RC_FAIL(invariant);
      },
      "[schedule");
  EXPECT_EQ(finding, "[invariant] leaked [[schedule pct:7:3]]");
}

TEST(RunIsolated, AHangReportsItselfWithItsOperation) {
  const std::string finding = run_isolated(
      [] {
        static const Op shrink{OpCode::shrink, {3, 0, 0, 0}};
        watchdog::note_operation(shrink);
        std::this_thread::sleep_for(std::chrono::hours(1));
      },
      "", std::chrono::seconds(2));
  EXPECT_EQ(finding, "[invariant] hang: the property case still running after 1.5 s, last operation shrink");
}

TEST(RunIsolated, AHangIsKilledAtTheDeadlineWhenItsWatchdogIsOff) {
  setenv("ZSWAP_HANG_SECONDS", "0", 1);
  const std::string finding =
      run_isolated([] { std::this_thread::sleep_for(std::chrono::hours(1)); }, "", std::chrono::seconds(1));
  unsetenv("ZSWAP_HANG_SECONDS");
  EXPECT_EQ(finding, "[invariant] hang: the case did not finish in 1 s and was killed (its own watchdog did not report)");
}

#ifdef ISOLATE_CHECKS_LEAKS
void* volatile g_sink;

[[gnu::noinline]] void leak_blocks() {
  for (int i = 0; i < 64; i++) g_sink = std::malloc(48);
  g_sink = nullptr;
}

TEST(RunIsolated, ALeakFailsAPassingBodyUnderASan) {
  const std::string finding = run_isolated(leak_blocks);
  EXPECT_NE(finding.find("ERROR: LeakSanitizer: detected memory leaks"), std::string::npos) << finding;
}
#endif

}  // namespace
