// The property tests' main: rapidcheck runs with a fixed seed unless RC_PARAMS names
// one, so a plain run is the same run every time; and 1,000 cases unless RC_PARAMS says
// otherwise (cases run in long-lived workers, so ten times rapidcheck's default costs
// what 100 forked cases did).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {
constexpr const char* kDefaults[] = {"seed=20261122", "max_success=1000"};
}

// The case workers are forked from this process: a smaller ASan quarantine keeps the
// parent and each worker small (a case's own run is short; 32 MiB still holds its freed
// memory, the older cases' frees going first).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=32"; }

int main(int argc, char** argv) {
  const char* params = std::getenv("RC_PARAMS");
  std::string value = params ? params : "";
  for (const std::string setting : kDefaults)
    if (value.find(setting.substr(0, setting.find('=') + 1)) == std::string::npos)
      value += value.empty() ? setting : " " + setting;
  setenv("RC_PARAMS", value.c_str(), 1);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
