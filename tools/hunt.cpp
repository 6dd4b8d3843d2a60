// hunt: measures the harness by the mutants it kills. Runs every killer (the fuzz
// targets from an empty corpus, the property suites) against every mutant, and the clean
// implementation through the same killers, each run in its own process group with a
// wall-clock budget. Prints one row per mutant (fastest killer, its time to kill), the
// clean row, the distinct signatures of each mutant's findings and last
// `killed K/N mutants`. Exits 0 only when every mutant died, the clean implementation
// was never flagged and no run reported a harness bug. ci/hunt.sh builds and runs it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mutants.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The programs that can detect a mutant, defined once (--help, --killer, the columns).
enum class KillerKind { fuzz, props };
struct Killer {
  const char* name;
  KillerKind kind;
  bool sequential;  // fuzz: inputs capped at 512 bytes (56 operations), as ci/fuzz.sh does
};
constexpr Killer kKillers[] = {
    {"zbud_diff", KillerKind::fuzz, true},         {"zswap_diff", KillerKind::fuzz, true},
    {"zswap_race", KillerKind::fuzz, false},       {"decompress_corrupt", KillerKind::fuzz, false},
    {"decoder_total", KillerKind::fuzz, false},    {"zbud_props", KillerKind::props, false},
    {"zswap_props", KillerKind::props, false},     {"race_props", KillerKind::props, false},
};

// A line carrying one of these reports a finding (what the targets and suites print).
constexpr const char* kFindingTags[] = {"[divergence]", "[invariant]", "[harness bug]", "ERROR: AddressSanitizer",
                                        "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer"};
constexpr const char* kHarnessBugTag = "[harness bug]";

struct Options {
  int seconds = 0;
  std::size_t jobs = 2;
  std::vector<Mutant> mutants;          // hunted, in catalogue order
  std::vector<const Killer*> killers;   // in table order
  std::string json, svg;
  std::string fuzz_dir = "build/fuzz/fuzz";
  std::string props_dir = "build/asan/props";
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: hunt --seconds N [--mutant NAME]... [--killer NAME]... [--jobs J] [--json OUT.json]\n"
               "            [--svg OUT.svg] [--fuzz-dir DIR] [--props-dir DIR]\n"
               "  Runs every killer against every mutant (default: all of both) and against the clean\n"
               "  implementation, J runs at once (default 2), each stopped after N seconds. A kill is a\n"
               "  non-zero exit with a finding line; the clean implementation must never be flagged.\n"
               "  Prints one row per mutant, the clean row, each mutant's distinct signatures, and last\n"
               "  `killed K/N mutants`. Exits 0 only when all were killed, with no false alarm and no\n"
               "  harness bug. --json and --svg also write the results as data and as a bar chart.\n"
               "  --fuzz-dir   the libFuzzer binaries (default build/fuzz/fuzz)\n"
               "  --props-dir  the property suites (default build/asan/props)\n"
               "  mutants:\n");
  mutants::print_list(out);
  std::fprintf(out, "  killers:\n");
  for (const Killer& k : kKillers)
    std::fprintf(out, "  %-28s %s\n", k.name,
                 k.kind == KillerKind::fuzz ? "fuzz target, from an empty corpus, -seed=1" : "property suite, as it is");
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
    } else if (flag == "--json") {
      o.json = value;
    } else if (flag == "--svg") {
      o.svg = value;
    } else if (flag == "--fuzz-dir") {
      o.fuzz_dir = value;
    } else if (flag == "--props-dir") {
      o.props_dir = value;
    } else {
      usage_error("unknown argument '" + flag + "'");
    }
  }
  if (o.seconds == 0) usage_error("--seconds N is required");
  for (int m = 1; m <= kMutantCount; m++)
    if (!any_mutant || want_mutant[m]) o.mutants.push_back(static_cast<Mutant>(m));
  for (std::size_t k = 0; k < std::size(kKillers); k++)
    if (!any_killer || want_killer[k]) o.killers.push_back(&kKillers[k]);
  return o;
}

