#include "counterexample.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <filesystem>

namespace {

bool encodable(const Program& p) {
  for (const Op& op : p.ops) {
    const std::vector<OpCode>& codes = layer_ops(p.layer, p.version);
    if (std::find(codes.begin(), codes.end(), op.code) == codes.end()) return false;
    for (int a = 0; a < 4; a++)
      if (const unsigned range = arg_range(op.code, a, p.version); range && op.arg[a] >= range) return false;
  }
  return true;
}

// A sequential program with an operation that only version 2 has (compact) is written
// as a version-2 program whose operations all run in the prefix: the sequential
// targets run every operation in order, whatever its thread.
std::optional<Program> as_fuzz_input(Program p) {
  if (encodable(p)) return p;
  if (p.version != kFormatVersion || p.layer != Layer::zswap) return std::nullopt;
  p.version = kRaceFormatVersion;
  p.threads = 2;
  if (p.ops.size() > kMaxRaceOps || !encodable(p)) return std::nullopt;
  return p;
}

}  // namespace

std::string save_counterexample(const std::string& target, const Program& counterexample,
                                const std::string& repro_flags) {
  const char* dir = std::getenv("ZSWAP_PROPS_CORPUS");
  if (!dir || !*dir) return "";
  const std::optional<Program> program = as_fuzz_input(counterexample);
  if (!program)
    return "\n(not written to " + std::string(dir) +
           ": no fuzz input format holds it; a version-2 file takes 48 operations, types < 2, offsets < 8)";
  const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path path = std::filesystem::path(dir) / target /
                                     ("props." + std::string(test->test_suite_name()) + "." + test->name());
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error || !save_program(path.string(), *program)) return "\n(could not write " + path.string() + (error ? ": " + error.message() : "") + ")";
  return "\ncounterexample written to " + path.string() + "; replay: repro --target " + target + repro_flags +
         " " + path.string();
}
