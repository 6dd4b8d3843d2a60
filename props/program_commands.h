// A stateful suite's case in its worker (isolate.h): rapidcheck's runAll on the
// program's operations, each as the suite's base command made from the operation. That
// is the same run and apply per operation as the generated commands (a generated
// command only picks its operation and states its precondition). Their preconditions
// held when rapidcheck made the sequence, and the model is deterministic, so they hold
// here too; they only ever discard, never fail.
#pragma once

#include <rapidcheck/state.h>

#include <memory>

#include "ops.h"

// Command: the suite's rc::state::Command, constructible from an Op.
template <typename Command, typename MakeModel>
void run_program_commands(const Program& program, const MakeModel& make_model, typename Command::Sut& sut) {
  rc::state::Commands<typename Command::CommandType> commands;
  for (const Op& op : program.ops) commands.push_back(std::make_shared<const Command>(op));
  rc::state::runAll(commands, make_model, sut);
}
