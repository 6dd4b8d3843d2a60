#include "counterexample.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

std::string save_counterexample(const std::string& target, const Program& program, const std::string& repro_flags) {
  const char* dir = std::getenv("ZSWAP_PROPS_CORPUS");
  if (!dir || !*dir) return "";
  const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path path = std::filesystem::path(dir) / target /
                                     ("props." + std::string(test->test_suite_name()) + "." + test->name());
  std::filesystem::create_directories(path.parent_path());
  const std::vector<std::uint8_t> bytes = encode(program);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return "\ncounterexample written to " + path.string() + "; replay: repro --target " + target + repro_flags +
         " " + path.string();
}
