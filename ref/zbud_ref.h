// The reference zbud: an executable specification of zbud's observable behaviour.
//
// Pages are records with two chunk counts and two stamps; objects keep their bytes
// in vectors. First fit is "among pages with exactly one free buddy and enough free
// chunks, the fewest free chunks, then the newest list stamp"; reclaim takes the
// oldest LRU stamp. A stamp is renewed whenever the kernel would list_add the page.
//
// Left out on purpose: memory layout (offsets, the header chunk, poisoning), the
// handle table's ids (ref numbers handles 1, 2, 3, ...; the harness maps them),
// concurrency (one mutex serialises everything), and migration's copy (a page that
// migrates is the same record).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

namespace ref {

inline constexpr unsigned kPageSize = 4096;
inline constexpr unsigned kChunkSize = 64;
inline constexpr unsigned kChunksPerPage = kPageSize / kChunkSize;  // 64, one is the header
inline constexpr unsigned kMaxAlloc = kPageSize - 2 * kChunkSize;  // 3968

// Page allocation failures injected by the test; shared by every pool of a system.
struct FaultInjector {
  unsigned fail_pages = 0;
  unsigned fail_slab = 0;
  bool page_alloc_fails() { return fail_pages > 0 && fail_pages-- > 0; }
  bool slab_alloc_fails() { return fail_slab > 0 && fail_slab-- > 0; }
};

class ZbudRef {
 public:
  using Handle = std::uint64_t;
  // Called for each buddy of a page being reclaimed; 0 means "I freed it".
  using Evict = std::function<int(Handle)>;

  ZbudRef(FaultInjector* faults, Evict evict) : faults_(faults), evict_(std::move(evict)) {}
  // A copy of other's pages and objects that reports to new callbacks (for a copy of
  // the object that owns the pool).
  ZbudRef(const ZbudRef& other, FaultInjector* faults, Evict evict) : ZbudRef(other) {
    faults_ = faults;
    evict_ = std::move(evict);
  }
  ZbudRef(ZbudRef&&) = default;  // callbacks and all: within one owner
  ZbudRef& operator=(ZbudRef&&) = default;

  // size is zbud_alloc's int: <= 0 is -EINVAL.
  int alloc(int size, Handle* handle, std::vector<std::uint8_t> bytes = {});
  void free(Handle h);
  int reclaim_page(unsigned retries);
  // One attempt, page frame handed back (not freed): returns 0 when the page emptied.
  int reclaim_lru_frame();
  bool map(Handle h);  // false: already released
  bool unmap(Handle h);  // true when this released the object
  int migrate(Handle h);
  std::uint64_t pages() const { return pages_.size(); }
  std::uint64_t live_handles() const { return objects_.size(); }
  bool live(Handle h) const { return objects_.count(h) != 0; }
  const std::vector<std::uint8_t>& bytes(Handle h) const { return objects_.at(h).bytes; }
  std::vector<std::uint8_t>& bytes(Handle h) { return objects_.at(h).bytes; }

 private:
  ZbudRef(const ZbudRef&) = default;  // would keep the old owner's callbacks
  struct Page {
    unsigned chunks[2] = {0, 0};  // [0] first buddy, [1] last buddy
    Handle handle[2] = {0, 0};
    std::uint64_t list_stamp = 0;
    std::uint64_t lru_stamp = 0;
    bool under_reclaim = false;
  };
  struct Object {
    std::uint64_t page;
    int bud;
    int map_count;  // the allocation's reference plus maps
    bool freed;
    std::vector<std::uint8_t> bytes;
  };

  int reclaim_once();
  bool drop_reference(Handle h);  // true when the object was released
  unsigned free_chunks(const Page& p) const;

  FaultInjector* faults_;
  Evict evict_;
  std::map<std::uint64_t, Page> pages_;
  std::map<Handle, Object> objects_;
  std::uint64_t next_page_ = 1;
  Handle next_handle_ = 1;
  std::uint64_t stamp_ = 0;
};

}  // namespace ref
