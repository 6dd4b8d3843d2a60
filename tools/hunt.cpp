// hunt: measures the harness by the mutants it kills. Runs every killer (the fuzz
// targets from an empty corpus, under libFuzzer or AFL++, the property suites and the
// TSan stress program) against every mutant, and the clean implementation through the
// same killers, each run in its own process group with a wall-clock budget (a property
// suite: to its end). Prints one row per mutant (fastest killer, its time to kill),
// the clean row, the distinct signatures of each mutant's findings and last `killed
// K/N mutants`. Exits 0 only when every mutant died, the clean implementation was
// never flagged and no run reported a harness bug. With --clean it runs the clean
// implementation alone. ci/hunt.sh builds and runs it; the report is in
// hunt_report.cpp, the signatures in signature.cpp.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "hunt.h"
#include "replay.h"
#include "signature.h"
#include "subprocess.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Every run's random seed (libFuzzer's -seed, AFL++'s -s, the stress program's --seed):
// fixed, so that a run repeats (a stress run's thread interleavings still vary).
constexpr int kRunSeed = 1;

// The stress program's: its first TSan report ends the run, and is its finding.
constexpr const char* kStressTsanOptions = "halt_on_error=1";

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hunt --seconds N [--mutant NAME]... [--killer NAME]... [--jobs J] [--engine libfuzzer|afl]\n"
               "            [--clean] [--json OUT.json] [--svg OUT.svg] [--fuzz-dir DIR] [--afl-dir DIR]\n"
               "            [--replay-dir DIR] [--props-dir DIR] [--stress-dir DIR]\n"
               "  Runs every killer against every mutant (default: all of both) and against the clean\n"
               "  implementation, J runs at once (default 2), each stopped after N seconds (a property\n"
               "  suite runs its cases to the end, as ctest does, and is stopped only after 600 s, or N\n"
               "  if more). A kill is a non-zero exit with a finding line; the clean implementation\n"
               "  must never be flagged.\n"
               "  Prints one row per mutant, the clean row, each mutant's distinct signatures, and last\n"
               "  `killed K/N mutants`. Exits 0 only when all were killed, with no false alarm and no\n"
               "  harness bug. --json and --svg also write the results as data and as a bar chart.\n"
               "  --engine     the fuzz targets' engine: libfuzzer (default) or afl (AFL++'s afl-fuzz, with\n"
               "               the AFL_* settings ci/hunt.sh exports; a crash file counts by its replay)\n"
               "  --clean      no mutant: every killer against the implementation as it is (\"does any\n"
               "               killer flag my patch?\"); exits 1 and lists the findings if one does\n"
               "  --fuzz-dir   the libFuzzer binaries (default build/fuzz/fuzz)\n"
               "  --afl-dir    the AFL++ binaries (default build/afl/fuzz)\n"
               "  --replay-dir the ASan replay programs that name an AFL++ crash (default build/asan/fuzz)\n"
               "  --props-dir  the property suites (default build/asan/props)\n"
               "  --stress-dir the TSan stress program, the tsan preset's (default build/tsan/tests)\n"
               "  mutants:\n");
  mutants::print_list(out);
  std::fprintf(out, "  killers:\n");
  for (const Killer& k : kKillers) {
    std::string what = "property suite, as it is";
    if (k.kind == KillerKind::fuzz) what = "fuzz target, from an empty corpus, seed " + std::to_string(kRunSeed);
    if (k.kind == KillerKind::stress)
      what = "stress program under TSan for the budget, 4 threads, seed " + std::to_string(kRunSeed) +
             "; a finding line or TSan's first report kills";
    std::fprintf(out, "  %-28s %s\n", k.name, what.c_str());
  }
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "error: %s (see --help)\n", message.c_str());
  std::exit(2);
}

