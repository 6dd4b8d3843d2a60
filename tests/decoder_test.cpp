// The input format: version-1 bytes decode as they did before version 2 existed
// (golden decodings), version-2 programs round-trip, every byte string decodes.
#include <gtest/gtest.h>

#include <random>

#include "ops.h"

namespace {

std::vector<std::uint8_t> bytes(std::initializer_list<int> v) { return {v.begin(), v.end()}; }

TEST(Decoder, Version1GoldenDecodings) {
  // Written against the version-1 operation list; adding version-2 operations must
  // not change what these mean.
  const auto zswap = bytes({1, 0, 1, 0, 5, 0, 2, 0, 7, 0,    // opcode 0: store
                            1, 3, 0, 40, 0, 0, 0, 0, 0,      // opcode 1: load, offset 40 % 36
                            10, 0, 0, 0, 0, 0, 0, 0, 0,      // opcode 10 % 10 = 0: store
                            9, 2, 0});                       // opcode 9: fail_slab, short record
  const Program p = decode(zswap.data(), zswap.size(), Layer::zswap);
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(format_program(p),
            "  #0 store(type=1, offset=5, kind=text, seed=7)\n"
            "  #1 load(type=3, offset=4)\n"
            "  #2 store(type=0, offset=0, kind=zero, seed=0)\n"
            "  #3 fail_slab(n=2)\n");
  const auto zbud = bytes({1, 0, 128, 15, 3, 0, 0, 0, 0, 0, 13, 5, 0, 2, 0});
  EXPECT_EQ(format_program(decode(zbud.data(), zbud.size(), Layer::zbud)),
            "  #0 zbud_alloc(size=3968, fill=3)\n"
            "  #1 zbud_reclaim(retries=5, evict=free_first_only)\n");
}

TEST(Decoder, Version2RaceProgramsRoundTrip) {
  const auto race = bytes({2, 1, 3,                            // 3 threads, 3 records
                           1, 0, 1, 0, 1, 0, 2, 0, 7, 0,       // T1 store(type 1, offset 1)
                           2, 10, 0, 0, 3, 0, 0, 0, 0, 0,      // T2 compact (a version-2 op)
                           0, 1, 0, 0, 3, 0, 0, 0, 0, 0,       // prefix load
                           7, 9});                             // schedule: consumed 9, then 7
  const Program p = decode(race.data(), race.size(), Layer::zswap);
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.threads, 3);
  EXPECT_EQ(p.schedule, (std::vector<std::uint8_t>{9, 7}));
  EXPECT_EQ(format_program(p),
            "  version 2: 3 threads, 2 scheduling choices\n"
            "  #0 T1 store(type=1, offset=1, kind=text, seed=7)\n"
            "  #1 T2 compact(type=0, offset=3)\n"
            "  #2 prefix load(type=0, offset=3)\n");
  EXPECT_EQ(encode(p), race) << "canonical bytes re-encode to themselves";
  auto wide = race;
  wide[7] = 9;  // offset 9 is offset 1 in a race program (offsets mod 8)
  EXPECT_TRUE(decode(wide.data(), wide.size(), Layer::zswap) == p);
}

TEST(Decoder, ZbudSizesBeyondTheLimitsAreNegative) {
  const auto zbud = bytes({1, 0, 4, 16, 0, 0, 0, 0, 0, 0,   // size 4100
                           0, 7, 16, 0, 0, 0, 0, 0, 0});     // size 4103
  EXPECT_EQ(format_program(decode(zbud.data(), zbud.size(), Layer::zbud)),
            "  #0 zbud_alloc(size=-1, fill=0)\n"
            "  #1 zbud_alloc(size=-4, fill=0)\n");
}

TEST(Decoder, TheTopBitOfByte0ChoosesZstd) {
  const auto v1 = bytes({0x81, 0, 1, 0, 5, 0, 2, 0, 7, 0});
  const Program p = decode(v1.data(), v1.size(), Layer::zswap);
  EXPECT_EQ(p.version, 1);
  EXPECT_EQ(p.compressor, Compressor::zstd);
  EXPECT_EQ(format_program(p), "  compressor zstd\n  #0 store(type=1, offset=5, kind=text, seed=7)\n");
  EXPECT_EQ(encode(p), v1);
  const auto v2 = bytes({0x82, 0, 1, 1, 0, 1, 0, 1, 0, 2, 0, 7, 0});
  const Program race = decode(v2.data(), v2.size(), Layer::zswap);
  EXPECT_EQ(race.version, 2);
  EXPECT_EQ(race.compressor, Compressor::zstd);
  EXPECT_EQ(encode(race), v2);
  std::string error;
  const std::optional<Program> parsed = parse_race_program(format_program(race), &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->compressor, Compressor::zstd);
  EXPECT_FALSE(parse_race_program("compressor lzo\nT1 load(type=0, offset=0)", &error));
  EXPECT_EQ(error, "line 1: unknown compressor 'lzo' (lz4 or zstd)");
  EXPECT_EQ(decode(v1.data(), v1.size(), Layer::zbud).compressor, Compressor::lz4) << "zbud has no compressor";
  const auto lz4 = bytes({1, 0, 1, 0, 5, 0, 2, 0, 7, 0});
  EXPECT_EQ(decode(lz4.data(), lz4.size(), Layer::zswap).compressor, Compressor::lz4);
}

TEST(Decoder, AnyBytesDecodeAndRoundTrip) {
  std::mt19937 rng(7);  // seed printed by the test name's failure output below
  for (int i = 0; i < 2000; i++) {
    std::vector<std::uint8_t> b(rng() % 300);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    if (!b.empty() && i % 2) b[0] = 2;
    for (Layer layer : {Layer::zbud, Layer::zswap}) {
      const Program p = decode(b.data(), b.size(), layer);
      const std::vector<std::uint8_t> canonical = encode(p);
      ASSERT_TRUE(decode(canonical.data(), canonical.size(), layer) == p) << "seed 7, input " << i;
    }
  }
}

}  // namespace
