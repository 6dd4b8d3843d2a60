// zswap: compresses pages on their way to swap and keeps them in zbud pools, one
// tree and one pool per swap type. When the pools together exceed max_pool_percent
// of RAM, a store first reclaims from its type's pool: zbud evicts the LRU page's
// buddies through zswap_writeback_entry, which decompresses each into a new swap
// cache page and writes it to the swap device.
//
// Entry lifetime (the 3.13 get/put protocol): the tree holds one reference from
// insert until erase; load and writeback take one more under the tree lock. The
// entry and its zbud buddy are freed by the put that drops the count to zero, and
// erase is idempotent, so whichever of invalidate, a duplicate store and writeback
// comes last frees it. See lock_order.h for the lock order.
#include "zswap.h"

#include <cerrno>
#include <cstring>

#include "bug.h"
#include "mutants.h"
#include "swap.h"
#include "zbud.h"

namespace {

// struct zswap_header: the swap entry, stored in front of the compressed data so
// writeback can find the entry from a zbud handle.
struct zswap_header {
  std::uint64_t swpentry;
};
static_assert(sizeof(zswap_header) == 8);

// The kernel's per-cpu zswap_dstmem: a store compresses into it, then copies out.
struct CompressBuffer {
  unsigned char bytes[kCompressBufferSize];
};

constexpr unsigned SWP_TYPE_SHIFT = 58;
constexpr std::uint64_t swp_entry(unsigned type, pgoff_t offset) {
  return (std::uint64_t{type} << SWP_TYPE_SHIFT) | offset;
}
constexpr unsigned swp_type(std::uint64_t e) { return static_cast<unsigned>(e >> SWP_TYPE_SHIFT); }
constexpr pgoff_t swp_offset(std::uint64_t e) { return e & ((std::uint64_t{1} << SWP_TYPE_SHIFT) - 1); }

// The header word is read by writeback while a store may still be writing it (the
// store allocates, and so exposes, the buddy first): relaxed atomic accesses, as the
// kernel's READ_ONCE/WRITE_ONCE. The compiler builtins, not std::atomic_ref, which
// libc++ 14 (OSS-Fuzz builds with libc++) lacks.
std::uint64_t read_header(void* zhdr) {
  return __atomic_load_n(static_cast<std::uint64_t*>(zhdr), __ATOMIC_RELAXED);
}

void write_header(void* zhdr, std::uint64_t swpentry) {
  __atomic_store_n(static_cast<std::uint64_t*>(zhdr), swpentry, __ATOMIC_RELAXED);
}

void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

// --- tree operations; all called with tree->lock held (and asserting it) ---

zswap_entry* zswap_rb_search(zswap_tree* tree, pgoff_t offset) {
  lockdep_assert_held(tree->lock);
  return offset < tree->slots.size() ? tree->slots[offset] : nullptr;
}

// Inserts entry; -EEXIST (and *dupentry) when the offset is taken.
int zswap_rb_insert(zswap_tree* tree, zswap_entry* entry, zswap_entry** dupentry) {
  lockdep_assert_held(tree->lock);
  zswap_entry*& slot = tree->slots[entry->offset];
  if (slot) {
    *dupentry = slot;
    return -EEXIST;
  }
  slot = entry;
  entry->in_tree = true;
  tree->nr_entries++;
  return 0;
}

void zswap_rb_erase(zswap_tree* tree, zswap_entry* entry) {
  lockdep_assert_held(tree->lock);
  if (mutants::is(Mutant::double_erase)) {
    // Mutant double_erase: erase trusts that the entry is still in the tree and
    // clears its slot, which may now hold a newer entry for the same offset.
    zswap_entry*& slot = tree->slots[entry->offset];
    tree->nr_entries -= slot != nullptr;
    slot = nullptr;
    entry->in_tree = false;
    return;
  }
  if (entry->in_tree) {
    tree->slots[entry->offset] = nullptr;
    tree->nr_entries--;
    entry->in_tree = false;
  }
}

// 3.13 keeps the pool total in a global (zswap_pool_pages), assigned after a
// successful store and after an entry is freed, and compares the limit with that.
// It lags the pools: a page that reclaim empties is freed after its last entry was,
// so right after a reclaim the total is one page high. The later fix assigns the sum
// over every type's pool. Mutant pool_limit_one_type: 3.13's assignment of the
// storing (or freeing) type's pool alone.
void update_pool_pages(zswap* zs, zswap_tree* tree) {
  const std::uint64_t pages =
      mutants::is(Mutant::pool_limit_one_type) ? zbud_get_pool_size(tree->pool) : zswap_total_pool_pages(zs);
  zs->pool_pages.store(pages, std::memory_order_relaxed);
}

void zswap_free_entry(zswap_tree* tree, zswap_entry* entry) {
  lockdep_assert_held(tree->lock);
  zbud_free(tree->pool, entry->handle);
  delete entry;
  tree->zswap->stored_pages.fetch_sub(1, std::memory_order_relaxed);
  update_pool_pages(tree->zswap, tree);
}

void zswap_entry_get(zswap_tree* tree, zswap_entry* entry) {
  lockdep_assert_held(tree->lock);
  entry->refcount++;
}

// Drops a reference; the last one erases (if still in the tree) and frees.
void zswap_entry_put(zswap_tree* tree, zswap_entry* entry) {
  lockdep_assert_held(tree->lock);
  const int refcount = --entry->refcount;
  ZSWAP_BUG_ON(refcount < 0);
  if (refcount == 0) {
    zswap_rb_erase(tree, entry);
    zswap_free_entry(tree, entry);
  }
}

zswap_entry* zswap_entry_find_get(zswap_tree* tree, pgoff_t offset) {
  zswap_entry* entry = zswap_rb_search(tree, offset);
  if (entry) zswap_entry_get(tree, entry);
  return entry;
}

// Erases the entry and drops the tree's reference.
void zswap_invalidate_entry(zswap_tree* tree, zswap_entry* entry) {
  zswap_rb_erase(tree, entry);
  zswap_entry_put(tree, entry);
}

zswap_tree* tree_of(zswap* zs, unsigned type) {
  return type < MAX_SWAPFILES ? zs->trees[type].load(std::memory_order_acquire) : nullptr;
}

// The pool size of every type, 0 for a type that is off. Its callers hold no reference
// on those types (the shrinker's scan; the pool total, which a store and an entry free
// assign), so the read is an RCU-style read-side section: invalidate_area unpublishes
// the tree, then waits for every reader before it frees it. Lock-free, as the kernel's;
// one section for every type, as its two read-modify-writes cost more than the reads.
void read_pool_pages(zswap* zs, std::uint64_t (&pages)[MAX_SWAPFILES]) {
  zs->pool_size_readers.fetch_add(1);
  for (unsigned type = 0; type < MAX_SWAPFILES; type++) {
    // seq_cst, as the count and invalidate_area's two accesses: with an acquire load the
    // reader could see the old tree while invalidate_area still read no reader.
    const zswap_tree* tree = zs->trees[type].load();
    pages[type] = tree ? zbud_get_pool_size(tree->pool) : 0;
  }
  zs->pool_size_readers.fetch_sub(1);
}

void free_tree(zswap* zs, zswap_tree* tree) {
  zbud_destroy_pool(tree->pool);
  delete tree;
  zs->live_trees.fetch_sub(1, std::memory_order_relaxed);
}

bool zswap_is_full(zswap* zs) {
  const std::uint64_t max_pages =
      zs->config.totalram_pages * zs->max_pool_percent.load(std::memory_order_relaxed) / 100;
  return max_pages < zs->pool_pages.load(std::memory_order_relaxed);
}

bool decompress_entry(zswap* zs, zswap_tree* tree, zswap_entry* entry, unsigned char* dst) {
  auto* buf = static_cast<unsigned char*>(zbud_map(tree->pool, entry->handle));
  ZSWAP_BUG_ON(buf == nullptr);  // a referenced entry keeps its handle
  const bool ok = decompress_page(zs->config.compressor, buf + sizeof(zswap_header),
                                  entry->length, dst, PAGE_SIZE);
  zbud_unmap(tree->pool, entry->handle);
  return ok;
}

// Drops the local reference of a writeback that did not write the entry.
void writeback_fail_put(zswap_tree* tree, zswap_entry* entry) {
  SpinGuard guard(tree->lock);
  if (mutants::is(Mutant::invalidate_writeback_leak)) {
    // Mutant invalidate_writeback_leak: the fail path only decrements, so an entry
    // invalidated meanwhile (this was its last reference) is never freed.
    entry->refcount--;
    return;
  }
  zswap_entry_put(tree, entry);
}

// The evict callback: writes the page behind handle to the swap device.
// Returns 0 when the handle is gone (written back, or invalidated meanwhile);
// -ENOMEM no swap cache page (or the slot was recycled); -EEXIST already cached;
// -EIO corrupt data.
int zswap_writeback_entry(zbud_pool* pool, unsigned long handle) {
  auto* tree = static_cast<zswap_tree*>(zbud_pool_owner(pool));
  zswap* zs = tree->zswap;

  // Extract the swap entry from the data, holding a map count so that a concurrent
  // invalidate cannot release the buddy under us (seed 000).
  auto* zhdr = static_cast<zswap_header*>(zbud_map(pool, handle));
  if (!zhdr) return 0;  // released since reclaim took the handle: invalidated
  bool pinned = true;   // we hold a map count on the buddy
  auto unpin = [&] {
    if (pinned) zbud_unmap(pool, handle);
    pinned = false;
  };
  // Mutant writeback_map_unprotected: the map count is dropped before the read.
  if (mutants::is(Mutant::writeback_map_unprotected)) unpin();
  sched::point("zswap_writeback_entry: header read");
  const std::uint64_t swpentry = read_header(zhdr);
  const unsigned type = swp_type(swpentry);
  const pgoff_t offset = swp_offset(swpentry);
  // A store allocates the buddy (and so puts it on the LRU) before it writes the
  // header: a header naming no slot of this tree is an entry not yet inserted.
  if (type != tree->type || offset >= tree->slots.size()) {
    unpin();
    return 0;
  }
  // Mutant writeback_unmap_early: unmap before the tree lock is taken; the handle
  // may then be freed and reused before the lookup below, so the lookup cannot tell
  // whether the entry it finds owns the handle (and, as the pre-fix code, does not try).
  const bool unmap_early = mutants::is(Mutant::writeback_unmap_early);
  if (unmap_early) unpin();

  // Find and ref the zswap entry; it is ours only if it still owns the handle.
  tree->lock.lock();
  zswap_entry* entry = zswap_rb_search(tree, offset);
  if (!entry || (!unmap_early && entry->handle != handle)) {
    // Entry was invalidated (and maybe the offset stored again).
    unpin();
    tree->lock.unlock();
    return 0;
  }
  zswap_entry_get(tree, entry);
  unpin();
  // Mutant writeback_lock_inversion: the tree lock is held on until the swap cache
  // page is added (and locked), to close the window CVE-2023-53178 lives in; the
  // store path takes the two the other way round.
  const bool hold_tree = mutants::is(Mutant::writeback_lock_inversion);
  if (!hold_tree) tree->lock.unlock();

  swap_page* page = nullptr;
  int ret = 0;
  const swapcache_result added = get_swap_cache_page(zs->swap, type, offset, &page);
  if (hold_tree) tree->lock.unlock();
  switch (added) {
    case swapcache_result::FAIL:  // no memory or invalidate happened
      writeback_fail_put(tree, entry);
      return -ENOMEM;
    case swapcache_result::EXIST:  // page is already in the swap cache, ignore for now
      put_page(zs->swap, page);
      writeback_fail_put(tree, entry);
      return -EEXIST;
    case swapcache_result::NEW:  // page is locked
      break;
  }

  sched::point("zswap_writeback_entry: swap cache page added");
  // Having a reference on the entry does not stop the slot from being invalidated
  // and stored again; now that the swap cache holds the slot, recheck that the
  // entry is still current (CVE-2023-53178).
  if (!mutants::is(Mutant::writeback_stale_data)) {
    tree->lock.lock();
    const bool current = zswap_rb_search(tree, offset) == entry;
    tree->lock.unlock();
    if (!current) {
      delete_from_swap_cache(zs->swap, page);
      // Mutant writeback_abort_leaks_page: the page is left locked and referenced.
      if (!mutants::is(Mutant::writeback_abort_leaks_page)) {
        unlock_page(page);
        put_page(zs->swap, page);
      }
      writeback_fail_put(tree, entry);
      return -ENOMEM;
    }
  }

  if (!decompress_entry(zs, tree, entry, page->data)) {
    delete_from_swap_cache(zs->swap, page);
    unlock_page(page);
    put_page(zs->swap, page);
    writeback_fail_put(tree, entry);
    return -EIO;
  }
  page->uptodate = true;

  // Start writeback; the page is unlocked once the write is submitted.
  swap_writepage(zs->swap, page);
  put_page(zs->swap, page);
  bump(zs->written_back_pages);

  tree->lock.lock();
  // Drop the local reference.
  zswap_entry_put(tree, entry);
  // Erase the entry and drop the tree's reference, unless invalidate did so since we
  // looked it up. Erasing (not a bare put, as 3.13 did) matters when a load still
  // holds a reference: the entry must not stay findable with only the load's.
  if (entry == zswap_rb_search(tree, offset)) zswap_invalidate_entry(tree, entry);
  tree->lock.unlock();
  return ret;
}

const zbud_ops zswap_zbud_ops = {zswap_writeback_entry};

}  // namespace

