// hunt's parts: the killers, the options, a run and its verdict, and the report over
// them (hunt_report.cpp). hunt.cpp runs the killers; signature.h names their findings.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mutants.h"

// The programs that can detect a mutant, defined once (--help, --killer, the columns).
// stress: the free-running TSan stress program (tests/stress.cpp), for the budget.
enum class KillerKind { fuzz, props, stress };
struct Killer {
  const char* name;
  KillerKind kind;
  bool sequential;  // fuzz: inputs capped at 512 bytes (56 operations), as ci/fuzz.sh does
};
inline constexpr Killer kKillers[] = {
    {"zbud_diff", KillerKind::fuzz, true},         {"zswap_diff", KillerKind::fuzz, true},
    {"zswap_race", KillerKind::fuzz, false},       {"decompress_corrupt", KillerKind::fuzz, false},
    {"decoder_total", KillerKind::fuzz, false},    {"zbud_props", KillerKind::props, false},
    {"zswap_props", KillerKind::props, false},     {"race_props", KillerKind::props, false},
    {"tsan_stress", KillerKind::stress, false},
};

// The engine the fuzz-target killers run under.
enum class Engine { libfuzzer, afl };

struct Options {
  int seconds = 0;
  std::size_t jobs = 2;
  Engine engine = Engine::libfuzzer;
  bool clean_only = false;              // --clean: no mutant, the working tree's impl only
  std::vector<Mutant> mutants;          // hunted, in catalogue order
  std::vector<const Killer*> killers;   // in table order
  std::string json, svg;
  std::string fuzz_dir = "build/fuzz/fuzz";
  std::string afl_dir = "build/afl/fuzz";
  std::string replay_dir = "build/asan/fuzz";
  std::string props_dir = "build/asan/props";
  std::string stress_dir = "build/tsan/tests";
};

// A fuzzer (-max_total_time) and the stress program (--seconds) stop themselves at the
// budget; 10 s more let a finding made in its last moment be written out instead of cut
// off. A property suite runs its cases to the end, as ctest runs it: how long that takes
// depends on the machine's load, not on the budget (1,000 race_props cases take 25 s on
// an idle machine, over 60 s on a busy one), so it is stopped only past kPropsLimit (or
// the budget, if longer), as a hang.
inline constexpr int kPropsLimit = 600;
int time_limit(const Options& o, const Killer& k);

enum class Verdict { survived, killed, harness_bug };

struct Run {
  Run(Mutant m, const Killer* k) : mutant(m), killer(k) {}
  Mutant mutant;  // Mutant::none: the clean implementation
  const Killer* killer;
  Verdict verdict = Verdict::survived;
  double seconds = 0;      // start to exit, or when stopped: the budget (a property suite: its limit)
  std::string first_line;  // the finding line (killed, harness bug)
  std::string signature;
  std::string note;        // a failure without a finding line (not a kill, but worth a look)
  bool under_zstd = false; // the finding's program compressed with zstd (its report says so)
};

// A shell line that repeats the run (the fuzzers: same seed, a fresh empty corpus; the
// stress program: same seed and environment).
std::string reproduce_command(const Options& o, const Run& run);

// ---- results ----

// One mutant's runs, one per killer in o.killers order.
struct Row {
  Mutant mutant;
  std::span<const Run> runs;

  const Run* fastest() const {
    const Run* best = nullptr;
    for (const Run& run : runs)
      if (run.verdict == Verdict::killed && (!best || run.seconds < best->seconds)) best = &run;
    return best;
  }
  // signature -> the killers that found it
  std::map<std::string, std::vector<std::string>> signatures() const {
    std::map<std::string, std::vector<std::string>> found;
    for (const Run& run : runs)
      if (run.verdict == Verdict::killed) found[run.signature].push_back(run.killer->name);
    return found;
  }
};

struct Summary {
  int killed = 0, total = 0;
  std::optional<double> median, max;  // of the fastest killer's time, over killed mutants
  int false_alarms = 0, harness_bugs = 0;
  int kills_under_zstd = 0;  // runs (any killer) whose finding's program used zstd
};

Summary summarize(const std::vector<Run>& runs, const std::vector<Row>& rows);
void print_report(const Options& o, const std::vector<Run>& runs, const std::vector<Row>& rows, const Row& clean,
                  const Summary& s);
bool write_json(const Options& o, const std::vector<Run>& runs, const std::vector<Row>& rows, const Row& clean,
                const Summary& s);
bool write_svg(const Options& o, const std::vector<Row>& rows, const Summary& s);
std::string seconds_text(double s);
std::string verdict_text(const Run& run);
