// What every fuzz target shares: running one input through a differential driver and
// turning a failure into a crash with the full report (so libFuzzer saves the input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ops.h"

// Set by the replay main to the file being replayed, so reports can name it.
extern std::string g_fuzz_input_path;
// Set by the replay main: a finding exits with status 1 instead of aborting (libFuzzer
// needs the abort to save the input; ctest needs an exit status, not a signal).
extern bool g_exit_on_finding;

// Counts a zswap program's run by its compressor; at exit the process prints
// "runs by compressor: lz4 N, zstd M" (ci/fuzz.sh's table shows the zstd share).
void count_run_by_compressor(const Program& program);

// Decodes data as a program of layer, runs it differentially, and on a divergence
// prints the report to stderr and aborts (or exits, see g_exit_on_finding). Returns
// the run's state features (RunResult::state_features).
std::uint64_t run_differential_input(const char* target, Layer layer, const std::uint8_t* data,
                                     std::size_t size);
