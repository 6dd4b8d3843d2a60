// The swap layer: swap devices, the swap cache, the write queue and the frontswap
// glue. See swap.h for the behaviour kept from the kernel and lock_order.h for the lock
// order.
#include "swap.h"

#include <cerrno>
#include <cstring>

#include "bug.h"

namespace {

swap_page* new_swap_page(swap_layer* sl, unsigned type, pgoff_t offset) {
  void* frame = sl->pages->alloc_page();
  if (!frame) return nullptr;
  auto* page = new swap_page;
  page->data = static_cast<unsigned char*>(frame);
  page->type = type;
  page->offset = offset;
  return page;
}

void get_page(swap_page* page) { page->refcount.fetch_add(1, std::memory_order_relaxed); }

// A device reference for a slot's user. -ENODEV type off; -EINVAL offset out of range.
int get_swap_slot(swap_layer* sl, unsigned type, pgoff_t offset) {
  if (get_swap_device(sl, type)) return -ENODEV;
  if (offset < sl->info[type].nslots) return 0;  // nslots is const while we hold the device
  put_swap_device(sl, type);
  return -EINVAL;
}

void set_slot_in_use(swap_layer* sl, unsigned type, pgoff_t offset, bool in_use) {
  SpinGuard guard(sl->cache_lock);
  sl->info[type].in_use[offset] = in_use;
}

// Takes the page out of the cache if it is still there; true if it was.
bool remove_from_cache(swap_layer* sl, swap_page* page) {
  {
    SpinGuard guard(sl->cache_lock);
    if (!page->in_cache) return false;
    sl->info[page->type].cache[page->offset] = nullptr;
    page->in_cache = false;
    sl->swap_cache_pages.fetch_sub(1, std::memory_order_relaxed);
  }
  put_page(sl, page);  // the cache's reference
  return true;
}

bool page_in_cache(swap_layer* sl, swap_page* page) {
  SpinGuard guard(sl->cache_lock);
  return page->in_cache;
}

enum class AddResult { added, exists, slot_free };

// Adds a locked page to the cache unless the slot has one; with require_in_use, only
// while the slot is in use, checked in the same critical section (swapcache_prepare),
// so that a slot freed meanwhile cannot get a page after its invalidation.
AddResult add_to_swap_cache(swap_layer* sl, swap_page* page, bool require_in_use) {
  SpinGuard guard(sl->cache_lock);
  swap_info& si = sl->info[page->type];
  if (require_in_use && !si.in_use[page->offset]) return AddResult::slot_free;
  swap_page*& slot = si.cache[page->offset];
  if (slot) return AddResult::exists;
  slot = page;
  page->in_cache = true;
  get_page(page);  // the cache's reference
  sl->swap_cache_pages.fetch_add(1, std::memory_order_relaxed);
  return AddResult::added;
}

swap_page* find_get_page(swap_layer* sl, unsigned type, pgoff_t offset) {
  SpinGuard guard(sl->cache_lock);
  swap_page* page = sl->info[type].cache[offset];
  if (page) get_page(page);
  return page;
}

bool page_writeback(swap_layer* sl, swap_page* page) {
  SpinGuard guard(sl->io_lock);
  return page->writeback;
}

void device_write(swap_layer* sl, unsigned type, pgoff_t offset, const unsigned char* data) {
  swap_info& si = sl->info[type];
  SpinGuard guard(si.lock);
  auto& slot = si.device[offset];
  if (!slot) {
    slot = std::make_unique<unsigned char[]>(PAGE_SIZE);
    sl->device_pages.fetch_add(1, std::memory_order_relaxed);
  }
  std::memcpy(slot.get(), data, PAGE_SIZE);
}

void device_discard(swap_layer* sl, unsigned type, pgoff_t offset) {
  swap_info& si = sl->info[type];
  SpinGuard guard(si.lock);
  if (si.device[offset]) {
    si.device[offset].reset();
    sl->device_pages.fetch_sub(1, std::memory_order_relaxed);
  }
}

// Completes the oldest submitted write; false when none is queued.
bool complete_one(swap_layer* sl) {
  swap_page* page;
  {
    SpinGuard guard(sl->io_lock);
    if (sl->io_queue.empty()) return false;
    page = sl->io_queue.front();
    sl->io_queue.pop_front();
  }
  sched::point("swap io: completion");
  device_write(sl, page->type, page->offset, page->data);
  {
    SpinGuard guard(sl->io_lock);
    page->writeback = false;
    sl->outstanding_writeback_pages.fetch_sub(1, std::memory_order_relaxed);
    sl->writeback_completed.fetch_add(1, std::memory_order_relaxed);
  }
  remove_from_cache(sl, page);  // reclaimed as soon as it is clean
  put_page(sl, page);
  return true;
}

void wait_on_page_writeback(swap_layer* sl, swap_page* page) {
  // The device completes in order, so waiting for a page is completing up to it.
  while (page_writeback(sl, page))
    if (!complete_one(sl)) sched::wait(page, "wait_on_page_writeback");
}

// Copies the slot's up-to-date cached page, waiting for its lock; false if none.
bool read_swap_cache(swap_layer* sl, unsigned type, pgoff_t offset, unsigned char* out) {
  while (swap_page* page = find_get_page(sl, type, offset)) {
    page->lock.lock();
    const bool hit = page->uptodate && page_in_cache(sl, page);
    if (hit) std::memcpy(out, page->data, PAGE_SIZE);
    unlock_page(page);
    put_page(sl, page);
    if (hit) return true;
  }
  return false;
}

// Takes the slot's page out of the swap cache, after its lock holder and its write
// are done (what freeing or rewriting a slot waits for).
void drop_cached_page(swap_layer* sl, unsigned type, pgoff_t offset) {
  while (swap_page* page = find_get_page(sl, type, offset)) {
    page->lock.lock();
    wait_on_page_writeback(sl, page);
    remove_from_cache(sl, page);
    unlock_page(page);
    put_page(sl, page);
  }
}

// Claims the slot for a store (data: the page being written) or an invalidation
// (data == nullptr): a locked page in the swap cache for the whole operation, as the
// page being swapped out is in the kernel. Loads of the slot wait for it, writeback
// meets EXIST, and stores and invalidations of one slot happen one at a time.
swap_page* claim_slot(swap_layer* sl, unsigned type, pgoff_t offset, const unsigned char* data) {
  auto* page = new swap_page;
  page->data = const_cast<unsigned char*>(data);
  page->borrowed = true;
  page->type = type;
  page->offset = offset;
  page->uptodate = data != nullptr;
  page->lock.lock();
  do drop_cached_page(sl, type, offset);
  while (add_to_swap_cache(sl, page, false) != AddResult::added);
  return page;
}

// Done with the slot: the page leaves the cache (the VM frees a written-out page).
void release_slot(swap_layer* sl, swap_page* page) {
  delete_from_swap_cache(sl, page);
  unlock_page(page);
  put_page(sl, page);
}

}  // namespace

