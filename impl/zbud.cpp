// zbud: stores up to two compressed pages ("buddies") per page frame.
//
// Design (as mm/zbud.c): the page's first chunk holds struct zbud_header. The FIRST
// buddy is left-justified right after the header, the LAST buddy right-justified at
// the end of the page. A page with one free buddy sits on unbuddied[n], n its free
// chunks; a full page on the buddied list. Allocation is first fit over
// unbuddied[chunks..NCHUNKS-1], taking the page added most recently; a bit per list
// lets it skip the lists known to be empty. Every page is on the LRU (head = most
// recently allocated into); reclaim takes the tail.
//
// Handles are indirect (seed 000): a handle is an index into the pool's handle
// table, whose one-word slot holds the header's address and the buddy. Pages can thus
// migrate without the user noticing. Released handles are reused last in, first out,
// as the kernel reuses ids: the released slots form the free list. Each buddy has a
// map count that includes the allocation's own reference: zbud_alloc sets it to 1,
// zbud_map/zbud_unmap add/drop one, zbud_free drops the allocation's. The buddy is
// released when the count reaches zero, so a handle that writeback has mapped stays
// valid while a concurrent invalidate frees it.
//
// Reclaim drops the pool lock around the evict callback; the page is then marked
// under_reclaim and is on no list, and a release of one of its buddies must leave
// the page to reclaim, which frees it or puts it back.
//
// The eviction contract (mm/zbud.c, zbud_reclaim_page): evict(h) either fails or
// frees h. It frees no other handle of the pool: that would mean the callback wrote
// back an object that does not live in the page under reclaim (seed 000: a writeback
// that matches its entry by offset alone, after the handle was freed and the offset
// stored again). zbud_free checks this, as a VM_BUG_ON would.
//
// Under ASan, released buddy bytes and the free part of a page are ASan-poisoned. With
// the harness's checks (ZSWAP_HARNESS_CHECKS, bug.h) they are also filled with
// POISON_FREE, so the differential sees a stale read through an old mapping without
// ASan too, and zbud_free, zbud_unmap and zbud_map BUG on a misused handle and on a
// broken eviction contract. The release build leaves all of that out, as the kernel
// does: the fill alone writes up to 4 KiB of cold memory per release and evicts the
// headers the next operations need.
//
// Locking: pool->lock guards everything in the pool and in its page headers. It is
// innermost: callers may hold zswap's tree lock (lock_order.h has the whole order);
// no lock is held while calling evict.
#include "zbud.h"

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "bug.h"
#include "list.h"
#include "mutants.h"
#include "sync.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZBUD_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ZBUD_ASAN 1
#endif
#ifdef ZBUD_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace {

constexpr unsigned char POISON_FREE = 0x6b;

enum Buddy : unsigned char { FIRST, LAST };

struct zbud_header {
  list_head buddy;               // pool->lock: unbuddied[] or buddied
  list_head lru;                 // pool->lock: pool->lru
  unsigned long first_handle;    // pool->lock: 0 when the first buddy is free
  unsigned long last_handle;     // pool->lock
  unsigned short first_chunks;   // pool->lock: size in chunks, 0 if free
  unsigned short last_chunks;    // pool->lock
  short first_map_count;         // pool->lock: allocation reference + maps
  short last_map_count;          // pool->lock
  bool first_freed;              // pool->lock: zbud_free was called, map still held
  bool last_freed;               // pool->lock
  bool under_reclaim;            // pool->lock
};
static_assert(sizeof(zbud_header) <= ZHDR_SIZE_ALIGNED, "the header must fit in chunk 0");
static_assert(alignof(zbud_header) <= CHUNK_SIZE);
static_assert(NCHUNKS - 1 < (1u << 16), "chunk counts fit in unsigned short");
static_assert(NCHUNKS <= 64, "zbud_pool.unbuddied_listed has a bit per list");

// A handle's slot in the table: one word, so that the table stays small and a
// lookup costs one cache line. Live: the header's address | the buddy (headers are
// page aligned, which leaves the low bits free). Released: SLOT_FREE | the next free
// handle << SLOT_NEXT_SHIFT (0: the end of the free list).
struct handle_slot {
  std::uintptr_t word;  // pool->lock
};
constexpr std::uintptr_t SLOT_LAST = 1;  // live, the LAST buddy (else FIRST)
constexpr std::uintptr_t SLOT_FREE = 2;
constexpr unsigned SLOT_NEXT_SHIFT = 2;
static_assert(sizeof(handle_slot) == 8, "a slot is one word");
static_assert(LAST == SLOT_LAST && (SLOT_LAST | SLOT_FREE) < PAGE_SIZE,
              "the buddy and the free mark fit below a page-aligned address");

