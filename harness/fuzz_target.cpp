#include "fuzz_target.h"

#include <cstdio>
#include <cstdlib>

#include "driver.h"
#include "watchdog.h"

std::string g_fuzz_input_path;
bool g_exit_on_finding = false;

namespace {
std::uint64_t g_runs_by_compressor[2];  // lz4, zstd

void print_runs_by_compressor() {
  std::fprintf(stderr, "runs by compressor: lz4 %llu, zstd %llu\n",
               static_cast<unsigned long long>(g_runs_by_compressor[0]),
               static_cast<unsigned long long>(g_runs_by_compressor[1]));
}
}  // namespace

void count_run_by_compressor(const Program& program) {
  static const bool registered = std::atexit(print_runs_by_compressor) == 0;
  (void)registered;
  g_runs_by_compressor[program.compressor == Compressor::zstd]++;
}

std::uint64_t run_differential_input(const char* target, Layer layer, const std::uint8_t* data,
                                     std::size_t size) {
  const Program program = decode(data, size, layer);
  if (layer == Layer::zswap) count_run_by_compressor(program);
  const watchdog::Guard guard(std::string(target) + " input");
  const RunResult result = run_program(program);
  if (!result.divergence) return result.state_features;
  std::fputs(format_report(program, result, target, g_fuzz_input_path).c_str(), stderr);
  std::fflush(stderr);
  if (g_exit_on_finding) std::_Exit(1);  // skips LSan's report on the abandoned run
  std::abort();
}
