// Linearizability of the logical swap content, checked per (type, offset) key by a
// Wing & Gong search with memoization (Lowe's refinement): find an order of the key's
// operations that respects real time (an operation that returned before another was
// called comes first) and in which every result is what a sequential swap slot
// would give. The search visits at most `budget` states; past that the verdict is
// "unknown", which callers report as a harness bug rather than hang.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct KeyOp {
  enum class Kind { store, load, invalidate, swapoff, swapon };
  Kind kind;
  int op_index;            // in the program; -1 for the final quiescent loads
  int thread;
  std::uint64_t call, ret;  // scheduler steps
  std::uint32_t value;     // store: the value stored (> 0); load: what it returned (0: no page)
  int result;              // return code
};

enum class LinVerdict { linearizable, violation, unknown };

struct LinResult {
  LinVerdict verdict;
  std::uint64_t states;  // search states visited
};

// initially_on: the key's swap type is on when the history starts; initial value 0
// (never written) unless initial_value says otherwise.
LinResult check_linearizable(const std::vector<KeyOp>& ops, bool initially_on, std::uint32_t initial_value,
                             std::uint64_t budget);

std::string format_key_op(const KeyOp& op);
