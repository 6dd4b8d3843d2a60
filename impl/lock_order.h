// The lock order of impl/, as data: the lock validator (sync.h) checks every
// acquisition against it. A lock class is a lock's name; every lock of one class
// (each swap cache page's page.lock, say) shares its place in the order.
//
// X(class, rank): with a lock of rank r held, a thread may take only locks of a
// higher rank (more inner), or of its own class (claiming a slot locks its new page,
// then the cached one). A leaf may be taken under anything, but nothing is taken
// while a leaf is held. No lock is held across zbud's evict callback.
#pragma once

inline constexpr int kLeafLock = 1000;

#define ZSWAP_LOCK_ORDER(X)                                              \
  X("swapon_mutex", 0)     /* swapon and swapoff only; sleeping */       \
  X("page.lock", 1)        /* PG_locked of a swap cache page; sleeping */ \
  X("zswap_tree.lock", 2)                                                \
  X("zbud_pool.lock", 3)                                                 \
  X("swap_info.lock", kLeafLock)                                         \
  X("swap_cache.lock", kLeafLock)                                        \
  X("swap_io.lock", kLeafLock)
