#include "linearizability.h"

#include <cerrno>
#include <unordered_set>

#include "check.h"

namespace {

struct SlotState {
  bool on;
  std::uint32_t value;  // 0: nothing stored
};

// Applies op to the sequential slot; false when op's recorded result is impossible.
bool apply(const KeyOp& op, SlotState* s) {
  switch (op.kind) {
    case KeyOp::Kind::store:
      if (!s->on) return op.result == -ENODEV;
      if (op.result == -ENODEV || op.result == -EINVAL) return false;
      s->value = op.value;  // 0, or zswap rejected it and the device has it
      return true;
    case KeyOp::Kind::load:
      if (!s->on) return op.result == -ENODEV;
      if (s->value == 0) return op.result == -ENOENT;
      return op.result == 0 && op.value == s->value;
    case KeyOp::Kind::invalidate:
      if (!s->on) return op.result == -ENODEV;
      s->value = 0;
      return op.result == 0;
    case KeyOp::Kind::swapoff:
      if (!s->on) return op.result == -EINVAL;
      *s = SlotState{false, 0};
      return op.result == 0;
    case KeyOp::Kind::swapon:
      if (s->on) return op.result == -EBUSY;
      *s = SlotState{true, 0};
      return op.result == 0;
  }
  return false;
}

struct Search {
  const std::vector<KeyOp>& ops;
  std::uint64_t budget;
  std::uint64_t states = 0;
  bool out_of_budget = false;
  struct Visited {
    std::uint64_t done;  // the linearized operations
    std::uint64_t state;
    bool operator==(const Visited&) const = default;
  };
  struct VisitedHash {
    std::size_t operator()(const Visited& v) const { return std::hash<std::uint64_t>()(v.done * 0x9e3779b97f4a7c15ull ^ v.state); }
  };
  std::unordered_set<Visited, VisitedHash> failed{};  // known dead ends

  static Visited key(std::uint64_t done, const SlotState& s) { return {done, std::uint64_t{s.value} << 1 | s.on}; }

  bool run(std::uint64_t done, SlotState s) {
    if (done == (ops.size() == 64 ? ~0ull : (1ull << ops.size()) - 1)) return true;
    if (++states > budget) {
      out_of_budget = true;
      return false;
    }
    if (failed.count(key(done, s))) return false;
    // The earliest return among pending ops bounds which can go next.
    std::uint64_t first_ret = ~0ull;
    for (std::size_t i = 0; i < ops.size(); i++)
      if (!(done >> i & 1) && ops[i].ret < first_ret) first_ret = ops[i].ret;
    for (std::size_t i = 0; i < ops.size() && !out_of_budget; i++) {
      if ((done >> i & 1) || ops[i].call > first_ret) continue;
      SlotState next = s;
      if (apply(ops[i], &next) && run(done | 1ull << i, next)) return true;
    }
    failed.insert(key(done, s));
    return false;
  }
};

}  // namespace

LinResult check_linearizable(const std::vector<KeyOp>& ops, bool initially_on, std::uint32_t initial_value,
                             std::uint64_t budget) {
  HARNESS_CHECK(ops.size() <= 64);  // one bit each in the linearized set
  Search search{ops, budget};
  const bool ok = search.run(0, SlotState{initially_on, initial_value});
  if (ok) return {LinVerdict::linearizable, search.states};
  return {search.out_of_budget ? LinVerdict::unknown : LinVerdict::violation, search.states};
}

std::string format_key_op(const KeyOp& op) {
  static const char* const kinds[] = {"store", "load", "invalidate", "swapoff", "swapon"};
  std::string s = op.op_index >= 0 ? "#" + std::to_string(op.op_index) : std::string("final");
  s += std::string(" T") + std::to_string(op.thread) + " " + kinds[static_cast<int>(op.kind)];
  if (op.kind == KeyOp::Kind::store) s += " value " + std::to_string(op.value);
  s += " [" + std::to_string(op.call) + ", " + std::to_string(op.ret) + "] -> " + std::to_string(op.result);
  if (op.kind == KeyOp::Kind::load && op.result == 0)
    s += op.value == 0xffffffffu ? " (a page no store wrote)" : " value " + std::to_string(op.value);
  return s;
}