// ---- signatures: kind + operation + site, stable across runs of one bug ----

// Digits and addresses vary from crash to crash of one bug: they become N.
std::string normalized(std::string_view text) {
  static const std::regex number("0x[0-9a-fA-F]+|[0-9]+");
  return std::regex_replace(std::string(text), number, "N");
}

std::string trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(' ');
  return begin == std::string_view::npos ? "" : std::string(text.substr(begin, text.find_last_not_of(' ') - begin + 1));
}

// The text before the first of `stops`, trimmed.
std::string cut(std::string_view text, std::initializer_list<std::string_view> stops) {
  std::size_t end = text.size();
  for (std::string_view stop : stops) end = std::min(end, text.find(stop));
  return trim(text.substr(0, end));
}

// "/path/impl/zbud.cpp:359: ..." -> "zbud.cpp:359" (the first file:line in text), or "".
std::string file_and_line(std::string_view text) {
  static const std::regex file_line(R"([^/\s:]+:\d+)");
  std::match_results<std::string_view::const_iterator> m;
  return std::regex_search(text.begin(), text.end(), m, file_line) ? m.str() : "";
}

// Drops the context the property suites append to a message (" [schedule pct:...]").
std::string without_context(std::string_view text) {
  static const std::regex context(R"(\s*\[[^\]]*\]\s*$)");
  return std::regex_replace(std::string(text), context, "");
}

// "(anonymous namespace)::Pool::free<int>(zbud_pool*, unsigned long)" -> "Pool::free".
std::string bare_function(std::string name) {
  static const std::regex anonymous(R"(\(anonymous namespace\)::)");
  name = std::regex_replace(name, anonymous, "");
  name = name.substr(0, name.find('('));
  std::string bare;
  int depth = 0;
  for (char c : name) {
    depth += c == '<';
    if (depth == 0) bare += c;
    depth -= c == '>' && depth > 0;
  }
  return bare;
}

// "@FUNC" of the first stack frame in impl/ ("#N 0x... in FUNC /path/impl/f.cpp:L:C"),
// or "" when the output holds none (the property suites print only the first line).
std::string impl_frame(std::string_view following) {
  static const std::regex frame(R"(#\d+ (?:0x[0-9a-fA-F]+ in )?(.+) \S*/impl/\S+)");
  std::istringstream lines{std::string(following)};
  std::smatch m;
  for (std::string line; std::getline(lines, line);)
    if (std::regex_search(line, m, frame)) return "@" + bare_function(m[1]);
  return "";
}

// What a rule sees: the finding line, the text after its marker, the output after the line.
struct Finding {
  std::string_view line, rest, following;
};

// "[divergence] op #3 store(type=0, ...): return code: expected ..." (fuzz targets) and
// "store(type=0, ...): [divergence] return code: ..." (property suites) -> "store:return code".
std::string operation_and_category(const Finding& f) {
  static const std::regex call(R"((\w+)\([^()]*\)[\s:]*([^:]*))");
  const std::size_t tag = f.line.find("[divergence]");
  const std::string text = std::string(f.line.substr(0, tag)) + std::string(f.rest);
  std::smatch m;
  if (!std::regex_search(text, m, call)) return normalized(without_context(trim(f.rest)));
  return m[1].str() + ":" + normalized(without_context(trim(m[2].str())));
}

// "ERROR: AddressSanitizer: heap-use-after-free on address 0x..." -> "heap-use-after-free@zbud_free"
std::string sanitizer_kind_at_site(const Finding& f) {
  return normalized(cut(f.rest, {" on ", " (", ":"})) + impl_frame(f.following);
}

