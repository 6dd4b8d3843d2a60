// The zswap differential driver: a whole impl swap system and a SwapRef, the same
// operations on both; after each, every counter, per-type entry counts and the
// quiescent invariants.
#include <cerrno>
#include <cstring>
#include <sstream>

#include "check.h"
#include "compare.h"
#include "driver.h"
#include "run_steps.h"
#include "pages.h"
#include "swap_system.h"
#include "zbud.h"
#include "zswap_ref.h"

namespace {

constexpr std::uint64_t kRamPages = 60;
constexpr unsigned kInitialPercent = 10;
constexpr pgoff_t kSlots = 32;
constexpr unsigned kMaxOutstanding = 6;
static_assert(kOffsetRange > kSlots, "the language reaches out-of-range offsets");
static_assert(kTypeRange == MAX_SWAPFILES && kTypeRange == ref::kSwapTypes);

swap_system_config impl_config() {
  swap_system_config c;
  c.zswap.totalram_pages = kRamPages;
  c.zswap.max_pool_percent = kInitialPercent;
  c.swap.slots_per_type = kSlots;
  c.swap.max_outstanding_writeback = kMaxOutstanding;
  return c;
}

ref::SwapConfig ref_config() {
  ref::SwapConfig c;
  c.totalram_pages = kRamPages;
  c.max_pool_percent = kInitialPercent;
  c.slots_per_type = kSlots;
  c.max_outstanding_writeback = kMaxOutstanding;
  return c;
}

const char* source_name(int s) {
  static const char* const names[] = {"none", "swap_cache", "zswap", "device"};
  return names[s];
}

class ZswapDiff {
 public:
  ZswapDiff() : impl_(impl_config()), model_(ref_config()) {}
  std::string step(const Op& op, std::string* outcome);
  std::string summary() { return format_stats(zswap_get_stats(&impl_.zs), swap_get_stats(&impl_.swap)); }

 private:
  std::string check_state();

  SwapSystem impl_;
  ref::SwapRef model_;
};

std::string mismatch(const char* what, long want, long got) {
  return "[divergence] " + std::string(what) + ": expected " + std::to_string(want) + " got " +
         std::to_string(got);
}

std::string ZswapDiff::step(const Op& op, std::string* outcome) {
  const unsigned type = op.arg[0];
  const pgoff_t offset = op.arg[1];
  int want = 0, got = 0;
  switch (op.code) {
    case OpCode::store: {
      const auto page = make_page(static_cast<PageKind>(op.arg[2]), op.arg[3]);
      want = model_.store(type, offset, page);
      got = swap_store(&impl_.swap, type, offset, page.data());
      break;
    }
    case OpCode::load: {
      ref::Page expected(ref::kPageSize);
      std::vector<unsigned char> actual(PAGE_SIZE);
      ref::Source ws;
      load_source gs;
      want = model_.load(type, offset, &expected, &ws);
      got = swap_load(&impl_.swap, type, offset, actual.data(), &gs);
      *outcome = std::to_string(got);
      if (want != got) return mismatch("return code", want, got);
      if (got != 0) return check_state();
      *outcome += std::string(" from ") + source_name(static_cast<int>(gs));
      if (static_cast<int>(ws) != static_cast<int>(gs))
        return std::string("[divergence] loaded from: expected ") + source_name(static_cast<int>(ws)) +
               " got " + source_name(static_cast<int>(gs));
      if (std::memcmp(actual.data(), expected.data(), actual.size()) == 0) return check_state();
      for (std::size_t i = 0; i < actual.size(); i++)
        if (actual[i] != expected[i])
          return "[divergence] page bytes: first difference at byte " + std::to_string(i) +
                 ": expected " + std::to_string(expected[i]) + " got " + std::to_string(actual[i]);
      return check_state();
    }
    case OpCode::invalidate:
      want = model_.invalidate(type, offset);
      got = swap_invalidate(&impl_.swap, type, offset);
      break;
    case OpCode::swapoff:
      want = model_.swapoff(type);
      got = swapoff(&impl_.swap, type);
      break;
    case OpCode::swapon:
      want = model_.swapon(type);
      got = swapon(&impl_.swap, type);
      break;
    case OpCode::compact:
      want = model_.compact(type, offset);
      got = swap_compact(&impl_.swap, type, offset);
      break;
    case OpCode::shrink:
      want = static_cast<int>(model_.shrink(op.arg[0]));
      got = static_cast<int>(zswap_shrink(&impl_.zs, op.arg[0]));
      break;
    case OpCode::complete_io:
      want = static_cast<int>(model_.complete_io(op.arg[0]));
      got = static_cast<int>(swap_complete_io(&impl_.swap, op.arg[0]));
      break;
    case OpCode::set_pool_percent:
      model_.set_max_pool_percent(op.arg[0]);
      impl_.zs.max_pool_percent = op.arg[0];
      break;
    case OpCode::fail_pages:
      model_.fail_next_pages(op.arg[0]);
      impl_.pages.fail_next_pages(op.arg[0]);
      break;
    case OpCode::fail_slab:
      model_.fail_next_slab(op.arg[0]);
      impl_.pages.fail_next_slab(op.arg[0]);
      break;
    default:
      HARNESS_CHECK(false);  // a zbud op in a zswap program
  }
  *outcome = std::to_string(got);
  if (want != got) return mismatch("return code", want, got);
  return check_state();
}

std::string ZswapDiff::check_state() {
  const zswap_stats zs = zswap_get_stats(&impl_.zs);
  const swap_stats sw = swap_get_stats(&impl_.swap);
  const std::string diff = stats_mismatch(model_.stats(), zs, sw);
  if (!diff.empty()) return "[divergence] counters: " + diff;
  for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
    const std::uint64_t entries = zswap_entry_count(&impl_.zs, t);
    if (model_.entries(t) != entries)
      return mismatch(("entries of type " + std::to_string(t)).c_str(),
                      static_cast<long>(model_.entries(t)), static_cast<long>(entries));
  }
  return quiescent_invariants(impl_);
}

}  // namespace

std::string quiescent_invariants(SwapSystem& sys) {
  int types_on = 0;
  for (unsigned t = 0; t < MAX_SWAPFILES; t++) {
    const std::uint64_t entries = zswap_entry_count(&sys.zs, t);
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
  if (static_cast<std::uint64_t>(sys.pages.pages_in_use()) != zs.pool_pages + sw.swap_cache_pages)
    return "[invariant] " + std::to_string(sys.pages.pages_in_use()) + " page frames in use, but " +
           std::to_string(zs.pool_pages) + " pool pages + " + std::to_string(sw.swap_cache_pages) +
           " swap cache pages";
  if (sys.zs.live_trees.load() != types_on)
    return "[invariant] " + std::to_string(sys.zs.live_trees.load()) + " zswap trees allocated for " +
           std::to_string(types_on) + " types swapped on";
  return "";
}

RunResult run_zswap_diff(const Program& program) { return run_steps<ZswapDiff>(program); }
