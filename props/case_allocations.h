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

// The most allocations the table tells apart while live at once; past it stop() can only
// say "live".
inline constexpr std::size_t kMaxLive = (std::size_t{1} << 16) / 4 * 3;

// Records the allocations and frees of every thread of this process from now on.
void start();
// Stops recording; true when an allocation recorded since start() is still live, or
// when more were live at once than the table holds (it can no longer tell).
bool stop();
// After a leak check found the live ones reachable: later leak checks ignore them (a
// process per case would never have seen them), and the table is empty again.
void forget_live();

}  // namespace case_allocations