// Signature rules, by a marker in the finding line; the first rule that matches wins (so
// the specific markers come before the general tags they appear with).
struct Rule {
  const char* marker;
  const char* prefix;
  std::string (*rest)(const Finding&);  // appended to prefix
};
const Rule kRules[] = {
    {kHarnessBugTag, "harness bug:", [](const Finding& f) { return normalized(trim(f.rest)); }},
    // "[invariant] kernel BUG at /path/impl/zbud.cpp:359: cond" -> "bug@zbud.cpp:359"
    {"kernel BUG at", "bug@", [](const Finding& f) { return file_and_line(f.rest); }},
    {"ERROR: LeakSanitizer", "lsan:leak", [](const Finding&) { return std::string(); }},
    {"ERROR: AddressSanitizer: ", "asan:", sanitizer_kind_at_site},
    {"WARNING: ThreadSanitizer: ", "tsan:", sanitizer_kind_at_site},
    // "/path/impl/zbud.cpp:12:3: runtime error: index 5 out of bounds for ..." -> "ubsan:index N out of bounds for ...@zbud.cpp:12"
    {"runtime error: ", "ubsan:",
     [](const Finding& f) {
       const std::string site = file_and_line(f.line.substr(0, f.line.find("runtime error: ")));
       return normalized(cut(f.rest, {":"})) + (site.empty() ? "" : "@" + site);
     }},
    {"not linearizable", "divergence:not linearizable", [](const Finding&) { return std::string(); }},
    {"[divergence]", "divergence:", operation_and_category},
    // "[invariant] type 0: 2 zbud handles live for 1 entries" -> "invariant:type N: N zbud handles live for N entries"
    {"[invariant]", "invariant:", [](const Finding& f) { return normalized(without_context(trim(f.rest))); }},
};

std::string signature(std::string_view line, std::string_view following) {
  for (const Rule& rule : kRules)
    if (const std::size_t at = line.find(rule.marker); at != std::string_view::npos)
      return rule.prefix + rule.rest({line, line.substr(at + std::strlen(rule.marker)), following});
  return normalized(line);  // unreachable for a line with a finding tag: every tag has a rule
}

// ---- runs ----

enum class Verdict { survived, killed, harness_bug };

struct Run {
  Run(Mutant m, const Killer* k) : mutant(m), killer(k) {}
  Mutant mutant;  // Mutant::none: the clean implementation
  const Killer* killer;
  Verdict verdict = Verdict::survived;
  double seconds = 0;      // start to exit, or the budget when stopped there
  std::string first_line;  // the finding line (killed, harness bug)
  std::string signature;
  std::string note;        // a failure without a finding line (not a kill, but worth a look)
};

// The killer's command line; dir holds the corpus (empty at the start) and the artifacts.
std::vector<std::string> command_line(const Options& o, const Killer& k, const std::string& dir) {
  if (k.kind == KillerKind::props) return {(fs::path(o.props_dir) / k.name).string()};
  std::vector<std::string> argv = {(fs::path(o.fuzz_dir) / k.name).string(), "-max_total_time=" + std::to_string(o.seconds),
                                   "-timeout=10", "-seed=1"};
  if (k.sequential) argv.push_back("-max_len=512");
  argv.push_back("-artifact_prefix=" + dir + "/");
  argv.push_back(dir + "/corpus");
  return argv;
}

// A shell line that repeats the run (the fuzzers: same seed, a fresh empty corpus).
std::string reproduce_command(const Options& o, const Run& run) {
  std::string s = run.killer->kind == KillerKind::fuzz ? "d=$(mktemp -d) && mkdir $d/corpus && " : "";
  s += run.mutant == Mutant::none ? "ZSWAP_MUTANT=" : std::string("ZSWAP_MUTANT=") + mutants::name(run.mutant);
  for (const std::string& arg : command_line(o, *run.killer, "$d")) s += " " + arg;
  return s;
}

