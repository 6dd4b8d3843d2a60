// The reference swap system: zswap, the swap cache, the swap devices and the write
// queue, as an executable specification of their sequential behaviour.
//
// Entries are a std::map of offset -> page bytes and zbud handle;
// the compressor is called only to learn the compressed length. Writeback of an
// entry moves its bytes into the swap cache and queues a device write; the device is
// a map of offset -> bytes.
//
// Left out on purpose: reference counts and the refcount protocol (sequentially an
// entry is gone as soon as it leaves the tree), locks and concurrency (one mutex),
// the zswap header (ref knows each handle's offset), corrupt compressed data (ref
// holds plain bytes), and where in memory anything lives.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "zbud_ref.h"

namespace ref {

inline constexpr unsigned kSwapTypes = 4;
using Page = std::vector<std::uint8_t>;  // kPageSize bytes

struct SwapConfig {
  bool zstd = false;  // else lz4
  std::uint64_t totalram_pages = 1024;
  unsigned max_pool_percent = 20;
  std::uint64_t slots_per_type = 256;
  unsigned max_outstanding_writeback = 16;
};

// Field names match impl's ZSWAP_STATS and SWAP_STATS; the harness compares them.
struct Stats {
  std::uint64_t pool_limit_hit = 0, reject_reclaim_fail = 0, reject_alloc_fail = 0,
                reject_kmemcache_fail = 0, reject_compress_poor = 0, written_back_pages = 0,
                duplicate_entry = 0, stored_pages = 0, pool_pages = 0;
  std::uint64_t outstanding_writeback_pages = 0, writeback_completed = 0, swap_cache_pages = 0,
                device_pages = 0;
};

enum class Source { none, swap_cache, zswap, device };

class SwapRef {
 public:
  explicit SwapRef(const SwapConfig& config);
  // A copy of the whole state (property tests copy the model to predict an outcome).
  SwapRef(const SwapRef& other);
  SwapRef& operator=(const SwapRef&) = delete;

  int swapon(unsigned type);
  int swapoff(unsigned type);
  int store(unsigned type, std::uint64_t offset, const Page& page);
  int load(unsigned type, std::uint64_t offset, Page* out, Source* source) const;
  // Where load would find the page, without copying it (none: load fails).
  Source source_of(unsigned type, std::uint64_t offset) const;
  int invalidate(unsigned type, std::uint64_t offset);
  int compact(unsigned type, std::uint64_t offset);
  unsigned shrink(unsigned nr);
  unsigned complete_io(unsigned n);
  void set_max_pool_percent(unsigned percent);
  // The pool limit: the pools are full when together they have more pages than this.
  std::uint64_t max_pool_pages() const;
  void fail_next_pages(unsigned n);
  void fail_next_slab(unsigned n);
  Stats stats() const;
  std::uint64_t pool_pages(unsigned type) const;
  std::uint64_t entries(unsigned type) const;
  bool is_on(unsigned type) const;

 private:
  // A page's bytes, shared by every place that holds them and by copies of the state:
  // no page is changed once stored, and property tests copy the state at every step.
  using Bytes = std::shared_ptr<const Page>;
  struct Entry {
    Bytes bytes;
    ZbudRef::Handle handle;
  };
  struct Type {
    bool on = false;
    std::optional<ZbudRef> pool;
    std::map<std::uint64_t, Entry> entries;
    std::map<ZbudRef::Handle, std::uint64_t> offset_of;
    std::set<std::uint64_t> in_use;
    std::map<std::uint64_t, Bytes> cache;
    std::map<std::uint64_t, Bytes> device;
  };
  struct Write {
    unsigned type;
    std::uint64_t offset;
    Bytes bytes;
  };

  // The bytes load returns for a slot of a type that is on, and where they are; null
  // (Source::none) when the slot holds nothing.
  const Bytes* find_page(unsigned type, std::uint64_t offset, Source* source) const;
  int zswap_store(unsigned type, std::uint64_t offset, const Bytes& page);
  int writeback(unsigned type, ZbudRef::Handle handle);
  ZbudRef::Evict evict_for(unsigned type);  // type's pool evicts by writeback
  void erase_entry(unsigned type, std::uint64_t offset);
  void drop_cached_page(unsigned type, std::uint64_t offset);
  void complete_one();
  bool is_full() const;
  std::uint64_t total_pool_pages() const;
  void update_pool_pages();
  std::uint64_t compressed_length(const Page& page) const;

  mutable std::mutex mutex_;
  SwapConfig config_;
  FaultInjector faults_;
  std::array<Type, kSwapTypes> types_;
  std::deque<Write> io_;
  // (type, offset) whose store is in progress: writeback of it meets EXIST.
  std::optional<std::pair<unsigned, std::uint64_t>> storing_;
  // stats_.pool_pages is the kernel's zswap_pool_pages: total_pool_pages() as of the
  // last successful store or entry free. The limit is compared with it.
  Stats stats_;
};

}  // namespace ref