void zswap_init(zswap* zs, const zswap_config& config, PageAllocator* pages, swap_layer* swap) {
  zs->config = config;
  zs->max_pool_percent.store(config.max_pool_percent, std::memory_order_relaxed);
  zs->pages = pages;
  zs->swap = swap;
}

void zswap_exit(zswap* zs) {
  for (unsigned type = 0; type < MAX_SWAPFILES; type++)
    if (tree_of(zs, type)) zswap_frontswap_invalidate_area(zs, type);
}

std::uint64_t zswap_total_pool_pages(zswap* zs) {
  std::uint64_t pages[MAX_SWAPFILES];
  read_pool_pages(zs, pages);
  std::uint64_t total = 0;
  for (std::uint64_t n : pages) total += n;
  return total;
}

int zswap_frontswap_init(zswap* zs, unsigned type, pgoff_t nslots) {
  auto* tree = new zswap_tree;
  tree->slots.assign(nslots, nullptr);
  tree->zswap = zs;
  tree->type = type;
  tree->pool = zbud_create_pool(zs->pages, &zswap_zbud_ops, tree);
  zs->live_trees.fetch_add(1, std::memory_order_relaxed);
  zs->trees[type].store(tree, std::memory_order_release);
  return 0;
}

int zswap_frontswap_store(zswap* zs, unsigned type, pgoff_t offset, const unsigned char* page) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return -ENODEV;

  int ret = 0;
  zswap_entry* entry = nullptr;
  // Reclaim space if needed.
  if (zswap_is_full(zs)) {
    bump(zs->pool_limit_hit);
    if (zbud_reclaim_page(tree->pool, 8)) {
      bump(zs->reject_reclaim_fail);
      ret = -ENOMEM;
      goto reject;
    }
    // A second check after reclaim: one page freed need not bring the pools
    // under the limit. Mutant no_recheck_after_reclaim: the store goes ahead.
    if (!mutants::is(Mutant::no_recheck_after_reclaim) && zswap_is_full(zs)) {
      ret = -ENOMEM;
      goto reject;
    }
  }

  // Allocate the entry.
  if (zs->pages->slab_fails()) {
    bump(zs->reject_kmemcache_fail);
    ret = -ENOMEM;
    goto reject;
  }
  entry = new zswap_entry{};

  {
    // Compress into the per-cpu destination buffer (the task's: sync.h).
    unsigned char* const dst = sched::task_local<CompressBuffer>().bytes;
    const std::size_t dlen = compress_page(zs->config.compressor, page, PAGE_SIZE, dst);
    if (dlen == 0) {
      ret = -EINVAL;
      goto freepage;
    }

    // Store.
    unsigned long handle;
    ret = zbud_alloc(tree->pool, static_cast<int>(dlen + sizeof(zswap_header)), &handle);
    if (ret == -ENOSPC) {
      bump(zs->reject_compress_poor);
      goto freepage;
    }
    if (ret) {
      bump(zs->reject_alloc_fail);
      goto freepage;
    }
    auto* buf = static_cast<unsigned char*>(zbud_map(tree->pool, handle));
    write_header(buf, swp_entry(type, offset));
    std::memcpy(buf + sizeof(zswap_header), dst, dlen);
    zbud_unmap(tree->pool, handle);

    // Populate the entry.
    entry->offset = offset;
    entry->handle = handle;
    entry->length = static_cast<unsigned>(dlen);
    entry->refcount = 1;
  }

  // Map.
  {
    SpinGuard guard(tree->lock);
    zswap_entry* dupentry;
    while (zswap_rb_insert(tree, entry, &dupentry) == -EEXIST) {
      bump(zs->duplicate_entry);
      zswap_invalidate_entry(tree, dupentry);
    }
  }
  bump(zs->stored_pages);
  update_pool_pages(zs, tree);
  return 0;

