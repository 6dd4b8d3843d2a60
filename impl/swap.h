// The swap layer around zswap: swap devices (one per type), the swap cache, the
// block device's asynchronous write queue, and the frontswap glue that sends a store
// zswap rejects to the device and serves a load from the swap cache, zswap or the
// device, in that order.
//
// What the kernel's swap cache does and this port keeps: a page being stored is in
// the swap cache, locked, for the whole store (so writeback of the same slot meets
// EXIST and a concurrent load waits for it), and so is a placeholder while a slot is
// invalidated (a slot is never freed while it is being written); writeback adds a page for
// (type, offset) only when none is there and the slot is in use (NEW, else EXIST;
// FAIL when the slot is free or memory runs out); the page stays locked until its
// write is submitted; a load that finds it waits for the lock and uses the page when
// it is up to date; when its write completes the page leaves the cache (writeback
// marks it PG_reclaim, so the VM frees it right away). Invalidating, storing again
// or swapping off a slot waits for its page's write first (wait_on_page_writeback),
// so device writes to one slot happen in order.
//
// Locking: see lock_order.h for the order.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "page_alloc.h"
#include "sync.h"
#include "zswap.h"

// A page in the swap cache (struct page with PG_locked, PG_uptodate, PG_writeback).
struct swap_page {
  unsigned char* data = nullptr;  // page lock while !uptodate; then read-only
  bool borrowed = false;          // const: data is the storing caller's page, not ours
  unsigned type = 0;              // const
  pgoff_t offset = 0;             // const
  std::atomic<int> refcount{1};   // atomic: the cache's reference plus users'
  SpinLock lock{"page.lock"};     // PG_locked
  bool uptodate = false;          // page lock
  bool in_cache = false;          // swap_layer.cache_lock
  bool writeback = false;         // swap_layer.io_lock
};

struct swap_info {
  SpinLock lock{"swap_info.lock"};
  bool on = false;                          // lock
  int users = 0;                            // lock: get_swap_device references
  pgoff_t nslots = 0;                       // lock; const while on
  std::vector<unsigned char> in_use;        // swap_layer.cache_lock: slot allocated (stored, not freed)
  std::vector<std::unique_ptr<unsigned char[]>> device;  // lock: written slot data
  std::vector<swap_page*> cache;            // swap_layer.cache_lock
};

struct swap_layer_config {
  pgoff_t slots_per_type = 256;
  unsigned max_outstanding_writeback = 16;  // ZCACHE_MAX_OUTSTANDING_WRITEBACK_PAGES
};

#define SWAP_STATS(X)            \
  X(outstanding_writeback_pages) \
  X(writeback_completed)         \
  X(swap_cache_pages)            \
  X(device_pages)

struct swap_stats {
#define SWAP_STAT_FIELD(name) std::uint64_t name = 0;
  SWAP_STATS(SWAP_STAT_FIELD)
#undef SWAP_STAT_FIELD
  bool operator==(const swap_stats&) const = default;
};

struct swap_layer {
  swap_layer_config config;
  PageAllocator* pages = nullptr;
  zswap* zs = nullptr;
  swap_info info[MAX_SWAPFILES];
  SpinLock swapon_lock{"swapon_mutex"};  // serialises swapon and swapoff (outermost)
  SpinLock cache_lock{"swap_cache.lock"};
  SpinLock io_lock{"swap_io.lock"};
  std::deque<swap_page*> io_queue;  // io_lock: submitted writes, oldest first
#define SWAP_STAT_ATOMIC(name) std::atomic<std::uint64_t> name{0};
  SWAP_STATS(SWAP_STAT_ATOMIC)
#undef SWAP_STAT_ATOMIC
};

// --- used by zswap's writeback ---
enum class swapcache_result { NEW, EXIST, FAIL };
// NEW: *page is a new, locked page in the cache, with a reference for the caller.
// EXIST: *page is the cached page, referenced, not locked. FAIL: slot free or no memory.
swapcache_result get_swap_cache_page(swap_layer* sl, unsigned type, pgoff_t offset,
                                     swap_page** page);
// The caller holds the page lock.
void delete_from_swap_cache(swap_layer* sl, swap_page* page);
void unlock_page(swap_page* page);
void put_page(swap_layer* sl, swap_page* page);
// Submits the write of a locked, up-to-date page and unlocks it (__swap_writepage).
void swap_writepage(swap_layer* sl, swap_page* page);
// A reference on the swap device, excluding swapoff (get_swap_device). -ENODEV if off.
int get_swap_device(swap_layer* sl, unsigned type);
void put_swap_device(swap_layer* sl, unsigned type);

// --- the swap system's entry points (frontswap glue) ---
void swap_layer_init(swap_layer* sl, const swap_layer_config& config, PageAllocator* pages,
                     zswap* zs);
// Completes every outstanding write and frees every page (the system going away).
void swap_layer_exit(swap_layer* sl);
// Errors: -EBUSY already on; -EINVAL bad type; -ENOMEM zswap could not init.
int swapon(swap_layer* sl, unsigned type);
// Errors: -EINVAL not on or bad type.
int swapoff(swap_layer* sl, unsigned type);
// Swaps a page out to (type, offset). Returns zswap's verdict: 0 stored in zswap,
// else zswap's error and the page went to the device. -ENODEV type off; -EINVAL
// offset out of range (nothing stored).
int swap_store(swap_layer* sl, unsigned type, pgoff_t offset, const unsigned char* page);
enum class load_source { none, swap_cache, zswap, device };
// Swaps a page in. 0 and *source set; -ENOENT slot never written; -EIO corrupt zswap
// data; -ENODEV type off; -EINVAL offset out of range.
int swap_load(swap_layer* sl, unsigned type, pgoff_t offset, unsigned char* page,
              load_source* source);
// Frees the slot. -ENODEV type off; -EINVAL offset out of range.
int swap_invalidate(swap_layer* sl, unsigned type, pgoff_t offset);
// Compacts the zswap page holding the slot's entry (zswap_compact_entry). -ENODEV
// type off; -EINVAL offset out of range; else zswap's result.
int swap_compact(swap_layer* sl, unsigned type, pgoff_t offset);
// Completes up to n submitted writes, oldest first; returns how many completed.
unsigned swap_complete_io(swap_layer* sl, unsigned n);
swap_stats swap_get_stats(const swap_layer* sl);
