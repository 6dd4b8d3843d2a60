// Bounded-exhaustive exploration of a race program (CHESS's preemption bounding): every
// schedule with at most K preemptions, a preemption being a switch away from a thread
// that could have gone on (a switch when the running thread blocks or ends is free).
// Schedules are enumerated depth first by re-running the program from the start; a
// schedule is replayable as the program's own schedule bytes (the replay strategy).
//
// Pruning (a sleep set of one step): "preempt x for y, then switch straight back to x"
// is not run when the steps of x and y are independent, because "x, then y" was run
// before with no more preemptions and ends in the same state. Two steps are independent
// when each starts at a lock acquire or right after a release, neither passes an
// operation's beginning or end (the linearizability checker's times), and the locks each
// holds or takes are disjoint: under the locking discipline the lock validator checks,
// what a step touches is guarded by the locks it holds, and every deliberate exception is
// an annotated point (sched::point), which is never independent. --no-prune drops the
// assumption and runs every schedule within the bound.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "race.h"

struct ExploreOptions {
  int max_preemptions = 2;
  bool prune = true;
  // Called when a run kills the process (a sanitizer report, a BUG_ON, the lock
  // validator), with the program and the schedule of that run, to save and print it.
  std::function<void(const Program&)> on_crash;
};

struct ExploreResult {
  std::uint64_t schedules = 0;  // within the last bound explored (up to the failure)
  std::uint64_t pruned = 0;     // choices not taken there: equivalent to a schedule run
  std::uint64_t runs = 0;       // with those of the smaller bounds, run first
  int bound = 0;                // the last bound explored: the failing schedule's preemptions
  std::optional<RaceResult> failure;
  Program failing;              // the program with the failing schedule as its bytes
};

// The preemptions the program's own schedule bytes make (-1 when that run deadlocks).
int preemptions_of(const Program& program);

// Explores program's schedules (its own schedule bytes are ignored) until one fails:
// all with 0 preemptions, then all with <= 1, ... up to the bound.
ExploreResult explore_race(const Program& program, const ExploreOptions& options);
