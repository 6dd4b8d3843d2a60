// Child processes for the tools that run other programs (hunt, triage): each in its own
// process group, so that stopping it at a budget also stops everything it forked.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// Environment changes for a child: each (name, value) is set; a nullopt value unsets it.
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Starts argv with stdout and stderr written to output. A program that cannot be
// executed writes a [harness bug] line there and exits 127. Exits the tool on a failed
// fork or an unwritable output file (nothing sensible can follow).
pid_t spawn(const std::vector<std::string>& argv, const EnvChanges& env, const std::filesystem::path& output);

// Stops a spawned child's whole process group.
void kill_group(pid_t pid);

struct Completed {
  int status = 0;          // waitpid's status, when it ended on its own
  bool timed_out = false;  // stopped at the timeout
  std::string output;
};

// Runs argv to its end, or stops it after timeout_seconds.
Completed run_to_end(const std::vector<std::string>& argv, const EnvChanges& env, double timeout_seconds);

std::string read_all(const std::filesystem::path& path);

// "exited with status N" / "killed by signal N"
std::string describe_status(int status);
