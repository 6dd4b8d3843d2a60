// Store and load of 4 KiB pages through impl's swap system, through ref, and through
// the compressor alone (the lower bound), with lz4 and zstd, on a real page mix.
//
// Each iteration stores (or loads) one page of the mix, at its own offset of type 0,
// cycling through the mix. Storing an offset again is a duplicate store, which frees
// the old entry first: the steady state of a swap system under pressure. Pages zswap
// rejects (random ones compress too poorly, -ENOSPC) go to the swap device, as in
// the kernel, and are loaded from there.
//
// BM_paired_* measure impl against the compressor alone in one process (see there):
// ci/bench.sh takes the impl / raw ratios from them.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "compress.h"
#include "page_mix.h"
#include "swap_system.h"
#include "zswap_ref.h"

namespace {

constexpr std::size_t kMixPages = 512;
constexpr std::uint64_t kTotalRam = 1 << 20;  // pool limit of 20% of 4 GiB: never reached

swap_system_config impl_config(Compressor c, std::size_t slots) {
  swap_system_config config;
  config.zswap.compressor = c;
  config.zswap.totalram_pages = kTotalRam;
  config.swap.slots_per_type = slots;
  return config;
}

class Impl {
 public:
  Impl(Compressor c, std::size_t slots) : sys_(impl_config(c, slots)) {}
  int store(std::size_t offset, const BenchPage& page) {
    return swap_store(&sys_.swap, 0, offset, page.data());
  }
  int load(std::size_t offset, BenchPage& out) {
    load_source source;
    return swap_load(&sys_.swap, 0, offset, out.data(), &source);
  }

 private:
  SwapSystem sys_;
};

class Ref {
 public:
  Ref(Compressor c, std::size_t slots)
      : ref_({.zstd = c == Compressor::zstd, .totalram_pages = kTotalRam, .slots_per_type = slots}) {}
  int store(std::size_t offset, const BenchPage& page) { return ref_.store(0, offset, page); }
  int load(std::size_t offset, BenchPage& out) {
    ref::Source source;
    return ref_.load(0, offset, &out, &source);
  }

 private:
  ref::SwapRef ref_;
};

// The compressor alone: each offset has its own kCompressBufferSize buffer, which
// loads then decompress from.
class Raw {
 public:
  Raw(Compressor c, std::size_t slots)
      : c_(c), buffers_(slots, std::vector<unsigned char>(kCompressBufferSize)), lengths_(slots) {}
  int store(std::size_t offset, const BenchPage& page) {
    lengths_[offset] = compress_page(c_, page.data(), page.size(), buffers_[offset].data());
    return lengths_[offset] ? 0 : -EINVAL;
  }
  int load(std::size_t offset, BenchPage& out) {
    return decompress_page(c_, buffers_[offset].data(), lengths_[offset], out.data(), out.size())
               ? 0
               : -EIO;
  }

 private:
  Compressor c_;
  std::vector<std::vector<unsigned char>> buffers_;
  std::vector<std::size_t> lengths_;
};

void set_throughput(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * 4096);
}

// Stores the mix, page i at offset i; false when a store fails (-ENOSPC is a rejected
// page going to the device, not a failure).
template <class System>
bool store_mix(System& sys, const PageMix& mix) {
  for (std::size_t i = 0; i < mix.pages.size(); i++)
    if (const int ret = sys.store(i, mix.pages[i]); ret != 0 && ret != -ENOSPC) return false;
  return true;
}

// Whether every page of the stored mix loads back as the bytes stored: a load
// benchmark that timed wrong bytes would measure what it does not claim to.
template <class System>
bool mix_round_trips(System& sys, const PageMix& mix, BenchPage& out) {
  for (std::size_t i = 0; i < mix.pages.size(); i++)
    if (sys.load(i, out) != 0 || out != mix.pages[i]) return false;
  return true;
}

template <class System>
void BM_store(benchmark::State& state, Compressor c, const PageMix* mix) {
  const std::size_t n = mix->pages.size();
  System sys(c, n);
  std::size_t i = 0;
  for (auto _ : state) {
    // -ENOSPC is a rejected page going to the device; anything else (the pool limit,
    // say) would mean the benchmark is not measuring what it claims to.
    if (int ret = sys.store(i, mix->pages[i]); ret != 0 && ret != -ENOSPC) {
      state.SkipWithError(("store failed: " + std::to_string(ret)).c_str());
      break;
    }
    if (++i == n) i = 0;
  }
  set_throughput(state);
}

