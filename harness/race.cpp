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
#include "watchdog.h"
#include "zswap_sides.h"

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

swap_system_config race_config(Compressor compressor) {
  swap_system_config c;
  c.zswap.compressor = compressor;
  c.zswap.totalram_pages = 40;  // pool limit 4 pages: stores reclaim and write back
  c.zswap.max_pool_percent = 10;
  c.swap.slots_per_type = kRaceOffsets;
  c.swap.max_outstanding_writeback = 4;
  return c;
}

using Key = std::pair<unsigned, pgoff_t>;

// The results one operation can return when it runs alone on a swap slot: whatever
// the interleaving, a thread's result must be one of these.
bool sequentially_possible(const Op& op, int result) {
  auto one_of = [result](std::initializer_list<int> codes) {
    return std::find(codes.begin(), codes.end(), result) != codes.end();
  };
  switch (op.code) {
    case OpCode::store: return one_of({0, -ENOMEM, -ENOSPC, -EINVAL, -ENODEV});
    case OpCode::load: return one_of({0, -ENOENT, -EIO, -ENODEV, -EINVAL});
    case OpCode::invalidate: return one_of({0, -ENODEV, -EINVAL});
    case OpCode::swapoff: return one_of({0, -EINVAL});
    case OpCode::swapon: return one_of({0, -EBUSY, -EINVAL, -ENOMEM});
    case OpCode::compact: return one_of({0, -ENOENT, -EBUSY, -ENOMEM, -ENODEV, -EINVAL});
    case OpCode::shrink:
    case OpCode::complete_io: return result >= 0 && result <= op.arg[0];
    default: return result == 0;
  }
}

// The counters the concurrent part may move only if one of its operations can: a
// counter no thread's operation moves must read the same after the threads as before.
struct CounterRule {
  const char* name;
  std::uint64_t (*read)(SwapSystem&);
  std::initializer_list<OpCode> movers;
};
#define RACE_ZSWAP_COUNTER(counter) \
  #counter, [](SwapSystem& s) { return zswap_get_stats(&s.zs).counter; }
#define RACE_SWAP_COUNTER(counter) \
  #counter, [](SwapSystem& s) { return swap_get_stats(&s.swap).counter; }
// Writeback (store's reclaim, shrink) moves pages through the swap cache to the I/O
// queue; completions happen in complete_io and wherever a slot waits for its write
// (store, invalidate, swapoff).
const CounterRule kCounterRules[] = {
    {RACE_ZSWAP_COUNTER(pool_limit_hit), {OpCode::store}},
    {RACE_ZSWAP_COUNTER(reject_reclaim_fail), {OpCode::store}},
    {RACE_ZSWAP_COUNTER(reject_alloc_fail), {OpCode::store}},
    {RACE_ZSWAP_COUNTER(reject_kmemcache_fail), {OpCode::store}},
    {RACE_ZSWAP_COUNTER(reject_compress_poor), {OpCode::store}},
    {RACE_ZSWAP_COUNTER(duplicate_entry), {OpCode::store}},
    {RACE_ZSWAP_COUNTER(written_back_pages), {OpCode::store, OpCode::shrink}},
    {RACE_ZSWAP_COUNTER(stored_pages), {OpCode::store, OpCode::shrink, OpCode::invalidate, OpCode::swapoff}},
    // 3.13's cached total: assigned where an entry is stored or freed (not by compaction).
    {RACE_ZSWAP_COUNTER(pool_pages), {OpCode::store, OpCode::shrink, OpCode::invalidate, OpCode::swapoff}},
    {RACE_SWAP_COUNTER(outstanding_writeback_pages),
     {OpCode::store, OpCode::shrink, OpCode::invalidate, OpCode::swapoff, OpCode::complete_io}},
    {RACE_SWAP_COUNTER(writeback_completed),
     {OpCode::store, OpCode::invalidate, OpCode::swapoff, OpCode::complete_io}},
    {RACE_SWAP_COUNTER(swap_cache_pages),
     {OpCode::store, OpCode::shrink, OpCode::invalidate, OpCode::swapoff, OpCode::complete_io}},
    {RACE_SWAP_COUNTER(device_pages), {OpCode::store, OpCode::invalidate, OpCode::swapoff, OpCode::complete_io}},
};
#undef RACE_ZSWAP_COUNTER
#undef RACE_SWAP_COUNTER