int positive(const std::string& flag, const std::string& text) {
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0)
    usage_error(flag + " wants a positive number, not '" + text + "'");
  return n;
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::vector<bool> want_mutant(kMutantCount + 1), want_killer(std::size(kKillers));
  bool any_mutant = false, any_killer = false;
  for (int i = 1; i < argc; i++) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (flag == "--clean") {
      o.clean_only = true;
      continue;
    }
    if (i + 1 >= argc) usage_error("unknown argument or missing value: '" + flag + "'");
    const std::string value = argv[++i];
    if (flag == "--seconds") {
      o.seconds = positive(flag, value);
    } else if (flag == "--jobs") {
      o.jobs = static_cast<std::size_t>(positive(flag, value));
    } else if (flag == "--mutant") {
      const std::optional<Mutant> m = mutants::parse(value);
      if (m == Mutant::none) usage_error("--mutant none: the clean impl runs in every hunt; name a mutant");
      if (!m) {
        std::fprintf(stderr, "error: unknown mutant '%s'; valid names:\n", value.c_str());
        mutants::print_list(stderr);
        std::exit(2);
      }
      want_mutant[static_cast<int>(*m)] = any_mutant = true;
    } else if (flag == "--killer") {
      const auto k = std::find_if(std::begin(kKillers), std::end(kKillers),
                                  [&](const Killer& k) { return value == k.name; });
      if (k == std::end(kKillers)) {
        std::fprintf(stderr, "error: unknown killer '%s'; valid names:", value.c_str());
        for (const Killer& known : kKillers) std::fprintf(stderr, " %s", known.name);
        std::fprintf(stderr, "\n");
        std::exit(2);
      }
      want_killer[static_cast<std::size_t>(k - std::begin(kKillers))] = any_killer = true;
    } else if (flag == "--engine") {
      if (value != "libfuzzer" && value != "afl") usage_error("--engine is libfuzzer or afl, not '" + value + "'");
      o.engine = value == "afl" ? Engine::afl : Engine::libfuzzer;
    } else if (flag == "--afl-dir") {
      o.afl_dir = value;
    } else if (flag == "--replay-dir") {
      o.replay_dir = value;
    } else if (flag == "--json") {
      o.json = value;
    } else if (flag == "--svg") {
      o.svg = value;
    } else if (flag == "--fuzz-dir") {
      o.fuzz_dir = value;
    } else if (flag == "--props-dir") {
      o.props_dir = value;
    } else if (flag == "--stress-dir") {
      o.stress_dir = value;
    } else {
      usage_error("unknown argument '" + flag + "'");
    }
  }
  if (o.seconds == 0) usage_error("--seconds N is required");
  if (o.clean_only && any_mutant) usage_error("--clean runs no mutant: drop --mutant");
  for (int m = 1; m <= kMutantCount && !o.clean_only; m++)
    if (!any_mutant || want_mutant[m]) o.mutants.push_back(static_cast<Mutant>(m));
  for (std::size_t k = 0; k < std::size(kKillers); k++)
    if (!any_killer || want_killer[k]) o.killers.push_back(&kKillers[k]);
  return o;
}

// The verdict from the exit and the output. A harness bug counts whatever the exit.
void classify(const std::string& output, bool failed, Run& run) {
  const std::optional<Finding> f = first_finding(output);
  if (!f || (!failed && !f->harness_bug)) return;
  run.verdict = f->harness_bug ? Verdict::harness_bug : Verdict::killed;
  run.first_line = f->line;
  run.signature = f->signature;
  // A report's program line (format_setup) or a printed program (format_program) names it.
  run.under_zstd = output.find("compressor zstd") != std::string::npos;
}

bool uses_afl(const Options& o, const Killer& k) { return k.kind == KillerKind::fuzz && o.engine == Engine::afl; }

// AFL++ needs one input to start from: the smallest program, its format version byte
// (2 for the race programs, 1 for the rest; harness/ops.h).
char afl_seed(const Killer& k) { return std::strcmp(k.name, "zswap_race") == 0 ? '\2' : '\1'; }

