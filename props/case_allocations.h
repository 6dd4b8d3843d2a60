// The allocations a property case made that are still live when it ends. A worker
// (isolate.h) runs case after case, and a leak check (LeakSanitizer stops the world and
// scans every root: tens of milliseconds) after each would cost more than the case; a
// case that left no allocation of its own behind cannot have leaked one, so the worker
// checks only after a case that did, and LeakSanitizer decides. Recorded through ASan's
// malloc and free hooks into a fixed-size table: a hook runs inside malloc and must not
// allocate. Only under ASan (ISOLATE_CHECKS_LEAKS).
#pragma once

#include <cstddef>

namespace case_allocations {

// The table's size, 2^kSlotBits slots (32 KiB: it stays in the cache, as a larger one
// would not, and every malloc and free of a case goes through it), and the most
// allocations it tells apart while live at once, 3/4 of them; past that stop() can only
// say "live". The suites' cases hold at most about 340 at once (zbud_props; zswap_props
// 220, race_props 130).
inline constexpr int kSlotBits = 12;
inline constexpr std::size_t kMaxLive = (std::size_t{1} << kSlotBits) / 4 * 3;

// Records the allocations and frees of every thread of this process from now on.
void start();
// Stops recording; true when an allocation recorded since start() is still live, or
// when more were live at once than the table holds (it can no longer tell).
bool stop();
// After a leak check found the live ones reachable: later leak checks ignore them (a
// process per case would never have seen them), and the table is empty again.
void forget_live();

}  // namespace case_allocations
