// corpus_gen: writes the seed corpus of every target (corpus/<target>/<name>) from
// scripted and seeded-random programs, so the seeds are reviewable and reproducible;
// with --dict, the fuzzing dictionary of a target (libFuzzer and AFL++ format), made
// from the operation list so it follows every change of the format.
// Usage: corpus_gen CORPUS_DIR | corpus_gen --dict TARGET
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ops.h"
#include "pages.h"
#include "zbud.h"

namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kSeed = 4242;  // the random programs' seed

Op op(OpCode code, unsigned a0 = 0, unsigned a1 = 0, unsigned a2 = 0, unsigned a3 = 0) {
  return Op{code, {static_cast<std::uint16_t>(a0), static_cast<std::uint16_t>(a1),
                   static_cast<std::uint16_t>(a2), static_cast<std::uint16_t>(a3)}};
}

void write(const fs::path& dir, const std::string& name, const std::vector<std::uint8_t>& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                    static_cast<std::streamsize>(bytes.size()));
}

void write_program(const fs::path& dir, const std::string& name, Layer layer, std::vector<Op> ops) {
  Program p;
  p.layer = layer;
  p.ops = std::move(ops);
  write(dir, name, encode(p));
  if (layer != Layer::zswap) return;
  p.compressor = Compressor::zstd;  // every zswap seed under both compressors
  write(dir, name + ".zstd", encode(p));
}

std::vector<std::uint8_t> random_bytes(std::mt19937& rng, std::size_t n) {
  std::vector<std::uint8_t> b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  b[0] = kFormatVersion;
  return b;
}

void zbud_seeds(const fs::path& dir, std::mt19937& rng) {
  using O = OpCode;
  write_program(dir, "size_limits", Layer::zbud,
                {op(O::zbud_alloc, 3968), op(O::zbud_alloc, 64), op(O::zbud_alloc, 3969), op(O::zbud_alloc, 4032),
                 op(O::zbud_alloc, 0), op(O::zbud_alloc, 1), op(O::zbud_alloc, 65), op(O::zbud_free, 0),
                 op(O::zbud_alloc, kNonNegativeSizes)});  // size -1
  for (unsigned mode = 0; mode < 4; mode++)
    write_program(dir, "reclaim_mode" + std::to_string(mode), Layer::zbud,
                  {op(O::zbud_alloc, 2000, 1), op(O::zbud_alloc, 1900, 2), op(O::zbud_alloc, 3000, 3),
                   op(O::zbud_alloc, 100, 4), op(O::zbud_reclaim, 3, mode), op(O::zbud_reclaim, 1, mode),
                   op(O::zbud_alloc, 500, 5), op(O::zbud_free, 1), op(O::zbud_reclaim, 9, mode)});
  write_program(dir, "map_free_unmap", Layer::zbud,
                {op(O::zbud_alloc, 700, 1), op(O::zbud_alloc, 300, 2), op(O::zbud_map, 0), op(O::zbud_free, 0),
                 op(O::zbud_read_mapped, 0), op(O::zbud_reclaim, 2, 0), op(O::zbud_unmap, 0), op(O::zbud_alloc, 50)});
  write_program(dir, "migrate", Layer::zbud,
                {op(O::zbud_alloc, 700, 1), op(O::zbud_alloc, 300, 2), op(O::zbud_map, 1), op(O::zbud_migrate, 0),
                 op(O::zbud_read_mapped, 0), op(O::zbud_unmap, 0), op(O::zbud_migrate, 1),
                 op(O::zbud_fail_pages, 1), op(O::zbud_migrate, 0), op(O::zbud_map, 0), op(O::zbud_read_mapped, 0)});
  for (int i = 0; i < 8; i++) write(dir, "random" + std::to_string(i), random_bytes(rng, 1 + 9 * (20 + i * 10)));
}