swapcache_result get_swap_cache_page(swap_layer* sl, unsigned type, pgoff_t offset,
                                     swap_page** pagep) {
  if (swap_page* found = find_get_page(sl, type, offset)) {
    *pagep = found;
    return swapcache_result::EXIST;
  }
  // The slot may have been freed since the caller saw it. Checked before allocating
  // (a freed slot costs no page, nor an injected allocation failure) and again,
  // atomically, when adding.
  {
    SpinGuard guard(sl->cache_lock);
    if (!sl->info[type].in_use[offset]) return swapcache_result::FAIL;
  }
  swap_page* page = new_swap_page(sl, type, offset);
  if (!page) return swapcache_result::FAIL;
  page->lock.lock();
  const AddResult added = add_to_swap_cache(sl, page, true);
  if (added == AddResult::added) {
    *pagep = page;
    return swapcache_result::NEW;
  }
  unlock_page(page);
  put_page(sl, page);
  if (added == AddResult::exists) {
    // Raced with another adder; theirs is the cached page.
    if (swap_page* found = find_get_page(sl, type, offset)) {
      *pagep = found;
      return swapcache_result::EXIST;
    }
  }
  return swapcache_result::FAIL;
}

void delete_from_swap_cache(swap_layer* sl, swap_page* page) {
  ZSWAP_BUG_ON(!remove_from_cache(sl, page));
}

void unlock_page(swap_page* page) { page->lock.unlock(); }

void put_page(swap_layer* sl, swap_page* page) {
  const int refcount = page->refcount.fetch_sub(1, std::memory_order_acq_rel) - 1;
  ZSWAP_BUG_ON(refcount < 0);
  if (refcount > 0) return;
  if (!page->borrowed) sl->pages->free_page(page->data);
  delete page;
}

void swap_writepage(swap_layer* sl, swap_page* page) {
  get_page(page);  // the I/O's reference
  {
    SpinGuard guard(sl->io_lock);
    page->writeback = true;
    sl->io_queue.push_back(page);
    sl->outstanding_writeback_pages.fetch_add(1, std::memory_order_relaxed);
  }
  sched::point("swap io: submitted");
  unlock_page(page);
}

int get_swap_device(swap_layer* sl, unsigned type) {
  if (type >= MAX_SWAPFILES) return -ENODEV;
  swap_info& si = sl->info[type];
  SpinGuard guard(si.lock);
  if (!si.on) return -ENODEV;
  si.users++;
  return 0;
}

void put_swap_device(swap_layer* sl, unsigned type) {
  swap_info& si = sl->info[type];
  SpinGuard guard(si.lock);
  si.users--;
}

void swap_layer_init(swap_layer* sl, const swap_layer_config& config, PageAllocator* pages,
                     zswap* zs) {
  sl->config = config;
  sl->pages = pages;
  sl->zs = zs;
}

