// Hangs are findings: a run (a fuzz input, a property case) that does not finish in
// time is reported as "[invariant] hang: ..." with the operation each thread was last
// running and every lock each holds or waits for (the lock validator's view), then
// the process aborts, so a fuzzer saves the input as a crash and the hunt counts a
// kill with a signature, instead of an engine timeout with no finding line.
// (Under the scheduler, its step limit reports a hang the same way: see race.cpp.)
#pragma once

#include <cstddef>
#include <string>

#include "ops.h"

namespace watchdog {

// The limit a Guard gets unless env ZSWAP_HANG_SECONDS says otherwise.
void set_default_seconds(double seconds);

// Arms the watchdog for the current run; disarmed when the guard goes. Not nested.
class Guard {
 public:
  explicit Guard(std::string what);
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
};

inline constexpr std::size_t kNoIndex = ~std::size_t{0};
// This thread starts op, operation #index of the program if known (op must live
// until the next note).
void note_operation(const Op& op, std::size_t index = kNoIndex);

}  // namespace watchdog