// The verdict from the exit and the output. A harness bug counts whatever the exit.
void classify(const std::string& output, bool failed, Run& run) {
  std::optional<std::size_t> finding;  // offset of the first finding line
  for (std::size_t begin = 0; begin < output.size();) {
    const std::size_t end = std::min(output.find('\n', begin), output.size());
    const std::string_view line = std::string_view(output).substr(begin, end - begin);
    if (line.find(kHarnessBugTag) != std::string_view::npos) {
      run.verdict = Verdict::harness_bug;
      run.first_line = line;
      run.signature = signature(line, std::string_view(output).substr(end));
      return;
    }
    if (!finding && std::any_of(std::begin(kFindingTags), std::end(kFindingTags),
                                [&](const char* tag) { return line.find(tag) != std::string_view::npos; }))
      finding = begin;
    begin = end + 1;
  }
  if (!failed || !finding) return;
  const std::size_t end = std::min(output.find('\n', *finding), output.size());
  run.verdict = Verdict::killed;
  run.first_line = output.substr(*finding, end - *finding);
  run.signature = signature(run.first_line, std::string_view(output).substr(end));
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

std::string verdict_text(const Run& run) {
  const bool clean = run.mutant == Mutant::none;
  switch (run.verdict) {
    case Verdict::killed: return clean ? "FALSE ALARM" : seconds_text(run.seconds);
    case Verdict::harness_bug: return "HARNESS BUG";
    case Verdict::survived: return clean ? "ok" : "-";
  }
  return "";
}

// A started run: a process group led by pid, output in dir/output.
struct Live {
  std::size_t index;
  pid_t pid;
  Clock::time_point start;
  fs::path dir;
  bool stopped = false;  // killed at the budget
};

Live start(const Options& o, const Run& run, std::size_t index) {
  std::string dir_template = (fs::temp_directory_path() / "hunt-XXXXXX").string();
  if (!mkdtemp(dir_template.data())) {
    std::perror("hunt: mkdtemp");
    std::exit(1);
  }
  const fs::path dir = dir_template;
  fs::create_directory(dir / "corpus");
  const std::vector<std::string> args = command_line(o, *run.killer, dir.string());
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int out = open((dir / "output").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    std::perror("hunt: output file");
    std::exit(1);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("hunt: fork");
    std::exit(1);
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own group: the budget kill reaches everything it forks
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    setenv("ZSWAP_MUTANT", run.mutant == Mutant::none ? "" : mutants::name(run.mutant), 1);
    // The caller's property settings would change what a suite runs, or write its
    // counterexamples into a corpus.
    for (const char* name : {"RC_PARAMS", "ZSWAP_PROPS_CORPUS", "GTEST_FILTER"}) unsetenv(name);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "%s hunt: cannot execute %s: %s\n", kHarnessBugTag, argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so that a kill can never precede the child's own call
  close(out);
  return {index, pid, Clock::now(), dir};
}

void finish(const Options& o, const Live& live, int status, Run& run) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - live.start).count();
  const std::string output = read_all(live.dir / "output");
  fs::remove_all(live.dir);
  run.seconds = live.stopped ? o.seconds : elapsed;
  const bool failed = !live.stopped && !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  classify(output, failed, run);
  if (failed && run.verdict == Verdict::survived)
    run.note = (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                    : "exited with status " + std::to_string(WEXITSTATUS(status))) +
               " without a finding line";
  // A property suite ends on its own; one stopped at the budget checked less than it says.
  if (live.stopped && run.killer->kind == KillerKind::props)
    run.note = "did not finish within the budget";
  // On the clean impl anything but a clean finish is an alarm, with or without a finding line.
  if (run.mutant == Mutant::none && run.verdict == Verdict::survived && !run.note.empty()) {
    run.verdict = Verdict::killed;
    run.first_line = run.note;
    run.signature = "run:" + run.note;
  }
}

// A fuzzer stops itself at the budget (-max_total_time); the grace lets a finding made
// in its last moment be written out instead of cut off.
std::chrono::seconds grace(const Killer& k) { return std::chrono::seconds(k.kind == KillerKind::fuzz ? 10 : 0); }

// Set by SIGINT/SIGTERM: the runs are in their own process groups, so a Ctrl-C on the
// terminal does not reach them; execute() stops them itself.
volatile std::sig_atomic_t g_interrupted = 0;

