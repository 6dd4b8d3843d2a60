// triage: one entry per bug. Replays every finding file of a target (crash files of
// libFuzzer or AFL++) through its ASan replay program, groups them by signature (kind,
// operation, site: signature.h, as the hunt does) and prints one entry per signature:
// how many files found it, the smallest one, its first finding line and the command
// that reproduces it. Files that do not reproduce a finding form entries of their own,
// by how their replay ended. ci/fuzz.sh runs it on each target's new findings.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "replay.h"

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string target;
  fs::path replay_dir = "build/asan/fuzz";
  double timeout = 60;
  std::vector<fs::path> files;
};

[[noreturn]] void usage(int status) {
  std::fprintf(status ? stderr : stdout,
               "usage: triage --target NAME [--replay-dir DIR] [--timeout SECONDS] FILE_OR_DIR...\n"
               "  Replays each finding file through DIR/NAME_replay (default build/asan/fuzz), with\n"
               "  the caller's ZSWAP_MUTANT, groups the files by signature and prints one entry per\n"
               "  signature: its count, the smallest reproducer, the first finding line and the repro\n"
               "  command. A replay still running after SECONDS (default 60) counts as a hang.\n");
  std::exit(status);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") usage(0);
    const bool has_value = i + 1 < argc;
    if (arg == "--target" && has_value) {
      o.target = argv[++i];
    } else if (arg == "--replay-dir" && has_value) {
      o.replay_dir = argv[++i];
    } else if (arg == "--timeout" && has_value) {
      const std::string text = argv[++i];
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), o.timeout);
      if (ec != std::errc() || end != text.data() + text.size() || o.timeout <= 0) {
        std::fprintf(stderr, "error: --timeout wants a positive number of seconds, not '%s'\n", text.c_str());
        std::exit(2);
      }
    } else if (arg.starts_with("--")) {
      std::fprintf(stderr, "error: unknown argument or missing value: '%s'\n", arg.c_str());
      usage(2);
    } else if (fs::is_directory(arg)) {
      for (const auto& e : fs::directory_iterator(arg))
        if (e.is_regular_file() && e.path().filename() != "README.txt") o.files.push_back(e.path());
    } else if (fs::is_regular_file(arg)) {
      o.files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "error: no such file or directory: %s\n", arg.c_str());
      std::exit(2);
    }
  }
  if (o.target.empty()) usage(2);
  const fs::path replay = o.replay_dir / (o.target + "_replay");
  if (!fs::exists(replay)) {
    std::fprintf(stderr, "error: no replay program %s (build the asan preset, or pass --replay-dir)\n", replay.c_str());
    std::exit(2);
  }
  std::sort(o.files.begin(), o.files.end());
  return o;
}

struct Entry {
  std::string first_line;  // of the smallest file
  std::vector<fs::path> files;
  fs::path smallest;
  std::uintmax_t smallest_size = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const char* mutant_env = std::getenv("ZSWAP_MUTANT");
  const std::string mutant = mutant_env ? mutant_env : "";
  std::map<std::string, Entry> entries;  // signature -> entry
  for (const fs::path& file : o.files) {
    const Replayed r = replay_finding(o.replay_dir, o.target, file, {}, o.timeout);
    const std::string sig = r.finding ? r.finding->signature : "not reproduced: " + r.note;
    Entry& e = entries[sig];
    e.files.push_back(file);
    const std::uintmax_t size = fs::file_size(file);
    if (e.files.size() == 1 || size < e.smallest_size) {
      e.smallest = file;
      e.smallest_size = size;
      e.first_line = r.finding ? r.finding->line : r.note;
    }
  }
  std::printf("%s: %zu finding file(s), %zu distinct signature(s)\n", o.target.c_str(), o.files.size(), entries.size());
  for (const auto& [sig, e] : entries) {
    std::printf("  %s  (%zu finding%s)\n", sig.c_str(), e.files.size(), e.files.size() == 1 ? "" : "s");
    std::printf("    first line: %s\n", e.first_line.c_str());
    std::printf("    smallest:   %s (%ju bytes)\n", e.smallest.c_str(), e.smallest_size);
    std::printf("    repro:      %s\n", repro_command(o.target, e.smallest, mutant).c_str());
  }
  return 0;
}
