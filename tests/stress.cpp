// The free-running stress lane (built under every preset, meant for TSan): real
// threads hammer one swap system with seeded random operations and random delays,
// with no scheduler, so TSan sees every unsynchronised access. Each thread owns the
// slots whose offset is its index modulo the thread count, and checks that a load
// of its own slot returns what it last stored there (or nothing after invalidate);
// reclaim, writeback, compaction and I/O completion run across all slots.
//
//   stress [--seconds S] [--threads N] [--seed X]     (env STRESS_SEED overrides --seed)
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "driver.h"
#include "pages.h"
#include "swap_system.h"

namespace {

constexpr unsigned kTypes = 2;
constexpr pgoff_t kSlots = 24;

struct Options {
  double seconds = 3;
  unsigned threads = 4;
  std::uint64_t seed = 1;
};

std::atomic<bool> g_failed{false};

void fail(std::uint64_t seed, unsigned thread, const std::string& what) {
  if (g_failed.exchange(true)) return;
  std::fprintf(stderr, "[divergence] stress thread %u: %s\nreplay: stress --seed %llu (interleavings vary run to run)\n",
               thread, what.c_str(), static_cast<unsigned long long>(seed));
}

void worker(SwapSystem* sys, const Options& o, unsigned id, std::chrono::steady_clock::time_point end) {
  std::mt19937_64 rng(o.seed * 1000003 + id);
  // What this thread last stored in each of its own slots (empty: nothing).
  std::vector<std::vector<std::uint8_t>> mine(kTypes * kSlots);
  std::vector<unsigned char> out(PAGE_SIZE);
  while (std::chrono::steady_clock::now() < end && !g_failed) {
    const unsigned type = rng() % kTypes;
    const pgoff_t offset = (rng() % (kSlots / o.threads)) * o.threads + id;  // one of mine
    auto& expected = mine[type * kSlots + offset];
    switch (rng() % 10) {
      case 0: case 1: case 2: {
        expected = make_page(static_cast<PageKind>(rng() % kPageKindCount), static_cast<std::uint32_t>(rng()));
        swap_store(&sys->swap, type, offset, expected.data());
        break;
      }
      case 3: case 4: case 5: {
        load_source src;
        const int ret = swap_load(&sys->swap, type, offset, out.data(), &src);
        if (expected.empty() && ret != -ENOENT)
          fail(o.seed, id, "load of an empty slot returned " + std::to_string(ret));
        else if (!expected.empty() && (ret != 0 || std::memcmp(out.data(), expected.data(), PAGE_SIZE) != 0))
          fail(o.seed, id, "load of type " + std::to_string(type) + " offset " + std::to_string(offset) +
                               " returned " + std::to_string(ret) + (ret == 0 ? " with the wrong bytes" : ""));
        break;
      }
      case 6:
        swap_invalidate(&sys->swap, type, offset);
        expected.clear();
        break;
      case 7:
        zswap_shrink(&sys->zs, 1 + rng() % 3);
        break;
      case 8:
        swap_complete_io(&sys->swap, 1 + rng() % 4);
        break;
      case 9:
        swap_compact(&sys->swap, static_cast<unsigned>(rng() % kTypes), rng() % kSlots);
        break;
    }
    if (rng() % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 50));
    else if (rng() % 2 == 0) std::this_thread::yield();
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--seconds") o.seconds = std::atof(argv[i + 1]);
    else if (flag == "--threads") o.threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (flag == "--seed") o.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: stress [--seconds S] [--threads N] [--seed X]\n");
      return 2;
    }
  }
  if (const char* env = std::getenv("STRESS_SEED")) o.seed = std::strtoull(env, nullptr, 10);
  if (o.threads < 2 || kSlots % o.threads != 0) {
    std::fprintf(stderr, "error: --threads must be 2, 3, 4, 6, 8, 12 or 24\n");
    return 2;
  }
  swap_system_config config;
  config.zswap.totalram_pages = 20;  // pool limit 4 pages: stores reclaim and write back
  config.swap.slots_per_type = kSlots;
  config.swap.max_outstanding_writeback = 8;
  SwapSystem sys(config);
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < o.threads; t++) threads.emplace_back(worker, &sys, std::cref(o), t, end);
  for (std::thread& t : threads) t.join();
  swap_complete_io(&sys.swap, ~0u);
  if (!g_failed) {
    const std::string invariant = quiescent_invariants(sys);
    if (!invariant.empty()) fail(o.seed, 0, invariant);
  }
  const zswap_stats s = zswap_get_stats(&sys.zs);
  std::printf("stress: %u threads, %.1f s, seed %llu: %llu written back, %llu limit hits, %llu duplicates: %s\n",
              o.threads, o.seconds, static_cast<unsigned long long>(o.seed),
              static_cast<unsigned long long>(s.written_back_pages), static_cast<unsigned long long>(s.pool_limit_hit),
              static_cast<unsigned long long>(s.duplicate_entry), g_failed ? "FAILED" : "ok");
  return g_failed ? 1 : 0;
}