handle_slot live_slot(zbud_header* zhdr, Buddy bud) {
  return {reinterpret_cast<std::uintptr_t>(zhdr) | bud};
}
bool slot_released(handle_slot slot) { return slot.word & SLOT_FREE; }
zbud_header* slot_header(handle_slot slot) {
  return reinterpret_cast<zbud_header*>(slot.word & ~(PAGE_SIZE - 1));
}
Buddy slot_buddy(handle_slot slot) { return static_cast<Buddy>(slot.word & SLOT_LAST); }

void poison(void* addr, std::size_t size) {
  if (ZSWAP_HARNESS_CHECKS) std::memset(addr, POISON_FREE, size);
#ifdef ZBUD_ASAN
  ASAN_POISON_MEMORY_REGION(addr, size);
#endif
}

void unpoison(void* addr, std::size_t size) {
#ifdef ZBUD_ASAN
  ASAN_UNPOISON_MEMORY_REGION(addr, size);
#endif
  (void)addr;
  (void)size;
}

}  // namespace

struct zbud_pool {
  zbud_pool(PageAllocator* p, const zbud_ops* o, void* own) : pages(p), ops(o), owner(own) {
    for (list_head& l : unbuddied) INIT_LIST_HEAD(&l);
    INIT_LIST_HEAD(&buddied);
    INIT_LIST_HEAD(&lru);
  }

  SpinLock lock{"zbud_pool.lock"};
  list_head unbuddied[NCHUNKS];          // lock
  std::uint64_t unbuddied_listed = 0;    // lock: bit i clear: unbuddied[i] is empty
  list_head buddied;                     // lock
  list_head lru;                         // lock
  std::atomic<std::uint64_t> pages_nr{0};  // written under lock, read locklessly
  std::vector<handle_slot> handles;      // lock: handle h is handles[h - 1]
  unsigned long free_handle = 0;         // lock: the last released handle, 0 if none
  std::uint64_t live_handles = 0;        // lock
  PageAllocator* const pages;            // constant: set at creation
  const zbud_ops* const ops;             // constant
  void* const owner;                     // constant
};

