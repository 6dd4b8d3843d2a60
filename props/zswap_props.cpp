// Stateful property: operation by operation, impl's swap system (the system under
// test) does what ref's SwapRef (the model) does, and afterwards agrees with it on
// every counter, each type's entry count and the quiescent invariants. Its generators
// aim at the edges of writeback and the pool limit (writeback in flight up to its
// bound, a pool exactly at its limit), and the test fails when the runs never reached
// one.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <array>
#include <cerrno>
#include <memory>
#include <ostream>
#include <type_traits>
#include <vector>

#include "boundaries.h"
#include "check.h"
#include "copy_on_write.h"
#include "counterexample.h"
#include "isolate.h"
#include "zswap_sides.h"

namespace {

using Sut = SwapSystem;

// The machine's shape (slots, RAM, the writeback bound): the same under either compressor.
const ref::SwapConfig kConfig = zswap_ref_config(Compressor::lz4);

// How a case picks its operations. A burst case mostly stores and shrinks, and until
// writeback in flight reaches its bound does nothing that completes writes (completing
// I/O, invalidating, swapping off, storing to a slot being written): writeback piles
// up to the bound, and shrinks meet it there.
enum class Mix { uniform, writeback_burst };
std::ostream& operator<<(std::ostream& os, Mix mix) {  // for the counterexample
  return os << (mix == Mix::uniform ? "uniform" : "writeback_burst");
}

// The swap system's model: SwapRef (shared between copies until one changes it), and
// the case's mix. The mix only steers what the generators pick (filling_writeback): no
// command's transition or check, nor any boundary, reads it, so a case's worker runs
// the program on a uniform model (run_case).
struct Model {
  explicit Model(Compressor compressor) : ref(std::in_place, zswap_ref_config(compressor)) {}
  CopyOnWrite<ref::SwapRef> ref;
  Mix mix = Mix::uniform;

