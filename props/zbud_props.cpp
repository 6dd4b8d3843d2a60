// Stateful property: operation by operation, an impl zbud pool (the system under test)
// does what ref's ZbudRef (the model) does: the same return codes, bytes, evictions in
// the same order, and afterwards the same page and handle counts. Its generators aim
// at zbud's edges (an allocation that fills a page exactly, the largest allocation),
// and the test fails when the runs never reached one.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <cerrno>

#include "boundaries.h"
#include "counterexample.h"
#include "isolate.h"
#include "zbud_ref.h"
#include "zbud_sides.h"

namespace {

using Model = ZbudSide;  // Kind::ref
using Sut = ZbudSide;    // Kind::impl

constexpr unsigned chunks_of(std::uint64_t size) {
  return static_cast<unsigned>((size + ref::kChunkSize - 1) / ref::kChunkSize);
}

// The most free chunks of a pool page with one buddy free (0: there is none). ZbudSide
// does not show its pages, so this asks the pool: n chunks fit an existing page iff
// allocating them on a copy succeeds without a new page, and that is monotone in n.
unsigned most_free_chunks(const Model& model) {
  auto fits = [&model](unsigned chunks) {
    Model probe(model);
    Op alloc{};
    alloc.code = OpCode::zbud_alloc;
    alloc.arg[0] = static_cast<std::uint16_t>(chunks * ref::kChunkSize);
    return probe.apply(alloc).code == 0 && probe.pages() == model.pages();
  };
  unsigned fitting = 0, too_many = chunks_of(ref::kMaxAlloc) + 1;
  while (too_many - fitting > 1) {
    const unsigned mid = (fitting + too_many) / 2;
    (fits(mid) ? fitting : too_many) = mid;
  }
  return fitting;
}

// One operation as the boundaries see it: the model before and after it.
struct ZbudStep {
  const Model& before;
  const Op& op;
  const ZbudOutcome& outcome;
  const Model& after;
  bool allocated() const { return op.code == OpCode::zbud_alloc && outcome.code == 0; }
};

constexpr Boundary<ZbudStep> kBoundaries[] = {
    // An allocation that took all the free chunks of its page: the buddies now hold all
    // 63 data chunks. Seen as one that went to an existing page and took as many chunks
    // as the emptiest page had free: first fit picks the page with the fewest free
    // chunks that are enough, so its page had exactly that many.
    {"exact_fill",
     [](const ZbudStep& s) {
       return s.allocated() && s.after.pages() == s.before.pages() &&
              chunks_of(s.op.arg[0]) == most_free_chunks(s.before);
     }},
    // The largest allocation zbud accepts.
    {"max_alloc", [](const ZbudStep& s) { return s.allocated() && s.op.arg[0] == ref::kMaxAlloc; }},
    // The smallest one it refuses.
    {"over_max",
     [](const ZbudStep& s) {
       return s.op.code == OpCode::zbud_alloc && s.op.arg[0] == ref::kMaxAlloc + 1 && s.outcome.code == -ENOSPC;
     }},
};
const BoundaryTally<ZbudStep> boundaries{kBoundaries};

// What every command does: apply = the model's transition; run = predict with a copy
// of the model, run impl, compare. Each operation below only generates its arguments
// and states its precondition.
struct ZbudCommand : rc::state::Command<Model, Sut> {
  Op op{};
  explicit ZbudCommand(OpCode code) { op.code = code; }
  void apply(Model& model) const override { model.apply(op); }
  void run(const Model& model, Sut& sut) const override {
    Model expected(model);
    const ZbudOutcome want = expected.apply(op);
    const ZbudOutcome got = sut.apply(op);
    std::string outcome;
    const std::string diff = zbud_compare(want, got, expected, sut, &outcome);
    if (!diff.empty()) RC_FAIL(format_op(op) + ": " + diff);
    boundaries.observe(ZbudStep{model, op, want, expected});
  }
  void show(std::ostream& os) const override { os << format_op(op); }
};

rc::Gen<std::uint16_t> gen_object() { return rc::gen::inRange<std::uint16_t>(0, 8); }

// The sizes that take exactly the most free chunks of a page in the pool: both ends of
// the last chunk. With no page to fill, the largest allocation (it leaves one chunk).
rc::Gen<std::uint16_t> gen_exact_fill(const Model& model) {
  const unsigned chunks = most_free_chunks(model);
  if (chunks == 0) return rc::gen::just(static_cast<std::uint16_t>(ref::kMaxAlloc));
  return rc::gen::element(static_cast<std::uint16_t>(chunks * ref::kChunkSize),
                          static_cast<std::uint16_t>((chunks - 1) * ref::kChunkSize + 1));
}

struct Alloc : ZbudCommand {
  explicit Alloc(const Model& model) : ZbudCommand(OpCode::zbud_alloc) {
    // Mostly sizes that pair up in a page; often one that fills a page exactly or the
    // largest; sometimes one at or just past a limit.
    op.arg[0] = *rc::gen::weightedOneOf<std::uint16_t>(
        {{6, rc::gen::inRange<std::uint16_t>(1, 2000)},
         {2, rc::gen::inRange<std::uint16_t>(2000, 3969)},
         {3, rc::gen::lazy([&model] { return gen_exact_fill(model); })},  // probes only when picked
         {1, rc::gen::just(static_cast<std::uint16_t>(ref::kMaxAlloc))},
         {1, rc::gen::element<std::uint16_t>(0, 3968, 3969, 4032, 4033, 4096)}});
    op.arg[1] = *rc::gen::inRange<std::uint16_t>(0, 256);
  }
};

struct Free : ZbudCommand {
  Free() : ZbudCommand(OpCode::zbud_free) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.has_unfreed_object()); }
};