// The killer's command line; dir holds the corpus (empty at the start, or AFL++'s one
// seed) and the artifacts.
std::vector<std::string> command_line(const Options& o, const Killer& k, const std::string& dir) {
  if (k.kind == KillerKind::props) return {(fs::path(o.props_dir) / k.name).string()};
  const std::string seconds = std::to_string(o.seconds), seed = std::to_string(kRunSeed);
  if (k.kind == KillerKind::stress)
    return {(fs::path(o.stress_dir) / "stress").string(), "--seconds", seconds, "--threads", "4", "--seed", seed};
  if (o.engine == Engine::afl) {
    std::vector<std::string> argv = {"afl-fuzz", "-i", dir + "/corpus", "-o", dir + "/out", "-V", seconds, "-s", seed,
                                     "-t", "10000"};
    if (k.sequential) argv.insert(argv.end(), {"-G", "512"});
    argv.insert(argv.end(), {"--", (fs::path(o.afl_dir) / k.name).string()});
    return argv;
  }
  std::vector<std::string> argv = {(fs::path(o.fuzz_dir) / k.name).string(), "-max_total_time=" + seconds,
                                   "-timeout=10", "-seed=" + seed};
  if (k.sequential) argv.push_back("-max_len=512");
  argv.push_back("-artifact_prefix=" + dir + "/");
  argv.push_back(dir + "/corpus");
  return argv;
}

std::string mutant_value(Mutant m) { return m == Mutant::none ? "" : mutants::name(m); }

// The mutant, and none of the caller's property settings: they would change what a
// suite runs, or write its counterexamples into a corpus. AFL++ stops at its first crash
// (libFuzzer does anyway, and ignores the variable); the stress program at TSan's first
// report.
EnvChanges run_env(const Run& run) {
  EnvChanges env = {{"ZSWAP_MUTANT", mutant_value(run.mutant)},
                    {"RC_PARAMS", std::nullopt},
                    {"ZSWAP_PROPS_CORPUS", std::nullopt},
                    {"GTEST_FILTER", std::nullopt}};
  if (run.killer->kind == KillerKind::fuzz) env.emplace_back("AFL_BENCH_UNTIL_CRASH", "1");
  if (run.killer->kind == KillerKind::stress) env.emplace_back("TSAN_OPTIONS", kStressTsanOptions);
  return env;
}

// AFL++ does not show the target's output: its first saved crash, replayed under ASan,
// gives the finding line and the signature. afl-fuzz itself failing is a harness bug.
void classify_afl(const Options& o, const fs::path& dir, const std::string& output, bool failed, Run& run) {
  std::vector<fs::path> crashes;
  if (const fs::path d = dir / "out" / "default" / "crashes"; fs::is_directory(d))
    for (const auto& e : fs::directory_iterator(d))
      if (e.path().filename().string().starts_with("id:")) crashes.push_back(e.path());
  std::sort(crashes.begin(), crashes.end());
  if (crashes.empty()) {
    if (failed) {
      run.verdict = Verdict::harness_bug;
      const std::string::size_type error = output.find("PROGRAM ABORT");
      run.first_line = "afl-fuzz failed: " + output.substr(error == std::string::npos ? 0 : error, 300);
      run.signature = "harness bug:afl-fuzz failed";
    }
    return;
  }
  const Replayed r = replay_finding(o.replay_dir, run.killer->name, crashes.front(), run_env(run), 60);
  if (!r.finding) {
    run.note = "AFL++ saved a crash; " + r.note;
    return;
  }
  run.verdict = r.finding->harness_bug ? Verdict::harness_bug : Verdict::killed;
  run.first_line = r.finding->line;
  run.signature = r.finding->signature;
}

}  // namespace

int time_limit(const Options& o, const Killer& k) {
  return k.kind == KillerKind::props ? std::max(o.seconds, kPropsLimit) : o.seconds + 10;
}

std::string reproduce_command(const Options& o, const Run& run) {
  std::string s = run.killer->kind == KillerKind::fuzz ? "d=$(mktemp -d) && mkdir $d/corpus && " : "";
  if (uses_afl(o, *run.killer))
    s += "printf '\\" + std::to_string(static_cast<int>(afl_seed(*run.killer))) +
         "' >$d/corpus/empty && source ci/lib.sh && export_afl_settings && AFL_BENCH_UNTIL_CRASH=1 ";
  s += "ZSWAP_MUTANT=" + mutant_value(run.mutant);
  if (run.killer->kind == KillerKind::stress) s += std::string(" TSAN_OPTIONS=") + kStressTsanOptions;
  for (const std::string& arg : command_line(o, *run.killer, "$d")) s += " " + arg;
  return s;
}