freepage:
  delete entry;
reject:
  // The old copy at this offset, if any, is stale now that this store failed and
  // the page goes to the device: invalidate it so a load cannot return it and
  // writeback cannot overwrite the new data on the device.
  // Mutant dup_store_keeps_stale: the old entry stays.
  if (!mutants::is(Mutant::dup_store_keeps_stale)) {
    SpinGuard guard(tree->lock);
    if (zswap_entry* old = zswap_rb_search(tree, offset)) zswap_invalidate_entry(tree, old);
  }
  return ret;
}

int zswap_frontswap_load(zswap* zs, unsigned type, pgoff_t offset, unsigned char* page) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return -ENOENT;
  zswap_entry* entry;
  {
    SpinGuard guard(tree->lock);
    entry = zswap_entry_find_get(tree, offset);
  }
  if (!entry) return -ENOENT;

  const bool ok = decompress_entry(zs, tree, entry, page);
  // Mutant refcount_unlocked: the reference is dropped without the tree lock (a
  // racing put can then lose an update, or free the entry twice).
  if (mutants::is(Mutant::refcount_unlocked)) {
    zswap_entry_put(tree, entry);
    return ok ? 0 : -EIO;
  }
  SpinGuard guard(tree->lock);
  zswap_entry_put(tree, entry);
  return ok ? 0 : -EIO;
}

