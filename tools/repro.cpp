// repro: reproduces a crash file or regression of a differential fuzz target. Prints
// the decoded program, reruns it, and shows the first divergence with the trace. For
// race programs it also explores every schedule within a preemption bound (--explore)
// and minimises a failing program to the fewest operations that still fail (--minimize).
// Exits 1 when the run fails, 2 on bad usage or an unreadable/empty file.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "driver.h"
#include "explore.h"
#include "minimize.h"
#include "mutants.h"
#include "race.h"
#include "replay.h"

namespace {

struct Target {
  const char* name;
  Layer layer;
  bool race;  // run under the scheduler (zswap_race)
};
constexpr Target kTargets[] = {
    {"zbud_diff", Layer::zbud, false}, {"zswap_diff", Layer::zswap, false}, {"zswap_race", Layer::zswap, true}};

struct Options {
  std::optional<Target> target;
  std::string strategy;  // zswap_race: "random:SEED" or "pct:SEED:DEPTH[:STEPS]" instead of the input's choices
  std::string timeline;  // zswap_race: write the timeline as HTML here
  int explore = -1;      // zswap_race: explore every schedule with at most this many preemptions
  bool prune = true;     // --no-prune: no schedule is skipped as equivalent
  bool minimize = false;
  bool scenario = false;  // FILE is a race program written as text
  std::string save;      // where --explore/--minimize write the failing program
};

constexpr int kDefaultPreemptions = 2;

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: repro [--target NAME] [--strategy random:SEED|pct:SEED:DEPTH[:STEPS]] [--timeline OUT.html] FILE...\n"
               "       repro [--scenario] --explore [K] [--no-prune] [--save OUT] FILE\n"
               "       repro [--scenario] --minimize [--explore K] [--save OUT] FILE\n"
               "  Reruns each file through its target and prints the program, the outcome of every\n"
               "  operation and the first divergence (zswap_race: with the per-thread timeline;\n"
               "  --timeline also writes it as an HTML page). The target is --target, or a path\n"
               "  component naming one (corpus/<target>/...).\n"
               "  --explore K: runs every schedule of the race program with at most K preemptions\n"
               "  (default 2; the file's own schedule is ignored), less those equivalent to one run\n"
               "  (--no-prune: none skipped); prints the first failing schedule, saved with the\n"
               "  program to OUT (default ./<file name>.failing), or 'no failure in N schedules'.\n"
               "  --minimize: removes operations and threads while some schedule within K\n"
               "  preemptions still fails with the same signature; writes the smallest program\n"
               "  with its failing schedule to OUT (default ./<file name>.min).\n"
               "  --scenario: FILE is a race program written as text, one operation per line as\n"
               "  the decoded program prints it ('prefix store(type=0, offset=7, kind=text)',\n"
               "  'T1 shrink(n=1)'; '#' starts a comment); every mode above takes it.\n"
               "  targets:");
  for (const Target& t : kTargets) std::fprintf(out, " %s", t.name);
  std::fprintf(out, "\n  (decoder_total, decompress_corrupt: run build/asan/fuzz/<target>_replay FILE)\n"
                    "  env ZSWAP_MUTANT=<name> selects a mutant; valid names:\n");
  mutants::print_list(out);
  std::fprintf(out, "  operations:\n%s", describe_ops().c_str());
}

std::optional<Target> find_target(const std::string& name) {
  for (const Target& t : kTargets)
    if (name == t.name) return t;
  return std::nullopt;
}

std::optional<Target> target_from_path(const std::filesystem::path& path) {
  for (const auto& part : path)
    if (auto t = find_target(part.string())) return t;
  return std::nullopt;
}

