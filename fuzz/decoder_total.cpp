// decoder_total: the input language itself. Oracle: any bytes decode (as either layer)
// and print; encoding the program and decoding again gives the same program and the
// same printout.
#include "check.h"
#include "ops.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (Layer layer : {Layer::zbud, Layer::zswap}) {
    const Program p = decode(data, size, layer);
    HARNESS_CHECK(p.ops.size() <= kMaxOps);
    const std::string printed = format_program(p);
    const std::vector<std::uint8_t> bytes = encode(p);
    const Program again = decode(bytes.data(), bytes.size(), layer);
    HARNESS_CHECK(again == p);
    HARNESS_CHECK(format_program(again) == printed);
    HARNESS_CHECK(encode(again) == bytes);
  }
  return 0;
}
