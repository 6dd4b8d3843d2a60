#include "minimize.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <vector>

#include "check.h"
#include "signature.h"
#include "subprocess.h"

namespace {

namespace fs = std::filesystem;

// A candidate's exploration may run many schedules; past this it counts as not failing.
constexpr double kTrialSeconds = 120;
// The largest bound tried when the requested one finds no failing schedule.
constexpr int kMaxBound = 4;

using Predicate = std::function<bool(const Program&)>;

// Runs repro on candidates in child processes (a failure may crash it).
class Trials {
 public:
  explicit Trials(fs::path work) : work_(std::move(work)) {}

  // The finding of candidate replayed with its own schedule bytes.
  std::optional<Finding> replay(const Program& candidate) { return run(candidate, {}); }
  // The finding of the first failing schedule within bound (saved to `failing`).
  std::optional<Finding> explore(const Program& candidate, int bound, const fs::path& failing) {
    return run(candidate, {"--explore", std::to_string(bound), "--save", failing.string()});
  }
  int count() const { return count_; }
  bool timed_out() const { return timed_out_; }  // the last trial, at kTrialSeconds

 private:
  std::optional<Finding> run(const Program& candidate, std::vector<std::string> flags) {
    const fs::path input = work_ / "candidate";
    HARNESS_CHECK(save_program(input.string(), candidate));
    count_++;
    std::vector<std::string> argv = {fs::read_symlink("/proc/self/exe").string(), "--target", "zswap_race"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back(input.string());
    const Completed c = run_to_end(argv, {}, kTrialSeconds);
    timed_out_ = c.timed_out;
    return c.timed_out ? std::nullopt : first_finding(c.output);
  }

  fs::path work_;
  int count_ = 0;
  bool timed_out_ = false;
};

// Threads renumbered 1.. in order of first use; unused ones dropped (at least 2 remain).
Program compact_threads(Program p) {
  std::vector<int> label(p.threads + 1, 0);
  int next = 1;
  for (Op& op : p.ops) {
    if (op.thread == 0) continue;
    if (!label[op.thread]) label[op.thread] = next++;
    op.thread = static_cast<std::uint8_t>(label[op.thread]);
  }
  p.threads = std::max(2, next - 1);
  return p;
}

// The smallest program still `failing`: whole threads first (the largest cut), then
// chunks of operations, halving the chunk size whenever no chunk of it can go (delta
// debugging's complement step).
Program reduce(Program best, const Predicate& failing) {
  for (int t = best.threads; t >= 1; t--) {
    Program q = best;
    std::erase_if(q.ops, [t](const Op& op) { return op.thread == t; });
    q = compact_threads(q);
    if (q.ops.size() < best.ops.size() && failing(q)) best = q;
  }
  for (std::size_t chunk = std::max<std::size_t>(best.ops.size() / 2, 1);; chunk /= 2) {
    for (std::size_t from = 0; from + chunk <= best.ops.size();) {
      Program q = best;
      q.ops.erase(q.ops.begin() + static_cast<long>(from), q.ops.begin() + static_cast<long>(from + chunk));
      q = compact_threads(q);
      if (failing(q)) {
        best = q;
        std::printf("  %zu ops\n", best.ops.size());
        std::fflush(stdout);
      } else {
        from += chunk;
      }
    }
    if (chunk <= 1) break;
  }
  return best;
}

}  // namespace

int minimize_file(const std::string& file, const Program& program, int max_preemptions, const std::string& out) {
  const fs::path work = fs::temp_directory_path() / ("repro-minimize-" + std::to_string(getpid()));
  fs::create_directories(work);
  Trials trials(work);
  auto done = [&](int status) {
    fs::remove_all(work);
    return status;
  };
  // The signature to keep: the file's own schedule's, else the first explored failure's.
  std::optional<Finding> first = trials.replay(program);
  Program unscheduled = program;
  unscheduled.schedule.clear();
  if (!first) first = trials.explore(unscheduled, max_preemptions, work / "first.failing");
  if (!first) {
    std::printf("%s does not fail, nor does any schedule within %d preemptions: nothing to minimise\n", file.c_str(),
                max_preemptions);
    return done(1);
  }
  const std::string signature = first->signature;
  std::printf("minimising %s (%zu ops, %d threads) while it fails as %s\n", file.c_str(), program.ops.size(),
              program.threads, signature.c_str());
  // 1. Cheap: trials replay the file's own schedule bytes. (A prefix operation makes no
  // scheduling choice, so removing one keeps every byte's meaning.)
  Program best = reduce(program, [&](const Program& q) {
    const std::optional<Finding> f = trials.replay(q);
    return f && f->signature == signature;
  });
  // 2. Exploration: some schedule within the bound fails; the smallest bound that finds one.
  best.schedule.clear();
  int bound = max_preemptions;
  while (bound <= kMaxBound) {
    const std::optional<Finding> f = trials.explore(best, bound, work / "best.failing");
    if (f && f->signature == signature) break;
    std::printf("  within %d preemptions: %s\n", bound,
                f                     ? ("fails as " + f->signature).c_str()
                : trials.timed_out() ? "no failure found in the trial's time"
                                     : "no failure");
    bound++;
  }
  if (bound > kMaxBound) {
    std::printf("[harness bug] no schedule of the reduced program within %d preemptions fails as %s\n", kMaxBound,
                signature.c_str());
    return done(2);
  }
  if (bound != max_preemptions) std::printf("  no failing schedule within %d preemptions; exploring with %d\n", max_preemptions, bound);
  best = reduce(best, [&](const Program& q) {
    const std::optional<Finding> f = trials.explore(q, bound, work / "candidate.failing");
    const bool alike = f && f->signature == signature;
    if (alike) fs::copy_file(work / "candidate.failing", work / "best.failing", fs::copy_options::overwrite_existing);
    return alike;
  });
  // The smallest program with the schedule its exploration found, replayed as a file.
  fs::copy_file(work / "best.failing", out, fs::copy_options::overwrite_existing);
  const std::string bytes = read_all(out);
  const Program saved = decode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), Layer::zswap);
  const std::optional<Finding> replayed = trials.replay(saved);
  if (!replayed || replayed->signature != signature) {
    std::printf("[harness bug] the minimised program %s does not replay to %s\n", out.c_str(), signature.c_str());
    return done(2);
  }
  std::printf("minimised %s from %zu to %zu operations (%d threads; a failing schedule within %d preemptions) in %d "
              "runs; written with that schedule to %s\n",
              file.c_str(), program.ops.size(), saved.ops.size(), saved.threads, bound, trials.count(), out.c_str());
  return done(0);
}
