// The operation language: every operation the harness can run, defined once.
//
// HARNESS_OPS(X) lists X(name, layer, since, arg0, arg1, arg2, arg3): since is the
// first format version with the operation, each arg an ARG(name, range): the decoder
// reduces the raw value modulo range (0: unused). The list drives decoding, encoding,
// printing, the drivers' dispatch and --help.
//
// Byte format, version 1 (sequential): byte 0 is the version; then one 9-byte record
// per operation: an opcode byte (reduced modulo the number of operations of the
// layer in that version) and four little-endian 16-bit arguments.
// Version 2 (concurrent, zswap layer): byte 0 = 2; byte 1: threads - 2 (mod 3, so 2-4
// threads); byte 2: the operation count n (mod kMaxRaceOps + 1); n 10-byte records,
// each a thread byte (mod threads + 1; 0 = the sequential prefix) and a version-1
// record; every byte after them is a scheduling choice, consumed from the end
// backwards. Race programs use types mod 2 and offsets mod 8, so threads meet.
// Short records are padded with zeros, so every byte string is a valid program.
// A setup bit rides on byte 0 of the zswap layer: its top bit (0x80) selects zstd as
// zswap's compressor (else lz4); the version is read from the other seven bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compress.h"

enum class Layer : std::uint8_t { zbud, zswap };

// Argument ranges.
inline constexpr unsigned kObjRange = 64;       // picks among live objects/mappings
inline constexpr unsigned kSizeRange = 4104;    // zbud sizes, see zbud_alloc_size
inline constexpr unsigned kTypeRange = 4;       // swap types
inline constexpr unsigned kOffsetRange = 36;    // 32 slots per type, 32..35 out of range
inline constexpr unsigned kSeedRange = 65536;

// clang-format off
#define HARNESS_OPS(X) \
  X(zbud_alloc,       zbud,  1, ARG(size, kSizeRange), ARG(fill, 256), NOARG, NOARG) \
  X(zbud_free,        zbud,  1, ARG(obj, kObjRange), NOARG, NOARG, NOARG) \
  X(zbud_map,         zbud,  1, ARG(obj, kObjRange), NOARG, NOARG, NOARG) \
  X(zbud_unmap,       zbud,  1, ARG(mapping, kObjRange), NOARG, NOARG, NOARG) \
  X(zbud_read_mapped, zbud,  1, ARG(mapping, kObjRange), NOARG, NOARG, NOARG) \
  X(zbud_reclaim,     zbud,  1, ARG(retries, 10), ARG(evict, 4), NOARG, NOARG) \
  X(zbud_migrate,     zbud,  1, ARG(obj, kObjRange), NOARG, NOARG, NOARG) \
  X(zbud_fail_pages,  zbud,  1, ARG(n, 4), NOARG, NOARG, NOARG) \
  X(store,            zswap, 1, ARG(type, kTypeRange), ARG(offset, kOffsetRange), ARG(kind, 6), ARG(seed, kSeedRange)) \
  X(load,             zswap, 1, ARG(type, kTypeRange), ARG(offset, kOffsetRange), NOARG, NOARG) \
  X(invalidate,       zswap, 1, ARG(type, kTypeRange), ARG(offset, kOffsetRange), NOARG, NOARG) \
  X(swapoff,          zswap, 1, ARG(type, kTypeRange), NOARG, NOARG, NOARG) \
  X(swapon,           zswap, 1, ARG(type, kTypeRange), NOARG, NOARG, NOARG) \
  X(shrink,           zswap, 1, ARG(n, 8), NOARG, NOARG, NOARG) \
  X(complete_io,      zswap, 1, ARG(n, 8), NOARG, NOARG, NOARG) \
  X(set_pool_percent, zswap, 1, ARG(percent, 101), NOARG, NOARG, NOARG) \
  X(fail_pages,       zswap, 1, ARG(n, 4), NOARG, NOARG, NOARG) \
  X(fail_slab,        zswap, 1, ARG(n, 3), NOARG, NOARG, NOARG) \
  X(compact,          zswap, 2, ARG(type, kTypeRange), ARG(offset, kOffsetRange), NOARG, NOARG)
// clang-format on

