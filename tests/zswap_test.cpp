// zswap and the swap layer: error returns, writeback end to end, duplicate stores,
// swapoff, corrupt data.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "driver.h"
#include "pages.h"
#include "swap_system.h"
#include "zbud.h"

namespace {

using Page = std::vector<std::uint8_t>;

swap_system_config small_config() {
  swap_system_config c;
  c.zswap.totalram_pages = 100;
  c.zswap.max_pool_percent = 10;  // pool limit: 10 pages
  c.swap.slots_per_type = 64;
  return c;
}

struct ZswapFixture : ::testing::Test {
  explicit ZswapFixture(const swap_system_config& c = small_config()) : sys(c) {}

  int store(unsigned type, pgoff_t off, const Page& p) { return swap_store(&sys.swap, type, off, p.data()); }
  int load(unsigned type, pgoff_t off, Page* out, load_source* src) {
    out->assign(PAGE_SIZE, 0xee);
    return swap_load(&sys.swap, type, off, out->data(), src);
  }
  zswap_stats zstats() { return zswap_get_stats(&sys.zs); }
  swap_stats sstats() { return swap_get_stats(&sys.swap); }

  SwapSystem sys;
};

TEST_F(ZswapFixture, StoreLoadRoundTripsEveryKind) {
  for (unsigned k = 0; k < kPageKindCount; k++) {
    const Page p = make_page(static_cast<PageKind>(k), k + 1);
    const int ret = store(0, k, p);
    Page out;
    load_source src;
    ASSERT_EQ(load(0, k, &out, &src), 0) << page_kind_name(static_cast<PageKind>(k));
    EXPECT_EQ(out, p);
    // Random and nearly-full pages do not compress below zbud's limit: the device
    // has them.
    const auto kind = static_cast<PageKind>(k);
    if (kind == PageKind::random || kind == PageKind::nearly_full) {
      EXPECT_EQ(ret, -ENOSPC);
      EXPECT_EQ(src, load_source::device);
    } else {
      EXPECT_EQ(ret, 0);
      EXPECT_EQ(src, load_source::zswap);
    }
  }
  EXPECT_EQ(zstats().reject_compress_poor, 2u);
  EXPECT_EQ(zstats().stored_pages, kPageKindCount - 2);
}

TEST_F(ZswapFixture, ErrorReturns) {
  const Page p = make_page(PageKind::text, 7);
  Page out;
  load_source src;
  EXPECT_EQ(store(0, 64, p), -EINVAL) << "offset beyond the device";
  EXPECT_EQ(load(0, 64, &out, &src), -EINVAL);
  EXPECT_EQ(swap_invalidate(&sys.swap, 0, 64), -EINVAL);
  EXPECT_EQ(load(0, 3, &out, &src), -ENOENT) << "never written";
  EXPECT_EQ(swapon(&sys.swap, 0), -EBUSY);
  EXPECT_EQ(swapon(&sys.swap, MAX_SWAPFILES), -EINVAL);
  ASSERT_EQ(swapoff(&sys.swap, 2), 0);
  EXPECT_EQ(swapoff(&sys.swap, 2), -EINVAL);
  EXPECT_EQ(store(2, 0, p), -ENODEV);
  EXPECT_EQ(load(2, 0, &out, &src), -ENODEV);
  EXPECT_EQ(swap_invalidate(&sys.swap, 2, 0), -ENODEV);

  sys.pages.fail_next_slab(1);
  EXPECT_EQ(store(0, 1, p), -ENOMEM);
  EXPECT_EQ(zstats().reject_kmemcache_fail, 1u);
  sys.pages.fail_next_pages(1);
  EXPECT_EQ(store(0, 1, p), -ENOMEM);
  EXPECT_EQ(zstats().reject_alloc_fail, 1u);
  // Rejected stores still reach the device.
  ASSERT_EQ(load(0, 1, &out, &src), 0);
  EXPECT_EQ(src, load_source::device);
  EXPECT_EQ(out, p);
}

// 3.13 compares the limit with zswap_pool_pages, the pools' total as of the last
// successful store or entry free, not the pools' size now.
TEST_F(ZswapFixture, PoolLimitComparesTheTotalOfTheLastStoreOrFree) {
  sys.zs.max_pool_percent = 0;  // any page is over the limit
  const Page p = make_page(PageKind::text, 1);
  ASSERT_EQ(store(0, 0, p), 0) << "no store has counted a page yet";
  EXPECT_EQ(zstats().pool_pages, 1u);
  // Reclaim writes offset 0 back and frees its page, but the entry was freed while its
  // page was still under reclaim: the total is one page high when rechecked.
  EXPECT_EQ(store(0, 1, p), -ENOMEM);
  EXPECT_EQ(zstats().pool_limit_hit, 1u);
  EXPECT_EQ(zstats().written_back_pages, 1u);
  EXPECT_EQ(zstats().reject_reclaim_fail, 0u);
  EXPECT_EQ(zswap_total_pool_pages(&sys.zs), 0u);
  EXPECT_EQ(zstats().pool_pages, 1u);
  // Nothing left to reclaim, and no store or free corrects the total: every store fails.
  EXPECT_EQ(store(0, 2, p), -ENOMEM);
  EXPECT_EQ(zstats().reject_reclaim_fail, 1u);
  // A store under a higher limit assigns the total over every type's pool.
  sys.zs.max_pool_percent = 100;
  ASSERT_EQ(store(1, 0, p), 0);
  EXPECT_EQ(zstats().pool_pages, 1u);
  sys.zs.max_pool_percent = 0;
  EXPECT_EQ(store(0, 3, p), -ENOMEM) << "type 1's page is over the limit";
  EXPECT_EQ(zstats().reject_reclaim_fail, 2u) << "type 0's pool has nothing to reclaim";
  // Freeing type 1's entry brings the total, and the pools, to 0.
  ASSERT_EQ(swap_invalidate(&sys.swap, 1, 0), 0);
  EXPECT_EQ(zstats().pool_pages, 0u);
  EXPECT_EQ(store(0, 4, p), 0);
  Page out;
  load_source src;
  ASSERT_EQ(load(0, 3, &out, &src), 0);
  EXPECT_EQ(src, load_source::device);
}

TEST_F(ZswapFixture, WritebackEndToEnd) {
  std::vector<Page> pages;
  pgoff_t off = 0;
  while (zstats().pool_limit_hit == 0) {
    ASSERT_LT(off, 60u) << "never reached the pool limit";
    pages.push_back(make_page(PageKind::text, static_cast<std::uint32_t>(off)));
    // The store that meets the limit reclaims a page, and is then rejected: the total
    // it rechecks still counts the page reclaim freed.
    const int ret = store(0, off, pages.back());
    ASSERT_EQ(ret, zstats().pool_limit_hit ? -ENOMEM : 0);
    off++;
  }
  // Two text pages share a zbud page; the LRU tail held offsets 0 and 1.
  EXPECT_EQ(zstats().written_back_pages, 2u);
  EXPECT_EQ(sstats().outstanding_writeback_pages, 2u);
  EXPECT_EQ(zswap_total_pool_pages(&sys.zs), 10u) << "at the limit again";
  EXPECT_EQ(zstats().pool_pages, 11u) << "the total as the last entry freed saw it";
  Page out;
  load_source src;
  ASSERT_EQ(load(0, 0, &out, &src), 0);
  EXPECT_EQ(src, load_source::swap_cache) << "written back, write still in flight";
  EXPECT_EQ(out, pages[0]);
  EXPECT_EQ(swap_complete_io(&sys.swap, 8), 2u);
  EXPECT_EQ(sstats().writeback_completed, 2u);
  for (pgoff_t o : {0, 1}) {
    ASSERT_EQ(load(0, o, &out, &src), 0);
    EXPECT_EQ(src, load_source::device) << "offset " << o;
    EXPECT_EQ(out, pages[o]);
  }
  ASSERT_EQ(load(0, 2, &out, &src), 0);
  EXPECT_EQ(src, load_source::zswap);
  EXPECT_EQ(out, pages[2]);
}

TEST_F(ZswapFixture, DuplicateStoreReplacesTheEntry) {
  const Page a = make_page(PageKind::text, 1), b = make_page(PageKind::pattern, 2);
  ASSERT_EQ(store(1, 5, a), 0);
  ASSERT_EQ(store(1, 5, b), 0);
  EXPECT_EQ(zstats().duplicate_entry, 1u);
  EXPECT_EQ(zstats().stored_pages, 1u);
  Page out;
  load_source src;
  ASSERT_EQ(load(1, 5, &out, &src), 0);
  EXPECT_EQ(out, b);
}

TEST_F(ZswapFixture, FailedDuplicateStoreInvalidatesTheOldEntry) {
  const Page a = make_page(PageKind::text, 1), r = make_page(PageKind::random, 2);
  ASSERT_EQ(store(1, 5, a), 0);
  EXPECT_EQ(store(1, 5, r), -ENOSPC);
  EXPECT_EQ(zstats().stored_pages, 0u);
  Page out;
  load_source src;
  ASSERT_EQ(load(1, 5, &out, &src), 0);
  EXPECT_EQ(src, load_source::device);
  EXPECT_EQ(out, r);
}

TEST_F(ZswapFixture, InvalidateAreaFreesEverything) {
  for (pgoff_t off = 0; off < 40; off++)
    store(3, off, make_page(static_cast<PageKind>(off % kPageKindCount), static_cast<std::uint32_t>(off)));
  EXPECT_GT(sstats().outstanding_writeback_pages, 0u);
  EXPECT_GT(sys.pages.pages_in_use(), 0);
  ASSERT_EQ(swapoff(&sys.swap, 3), 0);
  EXPECT_EQ(sys.pages.pages_in_use(), 0) << "pool pages and swap cache pages all freed";
  EXPECT_EQ(zstats().stored_pages, 0u);
  EXPECT_EQ(sstats().outstanding_writeback_pages, 0u);
  EXPECT_EQ(sstats().swap_cache_pages, 0u);
  EXPECT_EQ(sstats().device_pages, 0u);
  EXPECT_EQ(sys.zs.live_trees.load(), static_cast<int>(MAX_SWAPFILES) - 1);
  // Swap it on again: a fresh, empty type.
  ASSERT_EQ(swapon(&sys.swap, 3), 0);
  Page out;
  load_source src;
  EXPECT_EQ(load(3, 0, &out, &src), -ENOENT);
}

TEST_F(ZswapFixture, InvalidatePageDropsEveryCopy) {
  const Page a = make_page(PageKind::text, 4);
  ASSERT_EQ(store(0, 9, a), 0);
  ASSERT_EQ(swap_invalidate(&sys.swap, 0, 9), 0);
  Page out;
  load_source src;
  EXPECT_EQ(load(0, 9, &out, &src), -ENOENT);
  EXPECT_EQ(zstats().stored_pages, 0u);
  EXPECT_EQ(zstats().pool_pages, 0u);
}

TEST_F(ZswapFixture, CorruptCompressedPageLoadsAsEio) {
  const Page a = make_page(PageKind::text, 4);
  ASSERT_EQ(store(0, 9, a), 0);
  ASSERT_GT(zswap_corrupt_entry(&sys.zs, 0, 9, 0, PAGE_SIZE, 0xff), 0u);
  Page out;
  load_source src;
  EXPECT_EQ(load(0, 9, &out, &src), -EIO);
  EXPECT_EQ(zswap_corrupt_entry(&sys.zs, 0, 10, 0, 1, 0), 0u) << "no entry there";
  // Writeback of the corrupt entry fails too, and the entry stays in zswap.
  EXPECT_EQ(zswap_shrink(&sys.zs, 1), 0u);
  EXPECT_EQ(zswap_get_stats(&sys.zs).stored_pages, 1u);
}

TEST_F(ZswapFixture, ShrinkWritesBackUpToTheOutstandingBound) {
  for (pgoff_t off = 0; off < 8; off++) ASSERT_EQ(store(0, off, make_page(PageKind::text, off)), 0);
  for (pgoff_t off = 0; off < 4; off++) ASSERT_EQ(store(1, off, make_page(PageKind::text, off)), 0);
  EXPECT_EQ(zbud_get_pool_size(zswap_pool_of(&sys.zs, 0)), 4u);
  EXPECT_EQ(zswap_shrink(&sys.zs, 3), 3u);
  EXPECT_EQ(zstats().written_back_pages, 6u);
  // Largest pool first: type 0 (4, then 3 pages), then the 2-2 tie goes to type 0.
  EXPECT_EQ(zbud_get_pool_size(zswap_pool_of(&sys.zs, 0)), 1u);
  EXPECT_EQ(zbud_get_pool_size(zswap_pool_of(&sys.zs, 1)), 2u);
}

TEST(ZswapOutstanding, ShrinkStopsAtTheOutstandingBound) {
  swap_system_config c = small_config();
  c.swap.max_outstanding_writeback = 4;
  SwapSystem sys(c);
  for (pgoff_t off = 0; off < 12; off++) {
    const Page p = make_page(PageKind::text, static_cast<std::uint32_t>(off));
    ASSERT_EQ(swap_store(&sys.swap, 0, off, p.data()), 0);
  }
  EXPECT_EQ(zswap_shrink(&sys.zs, 100), 2u) << "2 pages = 4 writes outstanding";
  EXPECT_EQ(swap_get_stats(&sys.swap).outstanding_writeback_pages, 4u);
  EXPECT_EQ(swap_complete_io(&sys.swap, 1), 1u);
  EXPECT_EQ(zswap_shrink(&sys.zs, 100), 1u) << "room for one more page (2 writes)";
}


// The quiescent invariants hold counters to what they count: each one, put out of
// step, is reported.
TEST_F(ZswapFixture, QuiescentInvariantsCheckEachCounterAgainstWhatItCounts) {
  ASSERT_EQ(store(0, 1, make_page(PageKind::text, 1)), 0);
  EXPECT_EQ(quiescent_invariants(sys), "");
  sys.zs.stored_pages++;
  EXPECT_EQ(quiescent_invariants(sys), "[invariant] stored_pages is 2 but the trees hold 1 entries");
  sys.zs.stored_pages--;
  sys.swap.outstanding_writeback_pages++;
  EXPECT_EQ(quiescent_invariants(sys), "[invariant] 1 writes in flight but 0 in the I/O queue");
  sys.swap.outstanding_writeback_pages--;
  sys.swap.swap_cache_pages++;
  EXPECT_EQ(quiescent_invariants(sys), "[invariant] swap_cache_pages is 1 but 0 slots have a cached page");
  sys.swap.swap_cache_pages--;
  EXPECT_EQ(quiescent_invariants(sys), "");
}

}  // namespace
