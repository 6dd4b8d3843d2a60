// The zswap differential driver: a whole impl swap system and a SwapRef, the same
// operations on both; after each, every counter, per-type entry counts and the
// quiescent invariants.
#include <algorithm>
#include <cstring>

#include "check.h"
#include "compare.h"
#include "driver.h"
#include "pages.h"
#include "run_steps.h"
#include "watchdog.h"
#include "zbud.h"
#include "zswap_sides.h"

namespace {

constexpr std::uint64_t kRamPages = 60;
constexpr unsigned kInitialPercent = 10;
constexpr pgoff_t kSlots = 32;
constexpr unsigned kMaxOutstanding = 6;
static_assert(kOffsetRange > kSlots, "the language reaches out-of-range offsets");
static_assert(kTypeRange == MAX_SWAPFILES && kTypeRange == ref::kSwapTypes);
static_assert(static_cast<int>(load_source::device) == static_cast<int>(ref::Source::device));

const char* source_name(int s) {
  static const char* const names[] = {"none", "swap_cache", "zswap", "device"};
  return names[s];
}

std::string mismatch(const char* what, long want, long got) {
  return "[divergence] " + std::string(what) + ": expected " + std::to_string(want) + " got " +
         std::to_string(got);
}

std::string compare_state(const ref::SwapRef& model, SwapSystem& impl) {
  const zswap_stats zs = zswap_get_stats(&impl.zs);
  const swap_stats sw = swap_get_stats(&impl.swap);
  const std::string diff = stats_mismatch(model.stats(), zs, sw);
  if (!diff.empty()) return "[divergence] counters: " + diff;
  for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
    const std::uint64_t entries = zswap_entry_count(&impl.zs, t);
    if (model.entries(t) != entries)
      return mismatch(("entries of type " + std::to_string(t)).c_str(), static_cast<long>(model.entries(t)),
                      static_cast<long>(entries));
  }
  return quiescent_invariants(impl);
}

class ZswapDiff {
 public:
  explicit ZswapDiff(const Program& program)
      : impl_(zswap_impl_config(program.compressor)), model_(zswap_ref_config(program.compressor)) {}
  std::string step(const Op& op, std::string* outcome) {
    const ZswapOutcome want = zswap_ref_step(model_, op);
    const ZswapOutcome got = zswap_impl_step(impl_, op);
    // State features: each count of writes in flight reached (up to kMaxOutstanding + 2),
    // and a shrink begun at the bound; the bound is what only a burst of writeback reaches.
    const std::uint64_t in_flight = swap_get_stats(&impl_.swap).outstanding_writeback_pages;
    features_ |= std::uint64_t{1} << std::min<std::uint64_t>(in_flight, kMaxOutstanding + 2);
    if (op.code == OpCode::shrink && got.inflight_before >= kMaxOutstanding) features_ |= std::uint64_t{1} << 63;
    return zswap_compare(want, got, model_, impl_, outcome);
  }
  std::string summary() { return format_stats(zswap_get_stats(&impl_.zs), swap_get_stats(&impl_.swap)); }
  std::uint64_t state_features() const { return features_; }

 private:
  SwapSystem impl_;
  ref::SwapRef model_;
  std::uint64_t features_ = 0;
};

}  // namespace

ref::SwapConfig zswap_ref_config(Compressor compressor) {
  ref::SwapConfig c;
  c.zstd = compressor == Compressor::zstd;
  c.totalram_pages = kRamPages;
  c.max_pool_percent = kInitialPercent;
  c.slots_per_type = kSlots;
  c.max_outstanding_writeback = kMaxOutstanding;
  return c;
}

swap_system_config zswap_impl_config(Compressor compressor) {
  swap_system_config c;
  c.zswap.compressor = compressor;
  c.zswap.totalram_pages = kRamPages;
  c.zswap.max_pool_percent = kInitialPercent;
  c.swap.slots_per_type = kSlots;
  c.swap.max_outstanding_writeback = kMaxOutstanding;
  return c;
}

