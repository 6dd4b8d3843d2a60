#include "fuzz_target.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "driver.h"
#include "watchdog.h"

std::string g_fuzz_input_path;
bool g_exit_on_finding = false;

// libFuzzer's -timeout=N ends a slow input with no finding line: the watchdog reports
// the hang itself at 80% of N (without the flag, at its default).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; i++)
    if (std::strncmp((*argv)[i], "-timeout=", 9) == 0) watchdog::set_default_seconds(0.8 * std::atof((*argv)[i] + 9));
  return 0;
}

int run_differential_input(const char* target, Layer layer, const std::uint8_t* data,
                           std::size_t size) {
  const Program program = decode(data, size, layer);
  const watchdog::Guard guard(std::string(target) + " input");
  const RunResult result = run_program(program);
  if (!result.divergence) return 0;
  std::fputs(format_report(program, result, target, g_fuzz_input_path).c_str(), stderr);
  std::fflush(stderr);
  if (g_exit_on_finding) std::_Exit(1);  // skips LSan's report on the abandoned run
  std::abort();
}
