// The parallel property rapidcheck lacks: a sequential prefix and 2-3 concurrent
// suffixes, each case run under several PCT schedules of our scheduler; the oracle is
// the race fuzzer's (linearizable swap content, quiescent invariants, sanitizers).
// ZSWAP_EXPLORE=K: each case's schedules are explored exhaustively up to K preemptions
// (harness/explore.h) instead, on smaller cases (their schedules grow with the square
// of a program's scheduling points).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

#include "counterexample.h"
#include "explore.h"
#include "isolate.h"
#include "race.h"
#include "strategy.h"

namespace {

constexpr int kSchedulesPerCase = 32;
constexpr int kPctDepth = 3;
// Where PCT's change points fall: these programs take a few hundred scheduling points.
constexpr std::uint64_t kPctSteps[] = {100, 300, 1000};

// Race programs reach types 0-1 and offsets 0-7; mostly type 0 and offsets 0-3, so
// threads meet.
rc::Gen<std::uint16_t> gen_type() {
  return rc::gen::weightedOneOf<std::uint16_t>({{4, rc::gen::just<std::uint16_t>(0)}, {1, rc::gen::just<std::uint16_t>(1)}});
}
rc::Gen<std::uint16_t> gen_offset() { return rc::gen::inRange<std::uint16_t>(0, 4); }

rc::Gen<Op> gen_op(bool in_prefix) {
  const auto keyed = [](OpCode code) {
    return rc::gen::apply([code](std::uint16_t t, std::uint16_t o) { return make_op(code, t, o, 0, 0); }, gen_type(),
                          gen_offset());
  };
  const auto store = rc::gen::apply(
      [](std::uint16_t t, std::uint16_t o, std::uint16_t kind, std::uint16_t seed) {
        return make_op(OpCode::store, t, o, kind, seed);
      },
      gen_type(), gen_offset(), rc::gen::inRange<std::uint16_t>(0, 6), rc::gen::inRange<std::uint16_t>(0, 4));
  const auto counted = [](OpCode code) {
    return rc::gen::map(rc::gen::inRange<std::uint16_t>(1, 5), [code](std::uint16_t n) { return make_op(code, n, 0, 0, 0); });
  };
  const auto whole_type = [](OpCode code) {
    return rc::gen::map(gen_type(), [code](std::uint16_t t) { return make_op(code, t, 0, 0, 0); });
  };
  if (in_prefix) return rc::gen::weightedOneOf<Op>({{4, store}, {1, keyed(OpCode::invalidate)}});
  return rc::gen::weightedOneOf<Op>({{5, store},
                                     {2, keyed(OpCode::load)},
                                     {2, keyed(OpCode::invalidate)},
                                     {1, keyed(OpCode::compact)},
                                     {2, counted(OpCode::shrink)},
                                     {1, counted(OpCode::complete_io)},
                                     {1, whole_type(OpCode::swapoff)},
                                     {1, whole_type(OpCode::swapon)}});
}

struct RaceCase {
  std::vector<Op> prefix;
  std::vector<std::vector<Op>> threads;  // 2-3 suffixes
  Compressor compressor = Compressor::lz4;
};

Program program_of(const RaceCase& c) {
  Program p;
  p.layer = Layer::zswap;
  p.version = kRaceFormatVersion;
  p.threads = static_cast<int>(c.threads.size());
  p.compressor = c.compressor;
  p.ops = c.prefix;
  for (std::size_t t = 0; t < c.threads.size(); t++)
    for (Op op : c.threads[t]) {
      op.thread = static_cast<std::uint8_t>(t + 1);
      p.ops.push_back(op);
    }
  return p;
}

void showValue(const RaceCase& c, std::ostream& os) { os << "\n" << format_program(program_of(c)); }

// The PCT seeds a case runs under; the failing one is in the failure message.
std::uint64_t schedule_seed(int i) { return 1000 + static_cast<std::uint64_t>(i); }

// ZSWAP_EXPLORE's bound, if set (exits on a malformed value).
std::optional<int> explore_bound() {
  static const std::optional<int> bound = []() -> std::optional<int> {
    const char* v = std::getenv("ZSWAP_EXPLORE");
    if (!v) return std::nullopt;
    if (!*v || std::strspn(v, "0123456789") != std::strlen(v) || std::strlen(v) > 2) {
      std::fprintf(stderr, "error: ZSWAP_EXPLORE='%s': expected a preemption bound, 0-99\n", v);
      std::exit(2);
    }
    return std::atoi(v);
  }();
  return bound;
}

constexpr const char* kExploredPrefix = "explored schedule ";

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string s;
  for (std::uint8_t b : bytes) s += "0123456789abcdef"[b >> 4], s += "0123456789abcdef"[b & 15];
  return s;
}

