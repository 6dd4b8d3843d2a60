#include "driver.h"

#include "mutants.h"

RunResult run_program(const Program& program) {
  return program.layer == Layer::zbud ? run_zbud_diff(program) : run_zswap_diff(program);
}

std::string format_report(const Program& program, const RunResult& result,
                          const std::string& target, const std::string& input_path) {
  std::string s;
  if (result.divergence) {
    const Divergence& d = *result.divergence;
    // "[divergence] op #i <op>: expected ... got ..."
    const std::string& m = d.message;
    const std::size_t tag_end = m.find(']') + 1;
    s += m.substr(0, tag_end) + " op #" + std::to_string(d.op_index) + " " +
         format_op(program.ops[d.op_index]) + ":" + m.substr(tag_end) + "\n";
  }
  s += "program (" + target + ", " + std::to_string(program.ops.size()) + " ops, " + format_setup(program) + "mutant " +
       mutants::name(mutants::active) + "):\n";
  for (std::size_t i = 0; i < program.ops.size(); i++) {
    s += "  #" + std::to_string(i) + " " + format_op(program.ops[i]);
    if (i < result.outcomes.size()) s += "  -> " + result.outcomes[i];
    if (result.divergence && result.divergence->op_index == i) s += "   <== first divergence";
    s += "\n";
    if (result.divergence && i >= result.divergence->op_index) {
      if (i + 1 < program.ops.size())
        s += "  (" + std::to_string(program.ops.size() - i - 1) + " more ops not run)\n";
      break;
    }
  }
  const std::string mutant =
      mutants::active == Mutant::none ? "" : std::string("ZSWAP_MUTANT=") + mutants::name(mutants::active) + " ";
  s += "replay: " + mutant + "build/asan/tools/repro --target " + target + " " +
       (input_path.empty() ? "<input file>" : input_path) + "\n";
  return s;
}
