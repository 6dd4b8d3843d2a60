#include "page_alloc.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

#include "bug.h"

namespace {
constexpr std::size_t kChunkSize = std::size_t{2} << 20;  // one x86-64 huge page
constexpr std::size_t kChunkPages = kChunkSize / PAGE_SIZE;
}  // namespace

PageAllocator::~PageAllocator() {
  for (void* chunk : chunks_) std::free(chunk);
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
    void* chunk = std::aligned_alloc(kChunkSize, kChunkSize);
    if (!chunk) return nullptr;
    madvise(chunk, kChunkSize, MADV_HUGEPAGE);  // advice: small pages work too
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