enum class OpCode : std::uint8_t {
#define HARNESS_OP_ENUM(name, layer, since, a0, a1, a2, a3) name,
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
  std::uint8_t thread = 0;  // version 2: 0 is the sequential prefix, 1.. the threads
};

inline constexpr std::uint8_t kFormatVersion = 1;
inline constexpr std::uint8_t kRaceFormatVersion = 2;
inline constexpr std::uint8_t kZstdBit = 0x80;  // in byte 0, zswap layer
inline constexpr std::size_t kOpRecordSize = 9;
inline constexpr std::size_t kMaxOps = 512;  // longer inputs are cut: runs stay short
inline constexpr std::size_t kMaxRaceOps = 48;  // + a final load per key: within the checker's 64
inline constexpr unsigned kRaceTypes = 2;
inline constexpr unsigned kRaceOffsets = 8;

// zbud_alloc's size argument: 0..4099 are themselves (past both limits), 4100..4103
// the negative sizes -1..-4 (zbud_alloc takes the kernel's int).
inline constexpr unsigned kNonNegativeSizes = 4100;
inline constexpr int zbud_alloc_size(std::uint16_t arg) {
  return arg < kNonNegativeSizes ? arg : static_cast<int>(kNonNegativeSizes) - 1 - arg;
}
static_assert(zbud_alloc_size(4099) == 4099 && zbud_alloc_size(4100) == -1 && zbud_alloc_size(kSizeRange - 1) == -4);

// An operation of the given thread (version 2; 0: the prefix) with its arguments.
inline Op make_op(OpCode code, std::uint16_t a0 = 0, std::uint16_t a1 = 0, std::uint16_t a2 = 0, std::uint16_t a3 = 0,
                  std::uint8_t thread = 0) {
  Op op{};
  op.code = code;
  op.arg[0] = a0;
  op.arg[1] = a1;
  op.arg[2] = a2;
  op.arg[3] = a3;
  op.thread = thread;
  return op;
}

struct Program {
  Layer layer = Layer::zswap;
  std::uint8_t version = kFormatVersion;
  int threads = 0;                      // version 2: 2-4
  std::vector<Op> ops;
  std::vector<std::uint8_t> schedule;   // version 2: choices in the order consumed
  Compressor compressor = Compressor::lz4;  // zswap layer: what zswap compresses with
  bool operator==(const Program&) const;
};

struct OpInfo {
  const char* name;
  Layer layer;
  int since;
  const char* arg_name[4];  // nullptr when unused
  unsigned arg_range[4];
};

const OpInfo& op_info(OpCode code);
// The range of argument a of code in a format version: race programs (version 2)
// narrow types and offsets so that threads meet on the same slots; 0 = unused.
unsigned arg_range(OpCode code, int a, int version);
// The opcodes of a layer in a format version (1 or 2), in list order: a record's
// opcode byte indexes this.
const std::vector<OpCode>& layer_ops(Layer layer, int version);
const char* layer_name(Layer layer);

// Any bytes are a program of the given layer (version 2 only for the zswap layer).
Program decode(const std::uint8_t* data, std::size_t size, Layer layer);
// The canonical bytes of a program: decode(encode(p)) == p.
std::vector<std::uint8_t> encode(const Program& p);
// Writes encode(p) to path; false when the file could not be written.
bool save_program(const std::string& path, const Program& p);
// "store(type=1, offset=7, kind=text, seed=42)"
std::string format_op(const Op& op);
// One numbered line per operation.
std::string format_program(const Program& p);
// The program's setup for a report's header: "compressor zstd, " (zswap layer), or "".
std::string format_setup(const Program& p);
// The operation list for --help.
std::string describe_ops();
// A race program (version 2) written as text, one operation per line in format_program's
// shape: "prefix store(type=0, offset=7, kind=text, seed=44)", "T1 shrink(n=1)"; blank
// lines and '#' comments are skipped, a leading "#N" is ignored, arguments left out are 0;
// "compressor zstd" (or lz4) chooses the compressor.
// Threads: the highest Tn, at least 2, or format_program's "version 2: N threads" header. On an error, *error says which line and why.
std::optional<Program> parse_race_program(const std::string& text, std::string* error);