namespace {

unsigned size_to_chunks(std::size_t size) {
  return static_cast<unsigned>((size + CHUNK_SIZE - 1) >> CHUNK_SHIFT);
}

// Free chunks in the page; -1 for the header chunk.
unsigned num_free_chunks(const zbud_header* zhdr) {
  return NCHUNKS - zhdr->first_chunks - zhdr->last_chunks - 1;
}

char* page_of(zbud_header* zhdr) { return reinterpret_cast<char*>(zhdr); }

zbud_header* init_zbud_page(void* page) {
  auto* zhdr = new (page) zbud_header{};
  INIT_LIST_HEAD(&zhdr->buddy);
  INIT_LIST_HEAD(&zhdr->lru);
  poison(page_of(zhdr) + ZHDR_SIZE_ALIGNED, PAGE_SIZE - ZHDR_SIZE_ALIGNED);
  return zhdr;
}

void free_zbud_page(zbud_pool* pool, zbud_header* zhdr) {
  unpoison(zhdr, PAGE_SIZE);
  pool->pages->free_page(zhdr);
}

char* buddy_address(zbud_header* zhdr, Buddy bud) {
  if (bud == FIRST) return page_of(zhdr) + ZHDR_SIZE_ALIGNED;
  return page_of(zhdr) + PAGE_SIZE - (std::size_t{zhdr->last_chunks} << CHUNK_SHIFT);
}

std::size_t buddy_size(const zbud_header* zhdr, Buddy bud) {
  return std::size_t{bud == FIRST ? zhdr->first_chunks : zhdr->last_chunks} << CHUNK_SHIFT;
}

// The handle table and every page header below are guarded by pool->lock.
unsigned long new_handle(zbud_pool* pool, zbud_header* zhdr, Buddy bud) {
  lockdep_assert_held(pool->lock);
  unsigned long handle = pool->free_handle;
  if (handle) {
    pool->free_handle = pool->handles[handle - 1].word >> SLOT_NEXT_SHIFT;
    pool->handles[handle - 1] = live_slot(zhdr, bud);
  } else {
    pool->handles.push_back(live_slot(zhdr, bud));
    handle = pool->handles.size();
  }
  pool->live_handles++;
  return handle;
}

// Marks handle released and puts it at the head of the free list.
void release_handle(zbud_pool* pool, unsigned long handle) {
  lockdep_assert_held(pool->lock);
  pool->handles[handle - 1].word = pool->free_handle << SLOT_NEXT_SHIFT | SLOT_FREE;
  pool->free_handle = handle;
  pool->live_handles--;
}

// The slot of an issued handle; a handle that was never issued is a BUG.
handle_slot slot_of(zbud_pool* pool, unsigned long handle) {
  lockdep_assert_held(pool->lock);
  ZSWAP_HARNESS_BUG_ON(handle == 0 || handle > pool->handles.size());
  return pool->handles[handle - 1];
}

// The slot of a handle that has not been released; using a released one is a BUG.
handle_slot live_slot_of(zbud_pool* pool, unsigned long handle) {
  const handle_slot slot = slot_of(pool, handle);
  ZSWAP_HARNESS_BUG_ON(slot_released(slot));
  return slot;
}

short& map_count(zbud_header* zhdr, Buddy bud) {
  return bud == FIRST ? zhdr->first_map_count : zhdr->last_map_count;
}

bool& freed_flag(zbud_header* zhdr, Buddy bud) {
  return bud == FIRST ? zhdr->first_freed : zhdr->last_freed;
}

// Puts a page with a free buddy on unbuddied[its free chunks].
void add_unbuddied(zbud_pool* pool, zbud_header* zhdr) {
  lockdep_assert_held(pool->lock);
  const unsigned free_chunks = num_free_chunks(zhdr);
  list_add(&zhdr->buddy, &pool->unbuddied[free_chunks]);
  pool->unbuddied_listed |= std::uint64_t{1} << free_chunks;
}

// Puts a page that is on no list back where its chunk counts say.
void file_page(zbud_pool* pool, zbud_header* zhdr) {
  lockdep_assert_held(pool->lock);
  if (zhdr->first_chunks == 0 || zhdr->last_chunks == 0)
    add_unbuddied(pool, zhdr);
  else
    list_add(&zhdr->buddy, &pool->buddied);
}

// Releases a buddy whose map count reached zero. Called with pool->lock held.
void release_buddy(zbud_pool* pool, unsigned long handle, zbud_header* zhdr, Buddy bud) {
  lockdep_assert_held(pool->lock);
  poison(buddy_address(zhdr, bud), buddy_size(zhdr, bud));
  if (bud == FIRST) {
    zhdr->first_chunks = 0;
    zhdr->first_handle = 0;
    zhdr->first_freed = false;
  } else {
    zhdr->last_chunks = 0;
    zhdr->last_handle = 0;
    zhdr->last_freed = false;
  }
  release_handle(pool, handle);

  if (zhdr->under_reclaim && !mutants::is(Mutant::free_ignores_under_reclaim)) {
    // zbud page is under reclaim, reclaim will free
    return;
  }
  // Mutant free_ignores_under_reclaim: the page is freed or re-filed here even
  // though reclaim still owns it (the pre-3.11 zbud_free).

  list_del_init(&zhdr->buddy);
  if (zhdr->first_chunks == 0 && zhdr->last_chunks == 0) {
    list_del_init(&zhdr->lru);
    free_zbud_page(pool, zhdr);
    pool->pages_nr.fetch_sub(1, std::memory_order_relaxed);
  } else {
    add_unbuddied(pool, zhdr);
  }
}

enum class FrameDisposal { free_it, hand_back };

// The handle this task (sync.h) is evicting, for the eviction-contract check in zbud_free.
struct Eviction {
  const zbud_pool* pool = nullptr;
  unsigned long handle = 0;
};

int evict(zbud_pool* pool, unsigned long handle) {
  if (!ZSWAP_HARNESS_CHECKS) return pool->ops->evict(pool, handle);
  Eviction& evicting = sched::task_local<Eviction>();
  evicting = Eviction{pool, handle};
  const int ret = pool->ops->evict(pool, handle);
  evicting = Eviction{};
  return ret;
}

// One reclaim attempt on the LRU tail; pool->lock is held on entry and on return.
// Returns 0 when the page emptied (freed, or handed back in *frame), -EAGAIN when a
// buddy remains, -EINVAL when there is nothing to reclaim.
int reclaim_lru_tail(zbud_pool* pool, FrameDisposal disposal, void** frame) {
  lockdep_assert_held(pool->lock);
  if (list_empty(&pool->lru)) return -EINVAL;
  zbud_header* zhdr = list_entry_of(pool->lru.prev, &zbud_header::lru);
  list_del_init(&zhdr->buddy);
  list_del_init(&zhdr->lru);
  zhdr->under_reclaim = true;
  // Protect zbud page against free: take both handles while the lock is held.
  const unsigned long first_handle = zhdr->first_chunks ? zhdr->first_handle : 0;
  const unsigned long last_handle = zhdr->last_chunks ? zhdr->last_handle : 0;
  pool->lock.unlock();

  // Issue the eviction callback(s); a failing evict skips the other buddy.
  int ret = 0;
  if (first_handle) ret = evict(pool, first_handle);
  if (ret == 0 && last_handle) ret = evict(pool, last_handle);

  pool->lock.lock();
  // Mutant reclaim_relock: the lock is taken again, as if evict had returned with it
  // dropped (a self-deadlock in the kernel).
  if (mutants::is(Mutant::reclaim_relock)) pool->lock.lock();
  zhdr->under_reclaim = false;
  if (zhdr->first_chunks == 0 && zhdr->last_chunks == 0) {
    pool->pages_nr.fetch_sub(1, std::memory_order_relaxed);
    if (disposal == FrameDisposal::hand_back) {
      // Mutant zcache_double_free: eviction frees the frame as well as handing it
      // to the shrinker, which frees it again (seed 004).
      if (mutants::is(Mutant::zcache_double_free)) free_zbud_page(pool, zhdr);
      unpoison(zhdr, PAGE_SIZE);
      *frame = zhdr;
    } else {
      free_zbud_page(pool, zhdr);
    }
    return 0;
  }
  // Add back to the appropriate list, and to the LRU head.
  file_page(pool, zhdr);
  list_add(&zhdr->lru, &pool->lru);
  return -EAGAIN;
}

}  // namespace

