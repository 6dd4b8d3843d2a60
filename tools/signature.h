// Finding lines and signatures, defined once for every tool that reads a run's output
// (hunt, triage, so ci/hunt.sh and ci/fuzz.sh). A finding line is what a target, a
// property suite or a sanitizer prints when it finds something; its signature is the
// kind, the operation and the site, with numbers and addresses replaced, so that many
// crashes of one bug count once (`asan:heap-use-after-free@reclaim_lru_tail`,
// `bug@zbud.cpp:359`, `divergence:store:return code`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

inline constexpr const char* kHarnessBugTag = "[harness bug]";

struct Finding {
  std::string line;       // the finding line
  std::string signature;  // kind + operation + site
  bool harness_bug;       // the line reports a bug of this tool, not of impl
};

// The finding a run's output reports: a harness-bug line anywhere, else the first
// finding line; nothing when the output holds none.
std::optional<Finding> first_finding(std::string_view output);

// The signature of a finding line; following is the output after it (stack frames).
std::string signature(std::string_view line, std::string_view following);
