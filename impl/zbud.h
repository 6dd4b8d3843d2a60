// zbud: a special purpose allocator for storing compressed pages (port of mm/zbud.c,
// Linux 3.12, with the indirect handles and map counts of Krzysztof Kozlowski's
// "use indirect zbud handle and radix tree" patch, shared/seeds/000_*).
//
// See zbud.cpp for the design. All functions may be called concurrently. The BUGs
// below are the harness's checks (ZSWAP_HARNESS_CHECKS, bug.h): the release build,
// like the kernel, does not check.
#pragma once

#include <cstddef>
#include <cstdint>

#include "page_alloc.h"

// Layout, 3.12's 64-list form: a page is NCHUNKS chunks of CHUNK_SIZE bytes; chunk 0
// holds the zbud header, so at most NCHUNKS - 1 chunks hold data.
inline constexpr unsigned CHUNK_SHIFT = 6;
inline constexpr std::size_t CHUNK_SIZE = std::size_t{1} << CHUNK_SHIFT;
inline constexpr unsigned NCHUNKS = PAGE_SIZE >> CHUNK_SHIFT;
inline constexpr std::size_t ZHDR_SIZE_ALIGNED = CHUNK_SIZE;
// The largest allocation: leaves room for the header and a one-chunk buddy.
inline constexpr std::size_t ZBUD_MAX_ALLOC = PAGE_SIZE - ZHDR_SIZE_ALIGNED - CHUNK_SIZE;
static_assert(NCHUNKS == 64 && ZBUD_MAX_ALLOC == 3968);

struct zbud_pool;

struct zbud_ops {
  // Writes back or otherwise frees the object behind handle; returns 0 only when
  // the handle has been freed (zbud_free called) by the time it returns. It frees
  // no other handle of the pool (zbud_free BUGs if it does).
  int (*evict)(zbud_pool* pool, unsigned long handle);
};

// ops may be nullptr (then reclaim returns -EINVAL). owner is returned by
// zbud_pool_owner() for the evict callback's use.
zbud_pool* zbud_create_pool(PageAllocator* pages, const zbud_ops* ops, void* owner);
// Frees every page still in the pool and the pool itself.
void zbud_destroy_pool(zbud_pool* pool);
void* zbud_pool_owner(zbud_pool* pool);

// size is the kernel's int. Errors: -EINVAL size <= 0; -ENOSPC size > ZBUD_MAX_ALLOC;
// -ENOMEM no page.
int zbud_alloc(zbud_pool* pool, int size, unsigned long* handle);
// Drops the allocation's reference; the buddy is released once no map holds it.
// Freeing a handle twice is a BUG, and so is freeing, from inside an evict callback,
// a handle other than the one being evicted.
void zbud_free(zbud_pool* pool, unsigned long handle);
// Errors: -EINVAL no evict callback, empty LRU or retries == 0; -EAGAIN no page
// could be emptied in retries attempts.
int zbud_reclaim_page(zbud_pool* pool, unsigned retries);
// The shrinker's variant (zcache's zbud_evict_pageframe_lru): one attempt on the LRU
// tail; when both buddies go, the empty frame is handed to the caller in *frame
// (to free or reuse) instead of being freed. Errors as zbud_reclaim_page.
int zbud_reclaim_lru_frame(zbud_pool* pool, void** frame);
// Pins the buddy (map count + 1) and returns its address; nullptr when the handle
// has already been released.
void* zbud_map(zbud_pool* pool, unsigned long handle);
// Unpins; returns 1 when this released the buddy (it was freed while mapped), else 0.
// Unmapping an unmapped handle is a BUG.
int zbud_unmap(zbud_pool* pool, unsigned long handle);
// Moves the page holding handle to a new page frame, keeping every handle valid.
// Errors: -EBUSY a buddy is mapped or the page is under reclaim; -ENOMEM no page.
int zbud_migrate_page(zbud_pool* pool, unsigned long handle);
// Pages in the pool.
std::uint64_t zbud_get_pool_size(const zbud_pool* pool);
// Live handles (allocated, or freed but still mapped): for the harness's invariants.
std::uint64_t zbud_live_handles(zbud_pool* pool);
