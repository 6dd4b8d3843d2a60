// Named, runtime-selectable injected bugs (the mutant catalogue of DESIGN.md).
//
// Each mutant takes one historical fix back out, at the place where the bug lived.
// Select one with env ZSWAP_MUTANT=name (read once, at start-up); an unknown name is
// a fatal error that lists the valid ones. Off by default; the cost when off is one
// load and compare of a global at each site.
#pragma once

#include <cstdio>
#include <optional>
#include <string_view>

// X(name, the bug it restores)
#define ZSWAP_MUTANTS(X)                                                                          \
  X(zbud_size_limit, "size check > PAGE_SIZE - ZHDR lets one buddy fill the page (2013 fix)")    \
  X(free_ignores_under_reclaim, "free during evict frees the page, reclaim frees it again")      \
  X(writeback_map_unprotected, "seed 000: writeback reads the header with no map count")        \
  X(writeback_unmap_early, "seed 000: unmap before the tree lock is taken")                     \
  X(zcache_double_free, "seed 004: the shrink path frees a page that eviction already freed")   \
  X(migrate_mapped_buddy, "migration moves a buddy that is mapped")                             \
  X(reswapon_leak, "invalidate_area does not free the tree/pool")                               \
  X(invalidate_writeback_leak, "writeback's fail path only puts, leaking an invalidated entry") \
  X(double_erase, "erase is not idempotent; refcount may go negative")                          \
  X(pool_limit_one_type, "the pool total the limit is compared with is one type's pool, not all")            \
  X(no_recheck_after_reclaim, "store goes ahead while still over the limit after reclaim")      \
  X(writeback_stale_data, "CVE-2023-53178: writeback writes an entry invalidated and re-stored") \
  X(writeback_abort_leaks_page, "the abort path leaves the swap-cache page locked/referenced")  \
  X(dup_store_keeps_stale, "a failed duplicate store leaves the old entry in place")            \
  X(swapoff_shrinker_race, "reclaim uses a tree after invalidate_area freed it")                 \
  X(refcount_unlocked, "load drops its entry reference without the tree lock")                  \
  X(reclaim_relock, "reclaim takes the pool lock again on the way back from evict")             \
  X(writeback_lock_inversion, "writeback holds the tree lock while it locks a swap cache page") \
  X(inflight_bound_off_by_one, "the shrinker starts one more writeback at the in-flight bound")

enum class Mutant : int {
  none = 0,
#define ZSWAP_MUTANT_ENUM(name, what) name,
  ZSWAP_MUTANTS(ZSWAP_MUTANT_ENUM)
#undef ZSWAP_MUTANT_ENUM
};

inline constexpr int kMutantCount = 0
#define ZSWAP_MUTANT_COUNT(name, what) +1
    ZSWAP_MUTANTS(ZSWAP_MUTANT_COUNT)
#undef ZSWAP_MUTANT_COUNT
    ;

namespace mutants {

// The active mutant; set from ZSWAP_MUTANT before main() runs.
extern Mutant active;

inline bool is(Mutant m) { return __builtin_expect(active == m, 0); }

const char* name(Mutant m);
const char* description(Mutant m);
std::optional<Mutant> parse(std::string_view name);
// Prints "  name  description" for every mutant (for --help and error messages).
void print_list(std::FILE* out);
// For tests and tools that switch mutants within one process.
void select(Mutant m);

}  // namespace mutants
