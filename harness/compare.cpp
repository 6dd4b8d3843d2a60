#include "compare.h"

std::string stats_mismatch(const ref::Stats& expected, const zswap_stats& zs, const swap_stats& sw) {
  std::string out;
  auto check = [&out](const char* name, std::uint64_t want, std::uint64_t got) {
    if (want == got) return;
    if (!out.empty()) out += "; ";
    out += std::string(name) + ": expected " + std::to_string(want) + " got " + std::to_string(got);
  };
#define CHECK_ZSWAP_STAT(name) check(#name, expected.name, zs.name);
  ZSWAP_STATS(CHECK_ZSWAP_STAT)
#undef CHECK_ZSWAP_STAT
#define CHECK_SWAP_STAT(name) check(#name, expected.name, sw.name);
  SWAP_STATS(CHECK_SWAP_STAT)
#undef CHECK_SWAP_STAT
  return out;
}

std::string format_stats(const zswap_stats& zs, const swap_stats& sw) {
  std::string out;
  auto add = [&out](const char* name, std::uint64_t v) {
    if (!out.empty()) out += ' ';
    out += std::string(name) + '=' + std::to_string(v);
  };
#define ADD_ZSWAP_STAT(name) add(#name, zs.name);
  ZSWAP_STATS(ADD_ZSWAP_STAT)
#undef ADD_ZSWAP_STAT
#define ADD_SWAP_STAT(name) add(#name, sw.name);
  SWAP_STATS(ADD_SWAP_STAT)
#undef ADD_SWAP_STAT
  return out;
}
