#include "zswap_ref.h"

#include <lz4.h>
#include <zstd.h>

#include <cerrno>

namespace ref {

namespace {
constexpr unsigned kZswapHeaderSize = 8;  // the swap entry in front of the data
constexpr unsigned kStoreReclaimRetries = 8;
}  // namespace

SwapRef::SwapRef(const SwapConfig& config) : config_(config) {
  for (unsigned type = 0; type < kSwapTypes; type++) swapon(type);
}

SwapRef::SwapRef(const SwapRef& other) {
  std::lock_guard<std::mutex> lock(other.mutex_);
  config_ = other.config_;
  faults_ = other.faults_;
  io_ = other.io_;
  storing_ = other.storing_;
  stats_ = other.stats_;
  for (unsigned type = 0; type < kSwapTypes; type++) {
    const Type& from = other.types_[type];
    Type& to = types_[type];
    to.on = from.on;
    if (from.pool) to.pool.emplace(*from.pool, &faults_, evict_for(type));
    to.entries = from.entries;
    to.offset_of = from.offset_of;
    to.in_use = from.in_use;
    to.cache = from.cache;
    to.device = from.device;
  }
}

ZbudRef::Evict SwapRef::evict_for(unsigned type) {
  return [this, type](ZbudRef::Handle h) { return writeback(type, h); };
}

std::uint64_t SwapRef::compressed_length(const Page& page) const {
  thread_local std::vector<char> dst(2 * kPageSize);
  if (config_.zstd) {
    // One context per thread: ZSTD_compress makes one per call (allocates and clears its
    // tables), which was most of what a zstd store cost ref. The output is the same.
    thread_local const std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> ctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
    return ZSTD_compressCCtx(ctx.get(), dst.data(), dst.size(), page.data(), page.size(), 1);
  }
  return static_cast<std::uint64_t>(LZ4_compress_default(reinterpret_cast<const char*>(page.data()),
                                                          dst.data(), static_cast<int>(page.size()),
                                                          static_cast<int>(dst.size())));
}

std::uint64_t SwapRef::total_pool_pages() const {
  std::uint64_t total = 0;
  for (const Type& t : types_)
    if (t.on) total += t.pool->pages();
  return total;
}

std::uint64_t SwapRef::max_pool_pages() const { return config_.totalram_pages * config_.max_pool_percent / 100; }

bool SwapRef::is_full() const { return max_pool_pages() < stats_.pool_pages; }

void SwapRef::update_pool_pages() { stats_.pool_pages = total_pool_pages(); }

void SwapRef::erase_entry(unsigned type, std::uint64_t offset) {
  Type& t = types_[type];
  const ZbudRef::Handle h = t.entries.at(offset).handle;
  t.entries.erase(offset);
  t.offset_of.erase(h);
  t.pool->free(h);
  stats_.stored_pages--;
  update_pool_pages();
}

void SwapRef::complete_one() {
  Write w = std::move(io_.front());
  io_.pop_front();
  types_[w.type].cache.erase(w.offset);  // a clean written-back page is reclaimed
  types_[w.type].device[w.offset] = std::move(w.bytes);
  stats_.outstanding_writeback_pages--;
  stats_.writeback_completed++;
}

void SwapRef::drop_cached_page(unsigned type, std::uint64_t offset) {
  Type& t = types_[type];
  if (!t.cache.count(offset)) return;
  // Its write completes first; the device completes writes in order.
  auto pending = [&] {
    for (const Write& w : io_)
      if (w.type == type && w.offset == offset) return true;
    return false;
  };
  while (pending()) complete_one();
  t.cache.erase(offset);
}

int SwapRef::writeback(unsigned type, ZbudRef::Handle handle) {
  Type& t = types_[type];
  const std::uint64_t offset = t.offset_of.at(handle);
  if (t.cache.count(offset) || storing_ == std::make_pair(type, offset)) return -EEXIST;
  if (!t.in_use.count(offset) || faults_.page_alloc_fails()) return -ENOMEM;
  t.cache[offset] = t.entries.at(offset).bytes;
  io_.push_back(Write{type, offset, t.entries.at(offset).bytes});
  stats_.outstanding_writeback_pages++;
  stats_.written_back_pages++;
  erase_entry(type, offset);
  return 0;
}

int SwapRef::zswap_store(unsigned type, std::uint64_t offset, const Bytes& page) {
  Type& t = types_[type];
  int ret = 0;
  ZbudRef::Handle h = 0;
  if (is_full()) {
    stats_.pool_limit_hit++;
    if (t.pool->reclaim_page(kStoreReclaimRetries)) {
      stats_.reject_reclaim_fail++;
      ret = -ENOMEM;
    } else if (is_full()) {
      ret = -ENOMEM;
    }
  }
  if (ret == 0 && faults_.slab_alloc_fails()) {
    stats_.reject_kmemcache_fail++;
    ret = -ENOMEM;
  }
  if (ret == 0) {
    ret = t.pool->alloc(static_cast<int>(compressed_length(*page) + kZswapHeaderSize), &h);
    if (ret == -ENOSPC)
      stats_.reject_compress_poor++;
    else if (ret)
      stats_.reject_alloc_fail++;
  }
  // A store that fails leaves no older copy behind.
  if (t.entries.count(offset)) {
    if (ret == 0) stats_.duplicate_entry++;
    erase_entry(type, offset);
  }
  if (ret) return ret;
  t.entries[offset] = Entry{page, h};
  t.offset_of[h] = offset;
  stats_.stored_pages++;
  update_pool_pages();
  return 0;
}

int SwapRef::swapon(unsigned type) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (type >= kSwapTypes) return -EINVAL;
  Type& t = types_[type];
  if (t.on) return -EBUSY;
  t = Type{};
  t.on = true;
  t.pool.emplace(&faults_, evict_for(type));
  return 0;
}