void zswap_frontswap_invalidate_page(zswap* zs, unsigned type, pgoff_t offset) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return;
  SpinGuard guard(tree->lock);
  if (zswap_entry* entry = zswap_rb_search(tree, offset)) zswap_invalidate_entry(tree, entry);
}

void zswap_frontswap_invalidate_area(zswap* zs, unsigned type) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return;
  {
    // Walk the tree and free everything.
    SpinGuard guard(tree->lock);
    for (zswap_entry*& entry : tree->slots) {
      if (!entry) continue;
      zswap_free_entry(tree, entry);
      entry = nullptr;
    }
    tree->nr_entries = 0;
  }
  zs->trees[type].store(nullptr);
  // synchronize_rcu: a reader that still sees the tree has not finished with it.
  while (zs->pool_size_readers.load() != 0) sched::wait(&zs->pool_size_readers, "zswap: wait for pool size readers");
  // Mutant reswapon_leak: the tree and its pool are never freed (the pre-3.12 bug;
  // swapon then allocates new ones).
  if (!mutants::is(Mutant::reswapon_leak)) free_tree(zs, tree);
}

int zswap_compact_entry(zswap* zs, unsigned type, pgoff_t offset) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return -ENOENT;
  // The tree lock keeps the entry, and so its handle, alive during the move.
  SpinGuard guard(tree->lock);
  zswap_entry* entry = zswap_rb_search(tree, offset);
  return entry ? zbud_migrate_page(tree->pool, entry->handle) : -ENOENT;
}

