// zbud: layout, error returns, the reclaim protocol, map counts and migration.
#include "zbud.h"

#include <gtest/gtest.h>

#include <limits>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <vector>

namespace {

// A standalone pool whose evict callback is whatever the test says.
struct ZbudFixture : ::testing::Test {
  static int evict_thunk(zbud_pool* pool, unsigned long handle) {
    auto* self = static_cast<ZbudFixture*>(zbud_pool_owner(pool));
    self->evicted.push_back(handle);
    return self->evict(handle);
  }

  ZbudFixture() : pool(zbud_create_pool(&pages, &ops, this)) {}
  ~ZbudFixture() override { zbud_destroy_pool(pool); }

  unsigned long alloc_ok(std::size_t size) {
    unsigned long h = 0;
    EXPECT_EQ(zbud_alloc(pool, static_cast<int>(size), &h), 0) << "size " << size;
    return h;
  }
  static std::uintptr_t page_base(std::uintptr_t p) { return p & ~std::uintptr_t{PAGE_SIZE - 1}; }
  std::uintptr_t address(unsigned long h) {
    void* p = zbud_map(pool, h);
    zbud_unmap(pool, h);
    return reinterpret_cast<std::uintptr_t>(p);
  }

  PageAllocator pages;
  zbud_ops ops{evict_thunk};
  zbud_pool* pool;
  std::vector<unsigned long> evicted;
  std::function<int(unsigned long)> evict = [this](unsigned long h) {
    zbud_free(pool, h);
    return 0;
  };
};

TEST_F(ZbudFixture, FirstBuddyFollowsHeaderLastIsRightJustified) {
  const unsigned long first = alloc_ok(100);  // 2 chunks
  const unsigned long last = alloc_ok(200);   // 4 chunks, same page
  const std::uintptr_t a = address(first), b = address(last);
  EXPECT_EQ(page_base(a), page_base(b));
  EXPECT_EQ(a - page_base(a), ZHDR_SIZE_ALIGNED);
  EXPECT_EQ(b + 4 * CHUNK_SIZE, page_base(b) + PAGE_SIZE);
  EXPECT_EQ(zbud_get_pool_size(pool), 1u);
}

TEST_F(ZbudFixture, LargestAllocationIs62ChunksAndFits) {
  const unsigned long h = alloc_ok(ZBUD_MAX_ALLOC);
  EXPECT_EQ(ZBUD_MAX_ALLOC, 62 * CHUNK_SIZE);
  const unsigned long tail = alloc_ok(CHUNK_SIZE);  // the one chunk left
  EXPECT_EQ(page_base(address(h)), page_base(address(tail)));
  EXPECT_EQ(zbud_get_pool_size(pool), 1u);
}

TEST_F(ZbudFixture, ErrorReturns) {
  unsigned long h = 0;
  EXPECT_EQ(zbud_alloc(pool, 0, &h), -EINVAL);
  EXPECT_EQ(zbud_alloc(pool, -1, &h), -EINVAL);  // the kernel's int size
  EXPECT_EQ(zbud_alloc(pool, std::numeric_limits<int>::min(), &h), -EINVAL);
  EXPECT_EQ(zbud_alloc(pool, static_cast<int>(ZBUD_MAX_ALLOC) + 1, &h), -ENOSPC);
  pages.fail_next_pages(1);
  EXPECT_EQ(zbud_alloc(pool, 10, &h), -ENOMEM);
  EXPECT_EQ(zbud_get_pool_size(pool), 0u);
  EXPECT_EQ(zbud_reclaim_page(pool, 8), -EINVAL) << "empty LRU";
  h = alloc_ok(10);
  EXPECT_EQ(zbud_reclaim_page(pool, 0), -EINVAL) << "zero retries";
  zbud_pool* no_ops = zbud_create_pool(&pages, nullptr, nullptr);
  unsigned long h2 = 0;
  ASSERT_EQ(zbud_alloc(no_ops, 10, &h2), 0);
  EXPECT_EQ(zbud_reclaim_page(no_ops, 1), -EINVAL) << "no evict callback";
  zbud_free(no_ops, h2);
  zbud_destroy_pool(no_ops);
  void* p = zbud_map(pool, h);
  EXPECT_EQ(zbud_migrate_page(pool, h), -EBUSY) << "mapped buddy";
  zbud_unmap(pool, h);
  pages.fail_next_pages(1);
  EXPECT_EQ(zbud_migrate_page(pool, h), -ENOMEM);
  EXPECT_NE(p, nullptr);
  zbud_free(pool, h);
}

TEST_F(ZbudFixture, FirstFitPrefersFewestFreeChunksThenNewestPage) {
  const unsigned long a = alloc_ok(40 * CHUNK_SIZE);  // page A: 22 free
  const unsigned long fill_a = alloc_ok(22 * CHUNK_SIZE);
  const unsigned long b = alloc_ok(50 * CHUNK_SIZE);  // page B: 12 free
  zbud_free(pool, fill_a);                            // A back to 22 free
  const unsigned long c = alloc_ok(10 * CHUNK_SIZE);  // fits both: B has fewer free
  EXPECT_EQ(page_base(address(c)), page_base(address(b)));
  const unsigned long d = alloc_ok(10 * CHUNK_SIZE);
  EXPECT_EQ(page_base(address(d)), page_base(address(a)));
  EXPECT_EQ(zbud_get_pool_size(pool), 2u);
  for (unsigned long h : {a, b, c, d}) zbud_free(pool, h);
  EXPECT_EQ(zbud_get_pool_size(pool), 0u);
  EXPECT_EQ(pages.pages_in_use(), 0);
}

TEST_F(ZbudFixture, ReclaimTakesLruTailAndFreesThePage) {
  const unsigned long old1 = alloc_ok(2000), old2 = alloc_ok(1900);  // page 1
  const unsigned long young = alloc_ok(3000);                         // page 2
  ASSERT_EQ(zbud_get_pool_size(pool), 2u);
  EXPECT_EQ(zbud_reclaim_page(pool, 1), 0);
  EXPECT_EQ(evicted, (std::vector<unsigned long>{old1, old2})) << "first buddy, then last";
  EXPECT_EQ(zbud_get_pool_size(pool), 1u);
  zbud_free(pool, young);
}

TEST_F(ZbudFixture, FailingEvictRefilesAtLruHeadThenEagain) {
  const unsigned long a = alloc_ok(2000), a2 = alloc_ok(1900);  // page A (LRU tail)
  const unsigned long b = alloc_ok(3000);                        // page B
  evict = [](unsigned long) { return -EBUSY; };
  EXPECT_EQ(zbud_reclaim_page(pool, 3), -EAGAIN);
  // A failed first buddy skips the last; A went to the LRU head so B came next.
  EXPECT_EQ(evicted, (std::vector<unsigned long>{a, b, a}));
  EXPECT_EQ(zbud_get_pool_size(pool), 2u);
  // A and B still allocate/free normally after being re-filed.
  for (unsigned long h : {a, a2, b}) zbud_free(pool, h);
  EXPECT_EQ(zbud_get_pool_size(pool), 0u);
}

TEST_F(ZbudFixture, ReclaimKeepsPageWhenOneBuddySurvives) {
  const unsigned long a = alloc_ok(2000), b = alloc_ok(1900);
  evict = [this, a](unsigned long h) {
    if (h != a) return -EAGAIN;
    zbud_free(pool, h);
    return 0;
  };
  EXPECT_EQ(zbud_reclaim_page(pool, 1), -EAGAIN);
  EXPECT_EQ(zbud_get_pool_size(pool), 1u);
  // The freed first buddy's room is reusable.
  const unsigned long c = alloc_ok(1000);
  EXPECT_EQ(page_base(address(c)), page_base(address(b)));
  zbud_free(pool, b);
  zbud_free(pool, c);
}

TEST_F(ZbudFixture, FreeWhileMappedDefersReleaseToUnmap) {
  const unsigned long h = alloc_ok(500);
  auto* p = static_cast<unsigned char*>(zbud_map(pool, h));
  p[0] = 42;
  zbud_free(pool, h);
  EXPECT_EQ(zbud_live_handles(pool), 1u) << "still mapped";
  EXPECT_EQ(p[0], 42) << "bytes readable until unmap";
  EXPECT_EQ(zbud_unmap(pool, h), 1) << "unmap released it";
  EXPECT_EQ(zbud_live_handles(pool), 0u);
  EXPECT_EQ(zbud_map(pool, h), nullptr) << "released handle";
  EXPECT_EQ(zbud_get_pool_size(pool), 0u);
}

TEST_F(ZbudFixture, MigrationKeepsHandlesAndBytes) {
  const unsigned long a = alloc_ok(300), b = alloc_ok(700);
  auto fill = [this](unsigned long h, unsigned char v, std::size_t n) {
    auto* p = static_cast<unsigned char*>(zbud_map(pool, h));
    for (std::size_t i = 0; i < n; i++) p[i] = static_cast<unsigned char>(v + i);
    zbud_unmap(pool, h);
  };
  fill(a, 1, 300);
  fill(b, 9, 700);
  const std::uintptr_t before = page_base(address(a));
  ASSERT_EQ(zbud_migrate_page(pool, b), 0);
  EXPECT_NE(page_base(address(a)), before) << "page moved";
  EXPECT_EQ(page_base(address(a)), page_base(address(b)));
  for (auto [h, v, n] : {std::tuple{a, 1, 300}, std::tuple{b, 9, 700}}) {
    auto* p = static_cast<unsigned char*>(zbud_map(pool, h));
    for (int i = 0; i < n; i++) ASSERT_EQ(p[i], static_cast<unsigned char>(v + i));
    zbud_unmap(pool, h);
  }
  EXPECT_EQ(pages.pages_in_use(), 1);
  // The migrated page is still on its lists: reclaim and first fit find it.
  EXPECT_EQ(zbud_reclaim_page(pool, 1), 0);
  EXPECT_EQ(pages.pages_in_use(), 0);
}

#if ZSWAP_HARNESS_CHECKS  // the release build leaves out zbud's checks of its API's use
TEST_F(ZbudFixture, UnbalancedUnmapIsABug) {
  // Other tests in this binary may have started threads.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const unsigned long h = alloc_ok(10);
  EXPECT_DEATH(zbud_unmap(pool, h), "kernel BUG");
  zbud_free(pool, h);
  EXPECT_DEATH(zbud_free(pool, h), "kernel BUG");
}
#endif

}  // namespace