struct Map : ZbudCommand {
  Map() : ZbudCommand(OpCode::zbud_map) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.has_unfreed_object()); }
};

struct Unmap : ZbudCommand {
  Unmap() : ZbudCommand(OpCode::zbud_unmap) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.has_mapping()); }
};

struct ReadMapped : ZbudCommand {
  ReadMapped() : ZbudCommand(OpCode::zbud_read_mapped) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.has_mapping()); }
};

struct Reclaim : ZbudCommand {
  Reclaim() : ZbudCommand(OpCode::zbud_reclaim) {
    op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 4);  // retries
    op.arg[1] = *rc::gen::inRange<std::uint16_t>(0, 4);  // evict mode
  }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.pages() > 0); }
};

struct Migrate : ZbudCommand {
  Migrate() : ZbudCommand(OpCode::zbud_migrate) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.has_unfreed_object()); }
};

struct FailPages : ZbudCommand {
  FailPages() : ZbudCommand(OpCode::zbud_fail_pages) { op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 3); }
};

Program program_of(const rc::state::Commands<ZbudCommand::CommandType>& commands) {
  Program p;
  p.layer = Layer::zbud;
  for (const auto& c : commands) p.ops.push_back(static_cast<const ZbudCommand&>(*c).op);
  return p;
}

void impl_does_what_ref_does() {
  auto make_model = [] { return Model(Model::Kind::ref); };
  const auto commands = *rc::state::gen::commands(
      make_model, rc::state::gen::execOneOfWithArgs<Alloc, Alloc, Alloc, Free, Map, Unmap, ReadMapped, Reclaim,
                                                    Migrate, FailPages>());
  RC_TAG(commands.size() < 10 ? "< 10 ops" : commands.size() < 40 ? "10-39 ops" : ">= 40 ops");
  const std::string failure = run_isolated([&] {
    Sut sut(Sut::Kind::impl);
    rc::state::runAll(commands, make_model, sut);
  });
  if (!failure.empty()) RC_FAIL(failure + save_counterexample("zbud_diff", program_of(commands)));
}

}  // namespace

TEST(ZbudProps, ImplDoesWhatRefDoes) { check_reaching_boundaries(&impl_does_what_ref_does, boundaries.counts()); }