  std::uint64_t pool_pages() const { return ref->stats().pool_pages; }
  std::uint64_t in_flight() const { return ref->stats().outstanding_writeback_pages; }
  bool filling_writeback() const {
    return mix == Mix::writeback_burst && in_flight() < kConfig.max_outstanding_writeback;
  }
};

// What the boundaries read of the model, before or after an operation: a few numbers,
// so that the worker need not keep the model as it was before (a copy of SwapRef).
struct Snapshot {
  explicit Snapshot(const ref::SwapRef& ref) : stats(ref.stats()), pool_limit(ref.max_pool_pages()) {}
  ref::Stats stats;
  std::uint64_t pool_limit;
  std::uint64_t pool_pages() const { return stats.pool_pages; }
  std::uint64_t in_flight() const { return stats.outstanding_writeback_pages; }
};

// One operation as the boundaries see it: the model before and after it.
struct ZswapStep {
  const Snapshot& before;
  const Op& op;
  const ZswapOutcome& outcome;
  const Snapshot& after;
  // A store that got past its type and offset checks into zswap.
  bool stored_into_zswap() const {
    return op.code == OpCode::store && outcome.code != -ENODEV && outcome.code != -EINVAL;
  }
};

constexpr Boundary<ZswapStep> kBoundaries[] = {
    // The op that brought writeback in flight up to its bound.
    {"inflight_at_bound",
     [](const ZswapStep& s) {
       return s.before.in_flight() < kConfig.max_outstanding_writeback &&
              s.after.in_flight() == kConfig.max_outstanding_writeback;
     }},
    // A shrink that began at the bound: the bound lets it write back nothing.
    {"shrink_at_bound",
     [](const ZswapStep& s) {
       return s.op.code == OpCode::shrink && s.before.in_flight() == kConfig.max_outstanding_writeback;
     }},
    // A store that brought the pool from below its limit to exactly it.
    {"store_reaches_limit",
     [](const ZswapStep& s) {
       return s.stored_into_zswap() && s.before.pool_pages() < s.before.pool_limit &&
              s.after.pool_pages() == s.after.pool_limit;
     }},
    // A store that began with the pool exactly at its limit: the fullest pool a store
    // enters without reclaim.
    {"store_at_limit",
     [](const ZswapStep& s) { return s.stored_into_zswap() && s.before.pool_pages() == s.before.pool_limit; }},
    // A store refused because its reclaim left the pool still over the limit.
    {"full_after_reclaim",
     [](const ZswapStep& s) {
       const ref::Stats &before = s.before.stats, &after = s.after.stats;
       return s.op.code == OpCode::store && s.outcome.code == -ENOMEM &&
              after.pool_limit_hit > before.pool_limit_hit && after.reject_reclaim_fail == before.reject_reclaim_fail;
     }},
    // A new pool percent that puts the limit exactly at a non-empty pool.
    {"limit_set_at_pool",
     [](const ZswapStep& s) {
       return s.op.code == OpCode::set_pool_percent && s.after.pool_pages() > 0 &&
              s.after.pool_pages() == s.after.pool_limit;
     }},
};
const BoundaryTally<ZswapStep> boundaries{kBoundaries};

// The generators that depend on no state are made once and shared (a generator is
// immutable): making one is an allocation or more, each with a stack trace under ASan,
// as much as drawing a value from it, for every argument of every command tried.
template <std::uint16_t Min, std::uint16_t Max>
const rc::Gen<std::uint16_t>& in_range() {
  static const auto gen = rc::gen::inRange<std::uint16_t>(Min, Max);
  return gen;
}

// Few types and offsets, so operations meet; offset 32 is past the last slot.
constexpr std::uint16_t kTypes = 2;  // the types commands name
const rc::Gen<std::uint16_t>& gen_type() { return in_range<0, kTypes>(); }
const rc::Gen<std::uint16_t>& gen_offset() {
  static const auto gen =
      rc::gen::weightedOneOf<std::uint16_t>({{9, in_range<0, 6>()}, {1, rc::gen::just<std::uint16_t>(32)}});
  return gen;
}

// What every command does: apply = the model's transition (rapidcheck applies it while
// it makes a case); run_and_apply = the transition, run impl, compare (the worker runs
// a case with it). Each operation below only generates its arguments and states its
// precondition.
struct ZswapCommand : rc::state::Command<Model, Sut> {
  Op op{};
  explicit ZswapCommand(OpCode code) { op.code = code; }
  explicit ZswapCommand(const Op& generated) : op(generated) {}  // a program's operation, in the worker
  void apply(Model& model) const override { step(model); }
  // In place of rapidcheck's run then apply, which made the transition twice, the
  // first time on a copy of the model (a copy of SwapRef per operation). run is left
  // as rapidcheck's (it checks nothing): no case goes through rapidcheck's runAll.
  void run_and_apply(Model& model, Sut& sut) const {
    const Snapshot before(*model.ref);
    const ZswapOutcome want = step(model);
    const ZswapOutcome got = zswap_impl_step(sut, op);
    std::string outcome;
    const std::string diff = zswap_compare(want, got, *model.ref, sut, &outcome);
    if (!diff.empty()) RC_FAIL(format_op(op) + ": " + diff);
    boundaries.observe(ZswapStep{before, op, want, Snapshot(*model.ref)});
  }
  void show(std::ostream& os) const override { os << format_op(op); }

 private:
  ZswapOutcome step(Model& model) const { return zswap_ref_step(model.ref.write(), op); }
};

// A command's precondition (RC_PRE's discard, cheaper): rapidcheck tries many commands
// whose precondition fails (a swapon of a type that is on) and only tries another one,
// while RC_PRE makes two strings at every check, passing or not, and for a failing one
// a message no one reads.
void require(bool precondition) {
  if (!precondition) throw rc::detail::CaseResult(rc::detail::CaseResult::Type::Discard, "precondition");
}

// What the generators read of the state a command is made for. A command's generator
// keeps it for as long as the command can shrink (rapidcheck shrinks a command by
// making it again): were that a copy of the model, the apply that follows would find
// SwapRef shared and copy all of it, at every step of every case.
struct Glance {
  explicit Glance(const Model& model)
      : filling_writeback(model.filling_writeback()), pool_pages(model.pool_pages()) {
    // being_written is read only while filling, and is empty while nothing is in the swap
    // cache (as the first stores of a burst): no slot to look up.
    if (!filling_writeback || model.ref->stats().swap_cache_pages == 0) return;
    HARNESS_CHECK(kConfig.slots_per_type <= 64);
    for (unsigned type = 0; type < kTypes; type++)
      for (std::uint16_t offset = 0; offset < kConfig.slots_per_type; offset++)
        if (model.ref->source_of(type, offset) == ref::Source::swap_cache) being_written[type] |= 1ull << offset;
  }
  // The type's slots whose page is not in the swap cache, that is, not being written.
  std::vector<std::uint16_t> slots_not_being_written(unsigned type) const {
    std::vector<std::uint16_t> slots;
    for (std::uint16_t offset = 0; offset < kConfig.slots_per_type; offset++)
      if (!(being_written[type] >> offset & 1)) slots.push_back(offset);
    return slots;
  }

