#include "page_alloc.h"

#include <cstdlib>
#include <cstring>

bool PageAllocator::consume(std::atomic<unsigned>& counter) {
  unsigned n = counter.load(std::memory_order_relaxed);
  while (n > 0)
    if (counter.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) return true;
  return false;
}

void* PageAllocator::alloc_page() {
  if (consume(fail_pages_)) return nullptr;
  void* page = std::aligned_alloc(PAGE_SIZE, PAGE_SIZE);
  if (!page) return nullptr;
  std::memset(page, 0, PAGE_SIZE);
  pages_in_use_.fetch_add(1, std::memory_order_relaxed);
  return page;
}

void PageAllocator::free_page(void* page) {
  if (!page) return;
  pages_in_use_.fetch_sub(1, std::memory_order_relaxed);
  std::free(page);
}

bool PageAllocator::slab_fails() { return consume(fail_slab_); }
