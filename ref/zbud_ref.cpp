#include "zbud_ref.h"

#include <cerrno>

namespace ref {

unsigned ZbudRef::free_chunks(const Page& p) const {
  return kChunksPerPage - 1 - p.chunks[0] - p.chunks[1];
}

int ZbudRef::alloc(int size, Handle* handle, std::vector<std::uint8_t> bytes) {
  if (size <= 0) return -EINVAL;
  if (size > static_cast<int>(kMaxAlloc)) return -ENOSPC;
  const unsigned chunks = (static_cast<unsigned>(size) + kChunkSize - 1) / kChunkSize;

  std::uint64_t best = 0;
  for (auto& [id, p] : pages_) {
    const bool one_free = (p.chunks[0] == 0) != (p.chunks[1] == 0);
    if (p.under_reclaim || !one_free || free_chunks(p) < chunks) continue;
    if (best == 0) {
      best = id;
      continue;
    }
    const Page& b = pages_[best];
    if (free_chunks(p) < free_chunks(b) ||
        (free_chunks(p) == free_chunks(b) && p.list_stamp > b.list_stamp))
      best = id;
  }
  if (best == 0) {
    if (faults_->page_alloc_fails()) return -ENOMEM;
    best = next_page_++;
    pages_[best] = Page{};
  }
  Page& p = pages_[best];
  const int bud = p.chunks[0] == 0 ? 0 : 1;
  const Handle h = next_handle_++;
  p.chunks[bud] = chunks;
  p.handle[bud] = h;
  p.list_stamp = ++stamp_;
  p.lru_stamp = ++stamp_;
  bytes.resize(static_cast<std::size_t>(size));
  objects_[h] = Object{best, bud, 1, false, std::move(bytes)};
  *handle = h;
  return 0;
}

bool ZbudRef::drop_reference(Handle h) {
  Object& o = objects_.at(h);
  if (--o.map_count > 0) return false;
  Page& p = pages_.at(o.page);
  p.chunks[o.bud] = 0;
  p.handle[o.bud] = 0;
  const std::uint64_t page = o.page;
  objects_.erase(h);
  if (p.under_reclaim) return true;  // reclaim decides the page's fate
  if (p.chunks[0] == 0 && p.chunks[1] == 0)
    pages_.erase(page);
  else
    p.list_stamp = ++stamp_;
  return true;
}

void ZbudRef::free(Handle h) {
  objects_.at(h).freed = true;
  drop_reference(h);
}

bool ZbudRef::map(Handle h) {
  auto it = objects_.find(h);
  if (it == objects_.end()) return false;
  it->second.map_count++;
  return true;
}

bool ZbudRef::unmap(Handle h) { return drop_reference(h); }

int ZbudRef::migrate(Handle h) {
  const Object& o = objects_.at(h);
  const Page& p = pages_.at(o.page);
  if (p.under_reclaim) return -EBUSY;
  for (Handle b : p.handle) {
    if (b == 0) continue;
    const Object& buddy = objects_.at(b);
    if (buddy.map_count > (buddy.freed ? 0 : 1)) return -EBUSY;
  }
  if (faults_->page_alloc_fails()) return -ENOMEM;
  return 0;
}

int ZbudRef::reclaim_once() {
  std::uint64_t oldest = 0;
  for (auto& [id, p] : pages_)
    if (!p.under_reclaim && (oldest == 0 || p.lru_stamp < pages_[oldest].lru_stamp)) oldest = id;
  if (oldest == 0) return -EINVAL;
  pages_[oldest].under_reclaim = true;
  const Handle first = pages_[oldest].handle[0];
  const Handle last = pages_[oldest].handle[1];
  int ret = 0;
  if (first) ret = evict_(first);
  if (ret == 0 && last) ret = evict_(last);
  Page& p = pages_.at(oldest);
  p.under_reclaim = false;
  if (p.chunks[0] == 0 && p.chunks[1] == 0) {
    pages_.erase(oldest);
    return 0;
  }
  p.list_stamp = ++stamp_;
  p.lru_stamp = ++stamp_;
  return -EAGAIN;
}

int ZbudRef::reclaim_page(unsigned retries) {
  if (!evict_ || pages_.empty() || retries == 0) return -EINVAL;
  for (unsigned i = 0; i < retries; i++) {
    const int ret = reclaim_once();
    if (ret == 0) return 0;
    if (ret == -EINVAL) break;
  }
  return -EAGAIN;
}

int ZbudRef::reclaim_lru_frame() {
  if (!evict_ || pages_.empty()) return -EINVAL;
  const int ret = reclaim_once();
  return ret == -EINVAL ? -EAGAIN : ret;
}

}  // namespace ref