unsigned zswap_shrink(zswap* zs, unsigned nr) {
  unsigned freed = 0;
  while (freed < nr) {
    // Mutant inflight_bound_off_by_one: one more reclaim once the bound is reached.
    const std::uint64_t bound =
        zs->swap->config.max_outstanding_writeback + (mutants::is(Mutant::inflight_bound_off_by_one) ? 1 : 0);
    if (zs->swap->outstanding_writeback_pages.load(std::memory_order_relaxed) >= bound) break;
    // Largest pool first, lowest type on ties.
    std::uint64_t pages[MAX_SWAPFILES];
    read_pool_pages(zs, pages);
    unsigned best = MAX_SWAPFILES;
    std::uint64_t best_pages = 0;
    for (unsigned type = 0; type < MAX_SWAPFILES; type++) {
      if (pages[type] > best_pages) {
        best = type;
        best_pages = pages[type];
      }
    }
    if (best == MAX_SWAPFILES) break;

    // Keep swapoff from freeing the tree and pool while reclaim uses them.
    // Mutant swapoff_shrinker_race: no such exclusion.
    const bool exclude = !mutants::is(Mutant::swapoff_shrinker_race);
    if (exclude && get_swap_device(zs->swap, best)) break;
    sched::point("zswap_shrink: pool chosen");
    zswap_tree* tree = exclude ? tree_of(zs, best) : zs->trees[best].load(std::memory_order_relaxed);
    void* frame = nullptr;
    const int ret = tree ? zbud_reclaim_lru_frame(tree->pool, &frame) : -EINVAL;
    if (exclude) put_swap_device(zs->swap, best);
    if (ret) break;
    zs->pages->free_page(frame);
    freed++;
  }
  return freed;
}

