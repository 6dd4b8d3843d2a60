// The loop both sequential drivers share: step through the program, record what each
// operation returned, stop at the first difference.
#pragma once

#include "driver.h"

template <class Diff>
RunResult run_steps(const Program& program) {
  RunResult result;
  Diff diff(program);
  for (std::size_t i = 0; i < program.ops.size(); i++) {
    std::string outcome;
    std::string message = diff.step(program.ops[i], &outcome);
    result.outcomes.push_back(outcome);
    if (!message.empty()) {
      result.divergence = Divergence{i, message};
      break;
    }
  }
  result.summary = diff.summary();
  if constexpr (requires { diff.state_features(); }) result.state_features = diff.state_features();
  return result;
}
