#include "fuzz_target.h"

#include <cstdio>
#include <cstdlib>

#include "driver.h"
#include "watchdog.h"

std::string g_fuzz_input_path;
bool g_exit_on_finding = false;

std::uint64_t run_differential_input(const char* target, Layer layer, const std::uint8_t* data,
                                     std::size_t size) {
  const Program program = decode(data, size, layer);
  const watchdog::Guard guard(std::string(target) + " input");
  const RunResult result = run_program(program);
  if (!result.divergence) return result.state_features;
  std::fputs(format_report(program, result, target, g_fuzz_input_path).c_str(), stderr);
  std::fflush(stderr);
  if (g_exit_on_finding) std::_Exit(1);  // skips LSan's report on the abandoned run
  std::abort();
}
