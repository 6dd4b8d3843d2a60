// zbud_diff: the zbud allocator against its reference (ZbudRef) on the same alloc /
// free / map / unmap / read-through-mapping / reclaim / migrate sequence. Oracle: return
// codes, bytes, pool pages, live handles and eviction order agree; ASan/UBSan/LSan.
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run_differential_input("zbud_diff", Layer::zbud, data, size);
  return 0;
}