void zswap_seeds(const fs::path& dir, std::mt19937& rng) {
  using O = OpCode;
  const unsigned text = static_cast<unsigned>(PageKind::text);
  std::vector<Op> fill;
  for (unsigned off = 0; off < 20; off++) fill.push_back(op(O::store, 0, off, text, off));
  for (unsigned off = 0; off < 4; off++) fill.push_back(op(O::load, 0, off));
  fill.push_back(op(O::complete_io, 7));
  for (unsigned off = 0; off < 4; off++) fill.push_back(op(O::load, 0, off));
  write_program(dir, "writeback_to_device", Layer::zswap, fill);
  write_program(dir, "duplicates", Layer::zswap,
                {op(O::store, 1, 5, text, 1), op(O::store, 1, 5, 1, 2), op(O::load, 1, 5),
                 op(O::store, 1, 5, static_cast<unsigned>(PageKind::random), 3), op(O::load, 1, 5),
                 op(O::store, 1, 5, static_cast<unsigned>(PageKind::nearly_full), 4), op(O::load, 1, 5),
                 op(O::invalidate, 1, 5), op(O::load, 1, 5)});
  std::vector<Op> pressure{op(O::set_pool_percent, 5)};
  for (unsigned off = 0; off < 12; off++) pressure.push_back(op(O::store, off % 2, off, text, off));
  pressure.push_back(op(O::fail_pages, 3));
  pressure.push_back(op(O::store, 0, 20, text, 9));
  pressure.push_back(op(O::fail_slab, 1));
  pressure.push_back(op(O::store, 1, 21, text, 9));
  pressure.push_back(op(O::shrink, 7));
  pressure.push_back(op(O::complete_io, 3));
  pressure.push_back(op(O::shrink, 7));
  write_program(dir, "pool_pressure", Layer::zswap, pressure);
  write_program(dir, "swapoff_swapon", Layer::zswap,
                {op(O::store, 2, 0, text, 1), op(O::store, 2, 1, 0, 2), op(O::shrink, 1), op(O::swapoff, 2),
                 op(O::load, 2, 0), op(O::swapoff, 2), op(O::swapon, 2), op(O::swapon, 2), op(O::load, 2, 1),
                 op(O::store, 2, 35, text, 1), op(O::store, 2, 3, text, 3)});
  for (int i = 0; i < 8; i++) write(dir, "random" + std::to_string(i), random_bytes(rng, 1 + 9 * (30 + i * 15)));
}

// One dictionary line: name="\xHH..." (every byte escaped, so any byte is safe).
void print_entry(const std::string& name, const std::vector<std::uint8_t>& bytes) {
  std::printf("%s=\"", name.c_str());
  for (std::uint8_t b : bytes) std::printf("\\x%02x", b);
  std::printf("\"\n");
}

// The record bytes encode() gives one operation (what a mutation can splice in whole):
// each operation with zero arguments, and the zbud sizes on both sides of the limit.
void print_dictionary(Layer layer, int version) {
  const std::size_t header = version == kRaceFormatVersion ? 3 : 1;  // version[, threads, count]
  const std::size_t record = kOpRecordSize + (version == kRaceFormatVersion ? 1 : 0);  // [thread +] v1 record
  const auto record_of = [&](Op op) {
    Program p;
    p.layer = layer;
    p.version = static_cast<std::uint8_t>(version);
    p.threads = version == kRaceFormatVersion ? 2 : 0;
    op.thread = version == kRaceFormatVersion ? 1 : 0;
    p.ops = {op};
    const std::vector<std::uint8_t> bytes = encode(p);
    return std::vector<std::uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(header),
                                     bytes.begin() + static_cast<std::ptrdiff_t>(header + record));
  };
  print_entry("version", {static_cast<std::uint8_t>(version)});
  if (layer == Layer::zswap) print_entry("version_zstd", {static_cast<std::uint8_t>(version | kZstdBit)});
  for (OpCode code : layer_ops(layer, version)) print_entry(op_info(code).name, record_of(op(code)));
  if (layer == Layer::zbud)
    for (unsigned size : {unsigned{ZBUD_MAX_ALLOC}, unsigned{ZBUD_MAX_ALLOC} + 1, kNonNegativeSizes})
      print_entry("zbud_alloc_" + std::to_string(zbud_alloc_size(static_cast<std::uint16_t>(size))),
                  record_of(op(OpCode::zbud_alloc, size)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--dict") {
    const std::string target = argv[2];
    if (target == "zbud_diff") print_dictionary(Layer::zbud, kFormatVersion);
    else if (target == "zswap_diff") print_dictionary(Layer::zswap, kFormatVersion);
    else if (target == "zswap_race") print_dictionary(Layer::zswap, kRaceFormatVersion);
    else {
      std::fprintf(stderr, "error: no dictionary for '%s' (zbud_diff, zswap_diff, zswap_race have one)\n", target.c_str());
      return 2;
    }
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: corpus_gen CORPUS_DIR | corpus_gen --dict TARGET\n");
    return 2;
  }
  const fs::path root = argv[1];
  std::mt19937 rng(kSeed);
  zbud_seeds(root / "zbud_diff", rng);
  zswap_seeds(root / "zswap_diff", rng);
  for (int i = 0; i < 4; i++) write(root / "decoder_total", "random" + std::to_string(i), random_bytes(rng, 10 + 17 * i));
  for (int i = 0; i < 6; i++) write(root / "decompress_corrupt", "random" + std::to_string(i), random_bytes(rng, 64 + 40 * i));
  std::printf("wrote seed corpora under %s\n", root.c_str());
  return 0;
}
