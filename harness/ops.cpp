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
  int since;
  ArgSpec args[4];
};

constexpr OpSpec kSpecs[] = {
#define HARNESS_OP_SPEC(name, layer, since, a0, a1, a2, a3) {#name, Layer::layer, since, {a0, a1, a2, a3}},
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
    OpInfo info{s.name, s.layer, s.since, {}, {}};
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

// Decodes one version-1 record (padded) into op.
Op decode_record(std::vector<std::uint8_t> rec, Layer layer, int version) {
  rec.resize(kOpRecordSize, 0);
  const std::vector<OpCode>& codes = layer_ops(layer, version);
  Op op{codes[rec[0] % codes.size()], {}};
  for (int a = 0; a < 4; a++) {
    const unsigned range = arg_range(op.code, a, version);
    const unsigned raw = rec[1 + 2 * a] | (rec[2 + 2 * a] << 8);
    op.arg[a] = static_cast<std::uint16_t>(range ? raw % range : 0);
  }
  return op;
}

void encode_record(const Op& op, Layer layer, int version, std::vector<std::uint8_t>* out) {
  const std::vector<OpCode>& codes = layer_ops(layer, version);
  std::uint8_t index = 0;
  while (index < codes.size() && codes[index] != op.code) index++;
  HARNESS_CHECK(index < codes.size());  // an op of another layer or a later version
  out->push_back(index);
  for (std::uint16_t v : op.arg) {
    out->push_back(static_cast<std::uint8_t>(v & 0xff));
    out->push_back(static_cast<std::uint8_t>(v >> 8));
  }
}

const char* const kEvictModeNames[] = {
#define EVICT_MODE_NAME(name) #name,
    EVICT_MODES(EVICT_MODE_NAME)
#undef EVICT_MODE_NAME
};

}  // namespace

const std::vector<OpCode>& layer_ops(Layer layer, int version) {
  static const auto make = [](Layer l, int v) {
    std::vector<OpCode> ops;
    for (std::size_t i = 0; i < kOpCount; i++)
      if (kSpecs[i].layer == l && kSpecs[i].since <= v) ops.push_back(static_cast<OpCode>(i));
    return ops;
  };
  static const std::vector<OpCode> table[2][2] = {{make(Layer::zbud, 1), make(Layer::zbud, 2)},
                                                  {make(Layer::zswap, 1), make(Layer::zswap, 2)}};
  return table[static_cast<int>(layer)][version - 1];
}

bool Program::operator==(const Program& o) const {
  if (layer != o.layer || version != o.version || threads != o.threads || schedule != o.schedule ||
      ops.size() != o.ops.size())
    return false;
  for (std::size_t i = 0; i < ops.size(); i++) {
    if (ops[i].code != o.ops[i].code || ops[i].thread != o.ops[i].thread) return false;
    for (int a = 0; a < 4; a++)
      if (ops[i].arg[a] != o.ops[i].arg[a]) return false;
  }
  return true;
}

const OpInfo& op_info(OpCode code) {
  HARNESS_CHECK(static_cast<std::size_t>(code) < kOpCount);
  return infos()[static_cast<std::size_t>(code)];
}

unsigned arg_range(OpCode code, int a, int version) {
  const OpInfo& info = op_info(code);
  const unsigned range = info.arg_range[a];
  if (version != kRaceFormatVersion) return range;
  if (range == kTypeRange && std::string(info.arg_name[a]) == "type") return kRaceTypes;
  if (range == kOffsetRange) return kRaceOffsets;
  return range;
}

const char* layer_name(Layer layer) { return layer == Layer::zbud ? "zbud" : "zswap"; }

Program decode(const std::uint8_t* data, std::size_t size, Layer layer) {
  FuzzedDataProvider fdp(data, size);
  Program p;
  p.layer = layer;
  const std::vector<std::uint8_t> version = fdp.ConsumeBytes<std::uint8_t>(1);
  // Other version values are reserved; until a version claims one, it reads as 1.
  if (layer == Layer::zswap && !version.empty() && version[0] == kRaceFormatVersion) {
    p.version = kRaceFormatVersion;
    const std::vector<std::uint8_t> header = fdp.ConsumeBytes<std::uint8_t>(2);
    p.threads = 2 + (header.size() > 0 ? header[0] % 3 : 0);
    const std::size_t n = header.size() > 1 ? header[1] % (kMaxRaceOps + 1) : 0;
    for (std::size_t i = 0; i < n && fdp.remaining_bytes() > 0; i++) {
      std::vector<std::uint8_t> rec = fdp.ConsumeBytes<std::uint8_t>(kOpRecordSize + 1);
      rec.resize(kOpRecordSize + 1, 0);
      Op op = decode_record(std::vector<std::uint8_t>(rec.begin() + 1, rec.end()), layer, p.version);
      op.thread = static_cast<std::uint8_t>(rec[0] % (p.threads + 1));
      p.ops.push_back(op);
    }
    while (fdp.remaining_bytes() > 0) p.schedule.push_back(fdp.ConsumeIntegral<std::uint8_t>());
    return p;
  }
  p.version = kFormatVersion;
  while (fdp.remaining_bytes() > 0 && p.ops.size() < kMaxOps)
    p.ops.push_back(decode_record(fdp.ConsumeBytes<std::uint8_t>(kOpRecordSize), layer, p.version));
  return p;
}

std::vector<std::uint8_t> encode(const Program& p) {
  std::vector<std::uint8_t> out{p.version};
  if (p.version == kRaceFormatVersion) {
    out.push_back(static_cast<std::uint8_t>(p.threads - 2));
    out.push_back(static_cast<std::uint8_t>(p.ops.size()));
  }
  for (const Op& op : p.ops) {
    if (p.version == kRaceFormatVersion) out.push_back(op.thread);
    encode_record(op, p.layer, p.version, &out);
  }
  out.insert(out.end(), p.schedule.rbegin(), p.schedule.rend());
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
  if (p.version == kRaceFormatVersion)
    s += "  version 2: " + std::to_string(p.threads) + " threads, " + std::to_string(p.schedule.size()) +
         " scheduling choices\n";
  for (std::size_t i = 0; i < p.ops.size(); i++) {
    s += "  #" + std::to_string(i) + " ";
    if (p.version == kRaceFormatVersion) s += (p.ops[i].thread ? "T" + std::to_string(p.ops[i].thread) : "prefix") + " ";
    s += format_op(p.ops[i]) + "\n";
  }
  return s;
}

std::string describe_ops() {
  std::string s;
  for (const OpInfo& info : infos()) {
    s += std::string("  ") + layer_name(info.layer) + " v" + std::to_string(info.since) + "+  " + info.name + "(";
    for (int a = 0; a < 4 && info.arg_name[a]; a++)
      s += std::string(a ? ", " : "") + info.arg_name[a] + " < " + std::to_string(info.arg_range[a]);
    s += ")\n";
  }
  return s;
}