namespace {

struct Live {
  std::size_t index;
  pid_t pid;
  Clock::time_point start;
  fs::path dir;
  bool stopped = false;  // killed at its time limit
};

Live start(const Options& o, const Run& run, std::size_t index) {
  std::string dir_template = (fs::temp_directory_path() / "hunt-XXXXXX").string();
  if (!mkdtemp(dir_template.data())) {
    std::perror("hunt: mkdtemp");
    std::exit(1);
  }
  const fs::path dir = dir_template;
  fs::create_directory(dir / "corpus");
  if (uses_afl(o, *run.killer)) std::ofstream(dir / "corpus" / "empty", std::ios::binary) << afl_seed(*run.killer);
  const pid_t pid = spawn(command_line(o, *run.killer, dir.string()), run_env(run), dir / "output");
  return {index, pid, Clock::now(), dir};
}

// A run that has ended, before its verdict.
struct Ended {
  std::size_t index;
  fs::path dir;
  std::string output;
  int status;
  bool stopped, failed;
};

// Reaped at once: the time to kill is the run's own, whatever is judged after it.
Ended reap(const Options& o, const Live& live, int status, Run& run) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - live.start).count();
  run.seconds = !live.stopped ? elapsed : run.killer->kind == KillerKind::props ? time_limit(o, *run.killer) : o.seconds;
  const bool failed = !live.stopped && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return {live.index, live.dir, read_all(live.dir / "output"), status, live.stopped, failed};
}

void judge(const Options& o, const Ended& e, Run& run) {
  if (uses_afl(o, *run.killer)) {
    classify_afl(o, e.dir, e.output, e.failed, run);
  } else {
    classify(e.output, e.failed, run);
    if (e.failed && run.verdict == Verdict::survived) run.note = describe_status(e.status) + " without a finding line";
  }
  fs::remove_all(e.dir);
  // A property suite ends on its own; one stopped at its limit hangs.
  if (e.stopped && run.killer->kind == KillerKind::props)
    run.note = "did not finish within " + std::to_string(time_limit(o, *run.killer)) + " s (a hang?)";
  // The stress program stops itself at the budget; still running after the grace, it hangs.
  if (e.stopped && run.killer->kind == KillerKind::stress)
    run.note = "still running past its budget (a deadlock?)";
  // On the clean impl anything but a clean finish is an alarm, with or without a finding line.
  if (run.mutant == Mutant::none && run.verdict == Verdict::survived && !run.note.empty()) {
    run.verdict = Verdict::killed;
    run.first_line = run.note;
    run.signature = "run:" + run.note;
  }
}

// Set by SIGINT/SIGTERM: the runs are in their own process groups, so a Ctrl-C on the
// terminal does not reach them; execute() stops them itself.
volatile std::sig_atomic_t g_interrupted = 0;

