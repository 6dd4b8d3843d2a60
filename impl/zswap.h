// zswap: a compressed cache for swap pages (port of mm/zswap.c as of Linux 3.13,
// with Weijie Yang's get/put refactor and every later fix in the mutant catalogue).
//
// Lock order, for the whole of impl/: lock_order.h (data the lock validator checks).
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "compress.h"
#include "page_alloc.h"
#include "sync.h"

struct zbud_pool;
struct swap_layer;

using pgoff_t = std::uint64_t;

inline constexpr unsigned MAX_SWAPFILES = 4;  // swap types this port supports

// The debugfs counters: X(name). stored_pages and pool_pages are gauges; pool_pages
// is 3.13's zswap_pool_pages, the total the limit is compared with, as of the last
// successful store or entry free (zswap_total_pool_pages is the pools' size now).
#define ZSWAP_STATS(X)    \
  X(pool_limit_hit)       \
  X(reject_reclaim_fail)  \
  X(reject_alloc_fail)    \
  X(reject_kmemcache_fail) \
  X(reject_compress_poor) \
  X(written_back_pages)   \
  X(duplicate_entry)      \
  X(stored_pages)         \
  X(pool_pages)

struct zswap_stats {
#define ZSWAP_STAT_FIELD(name) std::uint64_t name = 0;
  ZSWAP_STATS(ZSWAP_STAT_FIELD)
#undef ZSWAP_STAT_FIELD
  bool operator==(const zswap_stats&) const = default;
};

struct zswap_entry {
  pgoff_t offset;        // const
  int refcount;          // tree->lock: the tree's reference plus one per user
  unsigned length;       // const: compressed length
  unsigned long handle;  // const: zbud handle of header + compressed data
  bool in_tree;          // tree->lock: false once erased (RB_EMPTY_NODE)
};

// One per swap type. The kernel's rbtree keyed by offset is a slot array here: the
// offsets of a type are bounded by its size, so lookup is O(1) and insert allocates
// nothing.
struct zswap_tree {
  SpinLock lock{"zswap_tree.lock"};
  std::vector<zswap_entry*> slots;  // lock
  std::uint64_t nr_entries = 0;     // lock: entries in slots
  zbud_pool* pool = nullptr;        // const after init
  struct zswap* zswap = nullptr;    // const
  unsigned type = 0;                // const
};

struct zswap_config {
  Compressor compressor = Compressor::lz4;
  std::uint64_t totalram_pages = 1024;  // the "RAM" max_pool_percent is taken of
  unsigned max_pool_percent = 20;
};

struct zswap {
  zswap_config config;              // max_pool_percent may change at run time
  std::atomic<unsigned> max_pool_percent{20};
  PageAllocator* pages = nullptr;
  swap_layer* swap = nullptr;
  // Set by swapon, cleared by swapoff; swapoff excludes every user of the type
  // first (get_swap_device), so readers holding a device reference see it stable.
  std::atomic<zswap_tree*> trees[MAX_SWAPFILES] = {};
  std::atomic<int> live_trees{0};   // trees allocated and not yet freed
  std::atomic<int> pool_size_readers{0};  // atomic: lockless readers of trees[]' pools

#define ZSWAP_STAT_ATOMIC(name) std::atomic<std::uint64_t> name{0};
  ZSWAP_STATS(ZSWAP_STAT_ATOMIC)
#undef ZSWAP_STAT_ATOMIC
};

void zswap_init(zswap* zs, const zswap_config& config, PageAllocator* pages, swap_layer* swap);
// Frees every remaining tree (the module going away).
void zswap_exit(zswap* zs);

// frontswap ops. Errors of store: -ENODEV no tree; -ENOMEM over the limit and reclaim
// failed (or still over it), or no entry memory; -ENOSPC compressed too poorly;
// -EINVAL the compressor failed; other zbud_alloc errors.
int zswap_frontswap_store(zswap* zs, unsigned type, pgoff_t offset, const unsigned char* page);
// 0 and the page filled; -ENOENT not in zswap; -EIO corrupt compressed data.
int zswap_frontswap_load(zswap* zs, unsigned type, pgoff_t offset, unsigned char* page);
void zswap_frontswap_invalidate_page(zswap* zs, unsigned type, pgoff_t offset);
void zswap_frontswap_invalidate_area(zswap* zs, unsigned type);
// Creates the tree and pool of a type (swapon). -ENOMEM when allocation fails.
int zswap_frontswap_init(zswap* zs, unsigned type, pgoff_t nslots);

// Compaction: migrates the zbud page holding the entry at offset to a new frame
// (zbud_migrate_page). -ENOENT no entry; -EBUSY a buddy is mapped or under reclaim;
// -ENOMEM no page.
int zswap_compact_entry(zswap* zs, unsigned type, pgoff_t offset);

// The shrinker: writes back up to nr pages, pool by pool (largest pool first),
// stopping when the swap layer has its maximum of writeback I/O outstanding.
// Returns the number of page frames freed.
unsigned zswap_shrink(zswap* zs, unsigned nr);

zswap_stats zswap_get_stats(zswap* zs);
std::uint64_t zswap_total_pool_pages(zswap* zs);

// For the harness's invariants and corruption tests: the zbud pool of a type, and
// the buddy bytes (header + compressed data) of the entry at offset.
zbud_pool* zswap_pool_of(zswap* zs, unsigned type);
std::uint64_t zswap_entry_count(zswap* zs, unsigned type);
// Entries whose reference count is not just the tree's: none at a quiescent point.
std::uint64_t zswap_entries_in_use(zswap* zs, unsigned type);
// Overwrites compressed bytes [pos, pos + len) of the entry (clipped to its length)
// with byte: what a bit flip in RAM or a buggy compressor would leave. Returns the
// entry's compressed length, or 0 when there is no entry.
unsigned zswap_corrupt_entry(zswap* zs, unsigned type, pgoff_t offset, unsigned pos, unsigned len,
                             unsigned char byte);
