#include "ops.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

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
      compressor != o.compressor || ops.size() != o.ops.size())
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
  const std::vector<std::uint8_t> first = fdp.ConsumeBytes<std::uint8_t>(1);
  const std::uint8_t version = first.empty() ? kFormatVersion : first[0];
  if (layer == Layer::zswap && (version & kZstdBit)) p.compressor = Compressor::zstd;
  // Other version values are reserved; until a version claims one, it reads as 1.
  if (layer == Layer::zswap && (version & ~kZstdBit) == kRaceFormatVersion) {
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
  const bool zstd = p.layer == Layer::zswap && p.compressor == Compressor::zstd;
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(p.version | (zstd ? kZstdBit : 0))};
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

bool save_program(const std::string& path, const Program& p) {
  const std::vector<std::uint8_t> bytes = encode(p);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  return static_cast<bool>(out);
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
    else if (arg == "size")
      s += std::to_string(zbud_alloc_size(op.arg[a]));
    else
      s += std::to_string(op.arg[a]);
  }
  return s + ")";
}

std::string format_setup(const Program& p) {
  return p.layer == Layer::zswap ? std::string("compressor ") + compressor_name(p.compressor) + ", " : "";
}

std::string format_program(const Program& p) {
  std::string s;
  if (p.layer == Layer::zswap && p.compressor != Compressor::lz4)
    s += std::string("  compressor ") + compressor_name(p.compressor) + "\n";
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

namespace {

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// An argument's value: a number, or a page kind / evict mode by name.
std::optional<unsigned> parse_arg_value(const std::string& arg, const std::string& value) {
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos && value.size() <= 5)
    return static_cast<unsigned>(std::stoul(value));
  if (arg == "kind")
    for (unsigned k = 0; k < kPageKindCount; k++)
      if (value == page_kind_name(static_cast<PageKind>(k))) return k;
  if (arg == "evict")
    for (unsigned m = 0; m < std::size(kEvictModeNames); m++)
      if (value == kEvictModeNames[m]) return m;
  return std::nullopt;
}

// "T2 store(type=0, offset=1)" -> op; "" and *error on a mistake.
std::optional<Op> parse_race_op(std::string line, std::string* error) {
  Op op{};
  const std::size_t space = line.find(' ');
  const std::string who = line.substr(0, space);
  if (who == "prefix") {
    op.thread = 0;
  } else if (who.size() == 2 && who[0] == 'T' && who[1] >= '1' && who[1] <= '4') {
    op.thread = static_cast<std::uint8_t>(who[1] - '0');
  } else {
    *error = "expected 'prefix' or T1-T4 before the operation, got '" + who + "'";
    return std::nullopt;
  }
  line = trim(space == std::string::npos ? "" : line.substr(space));
  const std::size_t open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close != line.size() - 1) {
    *error = "expected name(arg=value, ...), got '" + line + "'";
    return std::nullopt;
  }
  const std::string name = trim(line.substr(0, open));
  const std::vector<OpCode>& codes = layer_ops(Layer::zswap, kRaceFormatVersion);
  const auto code = std::find_if(codes.begin(), codes.end(), [&](OpCode c) { return name == op_info(c).name; });
  if (code == codes.end()) {
    *error = "'" + name + "' is not an operation of race programs (repro --help lists them)";
    return std::nullopt;
  }
  op.code = *code;
  const OpInfo& info = op_info(op.code);
  std::string args = line.substr(open + 1, close - open - 1);
  for (std::size_t at = 0; !trim(args).empty() && at != std::string::npos;) {
    const std::size_t comma = args.find(',', at);
    const std::string pair = trim(args.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
    at = comma == std::string::npos ? comma : comma + 1;
    const std::size_t eq = pair.find('=');
    const std::string arg = trim(pair.substr(0, eq)), value = eq == std::string::npos ? "" : trim(pair.substr(eq + 1));
    int a = 0;
    while (a < 4 && info.arg_name[a] && arg != info.arg_name[a]) a++;
    if (a == 4 || !info.arg_name[a]) {
      *error = std::string(info.name) + " has no argument '" + arg + "'";
      return std::nullopt;
    }
    const std::optional<unsigned> v = parse_arg_value(arg, value);
    const unsigned range = arg_range(op.code, a, kRaceFormatVersion);
    if (!v || *v >= range) {
      *error = arg + "=" + value + ": expected a value below " + std::to_string(range) + " (or a kind/evict name)";
      return std::nullopt;
    }
    op.arg[a] = static_cast<std::uint16_t>(*v);
  }
  return op;
}

}  // namespace

std::optional<Program> parse_race_program(const std::string& text, std::string* error) {
  Program p;
  p.layer = Layer::zswap;
  p.version = kRaceFormatVersion;
  p.threads = 2;
  std::size_t number = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string line = trim(text.substr(at, end - at));
    at = end + 1;
    number++;
    if (line.rfind("#", 0) == 0) {
      // "#3 T1 load(...)" as format_program prints it, or a comment.
      const std::size_t space = line.find(' ');
      const bool numbered = line.size() > 1 && std::isdigit(static_cast<unsigned char>(line[1]));
      line = numbered && space != std::string::npos ? trim(line.substr(space)) : "";
    }
    if (line.rfind("version 2: ", 0) == 0) {
      // format_program's header: "version 2: 3 threads, ..." (a thread may have no operation).
      p.threads = std::clamp(std::atoi(line.c_str() + 11), 2, 4);
      continue;
    }
    if (line.rfind("compressor ", 0) == 0) {
      const std::optional<Compressor> c = parse_compressor(trim(line.substr(11)));
      if (!c) {
        *error = "line " + std::to_string(number) + ": unknown compressor '" + trim(line.substr(11)) + "' (lz4 or zstd)";
        return std::nullopt;
      }
      p.compressor = *c;
      continue;
    }
    if (line.empty()) continue;
    std::string why;
    const std::optional<Op> op = parse_race_op(line, &why);
    if (!op) {
      *error = "line " + std::to_string(number) + ": " + why;
      return std::nullopt;
    }
    p.threads = std::max(p.threads, static_cast<int>(op->thread));
    p.ops.push_back(*op);
  }
  if (p.ops.empty() || p.ops.size() > kMaxRaceOps) {
    *error = "a race program has 1 to " + std::to_string(kMaxRaceOps) + " operations, this one " + std::to_string(p.ops.size());
    return std::nullopt;
  }
  return p;
}
