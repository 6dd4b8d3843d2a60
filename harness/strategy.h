// Scheduling strategies: at each scheduling point with more than one runnable thread,
// a strategy picks which runs next. One file per strategy (strategy_*.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

class Strategy {
 public:
  virtual ~Strategy() = default;
  // runnable[0..count) is non-empty and sorted, except that the running thread (if
  // runnable) comes first, so index 0 means "no preemption". step counts scheduling
  // points.
  virtual int choose(const int* runnable, int count, std::uint64_t step) = 0;
  // Called once per run with the number of threads, before the first choice.
  virtual void start(int threads) { (void)threads; }
  // What to pass to replay this exact run ("replay", "random:SEED", "pct:SEED:DEPTH[:STEPS]").
  virtual std::string describe() const = 0;
};

// Choices read from bytes (the fuzzer's input, back to front); when they run out,
// no preemption.
std::unique_ptr<Strategy> make_replay_strategy(std::vector<std::uint8_t> choices);
// Uniformly random choices from a seed.
std::unique_ptr<Strategy> make_random_strategy(std::uint64_t seed);
// PCT (Burckhardt et al.): random thread priorities and depth-1 priority change points;
// finds any bug of depth d with probability >= 1/(n k^(d-1)).
std::unique_ptr<Strategy> make_pct_strategy(std::uint64_t seed, int depth, std::uint64_t expected_steps);
// Parses "random:SEED" or "pct:SEED:DEPTH[:STEPS]" (STEPS: where change points may
// fall, default 2000); nullptr when malformed.
std::unique_ptr<Strategy> parse_strategy(const std::string& spec);
