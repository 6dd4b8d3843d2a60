// The two sides of the zswap differential test, one operation at a time: ref (the
// model) and impl (the system under test), and the comparison of what they did. The
// zswap_diff driver and the property tests (props/zswap_props.cpp) share them, so a
// property counterexample replays the same way as a fuzz input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops.h"
#include "swap_system.h"
#include "zswap_ref.h"

// What one operation returned on one side.
struct ZswapOutcome {
  Op op{};
  int code = 0;
  int source = 0;                  // load: none, swap_cache, zswap, device (the same order on both sides)
  std::vector<std::uint8_t> page;  // load: the bytes read
  std::string invariant;           // impl: a rule the operation broke, whatever ref did
  std::uint64_t inflight_before = 0;  // impl's shrink: writes in flight when it began
};

// The configuration of both sides: a small machine, so stores hit the pool limit.
ref::SwapConfig zswap_ref_config(Compressor compressor);
swap_system_config zswap_impl_config(Compressor compressor);

ZswapOutcome zswap_ref_step(ref::SwapRef& model, const Op& op);
ZswapOutcome zswap_impl_step(SwapSystem& impl, const Op& op);
// A shrink op on impl, checked against the shrinker's in-flight bound (zcache's
// ZCACHE_MAX_OUTSTANDING_WRITEBACK_PAGES): it starts a frame's writeback only below
// the bound. The check holds for a shrink run alone (no other thread completing I/O).
struct ShrinkRun {
  int freed = 0;                      // zswap_shrink's result
  std::uint64_t inflight_before = 0;  // writes in flight when it began
  std::string violation;              // "" or the "[invariant] in-flight bound" line
};
ShrinkRun shrink_checked(SwapSystem& impl, const Op& shrink);
// The finding line of a shrink that broke the bound.
std::string inflight_bound_message(const Op& shrink, std::uint64_t before, std::uint64_t after, unsigned bound);

// "" when impl did what ref did and the two then agree on every counter, the entry
// count of each type and the quiescent invariants; else the first difference.
// *outcome: what impl returned, for the trace.
std::string zswap_compare(const ZswapOutcome& want, const ZswapOutcome& got, const ref::SwapRef& model,
                          SwapSystem& impl, std::string* outcome);