// Runs them all, at most o.jobs at once, printing each verdict to stderr as it comes.
// AFL++ runs are judged by replaying their crash, which takes time: after the others,
// so that no run's time includes a replay.
void execute(const Options& o, std::vector<Run>& runs) {
  std::vector<Live> live;
  std::vector<Ended> replays;
  std::size_t next = 0, done = 0;
  const int width = static_cast<int>(std::to_string(runs.size()).size());
  const auto report = [&](const Run& run) {
    const bool survived = run.verdict == Verdict::survived && run.mutant != Mutant::none;
    std::fprintf(stderr, "[%*zu/%zu] %-27s %-18s %-11s %s\n", width, ++done, runs.size(),
                 run.mutant == Mutant::none ? "clean impl" : mutants::name(run.mutant), run.killer->name,
                 survived ? "survived" : verdict_text(run).c_str(), run.signature.empty() ? run.note.c_str() : run.signature.c_str());
  };
  // Ctrl-C: stops what still runs and removes every run directory not yet judged.
  const auto abandon = [&] {
    for (const Live& l : live) {
      kill_group(l.pid);
      waitpid(l.pid, nullptr, 0);
      fs::remove_all(l.dir);
    }
    for (const Ended& e : replays) fs::remove_all(e.dir);
    std::fprintf(stderr, "hunt: interrupted\n");
    std::exit(130);
  };
  while (next < runs.size() || !live.empty()) {
    if (g_interrupted) abandon();
    while (live.size() < o.jobs && next < runs.size()) {
      live.push_back(start(o, runs[next], next));
      next++;
    }
    int status = 0;
    for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
      const auto it = std::find_if(live.begin(), live.end(), [&](const Live& l) { return l.pid == pid; });
      Run& run = runs[it->index];
      const Ended ended = reap(o, *it, status, run);
      live.erase(it);
      if (uses_afl(o, *run.killer)) {
        replays.push_back(ended);
        continue;
      }
      judge(o, ended, run);
      report(run);
    }
    const auto now = Clock::now();
    for (Live& l : live)
      if (!l.stopped && now - l.start >= std::chrono::seconds(time_limit(o, *runs[l.index].killer))) {
        kill_group(l.pid);
        l.stopped = true;
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  while (!replays.empty()) {
    if (g_interrupted) abandon();
    const Ended e = replays.front();
    replays.erase(replays.begin());
    judge(o, e, runs[e.index]);  // removes e.dir
    report(runs[e.index]);
  }
}

}  // namespace


int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  for (const Killer* k : o.killers) {
    const bool afl = uses_afl(o, *k);
    const std::string path = afl ? (fs::path(o.afl_dir) / k->name).string() : command_line(o, *k, "")[0];
    if (access(path.c_str(), X_OK) != 0) {
      const char* preset = k->kind == KillerKind::props ? "asan" : k->kind == KillerKind::stress ? "tsan" : afl ? "afl" : "fuzz";
      const char* flag = k->kind == KillerKind::props    ? "--props-dir"
                         : k->kind == KillerKind::stress ? "--stress-dir"
                         : afl                           ? "--afl-dir"
                                                         : "--fuzz-dir";
      std::fprintf(stderr, "error: no %s at %s: build the %s preset (ci/hunt.sh does), or pass %s\n", k->name,
                   path.c_str(), preset, flag);
      return 2;
    }
  }

  // Row-major: the clean implementation first (a false alarm shows early), then each mutant.
  std::vector<Mutant> hunted = {Mutant::none};
  hunted.insert(hunted.end(), o.mutants.begin(), o.mutants.end());
  std::vector<Run> runs;
  for (Mutant m : hunted)
    for (const Killer* k : o.killers) runs.emplace_back(m, k);
  const std::size_t nk = o.killers.size();
  std::fprintf(stderr,
               "hunt: %zu mutants and the clean impl x %zu killers = %zu runs of %ds (property suites: to their end, "
               "at most %ds), %zu at once\n",
               o.mutants.size(), nk, runs.size(), o.seconds, std::max(o.seconds, kPropsLimit), o.jobs);
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  execute(o, runs);

  const std::span<const Run> all(runs);
  const Row clean{Mutant::none, all.first(nk)};
  std::vector<Row> rows;
  for (std::size_t i = 1; i < hunted.size(); i++) rows.push_back({hunted[i], all.subspan(i * nk, nk)});
  const Summary s = summarize(runs, rows);
  bool written = true;
  if (!o.json.empty() && !write_json(o, runs, rows, clean, s)) {
    std::fprintf(stderr, "error: cannot write %s\n", o.json.c_str());
    written = false;
  }
  if (!o.svg.empty() && !write_svg(o, rows, s)) {
    std::fprintf(stderr, "error: cannot write %s\n", o.svg.c_str());
    written = false;
  }
  print_report(o, runs, rows, clean, s);
  return written && s.killed == s.total && s.false_alarms == 0 && s.harness_bugs == 0 ? 0 : 1;
}
