#include "page_alloc.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "bug.h"

namespace {
constexpr std::size_t kChunkSize = std::size_t{2} << 20;  // one x86-64 huge page
constexpr std::size_t kChunkPages = kChunkSize / PAGE_SIZE;
// The chunks of allocators that are gone, kept for the next ones (at most kMaxSpare): the
// harness makes a fresh allocator per run, and a fresh chunk costs a fault that zeroes
// 2 MiB, more than a whole short run.
constexpr std::size_t kMaxSpare = 16;
struct SpareChunks {
  std::mutex lock;
  std::vector<void*> chunks;  // lock
};
SpareChunks& spare() {
  static auto* spare = new SpareChunks;  // never destroyed: allocators may outlive statics
  return *spare;
}

void* new_chunk() {
  {
    std::lock_guard<std::mutex> guard(spare().lock);
    if (!spare().chunks.empty()) {
      void* chunk = spare().chunks.back();
      spare().chunks.pop_back();
      return chunk;
    }
  }
  void* chunk = std::aligned_alloc(kChunkSize, kChunkSize);
  if (chunk) madvise(chunk, kChunkSize, MADV_HUGEPAGE);  // advice: small pages work too
  return chunk;
}

void release_chunk(void* chunk) {
  std::lock_guard<std::mutex> guard(spare().lock);
  if (spare().chunks.size() < kMaxSpare)
    spare().chunks.push_back(chunk);
  else
    std::free(chunk);
}
}  // namespace

PageAllocator::~PageAllocator() {
  for (void* chunk : chunks_) release_chunk(chunk);
}

bool PageAllocator::consume(std::atomic<unsigned>& counter) {
  unsigned n = counter.load(std::memory_order_relaxed);
  while (n > 0)
    if (counter.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) return true;
  return false;
}

void* PageAllocator::alloc_page() {
  if (consume(fail_pages_)) return nullptr;
  void* page = ZSWAP_HARNESS_CHECKS ? std::aligned_alloc(PAGE_SIZE, PAGE_SIZE) : take_kept_page();
  if (!page) return nullptr;
  std::memset(page, 0, PAGE_SIZE);
  pages_in_use_.fetch_add(1, std::memory_order_relaxed);
  return page;
}

void PageAllocator::free_page(void* page) {
  if (!page) return;
  pages_in_use_.fetch_sub(1, std::memory_order_relaxed);
  if (ZSWAP_HARNESS_CHECKS)
    std::free(page);
  else
    keep_page(page);
}

void* PageAllocator::take_kept_page() {
  std::lock_guard<std::mutex> guard(lock_);
  if (void* page = free_pages_) {
    free_pages_ = *static_cast<void**>(page);
    return page;
  }
  if (chunks_.empty() || chunk_pages_used_ == kChunkPages) {
    void* chunk = new_chunk();
    if (!chunk) return nullptr;
    chunks_.push_back(chunk);
    chunk_pages_used_ = 0;
  }
  return static_cast<char*>(chunks_.back()) + chunk_pages_used_++ * PAGE_SIZE;
}

void PageAllocator::keep_page(void* page) {
  std::lock_guard<std::mutex> guard(lock_);
  *static_cast<void**>(page) = free_pages_;
  free_pages_ = page;
}

bool PageAllocator::slab_fails() { return consume(fail_slab_); }
