// Store and load of 4 KiB pages through impl's swap system, through ref, and through
// the compressor alone (the lower bound), with lz4 and zstd, on a real page mix.
//
// Each iteration stores (or loads) one page of the mix, at its own offset of type 0,
// cycling through the mix. Storing an offset again is a duplicate store, which frees
// the old entry first: the steady state of a swap system under pressure. Pages zswap
// rejects (random ones compress too poorly, -ENOSPC) go to the swap device, as in
// the kernel, and are loaded from there.
#include <benchmark/benchmark.h>

#include <cerrno>
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
  for (std::size_t i = 0; i < n; i++) {
    const int stored = sys.store(i, mix->pages[i]);
    if ((stored != 0 && stored != -ENOSPC) || sys.load(i, out) != 0 || out != mix->pages[i]) {
      state.SkipWithError("setup: a page does not round-trip");
      return;
    }
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
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
