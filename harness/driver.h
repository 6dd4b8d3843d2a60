// The differential drivers: run a program on impl and ref side by side and stop at
// the first difference in anything the sequential contract names (DESIGN.md): return
// codes, bytes read, pool page counts, which handles reclaim evicted and in what
// order, every stat counter; plus the quiescent invariants after every operation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ops.h"

struct Divergence {
  std::size_t op_index;
  std::string message;  // starts "[divergence]", "[invariant]" or "[harness bug]"
};

struct RunResult {
  std::optional<Divergence> divergence;
  std::vector<std::string> outcomes;  // what each operation returned, for the trace
  std::string summary;                // the final counters, "name=value ..."
  // Bit i: the run reached state feature i (the driver's own list, e.g. so many writes
  // in flight); the fuzz targets turn each into a coverage edge (fuzz/state_coverage.h).
  std::uint64_t state_features = 0;
};

class SwapSystem;

// The invariants of a quiescent swap system (no operation in flight): every zbud
// handle belongs to an entry, entries hold only the tree's reference, every page frame
// in use is a pool or swap cache page, one zswap tree per type swapped on, and the
// counters equal what they count (stored_pages the entries in the trees, writes in
// flight the I/O queue, swap_cache_pages the slots with a cached page).
// "" or an "[invariant]" message.
std::string quiescent_invariants(SwapSystem& sys);

RunResult run_zbud_diff(const Program& program);
RunResult run_zswap_diff(const Program& program);
RunResult run_program(const Program& program);  // by layer

// The full report: the first line, then the program with outcomes, then how to replay.
std::string format_report(const Program& program, const RunResult& result,
                          const std::string& target, const std::string& input_path);
