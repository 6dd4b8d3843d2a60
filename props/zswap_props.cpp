// Stateful property: operation by operation, impl's swap system (the system under
// test) does what ref's SwapRef (the model) does, and afterwards agrees with it on
// every counter, each type's entry count and the quiescent invariants.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <sstream>

#include "counterexample.h"
#include "isolate.h"
#include "zswap_sides.h"

namespace {

using Model = ref::SwapRef;
using Sut = SwapSystem;

// Few types and offsets, so operations meet; offset 32 is past the last slot.
rc::Gen<std::uint16_t> gen_type() { return rc::gen::inRange<std::uint16_t>(0, 2); }
rc::Gen<std::uint16_t> gen_offset() {
  return rc::gen::weightedOneOf<std::uint16_t>({{9, rc::gen::inRange<std::uint16_t>(0, 6)}, {1, rc::gen::just<std::uint16_t>(32)}});
}

// What every command does: apply = the model's transition; run = predict with a copy
// of the model, run impl, compare. Each operation below only generates its arguments
// and states its precondition.
struct ZswapCommand : rc::state::Command<Model, Sut> {
  Op op{};
  explicit ZswapCommand(OpCode code) { op.code = code; }
  void apply(Model& model) const override { zswap_ref_step(model, op); }
  void run(const Model& model, Sut& sut) const override {
    Model expected(model);
    const ZswapOutcome want = zswap_ref_step(expected, op);
    const ZswapOutcome got = zswap_impl_step(sut, op);
    std::string outcome;
    const std::string diff = zswap_compare(want, got, expected, sut, &outcome);
    if (!diff.empty()) RC_FAIL(format_op(op) + ": " + diff);
  }
  void show(std::ostream& os) const override { os << format_op(op); }
};

struct Store : ZswapCommand {
  Store() : ZswapCommand(OpCode::store) {
    op.arg[0] = *gen_type();
    op.arg[1] = *gen_offset();
    op.arg[2] = *rc::gen::inRange<std::uint16_t>(0, 6);  // every page kind
    op.arg[3] = *rc::gen::inRange<std::uint16_t>(0, 3);  // few seeds: equal pages recur
  }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.is_on(op.arg[0])); }
};

struct Load : ZswapCommand {
  Load() : ZswapCommand(OpCode::load) {
    op.arg[0] = *gen_type();
    op.arg[1] = *gen_offset();
  }
};

struct Invalidate : ZswapCommand {
  Invalidate() : ZswapCommand(OpCode::invalidate) {
    op.arg[0] = *gen_type();
    op.arg[1] = *gen_offset();
  }
};

struct Compact : ZswapCommand {
  Compact() : ZswapCommand(OpCode::compact) {
    op.arg[0] = *gen_type();
    op.arg[1] = *gen_offset();
  }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.entries(op.arg[0]) > 0); }
};

struct Swapoff : ZswapCommand {
  Swapoff() : ZswapCommand(OpCode::swapoff) { op.arg[0] = *gen_type(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.is_on(op.arg[0])); }
};

struct Swapon : ZswapCommand {
  Swapon() : ZswapCommand(OpCode::swapon) { op.arg[0] = *gen_type(); }
  void checkPreconditions(const Model& model) const override { RC_PRE(!model.is_on(op.arg[0])); }
};

struct Shrink : ZswapCommand {
  Shrink() : ZswapCommand(OpCode::shrink) { op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 8); }
  void checkPreconditions(const Model& model) const override { RC_PRE(model.stats().pool_pages > 0); }
};

struct CompleteIo : ZswapCommand {
  CompleteIo() : ZswapCommand(OpCode::complete_io) { op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 8); }
  void checkPreconditions(const Model& model) const override {
    RC_PRE(model.stats().outstanding_writeback_pages > 0);
  }
};

struct SetPoolPercent : ZswapCommand {
  SetPoolPercent() : ZswapCommand(OpCode::set_pool_percent) {
    op.arg[0] = *rc::gen::element<std::uint16_t>(0, 2, 5, 10, 20);
  }
};

struct FailPages : ZswapCommand {
  FailPages() : ZswapCommand(OpCode::fail_pages) { op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 3); }
};

struct FailSlab : ZswapCommand {
  FailSlab() : ZswapCommand(OpCode::fail_slab) { op.arg[0] = *rc::gen::inRange<std::uint16_t>(1, 2); }
};

Program program_of(const rc::state::Commands<ZswapCommand::CommandType>& commands) {
  Program p;
  p.layer = Layer::zswap;
  for (const auto& c : commands) p.ops.push_back(static_cast<const ZswapCommand&>(*c).op);
  return p;
}

}  // namespace

RC_GTEST_PROP(ZswapProps, ImplDoesWhatRefDoes, ()) {
  auto make_model = [] { return Model(zswap_ref_config()); };
  const auto commands = *rc::state::gen::commands(
      make_model, rc::state::gen::execOneOfWithArgs<Store, Store, Store, Load, Load, Invalidate, Compact, Swapoff,
                                                    Swapon, Shrink, CompleteIo, SetPoolPercent, FailPages, FailSlab>());
  RC_TAG(commands.size() < 10 ? "< 10 ops" : commands.size() < 40 ? "10-39 ops" : ">= 40 ops");
  const std::string failure = run_isolated([&] {
    Sut sut(zswap_impl_config());
    rc::state::runAll(commands, make_model, sut);
  });
  if (!failure.empty()) RC_FAIL(failure + save_counterexample("zswap_diff", program_of(commands)));
}
