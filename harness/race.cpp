#include "race.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>

#include "check.h"
#include "linearizability.h"
#include "mutants.h"
#include "pages.h"
#include "swap_system.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RACE_HAVE_SANITIZER_CALLBACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RACE_HAVE_SANITIZER_CALLBACK 1
#endif
#endif
#ifdef RACE_HAVE_SANITIZER_CALLBACK
#include <sanitizer/common_interface_defs.h>
#endif

namespace {

constexpr std::uint64_t kMaxSteps = 200000;      // scheduling points per run
constexpr std::uint64_t kSearchBudget = 200000;  // linearizability states per key
constexpr std::uint32_t kUnknownPage = 0xffffffffu;

swap_system_config race_config() {
  swap_system_config c;
  c.zswap.totalram_pages = 40;  // pool limit 4 pages: stores reclaim and write back
  c.zswap.max_pool_percent = 10;
  c.swap.slots_per_type = kRaceOffsets;
  c.swap.max_outstanding_writeback = 4;
  return c;
}

using Key = std::pair<unsigned, pgoff_t>;

class Race {
 public:
  Race(const Program& program, Strategy& strategy)
      : program_(program), strategy_(strategy), scheduler_(strategy, kMaxSteps), sys_(new SwapSystem(race_config())) {
    // A store's value is the first store with the same bytes, so equal pages are one value.
    for (std::size_t i = 0; i < program.ops.size(); i++) {
      const Op& op = program.ops[i];
      if (op.code != OpCode::store) continue;
      pages_[i] = make_page(static_cast<PageKind>(op.arg[2]), op.arg[3]);
      value_[i] = static_cast<std::uint32_t>(i + 1);
      for (auto& [j, page] : pages_)
        if (j < i && page == pages_[i]) {
          value_[i] = value_[j];
          break;
        }
    }
  }

  ~Race() { delete sys_; }

  RaceResult run();

 private:
  void run_op(std::size_t index, int thread);
  std::uint32_t value_of(const Key& key, const unsigned char* bytes) const;
  std::string check_linearizability();

