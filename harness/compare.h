// Comparing impl's state with ref's: every counter named in ZSWAP_STATS and
// SWAP_STATS, by name, so a counter added to impl without a ref twin fails to build.
#pragma once

#include <string>

#include "swap.h"
#include "zswap.h"
#include "zswap_ref.h"

// "" when they agree, else "name: expected R got I; ..." for each counter that differs.
std::string stats_mismatch(const ref::Stats& expected, const zswap_stats& zs, const swap_stats& sw);

// One line "name=value ..." of every counter, for traces.
std::string format_stats(const zswap_stats& zs, const swap_stats& sw);