// Saves a failing program, or says it could not.
bool save_failing(const std::string& path, const Program& program) {
  if (save_program(path, program)) return true;
  std::fprintf(stderr, "error: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
  return false;
}

// 0: no failure within the bound, 1: a failing schedule (saved).
int explore_file(const std::string& file, const Program& program, const Options& options) {
  const std::string out = options.save.empty() ? std::filesystem::path(file).filename().string() + ".failing" : options.save;
  ExploreOptions explore;
  explore.max_preemptions = options.explore;
  explore.prune = options.prune;
  explore.on_crash = [&out](const Program& failing) {
    save_failing(out, failing);
    const std::string mutant = mutants::active == Mutant::none ? "" : mutants::name(mutants::active);
    std::fprintf(stderr, "the exploration's failing schedule (it crashed the process) is saved with the program to %s\n"
                 "replay: %s\n", out.c_str(), repro_command("zswap_race", out, mutant).c_str());
  };
  std::printf("exploring every schedule with <= %d preemptions%s\n", options.explore,
              options.prune ? " (less those equivalent to one run)" : "");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  const ExploreResult r = explore_race(program, explore);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char counts[160];
  std::snprintf(counts, sizeof counts, "%llu pruned as equivalent; %llu runs with the smaller bounds first, %.2f s",
                static_cast<unsigned long long>(r.pruned), static_cast<unsigned long long>(r.runs), seconds);
  if (!r.failure) {
    std::printf("no failure in %llu schedules with <= %d preemptions (%s)\n",
                static_cast<unsigned long long>(r.schedules), options.explore, counts);
    return 0;
  }
  const bool saved = save_failing(out, r.failing);
  std::printf("%s", format_race_report(r.failing, *r.failure, out).c_str());
  std::printf("FAIL: a schedule with %d preemptions fails (%s)%s%s\n", r.bound, counts,
              saved ? "; saved with the program to " : "; not saved", saved ? out.c_str() : "");
  std::fflush(stdout);
  if (r.failure->stuck) std::_Exit(1);  // threads are suspended inside the system
  return 1;
}

// Runs a loaded program in the mode the options ask for: 0 pass, 1 divergence, 2 misuse.
int run_loaded(const std::string& file, const Program& program, const Target& target, const Options& options) {
  std::printf("decoded program:\n%s", format_program(program).c_str());
  std::fflush(stdout);  // the program is out before impl can crash
  if ((options.explore >= 0 || options.minimize) && !target.race) {
    std::fprintf(stderr, "error: --explore and --minimize are for race programs (zswap_race)\n");
    return 2;
  }
  if (target.race) print_timeline_at_crash();
  if (options.minimize)
    return minimize_file(file, program, options.explore >= 0 ? options.explore : kDefaultPreemptions,
                         options.save.empty() ? std::filesystem::path(file).filename().string() + ".min" : options.save);
  if (options.explore >= 0) return explore_file(file, program, options);
  if (target.race) {
    std::unique_ptr<Strategy> strategy =
        options.strategy.empty() ? program_strategy(program) : parse_strategy(options.strategy);
    if (!strategy) {
      std::fprintf(stderr, "error: bad --strategy '%s' (random:SEED or pct:SEED:DEPTH[:STEPS])\n", options.strategy.c_str());
      return 2;
    }
    const RaceResult result = run_zswap_race(program, *strategy);
    std::printf("%s", format_race_report(program, result, file).c_str());
    if (!options.timeline.empty()) {
      std::ofstream(options.timeline) << format_timeline_html(program, result, file);
      std::printf("timeline written to %s\n", options.timeline.c_str());
    }
    std::printf("%s\n", result.divergence ? "FAIL" : "PASS: no deadlock, invariants hold, every slot linearizable");
    std::fflush(stdout);
    if (result.stuck) std::_Exit(1);  // threads are suspended inside the system
    return result.divergence ? 1 : 0;
  }
  const RunResult result = run_program(program);
  std::printf("%s", format_report(program, result, target.name, file).c_str());
  std::printf("%s\n", result.divergence ? "FAIL" : "PASS: ref and impl agree on every operation");
  return result.divergence ? 1 : 0;
}


// 0 pass, 1 divergence, 2 unusable input.
int reproduce(const std::string& file, const Options& options) {
  const std::optional<Target>& forced = options.target;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "error: cannot read %s: %s\n", file.c_str(), std::strerror(errno));
    return 2;
  }
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.empty()) {
    std::fprintf(stderr, "error: %s is empty: not even a format version byte\n", file.c_str());
    return 2;
  }
  std::optional<Target> target = forced ? forced : target_from_path(file);
  if (!target && (options.explore >= 0 || options.minimize)) target = find_target("zswap_race");  // race-only modes
  if (!target) {
    std::fprintf(stderr, "error: %s: cannot tell the target from the path; pass --target\n", file.c_str());
    return 2;
  }
  const Program decoded = decode(bytes.data(), bytes.size(), target->layer);
  const Program program = target->race ? race_program(decoded) : decoded;
  if (program.ops.size() < decoded.ops.size())
    std::printf("note: a race run takes the first %zu of the %zu operations\n", program.ops.size(), decoded.ops.size());
  const bool reserved = bytes[0] != kFormatVersion && bytes[0] != program.version;
  std::printf("%s: %zu bytes, format version %u%s, %zu ops, target %s, mutant %s\n", file.c_str(),
              bytes.size(), program.version, reserved ? " (first byte is a reserved value, read as 1)" : "",
              program.ops.size(), target->name, mutants::name(mutants::active));
  const std::size_t tail = (bytes.size() - 1) % kOpRecordSize;
  if (program.version == kFormatVersion && tail != 0)
    std::printf("note: the last record has %zu of %zu bytes (truncated file?); padded with zeros\n", tail,
                kOpRecordSize);
  if (program.version == kFormatVersion && (bytes.size() - 1 + kOpRecordSize - 1) / kOpRecordSize > kMaxOps)
    std::printf("note: only the first %zu operations are run\n", kMaxOps);
  return run_loaded(file, program, *target, options);
}

