#include "minimize.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "signature.h"
#include "subprocess.h"

namespace {

namespace fs = std::filesystem;

// A candidate's exploration may run many schedules; past this it counts as not failing.
constexpr double kTrialSeconds = 120;

struct Trial {
  std::optional<Finding> finding;
  std::string output;
};

class Minimizer {
 public:
  Minimizer(int max_preemptions, fs::path work) : max_preemptions_(max_preemptions), work_(std::move(work)) {}

  // Explores candidate in a child repro (a failure may crash it); its schedule saved to `failing`.
  Trial explore(const Program& candidate, const fs::path& failing) {
    const fs::path input = work_ / "candidate";
    write(input, candidate);
    trials_++;
    const Completed c = run_to_end({fs::read_symlink("/proc/self/exe").string(), "--target", "zswap_race", "--explore",
                                    std::to_string(max_preemptions_), "--save", failing.string(), input.string()},
                                   {}, kTrialSeconds);
    return {c.timed_out ? std::nullopt : first_finding(c.output), c.output};
  }

  bool fails_alike(const Program& candidate, const std::string& signature) {
    const Trial t = explore(candidate, work_ / "candidate.failing");
    return t.finding && t.finding->signature == signature;
  }

  static void write(const fs::path& path, const Program& p) {
    const std::vector<std::uint8_t> bytes = encode(p);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
  }

  int trials() const { return trials_; }

 private:
  int max_preemptions_;
  fs::path work_;
  int trials_ = 0;
};

// The program without ops[from, from + count).
Program without(const Program& p, std::size_t from, std::size_t count) {
  Program q = p;
  q.ops.erase(q.ops.begin() + static_cast<long>(from), q.ops.begin() + static_cast<long>(from + count));
  return q;
}

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

}  // namespace

int minimize_file(const std::string& file, const Program& program, int max_preemptions, const std::string& out) {
  const fs::path work = fs::temp_directory_path() / ("repro-minimize-" + std::to_string(getpid()));
  fs::create_directories(work);
  Minimizer m(max_preemptions, work);
  Program best = program;
  best.schedule.clear();
  const Trial first = m.explore(best, work / "first.failing");
  if (!first.finding) {
    std::printf("%s does not fail within %d preemptions: nothing to minimise\n", file.c_str(), max_preemptions);
    fs::remove_all(work);
    return 1;
  }
  const std::string signature = first.finding->signature;
  std::printf("minimising %s (%zu ops, %d threads) while it fails as %s\n", file.c_str(), best.ops.size(), best.threads,
              signature.c_str());
  std::fflush(stdout);
  // Whole threads first (the largest cut), then chunks of operations, halving the chunk
  // size whenever no chunk of it can go (delta debugging's complement step).
  for (int t = best.threads; t >= 1; t--) {
    Program q = best;
    std::erase_if(q.ops, [t](const Op& op) { return op.thread == t; });
    q = compact_threads(q);
    if (q.ops.size() < best.ops.size() && m.fails_alike(q, signature)) best = q;
  }
  for (std::size_t chunk = std::max<std::size_t>(best.ops.size() / 2, 1); chunk >= 1; chunk /= 2) {
    for (std::size_t from = 0; from + chunk <= best.ops.size();) {
      const Program q = compact_threads(without(best, from, chunk));
      if (m.fails_alike(q, signature)) {
        best = q;
        std::printf("  %zu ops\n", best.ops.size());
        std::fflush(stdout);
      } else {
        from += chunk;
      }
    }
    if (chunk == 1) break;
  }
  // The smallest program with the schedule its exploration found, replayed as a file.
  const Trial last = m.explore(best, out);
  const Completed replay =
      run_to_end({fs::read_symlink("/proc/self/exe").string(), "--target", "zswap_race", out}, {}, kTrialSeconds);
  const std::optional<Finding> replayed = first_finding(replay.output);
  fs::remove_all(work);
  if (!last.finding || !replayed || replayed->signature != signature) {
    std::printf("[harness bug] the minimised program %s does not replay to %s:\n%s\n", out.c_str(), signature.c_str(),
                replay.output.c_str());
    return 2;
  }
  std::printf("minimised %s from %zu to %zu operations (%d threads) in %d explorations; written with its failing "
              "schedule to %s\n",
              file.c_str(), program.ops.size(), best.ops.size(), best.threads, m.trials(), out.c_str());
  return 0;
}