class Race {
 public:
  Race(const Program& program, Strategy& strategy)
      : program_(program), strategy_(strategy), scheduler_(strategy, kMaxSteps), sys_(new SwapSystem(race_config(program.compressor))) {
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
  // After the threads: each counter none of their operations can move is unchanged.
  std::string check_unmoved_counters(const std::vector<std::uint64_t>& before) const;
  std::vector<std::uint64_t> read_counters() const;

  const Program& program_;
  Strategy& strategy_;
  Scheduler scheduler_;
  SwapSystem* sys_;
  std::map<std::size_t, std::vector<std::uint8_t>> pages_;
  std::map<std::size_t, std::uint32_t> value_;
  std::map<Key, std::vector<KeyOp>> history_;
  std::vector<std::string> outcomes_;
  std::string out_of_range_message_;
  std::string op_invariant_message_;  // the first operation that broke a rule of its own
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
  watchdog::note_operation(op, index);
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
    case OpCode::shrink: {
      const ShrinkRun run = shrink_checked(*sys_, op);
      result = run.freed;
      // Alone (the prefix), nothing else completes I/O during the shrink: the check holds.
      if (thread == 0 && op_invariant_message_.empty()) op_invariant_message_ = run.violation;
      keyed = false;
      break;
    }
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
  if (!sequentially_possible(op, result) && op_invariant_message_.empty()) {
    op_invariant_message_ = "[divergence] #" + std::to_string(index) + " " + format_op(op) + " returned " +
                            std::to_string(result) + ", which it cannot return run alone";
    result_.flagged_ops.push_back(static_cast<int>(index));
  }
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

std::vector<std::uint64_t> Race::read_counters() const {
  std::vector<std::uint64_t> values;
  for (const CounterRule& rule : kCounterRules) values.push_back(rule.read(*sys_));
  return values;
}

std::string Race::check_unmoved_counters(const std::vector<std::uint64_t>& before) const {
  const std::vector<std::uint64_t> after = read_counters();
  for (std::size_t c = 0; c < std::size(kCounterRules); c++) {
    const CounterRule& rule = kCounterRules[c];
    const bool movable = std::any_of(program_.ops.begin(), program_.ops.end(), [&](const Op& op) {
      return op.thread != 0 && std::find(rule.movers.begin(), rule.movers.end(), op.code) != rule.movers.end();
    });
    if (!movable && after[c] != before[c])
      return "[invariant] counter " + std::string(rule.name) + " moved from " + std::to_string(before[c]) + " to " +
             std::to_string(after[c]) + ", but no thread ran an operation that can move it";
  }
  return "";
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
std::function<void()> g_crash_epilogue;

// When a sanitizer kills the process mid-run, show the interleaving that got there.
void print_timeline_at_death() {
  if (!g_dying_program || !g_dying_scheduler) return;
  RaceResult partial;
  partial.trace = g_dying_scheduler->trace();
  std::fprintf(stderr, "timeline up to the crash (last event: the crashing thread):\n%s",
               format_timeline(*g_dying_program, partial, 60).c_str());
  if (g_crash_epilogue) g_crash_epilogue();
}

RaceResult Race::run() {
  g_dying_program = &program_;
  g_dying_scheduler = &scheduler_;
  outcomes_.assign(program_.ops.size(), "");
  auto thread_body = [this](int t) {
    return [this, t] {
      for (std::size_t i = 0; i < program_.ops.size(); i++)
        if (program_.ops[i].thread == t) run_op(i, t);
    };
  };
  // The prefix runs alone but scheduled too, so that a deadlock or a livelock in it is
  // named like one among threads.
  RunVerdict verdict = scheduler_.run_alone(thread_body(0));
  // Quiescent points: after the prefix, after the threads, after all I/O completed.
  std::string message;
  std::vector<std::uint64_t> counters_before;
  if (verdict == RunVerdict::finished) {
    message = quiescent_invariants(*sys_);
    counters_before = read_counters();
    std::vector<std::function<void()>> bodies;
    for (int t = 1; t <= program_.threads; t++) bodies.push_back(thread_body(t));
    if (message.empty()) verdict = scheduler_.run(std::move(bodies));
  }
  result_.strategy = strategy_.describe();
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
    message = "[invariant] hang: no progress after " + std::to_string(kMaxSteps) +
              " scheduling points (a livelock); last events of " + scheduler_.last_events(4);
  } else if (message.empty()) {
    message = !op_invariant_message_.empty() ? op_invariant_message_ : out_of_range_message_;
    if (message.empty()) message = quiescent_invariants(*sys_);
    if (message.empty()) message = check_unmoved_counters(counters_before);
    if (message.empty()) {
      swap_complete_io(&sys_->swap, ~0u);
      message = quiescent_invariants(*sys_);
    }
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
  result_.outcomes = std::move(outcomes_);
  g_dying_program = nullptr;
  g_dying_scheduler = nullptr;
  result_.trace = scheduler_.take_trace();  // the run is over: nothing adds to it
  return std::move(result_);
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

void set_crash_epilogue(std::function<void()> f) { g_crash_epilogue = std::move(f); }

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
  // Threads suspended by a deadlock still use the race's scheduler and system: leave them
  // be; the caller reports and exits.
  if (!result.stuck) delete race;
  return result;
}