int SwapRef::swapoff(unsigned type) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (type >= kSwapTypes || !types_[type].on) return -EINVAL;
  Type& t = types_[type];
  while (!t.cache.empty()) drop_cached_page(type, t.cache.begin()->first);
  const bool had_entries = !t.entries.empty();
  stats_.stored_pages -= t.entries.size();
  t = Type{};
  // Each freed entry updated the total; after the last, this type's pool is empty.
  if (had_entries) update_pool_pages();
  return 0;
}

int SwapRef::store(unsigned type, std::uint64_t offset, const Page& page) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (type >= kSwapTypes || !types_[type].on) return -ENODEV;
  if (offset >= config_.slots_per_type) return -EINVAL;
  Type& t = types_[type];
  t.in_use.insert(offset);
  drop_cached_page(type, offset);
  storing_ = {type, offset};
  const Bytes bytes = std::make_shared<const Page>(page);
  const int ret = zswap_store(type, offset, bytes);
  storing_.reset();
  if (ret) t.device[offset] = bytes;
  return ret;
}

const SwapRef::Bytes* SwapRef::find_page(unsigned type, std::uint64_t offset, Source* source) const {
  const Type& t = types_[type];
  if (auto it = t.cache.find(offset); it != t.cache.end()) {
    *source = Source::swap_cache;
    return &it->second;
  }
  if (auto e = t.entries.find(offset); e != t.entries.end()) {
    *source = Source::zswap;
    return &e->second.bytes;
  }
  if (auto d = t.device.find(offset); d != t.device.end()) {
    *source = Source::device;
    return &d->second;
  }
  *source = Source::none;
  return nullptr;
}

int SwapRef::load(unsigned type, std::uint64_t offset, Page* out, Source* source) const {
  std::lock_guard<std::mutex> lock(mutex_);
  *source = Source::none;
  if (type >= kSwapTypes || !types_[type].on) return -ENODEV;
  if (offset >= config_.slots_per_type) return -EINVAL;
  const Bytes* bytes = find_page(type, offset, source);
  if (!bytes) return -ENOENT;
  *out = **bytes;
  return 0;
}

Source SwapRef::source_of(unsigned type, std::uint64_t offset) const {
  std::lock_guard<std::mutex> lock(mutex_);
  Source source = Source::none;
  if (type < kSwapTypes && types_[type].on && offset < config_.slots_per_type) find_page(type, offset, &source);
  return source;
}

int SwapRef::invalidate(unsigned type, std::uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (type >= kSwapTypes || !types_[type].on) return -ENODEV;
  if (offset >= config_.slots_per_type) return -EINVAL;
  Type& t = types_[type];
  t.in_use.erase(offset);
  drop_cached_page(type, offset);
  if (t.entries.count(offset)) erase_entry(type, offset);
  t.device.erase(offset);
  return 0;
}

int SwapRef::compact(unsigned type, std::uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (type >= kSwapTypes || !types_[type].on) return -ENODEV;
  if (offset >= config_.slots_per_type) return -EINVAL;
  const Type& t = types_[type];
  auto it = t.entries.find(offset);
  return it == t.entries.end() ? -ENOENT : types_[type].pool->migrate(it->second.handle);
}

unsigned SwapRef::shrink(unsigned nr) {
  std::lock_guard<std::mutex> lock(mutex_);
  unsigned freed = 0;
  while (freed < nr && stats_.outstanding_writeback_pages < config_.max_outstanding_writeback) {
    unsigned best = kSwapTypes;
    for (unsigned type = 0; type < kSwapTypes; type++)
      if (pool_pages(type) > (best == kSwapTypes ? 0 : pool_pages(best))) best = type;
    if (best == kSwapTypes || types_[best].pool->reclaim_lru_frame() != 0) break;
    freed++;
  }
  return freed;
}

unsigned SwapRef::complete_io(unsigned n) {
  std::lock_guard<std::mutex> lock(mutex_);
  unsigned done = 0;
  for (; done < n && !io_.empty(); done++) complete_one();
  return done;
}

void SwapRef::set_max_pool_percent(unsigned percent) {
  std::lock_guard<std::mutex> lock(mutex_);
  config_.max_pool_percent = percent;
}

void SwapRef::fail_next_pages(unsigned n) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.fail_pages = n;
}

void SwapRef::fail_next_slab(unsigned n) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_.fail_slab = n;
}

std::uint64_t SwapRef::pool_pages(unsigned type) const {
  return types_[type].on ? types_[type].pool->pages() : 0;
}

std::uint64_t SwapRef::entries(unsigned type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return types_[type].entries.size();
}

bool SwapRef::is_on(unsigned type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return types_[type].on;
}

Stats SwapRef::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = stats_;
  for (const Type& t : types_) {
    s.swap_cache_pages += t.cache.size();
    s.device_pages += t.device.size();
  }
  return s;
}

}  // namespace ref
