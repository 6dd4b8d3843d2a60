// The page allocator: 4 KiB page frames and small "slab" objects, with fault injection.
//
// With the harness's checks (ZSWAP_HARNESS_CHECKS, bug.h), each page is its own C heap
// block and a freed page goes back to the C heap, so ASan reports any later access as
// use-after-free. Without them (the release build), pages are carved from 2 MiB
// chunks backed by transparent huge pages, as the kernel's direct map is backed by
// large pages, and freed pages are kept for reuse, the last freed first (the chunks
// outlive the allocator: the next one reuses them): scattered 4 KiB blocks would make
// every header access of zbud a TLB miss, which the kernel does not pay. Either way
// the allocator counts pages in use so the harness can check that nothing leaked at a
// quiescent point. fail_next_pages(n) makes the next n page allocations fail, as
// __GFP_NORETRY does under pressure; fail_next_slab(n) does the same for slab objects
// (zswap entries).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

inline constexpr std::size_t PAGE_SIZE = 4096;

class PageAllocator {
 public:
  PageAllocator() = default;
  ~PageAllocator();
  PageAllocator(const PageAllocator&) = delete;
  PageAllocator& operator=(const PageAllocator&) = delete;

  // A zero-filled, page-aligned page, or nullptr when a failure is injected.
  void* alloc_page();
  void free_page(void* page);

  // True when this slab allocation must fail (consumes one injected failure).
  bool slab_fails();

  void fail_next_pages(unsigned n) { fail_pages_.store(n, std::memory_order_relaxed); }
  void fail_next_slab(unsigned n) { fail_slab_.store(n, std::memory_order_relaxed); }

  std::int64_t pages_in_use() const { return pages_in_use_.load(std::memory_order_relaxed); }

 private:
  static bool consume(std::atomic<unsigned>& counter);
  void* take_kept_page();
  void keep_page(void* page);

  std::atomic<unsigned> fail_pages_{0};
  std::atomic<unsigned> fail_slab_{0};
  std::atomic<std::int64_t> pages_in_use_{0};
  // Without the harness's checks: the chunks and the kept free pages.
  std::mutex lock_;
  void* free_pages_ = nullptr;        // lock_: a free page's first word links the next
  std::vector<void*> chunks_;         // lock_: handed on to later allocators with it
  std::size_t chunk_pages_used_ = 0;  // lock_: pages handed out of chunks_.back()
};