  bool filling_writeback;
  std::uint64_t pool_pages;
  std::array<std::uint64_t, kTypes> being_written{};  // bit o: slot o is in the swap cache
};

struct Store : ZswapCommand {
  explicit Store(const Glance& glance) : ZswapCommand(OpCode::store) {
    op.arg[0] = *gen_type();
    // A burst does not store to a slot being written: that would complete the write.
    op.arg[1] = glance.filling_writeback ? *rc::gen::elementOf(glance.slots_not_being_written(op.arg[0]))
                                         : *gen_offset();
    op.arg[2] = *in_range<0, 6>();  // every page kind
    op.arg[3] = *in_range<0, 3>();  // few seeds: equal pages recur
  }
  void checkPreconditions(const Model& model) const override { require(model.ref->is_on(op.arg[0])); }
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
  void checkPreconditions(const Model& model) const override { require(model.ref->entries(op.arg[0]) > 0); }
};

struct Swapoff : ZswapCommand {
  Swapoff() : ZswapCommand(OpCode::swapoff) { op.arg[0] = *gen_type(); }
  void checkPreconditions(const Model& model) const override { require(model.ref->is_on(op.arg[0])); }
};

struct Swapon : ZswapCommand {
  Swapon() : ZswapCommand(OpCode::swapon) { op.arg[0] = *gen_type(); }
  void checkPreconditions(const Model& model) const override { require(!model.ref->is_on(op.arg[0])); }
};

struct Shrink : ZswapCommand {
  Shrink() : ZswapCommand(OpCode::shrink) { op.arg[0] = *in_range<1, 8>(); }
  void checkPreconditions(const Model& model) const override { require(model.pool_pages() > 0); }
};

struct CompleteIo : ZswapCommand {
  CompleteIo() : ZswapCommand(OpCode::complete_io) { op.arg[0] = *in_range<1, 8>(); }
  void checkPreconditions(const Model& model) const override { require(model.in_flight() > 0); }
};

// The smallest percent whose limit is the pool's size (exactly it while RAM has at
// most 100 pages: one percent more adds at most one page to the limit).
std::uint16_t percent_at(const Glance& glance) {
  return static_cast<std::uint16_t>((glance.pool_pages * 100 + kConfig.totalram_pages - 1) /
                                    kConfig.totalram_pages);
}

struct SetPoolPercent : ZswapCommand {
  explicit SetPoolPercent(const Glance& glance) : ZswapCommand(OpCode::set_pool_percent) {
    // Half the time the limit the pool is at: the next store enters the fullest pool
    // it may, and the one after meets the limit.
    static const auto fixed = rc::gen::element<std::uint16_t>(0, 2, 5, 10, 20);
    op.arg[0] = *rc::gen::weightedOneOf<std::uint16_t>({{1, fixed}, {1, rc::gen::just(percent_at(glance))}});
  }
};

struct FailPages : ZswapCommand {
  FailPages() : ZswapCommand(OpCode::fail_pages) { op.arg[0] = *in_range<1, 3>(); }
};

struct FailSlab : ZswapCommand {
  FailSlab() : ZswapCommand(OpCode::fail_slab) { op.arg[0] = *in_range<1, 2>(); }
};

using CommandPtr = std::shared_ptr<const ZswapCommand::CommandType>;

// Cmd, made for the state the sequence is in (seen through glance: see Glance).
template <typename Cmd>
rc::Gen<CommandPtr> gen_op(const Glance& glance) {
  if constexpr (std::is_constructible_v<Cmd, const Glance&>) {
    return rc::gen::exec([glance]() -> CommandPtr { return std::make_shared<Cmd>(glance); });
  } else {
    static const auto gen = rc::gen::exec([]() -> CommandPtr { return std::make_shared<Cmd>(); });
    return gen;
  }
}

// Which command gen_command makes (an index into its table): stores and loads most
// often; a burst case stores and shrinks instead (see Mix).
rc::Gen<std::size_t> make_pick(bool burst, bool filling_writeback) {
  const std::size_t completes = filling_writeback ? 0 : 1;  // ops that complete writes
  return rc::gen::weightedElement<std::size_t>({{burst ? 6u : 3u, 0},
                                                {burst ? 1u : 2u, 1},
                                                {completes, 2},
                                                {1, 3},
                                                {completes, 4},
                                                {1, 5},
                                                {burst ? 3u : 1u, 6},
                                                {completes, 7},
                                                {1, 8},
                                                {1, 9},
                                                {1, 10}});
}
const rc::Gen<std::size_t>& pick_command(bool burst, bool filling_writeback) {
  static const rc::Gen<std::size_t> picks[2][2] = {{make_pick(false, false), make_pick(false, true)},
                                                   {make_pick(true, false), make_pick(true, true)}};
  return picks[burst][filling_writeback];
}

// weightedOneOf of the eleven generators would build all of them for each command
// rapidcheck tries (twice: it builds one it never uses); this builds the one picked, with
// weightedOneOf's draw: join(weightedElement), over indices instead of generators.
rc::Gen<CommandPtr> gen_command(const Model& model) {
  using MakeGen = rc::Gen<CommandPtr> (*)(const Glance&);
  static constexpr MakeGen kGens[] = {&gen_op<Store>,  &gen_op<Load>,       &gen_op<Invalidate>,
                                      &gen_op<Compact>, &gen_op<Swapoff>,    &gen_op<Swapon>,
                                      &gen_op<Shrink>,  &gen_op<CompleteIo>, &gen_op<SetPoolPercent>,
                                      &gen_op<FailPages>, &gen_op<FailSlab>};
  const Glance glance(model);
  const rc::Gen<std::size_t>& picked = pick_command(model.mix == Mix::writeback_burst, glance.filling_writeback);
  return rc::gen::join(rc::gen::map(picked, [glance](std::size_t i) { return kGens[i](glance); }));
}

Program program_of(const rc::state::Commands<ZswapCommand::CommandType>& commands) {
  Program p;
  p.layer = Layer::zswap;
  for (const auto& c : commands) p.ops.push_back(static_cast<const ZswapCommand&>(*c).op);
  return p;
}

// A case in its worker: each operation as a command made from it, which has no
// precondition (they held when rapidcheck made the sequence).
void run_case(const Program& program, int) {
  Sut sut(zswap_impl_config(program.compressor));
  Model model(program.compressor);
  for (const Op& op : program.ops) ZswapCommand(op).run_and_apply(model, sut);
}
const int kRunCase = register_case_runner(&run_case);

void impl_does_what_ref_does() {
  const Mix mix = *rc::gen::element(Mix::uniform, Mix::writeback_burst);
  const Compressor compressor = *rc::gen::element(Compressor::lz4, Compressor::zstd);
  auto make_model = [mix, compressor] {
    Model model(compressor);
    model.mix = mix;
    return model;
  };
  const auto commands = *rc::state::gen::commands(make_model, &gen_command);
  RC_TAG(commands.size() < 10 ? "< 10 ops" : commands.size() < 40 ? "10-39 ops" : ">= 40 ops");
  RC_TAG(compressor_name(compressor));
  Program program = program_of(commands);
  program.compressor = compressor;
  const std::string failure = run_isolated(kRunCase, program);
  if (!failure.empty())
    RC_FAIL(failure + "\nprogram:\n" + format_program(program) + save_counterexample("zswap_diff", program));
}

}  // namespace

TEST(ZswapProps, ImplDoesWhatRefDoes) { check_reaching_boundaries(&impl_does_what_ref_does, boundaries.counts()); }
