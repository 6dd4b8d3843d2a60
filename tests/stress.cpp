// The free-running stress lane (built under every preset, meant for TSan): real
// threads hammer one swap system with seeded random operations and random delays,
// with no scheduler, so TSan sees every unsynchronised access. Reclaim, writeback,
// compaction and I/O completion run across all slots; one more thread swaps the
// cycled type off and on again and again, which frees every slot of that type.
//
// The oracle. Each worker owns the slots whose offset is its index modulo the thread
// count, and checks each load of its own slots against what it last wrote there (a
// store's bytes, or nothing after an invalidate or a store the type refused):
//   - no swapoff began since that write began: the load returns exactly that;
//   - a whole swapoff ran after that write ended: -ENOENT, or -ENODEV (off again);
//   - otherwise (a swapoff overlapped): -ENOENT, -ENODEV or exactly that write's bytes.
// The cycler bumps its type's epoch before swapoff and after swapon (odd: a cycle is
// under way), which is how a worker tells these cases apart. At the end, with every
// write completed, the quiescent invariants hold.
//
//   stress [--seconds S] [--threads N] [--seed X] [--compressor lz4|zstd]
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
#include "mutants.h"
#include "pages.h"
#include "swap_system.h"

namespace {

constexpr unsigned kTypes = 3;
constexpr unsigned kCycledType = 2;  // swapped off and on by the cycler; 0 and 1 stay on
constexpr pgoff_t kSlots = 24;

struct Options {
  double seconds = 3;
  unsigned threads = 4;
  std::uint64_t seed = 1;
  Compressor compressor = Compressor::lz4;
};

std::atomic<std::uint64_t> g_epoch[kTypes];  // swapoff/swapon cycles begun + ended, per type
std::atomic<bool> g_failed{false};
std::string g_replay;  // the command that replays this run (same seed; interleavings vary)

void fail(const std::string& finding) {
  if (g_failed.exchange(true)) return;
  std::fprintf(stderr, "%s\nreplay: %s (interleavings vary run to run)\n", finding.c_str(), g_replay.c_str());
}

// A worker's last write to one of its slots, between two reads of the type's epoch.
struct LastWrite {
  std::vector<std::uint8_t> bytes;  // empty: nothing stored
  std::uint64_t epoch_before = 0, epoch_after = 0;
};

// "" if a load that returned ret and out, between epochs before and after, is one the
// oracle (top comment) allows after the slot's last write w; else what it got and what
// was expected.
std::string unexpected_load(const LastWrite& w, std::uint64_t before, std::uint64_t after, int ret,
                            const unsigned char* out) {
  const bool stored_bytes = ret == 0 && !w.bytes.empty() && std::memcmp(out, w.bytes.data(), PAGE_SIZE) == 0;
  const bool gone = ret == -ENOENT || ret == -ENODEV;
  const char* expected;
  if (w.epoch_before % 2 == 0 && w.epoch_before == after) {
    if (w.bytes.empty() ? ret == -ENOENT : stored_bytes) return "";
    expected = w.bytes.empty() ? "-ENOENT (nothing stored)" : "the bytes stored";
  } else if (before >= w.epoch_after + (w.epoch_after % 2 ? 3 : 2)) {
    if (gone) return "";
    expected = "-ENOENT or -ENODEV (swapped off since the last write)";
  } else {
    if (gone || stored_bytes) return "";
    expected = "-ENOENT, -ENODEV or the bytes stored (swapoff during the last write)";
  }
  const char* got = ret != 0 ? "" : stored_bytes ? " with the bytes stored" : " with other bytes";
  return "returned " + std::to_string(ret) + got + ", expected " + expected;
}

void worker(SwapSystem* sys, const Options& o, unsigned id, std::chrono::steady_clock::time_point end) {
  std::mt19937_64 rng(o.seed * 1000003 + id);
  std::vector<LastWrite> mine(kTypes * kSlots);  // by type and offset; only this thread's slots are used
  std::vector<unsigned char> out(PAGE_SIZE);
  while (std::chrono::steady_clock::now() < end && !g_failed) {
    const unsigned type = rng() % kTypes;
    const pgoff_t offset = (rng() % (kSlots / o.threads)) * o.threads + id;  // one of mine
    LastWrite& last = mine[type * kSlots + offset];
    switch (rng() % 10) {
      case 0: case 1: case 2: case 6: {  // store, or invalidate
        std::vector<std::uint8_t> page;
        if (rng() % 4) page = make_page(static_cast<PageKind>(rng() % kPageKindCount), static_cast<std::uint32_t>(rng()));
        last.epoch_before = g_epoch[type].load();
        const int ret = page.empty() ? swap_invalidate(&sys->swap, type, offset)
                                     : swap_store(&sys->swap, type, offset, page.data());
        last.epoch_after = g_epoch[type].load();
        last.bytes = ret == -ENODEV ? std::vector<std::uint8_t>() : std::move(page);
        break;
      }
      case 3: case 4: case 5: {
        load_source src;
        const std::uint64_t before = g_epoch[type].load();
        const int ret = swap_load(&sys->swap, type, offset, out.data(), &src);
        if (const std::string what = unexpected_load(last, before, g_epoch[type].load(), ret, out.data()); !what.empty())
          fail("[divergence] stress thread " + std::to_string(id) + ": load(type=" + std::to_string(type) +
               ", offset=" + std::to_string(offset) + "): " + what);
        break;
      }
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

// Swaps the cycled type off and on, with pauses, leaving it on. It does nothing else,
// so the epoch it publishes orders only swapoff and swapon, which the impl orders anyway.
void cycler(SwapSystem* sys, const Options& o, std::chrono::steady_clock::time_point end) {
  std::mt19937_64 rng(o.seed * 1000003 + o.threads);
  const auto expect_success = [](const char* call, int ret) {
    if (ret)
      fail("[divergence] stress cycler: " + std::string(call) + "(type=" + std::to_string(kCycledType) +
           "): returned " + std::to_string(ret) + ", expected 0");
  };
  while (std::chrono::steady_clock::now() < end && !g_failed) {
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 400));
    g_epoch[kCycledType]++;
    expect_success("swapoff", swapoff(&sys->swap, kCycledType));
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 100));
    expect_success("swapon", swapon(&sys->swap, kCycledType));
    g_epoch[kCycledType]++;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool usable = argc % 2 == 1;  // flag and value pairs
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--seconds") o.seconds = std::atof(argv[i + 1]);
    else if (flag == "--threads") o.threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (flag == "--seed") o.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--compressor" && parse_compressor(argv[i + 1])) o.compressor = *parse_compressor(argv[i + 1]);
    else usable = false;
  }
  if (!usable || o.threads < 2 || kSlots % o.threads != 0) {
    std::fprintf(stderr,
                 "usage: stress [--seconds S] [--threads N] [--seed X] [--compressor lz4|zstd]; N is 2, 3, 4, 6, 8, 12 "
                 "or 24\n");
    return 2;
  }
  const std::string mutant =
      mutants::active == Mutant::none ? "" : std::string("ZSWAP_MUTANT=") + mutants::name(mutants::active) + " ";
  char replay[200];
  std::snprintf(replay, sizeof replay, "%sstress --seconds %g --threads %u --seed %llu --compressor %s", mutant.c_str(),
                o.seconds, o.threads, static_cast<unsigned long long>(o.seed), compressor_name(o.compressor));
  g_replay = replay;
  // Printed first: a TSan report ends the run (halt_on_error) before anything after it.
  std::fprintf(stderr, "stress: %u threads and a swapoff/swapon cycler, %g s, seed %llu (replay: %s)\n", o.threads,
               o.seconds, static_cast<unsigned long long>(o.seed), replay);
  swap_system_config config;
  config.zswap.compressor = o.compressor;
  config.zswap.totalram_pages = 20;  // pool limit 4 pages: stores reclaim and write back
  config.swap.slots_per_type = kSlots;
  config.swap.max_outstanding_writeback = 8;
  SwapSystem sys(config);
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < o.threads; t++) threads.emplace_back(worker, &sys, std::cref(o), t, end);
  threads.emplace_back(cycler, &sys, std::cref(o), end);
  for (std::thread& t : threads) t.join();
  swap_complete_io(&sys.swap, ~0u);
  if (!g_failed)
    if (const std::string invariant = quiescent_invariants(sys); !invariant.empty()) fail(invariant);
  const zswap_stats s = zswap_get_stats(&sys.zs);
  std::printf("stress: %llu cycles, %llu written back, %llu limit hits, %llu duplicates: %s\n",
              static_cast<unsigned long long>(g_epoch[kCycledType] / 2),
              static_cast<unsigned long long>(s.written_back_pages), static_cast<unsigned long long>(s.pool_limit_hit),
              static_cast<unsigned long long>(s.duplicate_entry), g_failed ? "FAILED" : "ok");
  return g_failed ? 1 : 0;
}
