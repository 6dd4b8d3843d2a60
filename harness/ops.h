// The operation language: every operation the harness can run, defined once.
//
// HARNESS_OPS(X) lists X(name, layer, arg0, arg1, arg2, arg3), each arg an
// ARG(name, range): the decoder reduces the raw value modulo range (0: unused). The
// list drives decoding, encoding, printing, the drivers' dispatch and --help.
//
// The byte format (version 1): byte 0 is the format version; then one 9-byte record
// per operation: an opcode byte (reduced modulo the number of operations of the
// target's layer) and four little-endian 16-bit arguments. A short last record is
// padded with zeros, so every byte string is a valid program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

enum class Layer : std::uint8_t { zbud, zswap };

// Argument ranges.
inline constexpr unsigned kObjRange = 64;       // picks among live objects/mappings
inline constexpr unsigned kSizeRange = 4100;    // zbud sizes 0..4099: past both limits
inline constexpr unsigned kTypeRange = 4;       // swap types
inline constexpr unsigned kOffsetRange = 36;    // 32 slots per type, 32..35 out of range
inline constexpr unsigned kSeedRange = 65536;

// clang-format off
#define HARNESS_OPS(X) \
  X(zbud_alloc,       zbud,  ARG(size, kSizeRange),   ARG(fill, 256),        NOARG,                  NOARG) \
  X(zbud_free,        zbud,  ARG(obj, kObjRange),     NOARG,                 NOARG,                  NOARG) \
  X(zbud_map,         zbud,  ARG(obj, kObjRange),     NOARG,                 NOARG,                  NOARG) \
  X(zbud_unmap,       zbud,  ARG(mapping, kObjRange), NOARG,                 NOARG,                  NOARG) \
  X(zbud_read_mapped, zbud,  ARG(mapping, kObjRange), NOARG,                 NOARG,                  NOARG) \
  X(zbud_reclaim,     zbud,  ARG(retries, 10),        ARG(evict, 4),         NOARG,                  NOARG) \
  X(zbud_migrate,     zbud,  ARG(obj, kObjRange),     NOARG,                 NOARG,                  NOARG) \
  X(zbud_fail_pages,  zbud,  ARG(n, 4),               NOARG,                 NOARG,                  NOARG) \
  X(store,            zswap, ARG(type, kTypeRange),   ARG(offset, kOffsetRange), ARG(kind, 6),       ARG(seed, kSeedRange)) \
  X(load,             zswap, ARG(type, kTypeRange),   ARG(offset, kOffsetRange), NOARG,              NOARG) \
  X(invalidate,       zswap, ARG(type, kTypeRange),   ARG(offset, kOffsetRange), NOARG,              NOARG) \
  X(swapoff,          zswap, ARG(type, kTypeRange),   NOARG,                 NOARG,                  NOARG) \
  X(swapon,           zswap, ARG(type, kTypeRange),   NOARG,                 NOARG,                  NOARG) \
  X(shrink,           zswap, ARG(n, 8),               NOARG,                 NOARG,                  NOARG) \
  X(complete_io,      zswap, ARG(n, 8),               NOARG,                 NOARG,                  NOARG) \
  X(set_pool_percent, zswap, ARG(percent, 101),       NOARG,                 NOARG,                  NOARG) \
  X(fail_pages,       zswap, ARG(n, 4),               NOARG,                 NOARG,                  NOARG) \
  X(fail_slab,        zswap, ARG(n, 3),               NOARG,                 NOARG,                  NOARG)
// clang-format on

enum class OpCode : std::uint8_t {
#define HARNESS_OP_ENUM(name, layer, a0, a1, a2, a3) name,
  HARNESS_OPS(HARNESS_OP_ENUM)
#undef HARNESS_OP_ENUM
};

// The zbud evict behaviours zbud_reclaim can ask for.
#define EVICT_MODES(X) \
  X(free_all)          \
  X(fail_all)          \
  X(free_first_only)   \
  X(free_even_objects)

struct Op {
  OpCode code;
  std::uint16_t arg[4];
};

inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::size_t kOpRecordSize = 9;
inline constexpr std::size_t kMaxOps = 512;  // longer inputs are cut: runs stay short

struct Program {
  Layer layer = Layer::zswap;
  std::uint8_t version = kFormatVersion;
  std::vector<Op> ops;
  bool operator==(const Program&) const;
};

struct OpInfo {
  const char* name;
  Layer layer;
  const char* arg_name[4];  // nullptr when unused
  unsigned arg_range[4];
};

const OpInfo& op_info(OpCode code);
const char* layer_name(Layer layer);

// Any bytes are a program of the given layer.
Program decode(const std::uint8_t* data, std::size_t size, Layer layer);
// The canonical bytes of a program: decode(encode(p)) == p.
std::vector<std::uint8_t> encode(const Program& p);
// "store(type=1, offset=7, kind=text, seed=42)"
std::string format_op(const Op& op);
// One numbered line per operation.
std::string format_program(const Program& p);
// The operation list for --help.
std::string describe_ops();