zbud_pool* zbud_create_pool(PageAllocator* pages, const zbud_ops* ops, void* owner) {
  return new zbud_pool(pages, ops, owner);
}

void zbud_destroy_pool(zbud_pool* pool) {
  // Pages still in the pool are on the LRU; free them with the pool, as the kernel's
  // users (zswap's invalidate_area) have freed every handle before this point.
  while (!list_empty(&pool->lru)) {
    zbud_header* zhdr = list_entry_of(pool->lru.next, &zbud_header::lru);
    list_del_init(&zhdr->lru);
    free_zbud_page(pool, zhdr);
  }
  delete pool;
}

void* zbud_pool_owner(zbud_pool* pool) { return pool->owner; }

int zbud_alloc(zbud_pool* pool, int size, unsigned long* handle) {
  if (size <= 0) return -EINVAL;
  // Mutant zbud_size_limit: the pre-fix bound lets a first buddy fill the whole page.
  const std::size_t limit =
      mutants::is(Mutant::zbud_size_limit) ? PAGE_SIZE - ZHDR_SIZE_ALIGNED : ZBUD_MAX_ALLOC;
  if (static_cast<std::size_t>(size) > limit) return -ENOSPC;
  const unsigned chunks = size_to_chunks(static_cast<std::size_t>(size));

  pool->lock.lock();
  zbud_header* zhdr = nullptr;
  Buddy bud = FIRST;
  // First fit: the most recently added page of the first non-empty list, among
  // the lists whose bit is set (a list that emptied since has its bit cleared here).
  for (std::uint64_t lists = pool->unbuddied_listed & ~std::uint64_t{0} << chunks; lists;
       lists &= lists - 1) {
    const unsigned i = std::countr_zero(lists);
    if (list_empty(&pool->unbuddied[i])) {
      pool->unbuddied_listed &= ~(std::uint64_t{1} << i);
      continue;
    }
    zhdr = list_entry_of(pool->unbuddied[i].next, &zbud_header::buddy);
    list_del_init(&zhdr->buddy);
    bud = zhdr->first_chunks == 0 ? FIRST : LAST;
    break;
  }
  if (!zhdr) {
    // Couldn't find an unbuddied zbud page, create a new one.
    pool->lock.unlock();
    void* page = pool->pages->alloc_page();
    if (!page) return -ENOMEM;
    pool->lock.lock();
    pool->pages_nr.fetch_add(1, std::memory_order_relaxed);
    zhdr = init_zbud_page(page);
    bud = FIRST;
  }

  if (bud == FIRST) {
    zhdr->first_chunks = static_cast<unsigned short>(chunks);
  } else {
    zhdr->last_chunks = static_cast<unsigned short>(chunks);
  }
  unpoison(buddy_address(zhdr, bud), buddy_size(zhdr, bud));
  const unsigned long h = new_handle(pool, zhdr, bud);
  (bud == FIRST ? zhdr->first_handle : zhdr->last_handle) = h;
  map_count(zhdr, bud) = 1;

  file_page(pool, zhdr);
  // Add/move zbud page to beginning of LRU.
  list_del_init(&zhdr->lru);
  list_add(&zhdr->lru, &pool->lru);
  pool->lock.unlock();
  *handle = h;
  return 0;
}