  const Program& program_;
  Strategy& strategy_;
  Scheduler scheduler_;
  SwapSystem* sys_;
  std::map<std::size_t, std::vector<std::uint8_t>> pages_;
  std::map<std::size_t, std::uint32_t> value_;
  std::map<Key, std::vector<KeyOp>> history_;
  std::vector<std::string> outcomes_;
  std::string out_of_range_message_;
  RaceResult result_;
};

std::uint32_t Race::value_of(const Key& key, const unsigned char* bytes) const {
  for (const auto& [i, page] : pages_) {
    const Op& op = program_.ops[i];
    if (Key{op.arg[0], op.arg[1]} == key && std::memcmp(page.data(), bytes, PAGE_SIZE) == 0) return value_.at(i);
  }
  return kUnknownPage;
}

void Race::run_op(std::size_t index, int thread) {
  const Op& op = program_.ops[index];
  const std::uint64_t call = scheduler_.mark(TraceEvent::Kind::op_begin, thread, static_cast<int>(index));
  const unsigned type = op.arg[0];
  const pgoff_t offset = op.arg[1];
  int result = 0;
  KeyOp kop{KeyOp::Kind::store, static_cast<int>(index), thread, call, 0, 0, 0};
  bool keyed = true;
  switch (op.code) {
    case OpCode::store:
      result = swap_store(&sys_->swap, type, offset, pages_.at(index).data());
      kop.value = value_.at(index);
      break;
    case OpCode::load: {
      std::vector<unsigned char> out(PAGE_SIZE);
      load_source src;
      result = swap_load(&sys_->swap, type, offset, out.data(), &src);
      kop.kind = KeyOp::Kind::load;
      kop.value = result == 0 ? value_of({type, offset}, out.data()) : 0;
      break;
    }
    case OpCode::invalidate:
      result = swap_invalidate(&sys_->swap, type, offset);
      kop.kind = KeyOp::Kind::invalidate;
      break;
    case OpCode::swapoff:
    case OpCode::swapon:
      result = op.code == OpCode::swapoff ? swapoff(&sys_->swap, type) : swapon(&sys_->swap, type);
      kop.kind = op.code == OpCode::swapoff ? KeyOp::Kind::swapoff : KeyOp::Kind::swapon;
      break;
    case OpCode::compact:
      result = swap_compact(&sys_->swap, type, offset);
      keyed = false;
      break;
    case OpCode::shrink:
      result = static_cast<int>(zswap_shrink(&sys_->zs, op.arg[0]));
      keyed = false;
      break;
    case OpCode::complete_io:
      result = static_cast<int>(swap_complete_io(&sys_->swap, op.arg[0]));
      keyed = false;
      break;
    case OpCode::set_pool_percent:
      sys_->zs.max_pool_percent = op.arg[0];
      keyed = false;
      break;
    case OpCode::fail_pages:
      sys_->pages.fail_next_pages(op.arg[0]);
      keyed = false;
      break;
    case OpCode::fail_slab:
      sys_->pages.fail_next_slab(op.arg[0]);
      keyed = false;
      break;
    default:
      HARNESS_CHECK(false);  // a zbud op in a race program
  }
  kop.ret = scheduler_.mark(TraceEvent::Kind::op_end, thread, static_cast<int>(index), result);
  kop.result = result;
  outcomes_[index] = "T" + std::to_string(thread) + " -> " + std::to_string(result);
  if (!keyed) return;
  const bool whole_type = kop.kind == KeyOp::Kind::swapoff || kop.kind == KeyOp::Kind::swapon;
  if (!whole_type && offset >= kRaceOffsets) {
    // Not a slot of the race system (version-1 programs reach further): such an
    // operation can only be refused.
    if (result != -EINVAL && result != -ENODEV)
      out_of_range_message_ = "[divergence] #" + std::to_string(index) + " " + format_op(op) +
                              " is outside the race system and must be refused, but returned " + std::to_string(result);
    return;
  }
  if (whole_type) {
    // A whole-type operation is an event of every key of that type.
    for (pgoff_t off = 0; off < kRaceOffsets; off++) history_[{type, off}].push_back(kop);
  } else {
    history_[{type, offset}].push_back(kop);
  }
}

std::string Race::check_linearizability() {
  for (auto& [key, ops] : history_) {
    const bool touched = std::any_of(ops.begin(), ops.end(), [](const KeyOp& o) {
      return o.kind != KeyOp::Kind::swapoff && o.kind != KeyOp::Kind::swapon;
    });
    if (!touched) continue;
    const LinResult r = check_linearizable(ops, true, 0, kSearchBudget);
    if (r.verdict == LinVerdict::linearizable) continue;
    std::string m = r.verdict == LinVerdict::unknown
                        ? "[harness bug] linearizability search for type " + std::to_string(key.first) + " offset " +
                              std::to_string(key.second) + " exceeded its budget of " + std::to_string(kSearchBudget) + " states"
                        : "[divergence] type " + std::to_string(key.first) + " offset " + std::to_string(key.second) +
                              ": no sequential order of its operations explains their results (not linearizable):";
    for (const KeyOp& o : ops) {
      m += "\n    " + format_key_op(o);
      if (o.op_index >= 0) result_.flagged_ops.push_back(o.op_index);
    }
    return m;
  }
  return "";
}

// The run in progress, for the sanitizer death callback.
const Program* g_dying_program = nullptr;
const Scheduler* g_dying_scheduler = nullptr;

// When a sanitizer kills the process mid-run, show the interleaving that got there.
void print_timeline_at_death() {
  if (!g_dying_program || !g_dying_scheduler) return;
  RaceResult partial;
  partial.trace = g_dying_scheduler->trace();
  std::fprintf(stderr, "timeline up to the crash (last event: the crashing thread):\n%s",
               format_timeline(*g_dying_program, partial, 60).c_str());
}

RaceResult Race::run() {
  g_dying_program = &program_;
  g_dying_scheduler = &scheduler_;
  outcomes_.assign(program_.ops.size(), "");
  for (std::size_t i = 0; i < program_.ops.size(); i++)
    if (program_.ops[i].thread == 0) run_op(i, 0);
  std::vector<std::function<void()>> bodies;
  for (int t = 1; t <= program_.threads; t++)
    bodies.push_back([this, t] {
      for (std::size_t i = 0; i < program_.ops.size(); i++)
        if (program_.ops[i].thread == t) run_op(i, t);
    });
  const RunVerdict verdict = scheduler_.run(std::move(bodies));
  result_.strategy = strategy_.describe();
  std::string message;
  if (verdict != RunVerdict::finished) {
    // Flag what each stuck thread was doing.
    std::map<int, int> open;
    for (const TraceEvent& e : scheduler_.trace()) {
      if (e.kind == TraceEvent::Kind::op_begin) open[e.thread] = e.op_index;
      if (e.kind == TraceEvent::Kind::op_end) open.erase(e.thread);
    }
    for (auto [thread, op] : open)
      if (op >= 0) result_.flagged_ops.push_back(op);
  }
  if (verdict == RunVerdict::deadlock) {
    result_.stuck = true;
    message = "[invariant] deadlock: " + scheduler_.deadlock_report();
  } else if (verdict == RunVerdict::step_limit) {
    result_.stuck = true;
    message = "[invariant] no progress after " + std::to_string(kMaxSteps) + " scheduling points (livelock?)";
  } else {
    swap_complete_io(&sys_->swap, ~0u);
    message = out_of_range_message_.empty() ? quiescent_invariants(*sys_) : out_of_range_message_;
    if (message.empty()) {
      // The final word on each key: what a load sees once everything is quiet.
      for (auto& [key, ops] : history_) {
        std::vector<unsigned char> out(PAGE_SIZE);
        load_source src;
        KeyOp kop{KeyOp::Kind::load, -1, 0, scheduler_.mark(TraceEvent::Kind::op_begin, 0, -1), 0, 0, 0};
        kop.result = swap_load(&sys_->swap, key.first, key.second, out.data(), &src);
        kop.value = kop.result == 0 ? value_of(key, out.data()) : 0;
        kop.ret = scheduler_.mark(TraceEvent::Kind::op_end, 0, -1, kop.result);
        ops.push_back(kop);
      }
      message = check_linearizability();
    }
  }
  if (!message.empty()) {
    std::size_t at = result_.flagged_ops.empty() ? 0 : static_cast<std::size_t>(result_.flagged_ops.back());
    result_.divergence = Divergence{at, message};
  }
  result_.outcomes = outcomes_;
  result_.trace = scheduler_.trace();
  g_dying_program = nullptr;
  g_dying_scheduler = nullptr;
  return result_;
}

}  // namespace

void print_timeline_at_crash() {
#ifdef RACE_HAVE_SANITIZER_CALLBACK
  __sanitizer_set_death_callback(print_timeline_at_death);
#endif
  // A BUG_ON or a failed harness check aborts: print; abort() then dies as before.
  struct sigaction action {};
  action.sa_handler = [](int) { print_timeline_at_death(); };
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGABRT, &action, nullptr);
}

std::unique_ptr<Strategy> program_strategy(const Program& program) {
  return make_replay_strategy(program.schedule);
}

Program race_program(Program program) {
  if (program.ops.size() > kMaxRaceOps) program.ops.resize(kMaxRaceOps);
  return program;
}

RaceResult run_zswap_race(const Program& program, Strategy& strategy) {
  HARNESS_CHECK(program.ops.size() <= kMaxRaceOps);
  auto* race = new Race(program, strategy);
  RaceResult result = race->run();
  // Threads parked by a deadlock still use the race's scheduler and system: leave them
  // be; the caller reports and exits.
  if (!result.stuck) delete race;
  return result;
}
