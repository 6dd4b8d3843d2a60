// Scheduling strategies: at each scheduling point with more than one runnable thread,
// a strategy picks which runs next. One file per strategy (strategy_*.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

// A runnable thread as the exploring strategy sees it (filled only when it asks).
struct RunnableThread {
  const void* acquiring = nullptr;   // the lock its next step takes (parked at acquire)
  const void* released = nullptr;    // the lock it just released (parked at release)
  std::vector<const void*> held;     // the locks it holds
  std::uint64_t moves = 0;           // the scheduling points it has passed so far
  std::uint64_t op_marks = 0;        // the operation beginnings and ends it has passed
};

// One choice: which of the runnable threads runs next.
struct Choice {
  // runnable[0..count) is non-empty and sorted, except that the running thread (if
  // runnable) comes first, so index 0 means "no preemption".
  const int* runnable;
  int count;
  std::uint64_t step;         // scheduling points so far
  bool running_first;         // runnable[0] is the running thread: any other choice preempts it
  const RunnableThread* threads;  // per runnable thread; nullptr unless wants_threads()
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Returns the thread to run: one of choice.runnable.
  virtual int choose(const Choice& choice) = 0;
  // Called once per run with the number of threads, before the first choice.
  virtual void start(int threads) { (void)threads; }
  // Whether choose() needs Choice::threads (costs the scheduler a little per choice).
  virtual bool wants_threads() const { return false; }
  // What to pass to replay this exact run ("replay", "random:SEED", "pct:SEED:DEPTH[:STEPS]").
  virtual std::string describe() const = 0;
};

// The byte of a replay schedule that chooses runnable[index] (0: no preemption), and
// the index a byte chooses among count runnable threads.
std::uint8_t replay_choice_byte(int index);
int replay_choice_index(std::uint8_t byte, int count);
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
