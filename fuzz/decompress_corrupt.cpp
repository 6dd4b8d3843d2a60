// decompress_corrupt: stored pages whose compressed bytes are then overwritten in the
// pool. Oracle: a load returns 0 or -EIO, never crashes; pages never corrupted load
// back intact; writeback of a corrupt entry fails cleanly (ASan/UBSan watch it all).
#include <fuzzer/FuzzedDataProvider.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "pages.h"
#include "swap_system.h"
#include "watchdog.h"

namespace {

// A load that breaks the oracle is a finding about impl (a mutant, or a real bug).
void expect(bool ok, const char* what, pgoff_t offset, int ret) {
  if (ok) return;
  std::fprintf(stderr, "[divergence] load(offset=%lu) returned %d: %s\n", static_cast<unsigned long>(offset), ret, what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const watchdog::Guard guard("decompress_corrupt input");
  swap_system_config config;
  config.zswap.compressor = fdp.ConsumeBool() ? Compressor::zstd : Compressor::lz4;
  config.swap.slots_per_type = 16;
  SwapSystem sys(config);
  std::map<pgoff_t, std::vector<std::uint8_t>> intact;  // offset -> page, never corrupted
  std::map<pgoff_t, bool> corrupted;
  for (int step = 0; step < 64 && fdp.remaining_bytes() > 0; step++) {
    const pgoff_t off = fdp.ConsumeIntegralInRange<pgoff_t>(0, 15);
    switch (fdp.ConsumeIntegralInRange(0, 3)) {
      case 0: {
        const auto kind = static_cast<PageKind>(fdp.ConsumeIntegralInRange<unsigned>(0, kPageKindCount - 1));
        const auto page = make_page(kind, fdp.ConsumeIntegral<std::uint16_t>());
        swap_store(&sys.swap, 0, off, page.data());
        intact[off] = page;
        corrupted.erase(off);
        break;
      }
      case 1: {
        const unsigned pos = fdp.ConsumeIntegralInRange(0u, 4096u);
        const unsigned len = fdp.ConsumeIntegralInRange(1u, 64u);
        if (zswap_corrupt_entry(&sys.zs, 0, off, pos, len, fdp.ConsumeIntegral<std::uint8_t>())) {
          intact.erase(off);
          corrupted[off] = true;
        }
        break;
      }
      case 2: {
        std::vector<std::uint8_t> out(PAGE_SIZE);
        load_source src;
        const int ret = swap_load(&sys.swap, 0, off, out.data(), &src);
        expect(ret == 0 || ret == -EIO || ret == -ENOENT, "not 0, -EIO or -ENOENT", off, ret);
        if (ret == -EIO) expect(corrupted.count(off), "-EIO for a page never corrupted", off, ret);
        if (auto it = intact.find(off); it != intact.end())
          expect(ret == 0 && out == it->second, "a page never corrupted did not load back intact", off, ret);
        break;
      }
      case 3:
        zswap_shrink(&sys.zs, fdp.ConsumeIntegralInRange(1u, 4u));
        swap_complete_io(&sys.swap, 8);
        break;
    }
  }
  return 0;
}