template <class System>
void BM_load(benchmark::State& state, Compressor c, const PageMix* mix) {
  const std::size_t n = mix->pages.size();
  System sys(c, n);
  BenchPage out(4096);
  if (!store_mix(sys, *mix) || !mix_round_trips(sys, *mix, out)) {
    state.SkipWithError("setup: a page does not round-trip");
    return;
  }
  std::size_t i = 0;
  for (auto _ : state) {
    if (sys.load(i, out) != 0) {
      state.SkipWithError("load failed");
      break;
    }
    if (++i == n) i = 0;
  }
  set_throughput(state);
}

double thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The median of values (reordered).
double median(std::vector<double>& values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// impl against the compressor alone, pass by pass: each iteration stores (or loads)
// the whole mix through one side and then the other, the first side alternating, and
// the counter raw_over_impl is the geometric mean of two medians of the passes' CPU
// time ratios (> 1: impl is faster): that of the pairs where raw went first and that
// of the pairs where impl did. Going second changes a side's time (it meets the caches
// as the other side left them), so each order's ratios cluster apart, shifted in
// opposite directions: one median over both lands wherever the two clusters' spreads
// put it, while the geometric mean of the two medians cancels an order effect that
// scales either side by the same factor.
// A shared machine's load drifts over seconds; a pair takes milliseconds, so both of
// its sides meet the same load, which two separate benchmarks do not (their ratio
// swung from 0.81 to 0.94 between runs of the same code).
template <bool kLoad>
void BM_paired(benchmark::State& state, Compressor c, const PageMix* mix) {
  const std::size_t n = mix->pages.size();
  Raw raw(c, n);
  Impl impl(c, n);
  BenchPage out(4096);
  const auto load_all = [&](auto& side) {
    for (std::size_t i = 0; i < n; i++)
      if (side.load(i, out) != 0) return false;
    return true;
  };
  const auto pass = [&](auto& side) { return kLoad ? load_all(side) : store_mix(side, *mix); };
  if (!store_mix(raw, *mix) || !store_mix(impl, *mix)) {  // what loads read; for stores, a warm-up
    state.SkipWithError("setup: a store failed");
    return;
  }
  if (kLoad && (!mix_round_trips(raw, *mix, out) || !mix_round_trips(impl, *mix, out))) {
    state.SkipWithError("setup: a page does not round-trip");
    return;
  }
  std::vector<double> ratios[2];  // of the pairs where raw went first, and impl
  bool raw_first = true;
  for (auto _ : state) {
    double raw_ns = 0, impl_ns = 0;
    for (const bool raw_turn : {raw_first, !raw_first}) {
      const double start = thread_cpu_ns();
      const bool ok = raw_turn ? pass(raw) : pass(impl);
      (raw_turn ? raw_ns : impl_ns) = thread_cpu_ns() - start;
      if (!ok) {
        state.SkipWithError(kLoad ? "a load failed" : "a store failed");
        return;
      }
    }
    ratios[raw_first ? 0 : 1].push_back(raw_ns / impl_ns);
    raw_first = !raw_first;
  }
  // A run of one iteration (the library's first, which only sizes the next) has pairs
  // of one order.
  const double raw_first_median = median(ratios[0]);
  state.counters["raw_over_impl"] =
      ratios[1].empty() ? raw_first_median : std::sqrt(raw_first_median * median(ratios[1]));
  state.SetItemsProcessed(state.iterations() * 2 * n);
}

template <class System>
void register_system(const char* name, const PageMix* mix) {
  for (Compressor c : {Compressor::lz4, Compressor::zstd}) {
    const std::string suffix = std::string("/") + name + "/" + compressor_name(c);
    benchmark::RegisterBenchmark(("BM_store" + suffix).c_str(), BM_store<System>, c, mix);
    benchmark::RegisterBenchmark(("BM_load" + suffix).c_str(), BM_load<System>, c, mix);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  static const PageMix mix = make_page_mix(kMixPages);
  benchmark::AddCustomContext("page_mix", mix.describe());
  register_system<Raw>("raw", &mix);
  register_system<Impl>("impl", &mix);
  register_system<Ref>("ref", &mix);
  for (Compressor c : {Compressor::lz4, Compressor::zstd}) {
    const std::string suffix = std::string("/impl_vs_raw/") + compressor_name(c);
    benchmark::RegisterBenchmark(("BM_paired_store" + suffix).c_str(), BM_paired<false>, c, &mix);
    benchmark::RegisterBenchmark(("BM_paired_load" + suffix).c_str(), BM_paired<true>, c, &mix);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