ZswapOutcome zswap_ref_step(ref::SwapRef& model, const Op& op) {
  const unsigned type = op.arg[0];
  const pgoff_t offset = op.arg[1];
  ZswapOutcome out;
  out.op = op;
  switch (op.code) {
    case OpCode::store:
      out.code = model.store(type, offset, make_page(static_cast<PageKind>(op.arg[2]), op.arg[3]));
      break;
    case OpCode::load: {
      out.page.resize(ref::kPageSize);
      ref::Source source;
      out.code = model.load(type, offset, &out.page, &source);
      out.source = static_cast<int>(source);
      break;
    }
    case OpCode::invalidate: out.code = model.invalidate(type, offset); break;
    case OpCode::swapoff: out.code = model.swapoff(type); break;
    case OpCode::swapon: out.code = model.swapon(type); break;
    case OpCode::compact: out.code = model.compact(type, offset); break;
    case OpCode::shrink: out.code = static_cast<int>(model.shrink(op.arg[0])); break;
    case OpCode::complete_io: out.code = static_cast<int>(model.complete_io(op.arg[0])); break;
    case OpCode::set_pool_percent: model.set_max_pool_percent(op.arg[0]); break;
    case OpCode::fail_pages: model.fail_next_pages(op.arg[0]); break;
    case OpCode::fail_slab: model.fail_next_slab(op.arg[0]); break;
    default: HARNESS_CHECK(false);  // a zbud op in a zswap program
  }
  return out;
}

ZswapOutcome zswap_impl_step(SwapSystem& impl, const Op& op) {
  watchdog::note_operation(op);
  const unsigned type = op.arg[0];
  const pgoff_t offset = op.arg[1];
  ZswapOutcome out;
  out.op = op;
  switch (op.code) {
    case OpCode::store:
      out.code = swap_store(&impl.swap, type, offset, make_page(static_cast<PageKind>(op.arg[2]), op.arg[3]).data());
      break;
    case OpCode::load: {
      out.page.resize(PAGE_SIZE);
      load_source source;
      out.code = swap_load(&impl.swap, type, offset, out.page.data(), &source);
      out.source = static_cast<int>(source);
      break;
    }
    case OpCode::invalidate: out.code = swap_invalidate(&impl.swap, type, offset); break;
    case OpCode::swapoff: out.code = swapoff(&impl.swap, type); break;
    case OpCode::swapon: out.code = swapon(&impl.swap, type); break;
    case OpCode::compact: out.code = swap_compact(&impl.swap, type, offset); break;
    case OpCode::shrink: {
      const ShrinkRun run = shrink_checked(impl, op);
      out.code = run.freed;
      out.inflight_before = run.inflight_before;
      out.invariant = run.violation;
      break;
    }
    case OpCode::complete_io: out.code = static_cast<int>(swap_complete_io(&impl.swap, op.arg[0])); break;
    case OpCode::set_pool_percent: impl.zs.max_pool_percent = op.arg[0]; break;
    case OpCode::fail_pages: impl.pages.fail_next_pages(op.arg[0]); break;
    case OpCode::fail_slab: impl.pages.fail_next_slab(op.arg[0]); break;
    default: HARNESS_CHECK(false);  // a zbud op in a zswap program
  }
  return out;
}

ShrinkRun shrink_checked(SwapSystem& impl, const Op& shrink) {
  ShrinkRun run;
  run.inflight_before = impl.swap.outstanding_writeback_pages.load();
  const std::uint64_t written_before = impl.zs.written_back_pages.load();
  run.freed = static_cast<int>(zswap_shrink(&impl.zs, shrink.arg[0]));
  const std::uint64_t before = run.inflight_before, written = impl.zs.written_back_pages.load() - written_before;
  const unsigned bound = impl.swap.config.max_outstanding_writeback;
  // A frame holds at most two buddies, so the last frame a shrink may start (below the
  // bound) leaves at most bound + 1 writes in flight.
  const bool started_at_bound = before >= bound && written > 0;
  const bool overshot = before < bound && before + written > bound + 1;
  if (started_at_bound || overshot) run.violation = inflight_bound_message(shrink, before, before + written, bound);
  return run;
}

std::string inflight_bound_message(const Op& shrink, std::uint64_t before, std::uint64_t after, unsigned bound) {
  return "[invariant] in-flight bound: " + format_op(shrink) + " went on writing back at the bound (bound " +
         std::to_string(bound) + ", " + std::to_string(before) + " writes in flight before, " + std::to_string(after) +
         " after)";
}