// A scenario written as text (parse_race_program): 0 pass, 1 divergence, 2 unusable input.
int reproduce_scenario(const std::string& file, const Options& options) {
  std::ifstream in(file);
  if (!in) {
    std::fprintf(stderr, "error: cannot read %s: %s\n", file.c_str(), std::strerror(errno));
    return 2;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  std::string error;
  const std::optional<Program> program = parse_race_program(text, &error);
  if (!program) {
    std::fprintf(stderr, "error: %s: %s\n", file.c_str(), error.c_str());
    return 2;
  }
  std::printf("%s: scenario, %zu ops, target zswap_race, mutant %s\n", file.c_str(), program->ops.size(),
              mutants::name(mutants::active));
  return run_loaded(file, *program, *find_target("zswap_race"), options);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      return 0;
    }
    if (arg == "--explore") {
      options.explore = kDefaultPreemptions;
      if (i + 1 < argc && std::strspn(argv[i + 1], "0123456789") == std::strlen(argv[i + 1]) && *argv[i + 1])
        options.explore = std::atoi(argv[++i]);
      continue;
    }
    if (arg == "--no-prune") {
      options.prune = false;
      continue;
    }
    if (arg == "--minimize" || arg == "--scenario") {
      (arg == "--minimize" ? options.minimize : options.scenario) = true;
      continue;
    }
    if ((arg == "--strategy" || arg == "--timeline" || arg == "--save") && i + 1 < argc) {
      if (arg == "--save") {
        options.save = argv[++i];
        continue;
      }
      (arg == "--strategy" ? options.strategy : options.timeline) = argv[++i];
      continue;
    }
    if (arg == "--target") {
      if (i + 1 >= argc || !(options.target = find_target(argv[++i]))) {
        std::fprintf(stderr, "error: --target needs one of the targets below\n");
        usage(stderr);
        return 2;
      }
      continue;
    }
    files.push_back(arg);
  }
  if (files.empty()) {
    usage(stderr);
    return 2;
  }
  int status = 0;
  for (const std::string& f : files)
    status = std::max(status, options.scenario ? reproduce_scenario(f, options) : reproduce(f, options));
  return status;
}
