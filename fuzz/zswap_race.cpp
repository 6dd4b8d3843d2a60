// zswap_race: 2-4 threads of swap operations (plus writeback, I/O completion and
// compaction racing through them) under the deterministic scheduler, the interleaving
// taken from the input. Oracle: no deadlock, the quiescent invariants, per-slot
// linearizability of the swap content; ASan/UBSan/LSan. ZSWAP_INTERLEAVING_COVERAGE=1:
// what the schedule did is coverage too (interleaving features, state_coverage.h); off by
// default until it is shown to halve the time to kill (README, "Interleaving coverage").
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuzz_target.h"
#include "race.h"
#include "state_coverage.h"
#include "watchdog.h"

namespace {

bool interleaving_coverage_on() {
  static const bool on = [] {
    const char* v = std::getenv("ZSWAP_INTERLEAVING_COVERAGE");
    return v && std::strcmp(v, "1") == 0;
  }();
  return on;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Program program = race_program(decode(data, size, Layer::zswap));
  count_run_by_compressor(program);
  const std::unique_ptr<Strategy> strategy = program_strategy(program);
  const watchdog::Guard guard("zswap_race input");
  const RaceResult result = run_zswap_race(program, *strategy);
  if (!result.divergence) {
    if (interleaving_coverage_on()) state_coverage::cover_interleaving(interleaving_features(program, result.trace));
    return 0;
  }
  std::fputs(format_race_report(program, result, g_fuzz_input_path).c_str(), stderr);
  std::fflush(stderr);
  if (g_exit_on_finding) std::_Exit(1);
  std::abort();
}