std::string zswap_compare(const ZswapOutcome& want, const ZswapOutcome& got, const ref::SwapRef& model,
                          SwapSystem& impl, std::string* outcome) {
  *outcome = std::to_string(got.code);
  if (!got.invariant.empty()) return got.invariant;
  if (got.op.code == OpCode::shrink && got.code > want.code) {
    // ref stopped at the bound and impl freed more frames: the bound is what impl broke.
    const unsigned bound = impl.swap.config.max_outstanding_writeback;
    const std::uint64_t ref_inflight = model.stats().outstanding_writeback_pages;
    const std::uint64_t impl_inflight = swap_get_stats(&impl.swap).outstanding_writeback_pages;
    if (ref_inflight >= bound && impl_inflight > ref_inflight)
      return inflight_bound_message(got.op, got.inflight_before, impl_inflight, bound);
  }
  if (want.code != got.code) return mismatch("return code", want.code, got.code);
  if (!got.page.empty() && got.code == 0) {
    *outcome += std::string(" from ") + source_name(got.source);
    if (want.source != got.source)
      return std::string("[divergence] loaded from: expected ") + source_name(want.source) + " got " +
             source_name(got.source);
    for (std::size_t i = 0; i < got.page.size(); i++)
      if (got.page[i] != want.page[i])
        return "[divergence] page bytes: first difference at byte " + std::to_string(i) + ": expected " +
               std::to_string(want.page[i]) + " got " + std::to_string(got.page[i]);
  }
  return compare_state(model, impl);
}

std::string quiescent_invariants(SwapSystem& sys) {
  int types_on = 0;
  std::uint64_t all_entries = 0;
  for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
    const std::uint64_t entries = zswap_entry_count(&sys.zs, t);
    all_entries += entries;
    types_on += zswap_pool_of(&sys.zs, t) != nullptr;
    // Each entry owns exactly one zbud handle; a handle without one leaked.
    if (zbud_pool* pool = zswap_pool_of(&sys.zs, t); pool && zbud_live_handles(pool) != entries)
      return "[invariant] type " + std::to_string(t) + ": " + std::to_string(zbud_live_handles(pool)) +
             " zbud handles live for " + std::to_string(entries) + " entries";
    if (const std::uint64_t busy = zswap_entries_in_use(&sys.zs, t))
      return "[invariant] type " + std::to_string(t) + ": " + std::to_string(busy) +
             " entries still referenced beyond the tree's reference";
  }
  const zswap_stats zs = zswap_get_stats(&sys.zs);
  const swap_stats sw = swap_get_stats(&sys.swap);
  // The counters against what they count.
  if (zs.stored_pages != all_entries)
    return "[invariant] stored_pages is " + std::to_string(zs.stored_pages) + " but the trees hold " +
           std::to_string(all_entries) + " entries";
  std::uint64_t queued = 0, cached = 0;
  {
    SpinGuard guard(sys.swap.io_lock);
    queued = sys.swap.io_queue.size();
  }
  {
    SpinGuard guard(sys.swap.cache_lock);
    for (const swap_info& si : sys.swap.info)
      for (const swap_page* page : si.cache) cached += page != nullptr;
  }
  if (sw.outstanding_writeback_pages != queued)
    return "[invariant] " + std::to_string(sw.outstanding_writeback_pages) + " writes in flight but " +
           std::to_string(queued) + " in the I/O queue";
  if (sw.swap_cache_pages != cached)
    return "[invariant] swap_cache_pages is " + std::to_string(sw.swap_cache_pages) + " but " +
           std::to_string(cached) + " slots have a cached page";
  const std::uint64_t pool_pages = zswap_total_pool_pages(&sys.zs);
  if (static_cast<std::uint64_t>(sys.pages.pages_in_use()) != pool_pages + sw.swap_cache_pages)
    return "[invariant] " + std::to_string(sys.pages.pages_in_use()) + " page frames in use, but " +
           std::to_string(pool_pages) + " pool pages + " + std::to_string(sw.swap_cache_pages) +
           " swap cache pages";
  if (sys.zs.live_trees.load() != types_on)
    return "[invariant] " + std::to_string(sys.zs.live_trees.load()) + " zswap trees allocated for " +
           std::to_string(types_on) + " types swapped on";
  return "";
}

RunResult run_zswap_diff(const Program& program) { return run_steps<ZswapDiff>(program); }