zswap_stats zswap_get_stats(zswap* zs) {
  zswap_stats s;
#define ZSWAP_STAT_READ(name) s.name = zs->name.load(std::memory_order_relaxed);
  ZSWAP_STATS(ZSWAP_STAT_READ)
#undef ZSWAP_STAT_READ
  return s;
}

zbud_pool* zswap_pool_of(zswap* zs, unsigned type) {
  zswap_tree* tree = tree_of(zs, type);
  return tree ? tree->pool : nullptr;
}

std::uint64_t zswap_entry_count(zswap* zs, unsigned type) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return 0;
  SpinGuard guard(tree->lock);
  return tree->nr_entries;
}

std::uint64_t zswap_entries_in_use(zswap* zs, unsigned type) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return 0;
  SpinGuard guard(tree->lock);
  std::uint64_t n = 0;
  for (zswap_entry* e : tree->slots) n += e && e->refcount != 1;
  return n;
}

unsigned zswap_corrupt_entry(zswap* zs, unsigned type, pgoff_t offset, unsigned pos, unsigned len,
                             unsigned char byte) {
  zswap_tree* tree = tree_of(zs, type);
  if (!tree) return 0;
  SpinGuard guard(tree->lock);
  zswap_entry* entry = zswap_rb_search(tree, offset);
  if (!entry) return 0;
  auto* buf = static_cast<unsigned char*>(zbud_map(tree->pool, entry->handle)) + sizeof(zswap_header);
  for (unsigned i = pos; i < entry->length && i - pos < len; i++) buf[i] = byte;
  zbud_unmap(tree->pool, entry->handle);
  return entry->length;
}
