// zswap_diff: the whole swap system (zswap, writeback, swap cache, device) against
// SwapRef on one sequential program. Oracle: return codes, loaded bytes and their
// source, every counter and per-type entry count agree; quiescent invariants hold.
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return run_differential_input("zswap_diff", Layer::zswap, data, size);
}
