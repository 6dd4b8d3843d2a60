#include "replay.h"

#include <cstdio>

namespace fs = std::filesystem;

Replayed replay_finding(const fs::path& replay_dir, const std::string& target, const fs::path& file,
                        const EnvChanges& env, double timeout_seconds) {
  const Completed run = run_to_end({(replay_dir / (target + "_replay")).string(), file.string()}, env, timeout_seconds);
  Replayed r;
  r.finding = first_finding(run.output);
  if (r.finding) return r;
  if (run.timed_out) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.0f", timeout_seconds);
    r.note = std::string("the replay did not end within ") + seconds + " s";
  } else {
    r.note = "the replay " + describe_status(run.status) + " without a finding line";
  }
  return r;
}

std::string repro_command(const std::string& target, const fs::path& file, const std::string& mutant) {
  // The targets tools/repro decodes (its table); the others replay as plain programs.
  const bool repro_knows = target == "zbud_diff" || target == "zswap_diff" || target == "zswap_race";
  std::string cmd = mutant.empty() ? "" : "ZSWAP_MUTANT=" + mutant + " ";
  cmd += repro_knows ? "build/asan/tools/repro --target " + target + " " : "build/asan/fuzz/" + target + "_replay ";
  return cmd + file.string();
}
