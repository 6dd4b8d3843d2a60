// A saved finding (a crash file of libFuzzer or AFL++) replayed through its target's
// replay program under ASan, so that every engine's findings get the same finding line
// and signature (signature.h), and the command that reproduces it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "signature.h"
#include "subprocess.h"

struct Replayed {
  std::optional<Finding> finding;  // nothing: the file did not reproduce a finding
  std::string note;                // how the replay ended when it found nothing
};

// Replays file through replay_dir/<target>_replay with env applied (ZSWAP_MUTANT).
// A replay still running after timeout_seconds is stopped: a hang, reported as such.
Replayed replay_finding(const std::filesystem::path& replay_dir, const std::string& target,
                        const std::filesystem::path& file, const EnvChanges& env, double timeout_seconds);

// The shell line that shows the finding: repro (program, outcome per operation,
// timeline) for the targets it decodes, the target's replay program for the others;
// mutant (may be empty) goes in front as ZSWAP_MUTANT.
std::string repro_command(const std::string& target, const std::filesystem::path& file, const std::string& mutant);
