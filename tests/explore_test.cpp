// The exploration (harness/explore.h) and the interleaving features (race.h): the
// bound counts, pruning keeps the verdict, a failing schedule replays as the program's
// bytes, and features come only from what threads did to each other.
#include <gtest/gtest.h>

#include "explore.h"
#include "mutants.h"
#include "pages.h"
#include "race.h"

namespace {

// CVE-2023-53178's story: a page stored, a store over it that fails while the
// shrinker writes the old entry back, then the final load.
Program stale_writeback_story() {
  Program p;
  p.layer = Layer::zswap;
  p.version = kRaceFormatVersion;
  p.threads = 2;
  p.ops = {make_op(OpCode::store, 0, 7, static_cast<std::uint16_t>(PageKind::text), 44, 0),
           make_op(OpCode::store, 0, 7, static_cast<std::uint16_t>(PageKind::nearly_full), 31621, 1),
           make_op(OpCode::shrink, 1, 0, 0, 0, 2)};
  return p;
}

ExploreResult explore(const Program& p, int bound, bool prune = true) {
  ExploreOptions options;
  options.max_preemptions = bound;
  options.prune = prune;
  return explore_race(p, options);
}

struct WithMutant {
  explicit WithMutant(Mutant m) { mutants::select(m); }
  ~WithMutant() { mutants::select(Mutant::none); }
};

// Bound 0 still chooses who runs when the running thread blocks or ends; each
// preemption allowed adds schedules.
TEST(Explore, EachPreemptionAllowedAddsSchedules) {
  std::uint64_t previous = 0;
  for (int bound : {0, 1, 2}) {
    const ExploreResult r = explore(stale_writeback_story(), bound);
    EXPECT_FALSE(r.failure) << "bound " << bound;
    EXPECT_GT(r.schedules, previous) << "bound " << bound;
    previous = r.schedules;
  }
}

TEST(Explore, FindsTheStaleWritebackAndItsScheduleReplays) {
  const WithMutant mutant(Mutant::writeback_stale_data);
  EXPECT_FALSE(explore(stale_writeback_story(), 0).failure);  // it takes a preemption
  const ExploreResult r = explore(stale_writeback_story(), 2);
  ASSERT_TRUE(r.failure);
  EXPECT_LE(preemptions_of(r.failing), 2);
  EXPECT_GE(preemptions_of(r.failing), 1);
  const RaceResult replayed = run_zswap_race(r.failing, *program_strategy(r.failing));
  ASSERT_TRUE(replayed.divergence);
  EXPECT_EQ(replayed.divergence->message, r.failure->divergence->message);
  // Without the schedule, the same program passes: the bytes are the interleaving.
  Program unscheduled = r.failing;
  unscheduled.schedule.clear();
  EXPECT_FALSE(run_zswap_race(unscheduled, *program_strategy(unscheduled)).divergence);
}

// Within 3 preemptions (within 2 nothing is pruned in this program).
TEST(Explore, PruningSkipsOnlyEquivalentSchedules) {
  for (Mutant m : {Mutant::none, Mutant::writeback_stale_data}) {
    const WithMutant mutant(m);
    SCOPED_TRACE(mutants::name(m));
    const ExploreResult pruned = explore(stale_writeback_story(), 3), all = explore(stale_writeback_story(), 3, false);
    EXPECT_EQ(pruned.failure.has_value(), all.failure.has_value());
    EXPECT_EQ(all.pruned, 0u);
    if (all.failure) continue;
    // A pruned choice stands for at least one schedule of the full exploration.
    EXPECT_GT(pruned.pruned, 0u);
    EXPECT_GE(all.schedules, pruned.schedules + pruned.pruned);
  }
}

TraceEvent event(int thread, TraceEvent::Kind kind, const char* name, const void* object = nullptr) {
  return TraceEvent{0, thread, kind, object, name, 0, 0};
}

TEST(InterleavingFeatures, ComeOnlyFromWhatThreadsDidToEachOther) {
  Program p = stale_writeback_story();
  const int lock = 0;
  using K = TraceEvent::Kind;
  const std::vector<TraceEvent> alone = {event(1, K::acquire, "zswap_tree.lock", &lock),
                                         event(1, K::release, "zswap_tree.lock", &lock), event(1, K::point, "window"),
                                         event(2, K::op_begin, "")};
  EXPECT_TRUE(interleaving_features(p, alone).empty()) << "no scheduling event of thread 2 follows one of thread 1";
  // The same events with thread 2 running in between: a switch, then a switch inside a
  // race window, then a hand-off of the lock.
  const std::vector<TraceEvent> switched = {event(1, K::acquire, "zswap_tree.lock", &lock),
                                            event(2, K::point, "window"),
                                            event(1, K::release, "zswap_tree.lock", &lock)};
  const std::vector<TraceEvent> window = {event(1, K::point, "window"), event(2, K::point, "other window")};
  const std::vector<TraceEvent> handoff = {event(1, K::release, "zswap_tree.lock", &lock),
                                           event(2, K::acquired, "zswap_tree.lock", &lock)};
  const std::vector<int> s = interleaving_features(p, switched), w = interleaving_features(p, window),
                         h = interleaving_features(p, handoff);
  EXPECT_EQ(s.size(), 3u);  // two switches, between different events; the second leaves a window
  EXPECT_EQ(w.size(), 2u);  // the switch, and the window entered
  EXPECT_EQ(h.size(), 1u);  // the hand-off (acquired is not a scheduling event)
  for (const auto& f : {s, w, h})
    for (int bucket : f) EXPECT_LT(bucket, kInterleavingFeatures);
  EXPECT_EQ(interleaving_features(p, switched), s) << "the same trace, the same features";
}

}  // namespace

namespace {

TEST(ParseRaceProgram, ReadsWhatFormatProgramPrints) {
  const Program story = stale_writeback_story();
  std::string error;
  const std::optional<Program> parsed = parse_race_program(format_program(story), &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(*parsed, story);
}

TEST(ParseRaceProgram, NamesTheLineAndTheMistake) {
  std::string error;
  EXPECT_FALSE(parse_race_program("prefix store(type=0)\n\nT1 store(type=0, offset=8)\n", &error));
  EXPECT_EQ(error, "line 3: offset=8: expected a value below 8 (or a kind/evict name)");
  EXPECT_FALSE(parse_race_program("# nothing\n", &error));
  EXPECT_EQ(error, "a race program has 1 to 48 operations, this one 0");
  EXPECT_FALSE(parse_race_program("T1 zbud_alloc(size=1)", &error));
  EXPECT_EQ(error, "line 1: 'zbud_alloc' is not an operation of race programs (repro --help lists them)");
}

}  // namespace
