// The bridge between properties and fuzz inputs: encoding a program and decoding the
// bytes gives the same program back (so a counterexample written as a corpus file is
// the counterexample), and decoding is idempotent on any bytes.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "ops.h"

namespace {

// Any operation of the layer and format version, its arguments within their ranges
// (race programs: types and offsets within the race key space).
rc::Gen<Op> gen_op(Layer layer, int version, int threads) {
  return rc::gen::exec([=] {
    const std::vector<OpCode>& codes = layer_ops(layer, version);
    Op op{};
    op.code = codes[*rc::gen::inRange<std::size_t>(0, codes.size())];
    for (int a = 0; a < 4; a++) {
      const unsigned range = arg_range(op.code, a, version);
      op.arg[a] = range ? *rc::gen::inRange<std::uint16_t>(0, static_cast<std::uint16_t>(range)) : 0;
    }
    if (version == kRaceFormatVersion) op.thread = *rc::gen::inRange<std::uint8_t>(0, static_cast<std::uint8_t>(threads + 1));
    return op;
  });
}

rc::Gen<Program> gen_program() {
  return rc::gen::exec([] {
    Program p;
    p.layer = *rc::gen::element(Layer::zbud, Layer::zswap);
    p.version = p.layer == Layer::zswap ? *rc::gen::element(kFormatVersion, kRaceFormatVersion) : kFormatVersion;
    if (p.version == kRaceFormatVersion) {
      p.threads = *rc::gen::inRange(2, 5);
      p.ops = *rc::gen::resize(kMaxRaceOps, rc::gen::container<std::vector<Op>>(gen_op(p.layer, p.version, p.threads)));
      p.schedule = *rc::gen::arbitrary<std::vector<std::uint8_t>>();
    } else {
      p.ops = *rc::gen::container<std::vector<Op>>(gen_op(p.layer, p.version, 0));
    }
    return p;
  });
}

}  // namespace

RC_GTEST_PROP(BridgeProps, DecodeOfEncodeIsTheProgram, ()) {
  const Program p = *gen_program();
  const std::vector<std::uint8_t> bytes = encode(p);
  RC_ASSERT(decode(bytes.data(), bytes.size(), p.layer) == p);
}

RC_GTEST_PROP(BridgeProps, DecodingIsIdempotent, (const std::vector<std::uint8_t>& bytes, bool zswap_layer)) {
  const Layer layer = zswap_layer ? Layer::zswap : Layer::zbud;
  const Program once = decode(bytes.data(), bytes.size(), layer);
  const std::vector<std::uint8_t> again = encode(once);
  RC_ASSERT(decode(again.data(), again.size(), layer) == once);
}
