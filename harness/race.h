// Concurrent runs: a version-2 program's prefix runs alone, then its threads run under
// the deterministic scheduler. Oracle (DESIGN.md's concurrent contract): no deadlock,
// the quiescent invariants, and per (type, offset) linearizability of the swap
// content, including a final load of every key after all I/O completed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "driver.h"
#include "scheduler.h"
#include "strategy.h"

struct RaceResult {
  std::optional<Divergence> divergence;
  std::vector<std::string> outcomes;  // per operation
  std::vector<TraceEvent> trace;
  std::string strategy;                 // how to replay the interleaving
  std::vector<int> flagged_ops;         // operations the verdict points at
  bool stuck = false;  // threads were left suspended: exit without tearing the system down
};

// A race run takes at most kMaxRaceOps operations (the linearizability checker's
// bound per slot); a longer program (a version-1 input) is cut to that length.
Program race_program(Program program);

// Runs a program from race_program().
RaceResult run_zswap_race(const Program& program, Strategy& strategy);
// From now on, when a sanitizer or an abort (BUG_ON) kills the process during a run,
// print the timeline up to that point. Not for libFuzzer, whose own death callback saves the input.
void print_timeline_at_crash();
// Also calls f at such a crash, after the timeline (the exploration saves the schedule
// that crashed); nullptr: nothing more.
void set_crash_epilogue(std::function<void()> f);
// The strategy a program's own schedule bytes describe.
std::unique_ptr<Strategy> program_strategy(const Program& program);

// A per-thread timeline: one column per thread, one row per event, the flagged
// operations marked. max_rows bounds the text (the middle is elided).
std::string format_timeline(const Program& program, const RaceResult& result, std::size_t max_rows);
// The same as a self-contained HTML page.
std::string format_timeline_html(const Program& program, const RaceResult& result,
                                 const std::string& title);
// Interleaving coverage: what a run's schedule did, hashed into kInterleavingFeatures
// buckets (interleaving.cpp): context switches (where one thread stopped, where the
// next stood), annotated race windows another thread ran inside (and its operation),
// lock hand-offs between threads (and both operations). Sorted bucket numbers.
inline constexpr int kInterleavingFeatures = 512;
std::vector<int> interleaving_features(const Program& program, const std::vector<TraceEvent>& trace);

// The whole failure report: first line, program, timeline, replay command.
std::string format_race_report(const Program& program, const RaceResult& result, const std::string& input_path);
