// zswap_diff: the whole swap system (zswap, writeback, swap cache, device) against
// SwapRef on one sequential program. Oracle: return codes, loaded bytes and their
// source, every counter and per-type entry count agree; quiescent invariants hold.
// The counts of writes in flight a run reaches are coverage too (state_coverage.h).
#include "fuzz_target.h"
#include "state_coverage.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  state_coverage::cover(run_differential_input("zswap_diff", Layer::zswap, data, size));
  return 0;
}