void zbud_free(zbud_pool* pool, unsigned long handle) {
  // evict(h) frees h or nothing (the eviction contract, above).
  if (ZSWAP_HARNESS_CHECKS) {
    const Eviction& evicting = sched::task_local<Eviction>();
    ZSWAP_BUG_ON(evicting.pool == pool && evicting.handle != handle);
  }
  SpinGuard guard(pool->lock);
  const handle_slot slot = live_slot_of(pool, handle);
  zbud_header* zhdr = slot_header(slot);
  const Buddy bud = slot_buddy(slot);
  bool& freed = freed_flag(zhdr, bud);
  ZSWAP_HARNESS_BUG_ON(freed);  // double free
  freed = true;
  if (--map_count(zhdr, bud) == 0) release_buddy(pool, handle, zhdr, bud);
}

int zbud_reclaim_page(zbud_pool* pool, unsigned retries) {
  SpinGuard guard(pool->lock);
  if (!pool->ops || !pool->ops->evict || list_empty(&pool->lru) || retries == 0)
    return -EINVAL;
  for (unsigned i = 0; i < retries; i++) {
    const int ret = reclaim_lru_tail(pool, FrameDisposal::free_it, nullptr);
    if (ret == 0) return 0;
    if (ret == -EINVAL) break;  // concurrent reclaimers emptied the LRU
  }
  return -EAGAIN;
}

int zbud_reclaim_lru_frame(zbud_pool* pool, void** frame) {
  SpinGuard guard(pool->lock);
  if (!pool->ops || !pool->ops->evict || list_empty(&pool->lru)) return -EINVAL;
  const int ret = reclaim_lru_tail(pool, FrameDisposal::hand_back, frame);
  return ret == -EINVAL ? -EAGAIN : ret;
}

void* zbud_map(zbud_pool* pool, unsigned long handle) {
  SpinGuard guard(pool->lock);
  const handle_slot slot = slot_of(pool, handle);
  if (slot_released(slot)) return nullptr;
  map_count(slot_header(slot), slot_buddy(slot))++;
  return buddy_address(slot_header(slot), slot_buddy(slot));
}

int zbud_unmap(zbud_pool* pool, unsigned long handle) {
  SpinGuard guard(pool->lock);
  const handle_slot slot = live_slot_of(pool, handle);
  zbud_header* zhdr = slot_header(slot);
  const Buddy bud = slot_buddy(slot);
  short& count = map_count(zhdr, bud);
  // A live, unfreed buddy holds the allocation's reference: unmapping below it is
  // an unbalanced unmap.
  ZSWAP_HARNESS_BUG_ON(count <= (freed_flag(zhdr, bud) ? 0 : 1));
  if (--count > 0) return 0;
  release_buddy(pool, handle, zhdr, bud);
  return 1;
}

int zbud_migrate_page(zbud_pool* pool, unsigned long handle) {
  SpinGuard guard(pool->lock);
  zbud_header* old = slot_header(live_slot_of(pool, handle));
  if (old->under_reclaim) return -EBUSY;
  auto mapped = [old](Buddy bud) {
    return map_count(old, bud) > (freed_flag(old, bud) ? 0 : 1);
  };
  // A mapped buddy must not move: its user holds a pointer into this page.
  // Mutant migrate_mapped_buddy: the check is missing.
  if (!mutants::is(Mutant::migrate_mapped_buddy) && (mapped(FIRST) || mapped(LAST)))
    return -EBUSY;
  void* page = pool->pages->alloc_page();
  if (!page) return -ENOMEM;
  sched::point("zbud_migrate_page: copy");

  zbud_header* moved = init_zbud_page(page);
  const zbud_header saved = *old;
  *moved = saved;
  list_replace(&old->buddy, &moved->buddy);
  list_replace(&old->lru, &moved->lru);
  for (Buddy bud : {FIRST, LAST}) {
    const std::size_t size = buddy_size(old, bud);
    if (size == 0) continue;
    unpoison(buddy_address(moved, bud), size);
    std::memcpy(buddy_address(moved, bud), buddy_address(old, bud), size);
    const unsigned long h = bud == FIRST ? old->first_handle : old->last_handle;
    pool->handles[h - 1] = live_slot(moved, bud);
  }
  free_zbud_page(pool, old);
  return 0;
}

std::uint64_t zbud_get_pool_size(const zbud_pool* pool) {
  return pool->pages_nr.load(std::memory_order_relaxed);
}

std::uint64_t zbud_live_handles(zbud_pool* pool) {
  SpinGuard guard(pool->lock);
  return pool->live_handles;
}
