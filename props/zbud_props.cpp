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
#include "copy_on_write.h"
#include "counterexample.h"
#include "isolate.h"
#include "program_commands.h"
#include "zbud_ref.h"
#include "zbud_sides.h"

namespace {

using Model = CopyOnWrite<ZbudSide>;  // Kind::ref
using Sut = ZbudSide;                 // Kind::impl

constexpr unsigned chunks_of(std::uint64_t size) {
  return static_cast<unsigned>((size + ref::kChunkSize - 1) / ref::kChunkSize);
}

// Whether an allocation of chunks fits a page already in the pool. ZbudSide does not
// show its pages, so this asks the pool: they fit iff allocating them on a copy succeeds
// without a new page. Monotone in chunks.
bool fits_a_pool_page(const Model& model, unsigned chunks) {
  Model probe(model);
  Op alloc{};
  alloc.code = OpCode::zbud_alloc;
  alloc.arg[0] = static_cast<std::uint16_t>(chunks * ref::kChunkSize);
  return probe.write().apply(alloc).code == 0 && probe->pages() == model->pages();
}

// The most free chunks of a pool page with one buddy free (0: there is none).
unsigned most_free_chunks(const Model& model) {
  unsigned fitting = 0, too_many = chunks_of(ref::kMaxAlloc) + 1;
  while (too_many - fitting > 1) {
    const unsigned mid = (fitting + too_many) / 2;
    (fits_a_pool_page(model, mid) ? fitting : too_many) = mid;
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
    // chunks that are enough, so its page had exactly that many. Its chunks fit a pool
    // page, so they were the most free chunks iff one more does not (one probe of the
    // pool where most_free_chunks takes six).
    {"exact_fill",
     [](const ZbudStep& s) {
       return s.allocated() && s.after->pages() == s.before->pages() &&
              !fits_a_pool_page(s.before, chunks_of(s.op.arg[0]) + 1);
     }},
    // The largest allocation zbud accepts.
    {"max_alloc", [](const ZbudStep& s) { return s.allocated() && s.op.arg[0] == ref::kMaxAlloc; }},
    // The smallest one it refuses.
    {"over_max",
     [](const ZbudStep& s) {
       return s.op.code == OpCode::zbud_alloc && s.op.arg[0] == ref::kMaxAlloc + 1 && s.outcome.code == -ENOSPC;
     }},
    // A negative size (zbud_alloc takes the kernel's int).
    {"negative_size",
     [](const ZbudStep& s) {
       return s.op.code == OpCode::zbud_alloc && zbud_alloc_size(s.op.arg[0]) < 0 && s.outcome.code == -EINVAL;
     }},
};
const BoundaryTally<ZbudStep> boundaries{kBoundaries};

// What every command does: apply = the model's transition; run = predict with a copy
// of the model, run impl, compare. Each operation below only generates its arguments
// and states its precondition.
struct ZbudCommand : rc::state::Command<Model, Sut> {
  Op op{};
  explicit ZbudCommand(OpCode code) { op.code = code; }
  explicit ZbudCommand(const Op& generated) : op(generated) {}  // a program's operation, in the worker
  void apply(Model& model) const override { model.write().apply(op); }
  void run(const Model& model, Sut& sut) const override {
    Model expected(model);
    const ZbudOutcome want = expected.write().apply(op);
    const ZbudOutcome got = sut.apply(op);
    std::string outcome;
    const std::string diff = zbud_compare(want, got, *expected, sut, &outcome);
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
         {1, rc::gen::element<std::uint16_t>(0, 3968, 3969, 4032, 4033, 4096, kNonNegativeSizes, kSizeRange - 1)}});
    op.arg[1] = *rc::gen::inRange<std::uint16_t>(0, 256);
  }
};

struct Free : ZbudCommand {
  Free() : ZbudCommand(OpCode::zbud_free) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model->has_unfreed_object()); }
};

struct Map : ZbudCommand {
  Map() : ZbudCommand(OpCode::zbud_map) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model->has_unfreed_object()); }
};

struct Unmap : ZbudCommand {
  Unmap() : ZbudCommand(OpCode::zbud_unmap) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model->has_mapping()); }
};

struct ReadMapped : ZbudCommand {
  ReadMapped() : ZbudCommand(OpCode::zbud_read_mapped) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model->has_mapping()); }
};

struct Reclaim : ZbudCommand {
  Reclaim() : ZbudCommand(OpCode::zbud_reclaim) {
    op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 4);  // retries
    op.arg[1] = *rc::gen::inRange<std::uint16_t>(0, 4);  // evict mode
  }
  void checkPreconditions(const Model& model) const override { RC_PRE(model->pages() > 0); }
};

struct Migrate : ZbudCommand {
  Migrate() : ZbudCommand(OpCode::zbud_migrate) { op.arg[0] = *gen_object(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model->has_unfreed_object()); }
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

Model make_model() { return Model(std::in_place, ZbudSide::Kind::ref); }

// A case in its worker (program_commands.h).
void run_case(const Program& program, int) {
  Sut sut(Sut::Kind::impl);
  run_program_commands<ZbudCommand>(program, &make_model, sut);
}
const int kRunCase = register_case_runner(&run_case);

void impl_does_what_ref_does() {
  const auto commands = *rc::state::gen::commands(
      &make_model, rc::state::gen::execOneOfWithArgs<Alloc, Alloc, Alloc, Free, Map, Unmap, ReadMapped, Reclaim,
                                                     Migrate, FailPages>());
  RC_TAG(commands.size() < 10 ? "< 10 ops" : commands.size() < 40 ? "10-39 ops" : ">= 40 ops");
  const Program program = program_of(commands);
  const std::string failure = run_isolated(kRunCase, program);
  if (!failure.empty()) RC_FAIL(failure + save_counterexample("zbud_diff", program));
}

}  // namespace

TEST(ZbudProps, ImplDoesWhatRefDoes) { check_reaching_boundaries(&impl_does_what_ref_does, boundaries.counts()); }