// Runs them all, at most o.jobs at once, printing each verdict to stderr as it comes.
void execute(const Options& o, std::vector<Run>& runs) {
  std::vector<Live> live;
  std::size_t next = 0, done = 0;
  const int width = static_cast<int>(std::to_string(runs.size()).size());
  while (done < runs.size()) {
    if (g_interrupted) {
      for (const Live& l : live) {
        kill(-l.pid, SIGKILL);
        waitpid(l.pid, nullptr, 0);
        fs::remove_all(l.dir);
      }
      std::fprintf(stderr, "hunt: interrupted\n");
      std::exit(130);
    }
    while (live.size() < o.jobs && next < runs.size()) {
      live.push_back(start(o, runs[next], next));
      next++;
    }
    int status = 0;
    for (pid_t pid; (pid = waitpid(-1, &status, WNOHANG)) > 0;) {
      const auto it = std::find_if(live.begin(), live.end(), [&](const Live& l) { return l.pid == pid; });
      Run& run = runs[it->index];
      finish(o, *it, status, run);
      live.erase(it);
      done++;
      const bool survived = run.verdict == Verdict::survived && run.mutant != Mutant::none;
      std::fprintf(stderr, "[%*zu/%zu] %-27s %-18s %-11s %s\n", width, done, runs.size(),
                   run.mutant == Mutant::none ? "clean impl" : mutants::name(run.mutant), run.killer->name,
                   survived ? "survived" : verdict_text(run).c_str(), run.signature.empty() ? run.note.c_str() : run.signature.c_str());
    }
    const auto now = Clock::now();
    for (Live& l : live)
      if (!l.stopped && now - l.start >= std::chrono::seconds(o.seconds) + grace(*runs[l.index].killer)) {
        kill(-l.pid, SIGKILL);
        l.stopped = true;
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

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
};

Summary summarize(const std::vector<Run>& runs, const std::vector<Row>& rows) {
  Summary s;
  s.total = static_cast<int>(rows.size());
  std::vector<double> times;
  for (const Row& row : rows)
    if (const Run* f = row.fastest()) times.push_back(f->seconds);
  s.killed = static_cast<int>(times.size());
  std::sort(times.begin(), times.end());
  if (!times.empty()) {
    const std::size_t n = times.size();
    s.median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    s.max = times.back();
  }
  for (const Run& run : runs) {
    s.false_alarms += run.mutant == Mutant::none && run.verdict == Verdict::killed;
    s.harness_bugs += run.verdict == Verdict::harness_bug;
  }
  return s;
}

void print_report(const Options& o, const std::vector<Run>& runs, const std::vector<Row>& rows, const Row& clean,
                  const Summary& s) {
  // A killer's column is as wide as its name, at least "FALSE ALARM".
  const auto print_cells = [](const Row& row) {
    for (const Run& run : row.runs)
      std::printf("  %-*s", static_cast<int>(std::max<std::size_t>(11, std::strlen(run.killer->name))),
                  verdict_text(run).c_str());
    std::printf("\n");
  };
  std::printf("\nbudget %ds per run, %zu at once\n", o.seconds, o.jobs);
  std::printf("%-27s %-18s %7s %4s", "mutant", "fastest killer", "seconds", "sigs");
  for (const Killer* k : o.killers) std::printf("  %-11s", k->name);
  std::printf("\n");
  for (const Row& row : rows) {
    const Run* f = row.fastest();
    std::printf("%-27s %-18s %7s %4zu", mutants::name(row.mutant), f ? f->killer->name : "(survived)",
                f ? seconds_text(f->seconds).c_str() : "-", row.signatures().size());
    print_cells(row);
  }
  std::printf("%-27s %-18s %7s %4s", "clean impl", "", "", "");
  print_cells(clean);

  const auto list = [&](const char* title, auto wanted) {
    bool any = false;
    for (const Run& run : runs) {
      if (!wanted(run)) continue;
      if (!any) std::printf("\n%s:\n", title);
      any = true;
      std::printf("  %s / %s: %s\n    repro: %s\n", run.mutant == Mutant::none ? "clean impl" : mutants::name(run.mutant),
                  run.killer->name, run.first_line.empty() ? run.note.c_str() : run.first_line.c_str(),
                  reproduce_command(o, run).c_str());
    }
  };
  list("FALSE ALARMS (the clean implementation was flagged)",
       [](const Run& r) { return r.mutant == Mutant::none && r.verdict == Verdict::killed; });
  list("HARNESS BUGS (bugs of the harness, not of impl)", [](const Run& r) { return r.verdict == Verdict::harness_bug; });
  list("mutant runs that died or were cut off without a finding line (not counted as kills)",
       [](const Run& r) { return r.mutant != Mutant::none && !r.note.empty(); });

  std::printf("\nsignatures:\n");
  for (const Row& row : rows) {
    std::printf("  %s\n", mutants::name(row.mutant));
    const auto found = row.signatures();
    if (found.empty()) std::printf("    (survived every killer)\n");
    for (const auto& [sig, killers] : found) {
      std::string by;
      for (const std::string& k : killers) by += (by.empty() ? "" : ", ") + k;
      std::printf("    %s  [%s]\n", sig.c_str(), by.c_str());
    }
  }
  std::printf("\ntime to kill (fastest killer) over %d killed mutants: median %s, max %s\n", s.killed,
              s.median ? seconds_text(*s.median).c_str() : "-", s.max ? seconds_text(*s.max).c_str() : "-");
  if (s.false_alarms) std::printf("%d false alarm(s) on the clean implementation\n", s.false_alarms);
  if (s.harness_bugs) std::printf("%d harness bug(s)\n", s.harness_bugs);
  std::printf("killed %d/%d mutants\n", s.killed, s.total);
}

double rounded(double s) { return std::round(s * 100) / 100; }

bool write_json(const Options& o, const std::vector<Run>& runs, const std::vector<Row>& rows, const Row& clean,
                const Summary& s) {
  // null rather than "" where a survivor has no finding
  const auto text = [](const std::string& t) { return t.empty() ? nlohmann::json() : nlohmann::json(t); };
  nlohmann::json j;
  j["budget_seconds"] = o.seconds;
  for (const Row& row : rows) {
    nlohmann::json& m = j["mutants"][mutants::name(row.mutant)];
    for (const Run& run : row.runs) {
      m["killers"][run.killer->name] = {{"killed", run.verdict == Verdict::killed},
                                        {"harness_bug", run.verdict == Verdict::harness_bug},
                                        {"seconds", rounded(run.seconds)},
                                        {"signature", text(run.signature)},
                                        {"first_line", text(run.first_line)}};
    }
    const Run* f = row.fastest();
    m["fastest"] = f ? nlohmann::json{{"killer", f->killer->name}, {"seconds", rounded(f->seconds)}} : nlohmann::json();
    m["signatures"] = nlohmann::json::object();
    for (const auto& [sig, killers] : row.signatures()) m["signatures"][sig] = killers;
  }
  for (const Run& run : clean.runs) {
    j["clean"][run.killer->name] = {{"false_alarm", run.verdict == Verdict::killed},
                                    {"harness_bug", run.verdict == Verdict::harness_bug},
                                    {"seconds", rounded(run.seconds)},
                                    {"first_line", text(run.first_line)},
                                    {"command", reproduce_command(o, run)}};
  }
  j["harness_bugs"] = nlohmann::json::array();
  for (const Run& run : runs)
    if (run.verdict == Verdict::harness_bug)
      j["harness_bugs"].push_back({{"mutant", mutants::name(run.mutant)},
                                   {"killer", run.killer->name},
                                   {"first_line", run.first_line},
                                   {"command", reproduce_command(o, run)}});
  const auto opt = [](std::optional<double> v) { return v ? nlohmann::json(rounded(*v)) : nlohmann::json(); };
  j["summary"] = {{"killed", s.killed},       {"total", s.total},
                  {"median_seconds", opt(s.median)}, {"max_seconds", opt(s.max)},
                  {"false_alarms", s.false_alarms},  {"harness_bugs", s.harness_bugs}};
  std::ofstream out(o.json);
  // Output lines are not guaranteed UTF-8: replace what is not, rather than throw.
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return static_cast<bool>(out);
}

// A bar per mutant: the fastest kill on a log scale from 0.1 s to the budget, red to the
// budget for a survivor. Names are C identifiers, so the text needs no XML escaping.
bool write_svg(const Options& o, const std::vector<Row>& rows, const Summary& s) {
  constexpr int kWidth = 900, kRow = 22, kTop = 40, kLeft = 230, kBar = 480, kAxis = 30;
  const double lo = 0.1, hi = o.seconds;
  const auto x = [&](double t) {
    return kLeft + static_cast<int>(std::lround(kBar * std::log(std::clamp(t, lo, hi) / lo) / std::log(hi / lo)));
  };
  const int height = kTop + static_cast<int>(rows.size()) * kRow + kAxis;
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"10\" y=\"24\" font-size=\"15\" font-weight=\"bold\">Time to kill per mutant (fastest killer, log scale), budget "
      << o.seconds << " s: killed " << s.killed << "/" << s.total << "</text>\n";
  // Grid: every power of ten inside the scale, and the budget.
  std::vector<double> ticks;
  for (double t = lo; t < hi * 0.999; t *= 10) ticks.push_back(t);
  ticks.push_back(hi);
  const int bottom = kTop + static_cast<int>(rows.size()) * kRow;
  for (double t : ticks) {
    char label[32];
    std::snprintf(label, sizeof label, t < 1 ? "%.1f s" : "%.0f s", t);
    svg << "<line x1=\"" << x(t) << "\" y1=\"" << kTop << "\" x2=\"" << x(t) << "\" y2=\"" << bottom
        << "\" stroke=\"#ccc\"/>\n<text x=\"" << x(t) << "\" y=\"" << bottom + 16 << "\" text-anchor=\"middle\" fill=\"#555\">"
        << label << "</text>\n";
  }
  for (std::size_t i = 0; i < rows.size(); i++) {
    const int y = kTop + static_cast<int>(i) * kRow;
    const Run* f = rows[i].fastest();
    const int end = std::max(x(f ? f->seconds : hi), kLeft + 2);  // a kill under 0.1 s stays visible
    const std::string label = f ? seconds_text(f->seconds) + " " + f->killer->name : "survived";
    svg << "<text x=\"" << kLeft - 8 << "\" y=\"" << y + 15 << "\" text-anchor=\"end\">" << mutants::name(rows[i].mutant)
        << "</text>\n<rect x=\"" << kLeft << "\" y=\"" << y + 4 << "\" width=\"" << end - kLeft << "\" height=\"" << kRow - 8
        << "\" fill=\"" << (f ? "#4a7ab5" : "#d33") << "\"/>\n<text x=\"" << end + 6 << "\" y=\"" << y + 15 << "\">" << label
        << "</text>\n";
  }
  svg << "</svg>\n";
  std::ofstream out(o.svg);
  out << svg.str();
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  for (const Killer* k : o.killers) {
    const std::string path = command_line(o, *k, "")[0];
    if (access(path.c_str(), X_OK) != 0) {
      std::fprintf(stderr, "error: no %s at %s: build the %s preset (ci/hunt.sh does), or pass %s\n", k->name,
                   path.c_str(), k->kind == KillerKind::fuzz ? "fuzz" : "asan",
                   k->kind == KillerKind::fuzz ? "--fuzz-dir" : "--props-dir");
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
  const std::size_t waves = (runs.size() + o.jobs - 1) / o.jobs;
  std::fprintf(stderr, "hunt: %zu mutants and the clean impl x %zu killers = %zu runs of %ds, %zu at once (up to %zus)\n",
               o.mutants.size(), nk, runs.size(), o.seconds, o.jobs, waves * static_cast<std::size_t>(o.seconds));
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
