// Stateful property: operation by operation, an impl zbud pool (the system under test)
// does what ref's ZbudRef (the model) does: the same return codes, bytes, evictions in
// the same order, and afterwards the same page and handle counts.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include "counterexample.h"
#include "isolate.h"
#include "zbud_sides.h"

namespace {

using Model = ZbudSide;  // Kind::ref
using Sut = ZbudSide;    // Kind::impl

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
  }
  void show(std::ostream& os) const override { os << format_op(op); }
};

rc::Gen<std::uint16_t> gen_object() { return rc::gen::inRange<std::uint16_t>(0, 8); }

struct Alloc : ZbudCommand {
  Alloc() : ZbudCommand(OpCode::zbud_alloc) {
    // Mostly sizes that pair up in a page; sometimes one at or just past a limit.
    op.arg[0] = *rc::gen::weightedOneOf<std::uint16_t>(
        {{6, rc::gen::inRange<std::uint16_t>(1, 2000)},
         {2, rc::gen::inRange<std::uint16_t>(2000, 3969)},
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

}  // namespace

RC_GTEST_PROP(ZbudProps, ImplDoesWhatRefDoes, ()) {
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
