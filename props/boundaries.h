// The edges a property suite's generators aim at, as data, and how often the suite's
// runs actually reached each one. A generator that never gets where it is meant to go
// is a bug no failing case would show, so a passing suite also fails when an edge was
// never reached. Cases run in worker processes (isolate.h): the counts live in memory
// shared across fork.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

// One edge: its name and whether one step of a run reached it. Step is the suite's
// view of one operation (the model before and after it, the operation, its outcome).
template <typename Step>
struct Boundary {
  const char* name;
  bool (*reached)(const Step& step);
};

// One counter per name, shared with every worker forked after construction: construct
// before the first case runs (a suite keeps its tally at namespace scope).
class BoundaryCounts {
 public:
  explicit BoundaryCounts(std::vector<const char*> names);
  BoundaryCounts(const BoundaryCounts&) = delete;
  BoundaryCounts& operator=(const BoundaryCounts&) = delete;
  ~BoundaryCounts();

  void add(std::size_t i) const { counts_[i].fetch_add(1, std::memory_order_relaxed); }
  void reset() const;
  // "boundaries reached: a=12 b=0 ..."
  std::string summary() const;
  std::vector<const char*> unreached() const;

 private:
  std::vector<const char*> names_;
  std::atomic<std::uint64_t>* counts_;
};

// A suite's table and its counts.
template <typename Step>
class BoundaryTally {
 public:
  explicit BoundaryTally(std::span<const Boundary<Step>> table) : table_(table), counts_(names(table)) {}

  void observe(const Step& step) const {
    for (std::size_t i = 0; i < table_.size(); i++)
      if (table_[i].reached(step)) counts_.add(i);
  }
  const BoundaryCounts& counts() const { return counts_; }

 private:
  static std::vector<const char*> names(std::span<const Boundary<Step>> table) {
    std::vector<const char*> out;
    for (const Boundary<Step>& b : table) out.push_back(b.name);
    return out;
  }
  std::span<const Boundary<Step>> table_;
  BoundaryCounts counts_;
};

// The body of a property's gtest TEST: checks property as RC_GTEST_PROP would, prints
// the boundary counts and, when the property held, fails the test for each boundary no
// case reached. Not after a failure: the run stopped early (say under an injected
// mutant), and rapidcheck fails a reproduced case (RC_PARAMS=reproduce) either way.
void check_reaching_boundaries(void (*property)(), const BoundaryCounts& counts);
