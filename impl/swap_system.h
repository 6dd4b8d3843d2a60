// A whole swap system: the page allocator, zswap and the swap layer, wired together,
// with every swap type swapped on. What tests, fuzzers and benchmarks instantiate.
#pragma once

#include "page_alloc.h"
#include "swap.h"
#include "zswap.h"

struct swap_system_config {
  zswap_config zswap;
  swap_layer_config swap;
};

class SwapSystem {
 public:
  explicit SwapSystem(const swap_system_config& config = {}) {
    zswap_init(&zs, config.zswap, &pages, &swap);
    swap_layer_init(&swap, config.swap, &pages, &zs);
    for (unsigned type = 0; type < MAX_SWAPFILES; type++) swapon(&swap, type);
  }
  ~SwapSystem() {
    swap_layer_exit(&swap);
    zswap_exit(&zs);
  }
  SwapSystem(const SwapSystem&) = delete;
  SwapSystem& operator=(const SwapSystem&) = delete;

  PageAllocator pages;
  zswap zs;
  swap_layer swap;
};