std::vector<std::uint8_t> unhex(const std::string& s) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < s.size() && std::isxdigit(s[i]) && std::isxdigit(s[i + 1]); i += 2)
    bytes.push_back(static_cast<std::uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return bytes;
}

// A case in its worker: its schedules explored up to the bound. Every failing schedule
// is printed as a kExploredPrefix line first, so that a crash names it too.
void explore_case(const Program& program, int bound) {
  ExploreOptions options;
  options.max_preemptions = bound;
  options.on_crash = [](const Program& failing) {
    std::fprintf(stderr, "%s%s\n", kExploredPrefix, hex(failing.schedule).c_str());
  };
  const ExploreResult r = explore_race(program, options);
  if (!r.failure) return;
  std::fprintf(stderr, "%s%s\n", kExploredPrefix, hex(r.failing.schedule).c_str());
  RC_FAIL(r.failure->divergence->message + " [" + kExploredPrefix + hex(r.failing.schedule) + "]");
}

const int kExploreCase = register_case_runner(&explore_case);

// A case in its worker: kSchedulesPerCase PCT schedules.
void pct_case(const Program& program, int) {
  for (int i = 0; i < kSchedulesPerCase; i++) {
    const std::string spec = "pct:" + std::to_string(schedule_seed(i)) + ":" + std::to_string(kPctDepth) + ":" +
                             std::to_string(kPctSteps[i % std::size(kPctSteps)]);
    std::fprintf(stderr, "schedule %s\n", spec.c_str());  // names the schedule if the run dies
    const auto strategy = parse_strategy(spec);
    const RaceResult result = run_zswap_race(program, *strategy);
    // (A deadlock leaves threads suspended: the failing case retires its worker.)
    if (result.divergence) RC_FAIL(result.divergence->message + " [schedule " + spec + "]");
  }
}
const int kPctCase = register_case_runner(&pct_case);

}  // namespace

namespace rc {
template <>
struct Arbitrary<RaceCase> {
  static Gen<RaceCase> arbitrary() {
    // Exploration: a prefix of <= 4 operations, 2 threads of <= 3 (a few thousand schedules at K = 2).
    const bool exploring = explore_bound().has_value();
    const int prefix_size = exploring ? 4 : 12, thread_size = exploring ? 3 : 8, max_threads = exploring ? 2 : 3;
    return gen::build<RaceCase>(
        gen::set(&RaceCase::prefix, gen::resize(prefix_size, gen::container<std::vector<Op>>(gen_op(true)))),
        gen::set(&RaceCase::compressor, gen::element(Compressor::lz4, Compressor::zstd)),
        gen::set(&RaceCase::threads,
                 gen::mapcat(gen::inRange(2, max_threads + 1), [thread_size](int n) {
                   return gen::container<std::vector<std::vector<Op>>>(
                       static_cast<std::size_t>(n),
                       gen::resize(thread_size, gen::nonEmpty(gen::container<std::vector<Op>>(gen_op(false)))));
                 })));
  }
};

template <>
struct Arbitrary<Op> {
  static Gen<Op> arbitrary() { return gen_op(false); }
};
}  // namespace rc

void showValue(const Op& op, std::ostream& os) { os << format_op(op); }

RC_GTEST_PROP(RaceProps, ConcurrentRunsAreLinearizable, (const RaceCase& c)) {
  const Program program = program_of(c);
  RC_TAG(program.threads == 2 ? "2 threads" : "3 threads");
  RC_TAG(compressor_name(program.compressor));
  if (const std::optional<int> bound = explore_bound()) {
    const std::string failure = run_isolated(kExploreCase, program, *bound, kExploredPrefix, std::chrono::seconds(300));
    if (failure.empty()) return;
    Program failing = program;
    const std::size_t at = failure.rfind(kExploredPrefix);
    if (at != std::string::npos) failing.schedule = unhex(failure.substr(at + std::strlen(kExploredPrefix)));
    RC_FAIL(failure + "\nprogram:\n" + format_program(program) + save_counterexample("zswap_race", failing));
  }
  const std::string failure = run_isolated(kPctCase, program, 0, "schedule ");
  if (failure.empty()) return;
  const std::size_t at = failure.rfind("[schedule ");
  const std::string spec =
      at == std::string::npos ? "<none>" : failure.substr(at + 10, failure.find(']', at) - at - 10);
  RC_FAIL(failure + "\nprogram:\n" + format_program(program) +
          save_counterexample("zswap_race", program, " --strategy " + spec));
}