void swap_layer_exit(swap_layer* sl) {
  for (unsigned type = 0; type < MAX_SWAPFILES; type++) swapoff(sl, type);
}

int swapon(swap_layer* sl, unsigned type) {
  if (type >= MAX_SWAPFILES) return -EINVAL;
  SpinGuard serialise(sl->swapon_lock);
  swap_info& si = sl->info[type];
  {
    SpinGuard guard(si.lock);
    if (si.on) return -EBUSY;
  }
  const pgoff_t n = sl->config.slots_per_type;
  const int ret = zswap_frontswap_init(sl->zs, type, n);
  if (ret) return ret;
  {
    SpinGuard guard(sl->cache_lock);
    si.cache.assign(n, nullptr);
    si.in_use.assign(n, 0);
  }
  SpinGuard guard(si.lock);
  si.nslots = n;
  si.device.clear();
  si.device.resize(n);
  si.on = true;
  return 0;
}

int swapoff(swap_layer* sl, unsigned type) {
  if (type >= MAX_SWAPFILES) return -EINVAL;
  SpinGuard serialise(sl->swapon_lock);
  swap_info& si = sl->info[type];
  {
    SpinGuard guard(si.lock);
    if (!si.on) return -EINVAL;
    si.on = false;
  }
  // Wait for every user of the type (stores, loads, the shrinker) to leave.
  for (;;) {
    {
      SpinGuard guard(si.lock);
      if (si.users == 0) break;
    }
    sched::wait(&si, "swapoff: wait for users");
  }
  for (pgoff_t offset = 0; offset < si.nslots; offset++) drop_cached_page(sl, type, offset);
  zswap_frontswap_invalidate_area(sl->zs, type);
  SpinGuard guard(si.lock);
  for (auto& data : si.device)
    if (data) sl->device_pages.fetch_sub(1, std::memory_order_relaxed);
  si.device.clear();
  si.nslots = 0;
  return 0;
}

int swap_store(swap_layer* sl, unsigned type, pgoff_t offset, const unsigned char* data) {
  if (int err = get_swap_slot(sl, type, offset)) return err;
  swap_page* page = claim_slot(sl, type, offset, data);
  set_slot_in_use(sl, type, offset, true);
  const int ret = zswap_frontswap_store(sl->zs, type, offset, data);
  if (ret) device_write(sl, type, offset, data);
  release_slot(sl, page);
  put_swap_device(sl, type);
  return ret;
}

int swap_load(swap_layer* sl, unsigned type, pgoff_t offset, unsigned char* out,
              load_source* source) {
  *source = load_source::none;
  if (int err = get_swap_slot(sl, type, offset)) return err;
  // The swap cache, then zswap, then the cache again (writeback may have moved the
  // page there meanwhile; it leaves only once its write is on the device), then the
  // device.
  int ret = -ENOENT;
  if (read_swap_cache(sl, type, offset, out)) {
    *source = load_source::swap_cache;
    ret = 0;
  } else if ((ret = zswap_frontswap_load(sl->zs, type, offset, out)) == 0) {
    *source = load_source::zswap;
  } else if (ret == -ENOENT && read_swap_cache(sl, type, offset, out)) {
    *source = load_source::swap_cache;
    ret = 0;
  } else if (ret == -ENOENT) {
    swap_info& si = sl->info[type];
    SpinGuard guard(si.lock);
    if (si.device[offset]) {
      std::memcpy(out, si.device[offset].get(), PAGE_SIZE);
      *source = load_source::device;
      ret = 0;
    }
  }
  put_swap_device(sl, type);
  return ret;
}

int swap_invalidate(swap_layer* sl, unsigned type, pgoff_t offset) {
  if (int err = get_swap_slot(sl, type, offset)) return err;
  swap_page* claim = claim_slot(sl, type, offset, nullptr);
  set_slot_in_use(sl, type, offset, false);
  zswap_frontswap_invalidate_page(sl->zs, type, offset);
  device_discard(sl, type, offset);
  release_slot(sl, claim);
  put_swap_device(sl, type);
  return 0;
}

int swap_compact(swap_layer* sl, unsigned type, pgoff_t offset) {
  if (int err = get_swap_slot(sl, type, offset)) return err;
  const int ret = zswap_compact_entry(sl->zs, type, offset);
  put_swap_device(sl, type);
  return ret;
}

unsigned swap_complete_io(swap_layer* sl, unsigned n) {
  unsigned done = 0;
  while (done < n && complete_one(sl)) done++;
  return done;
}

swap_stats swap_get_stats(const swap_layer* sl) {
  swap_stats s;
#define SWAP_STAT_READ(name) s.name = sl->name.load(std::memory_order_relaxed);
  SWAP_STATS(SWAP_STAT_READ)
#undef SWAP_STAT_READ
  return s;
}
