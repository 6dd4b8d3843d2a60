#include "ops.h"

#include <fuzzer/FuzzedDataProvider.h>

#include "check.h"
#include "pages.h"

namespace {

#define ARG(name, range) {#name, range}
#define NOARG {nullptr, 0}

struct ArgSpec {
  const char* name;
  unsigned range;
};

struct OpSpec {
  const char* name;
  Layer layer;
  ArgSpec args[4];
};

constexpr OpSpec kSpecs[] = {
#define HARNESS_OP_SPEC(name, layer, a0, a1, a2, a3) {#name, Layer::layer, {a0, a1, a2, a3}},
    HARNESS_OPS(HARNESS_OP_SPEC)
#undef HARNESS_OP_SPEC
};
#undef ARG
#undef NOARG

constexpr std::size_t kOpCount = sizeof kSpecs / sizeof kSpecs[0];
static_assert(kSpecs[static_cast<int>(OpCode::store)].args[2].range == kPageKindCount,
              "store's kind argument ranges over the page kinds");

std::vector<OpInfo> make_infos() {
  std::vector<OpInfo> infos;
  for (const OpSpec& s : kSpecs) {
    OpInfo info{s.name, s.layer, {}, {}};
    for (int i = 0; i < 4; i++) {
      info.arg_name[i] = s.args[i].name;
      info.arg_range[i] = s.args[i].range;
    }
    infos.push_back(info);
  }
  return infos;
}

const std::vector<OpInfo>& infos() {
  static const std::vector<OpInfo> all = make_infos();
  return all;
}

// The opcodes of a layer, in list order: a record's opcode byte indexes this.
const std::vector<OpCode>& layer_ops(Layer layer) {
  static const std::vector<OpCode> by_layer[2] = {
      [] {
        std::vector<OpCode> v;
        for (std::size_t i = 0; i < kOpCount; i++)
          if (kSpecs[i].layer == Layer::zbud) v.push_back(static_cast<OpCode>(i));
        return v;
      }(),
      [] {
        std::vector<OpCode> v;
        for (std::size_t i = 0; i < kOpCount; i++)
          if (kSpecs[i].layer == Layer::zswap) v.push_back(static_cast<OpCode>(i));
        return v;
      }()};
  return by_layer[static_cast<int>(layer)];
}

const char* const kEvictModeNames[] = {
#define EVICT_MODE_NAME(name) #name,
    EVICT_MODES(EVICT_MODE_NAME)
#undef EVICT_MODE_NAME
};

}  // namespace

bool Program::operator==(const Program& o) const {
  if (layer != o.layer || version != o.version || ops.size() != o.ops.size()) return false;
  for (std::size_t i = 0; i < ops.size(); i++) {
    if (ops[i].code != o.ops[i].code) return false;
    for (int a = 0; a < 4; a++)
      if (ops[i].arg[a] != o.ops[i].arg[a]) return false;
  }
  return true;
}

const OpInfo& op_info(OpCode code) {
  HARNESS_CHECK(static_cast<std::size_t>(code) < kOpCount);
  return infos()[static_cast<std::size_t>(code)];
}

const char* layer_name(Layer layer) { return layer == Layer::zbud ? "zbud" : "zswap"; }

Program decode(const std::uint8_t* data, std::size_t size, Layer layer) {
  FuzzedDataProvider fdp(data, size);
  Program p;
  p.layer = layer;
  // Other version values are reserved; until a version claims one, it reads as 1.
  (void)fdp.ConsumeBytes<std::uint8_t>(1);
  p.version = kFormatVersion;
  const std::vector<OpCode>& codes = layer_ops(layer);
  while (fdp.remaining_bytes() > 0 && p.ops.size() < kMaxOps) {
    std::vector<std::uint8_t> rec = fdp.ConsumeBytes<std::uint8_t>(kOpRecordSize);
    rec.resize(kOpRecordSize, 0);
    Op op{codes[rec[0] % codes.size()], {}};
    const OpInfo& info = op_info(op.code);
    for (int a = 0; a < 4; a++) {
      const unsigned raw = rec[1 + 2 * a] | (rec[2 + 2 * a] << 8);
      op.arg[a] = static_cast<std::uint16_t>(info.arg_range[a] ? raw % info.arg_range[a] : 0);
    }
    p.ops.push_back(op);
  }
  return p;
}

std::vector<std::uint8_t> encode(const Program& p) {
  std::vector<std::uint8_t> out{p.version};
  const std::vector<OpCode>& codes = layer_ops(p.layer);
  for (const Op& op : p.ops) {
    std::uint8_t index = 0;
    while (index < codes.size() && codes[index] != op.code) index++;
    HARNESS_CHECK(index < codes.size());  // an op of another layer
    out.push_back(index);
    for (std::uint16_t v : op.arg) {
      out.push_back(static_cast<std::uint8_t>(v & 0xff));
      out.push_back(static_cast<std::uint8_t>(v >> 8));
    }
  }
  return out;
}

std::string format_op(const Op& op) {
  const OpInfo& info = op_info(op.code);
  std::string s = std::string(info.name) + "(";
  for (int a = 0; a < 4 && info.arg_name[a]; a++) {
    if (a) s += ", ";
    s += std::string(info.arg_name[a]) + "=";
    const std::string arg = info.arg_name[a];
    if (arg == "kind")
      s += page_kind_name(static_cast<PageKind>(op.arg[a] % kPageKindCount));
    else if (arg == "evict")
      s += kEvictModeNames[op.arg[a] % (sizeof kEvictModeNames / sizeof *kEvictModeNames)];
    else
      s += std::to_string(op.arg[a]);
  }
  return s + ")";
}

std::string format_program(const Program& p) {
  std::string s;
  for (std::size_t i = 0; i < p.ops.size(); i++)
    s += "  #" + std::to_string(i) + " " + format_op(p.ops[i]) + "\n";
  return s;
}

std::string describe_ops() {
  std::string s;
  for (const OpInfo& info : infos()) {
    s += std::string("  ") + layer_name(info.layer) + "  " + info.name + "(";
    for (int a = 0; a < 4 && info.arg_name[a]; a++)
      s += std::string(a ? ", " : "") + info.arg_name[a] + " < " + std::to_string(info.arg_range[a]);
    s += ")\n";
  }
  return s;
}
