#include <algorithm>
#include <cstdint>
#include <random>

#include "strategy.h"

namespace {

// Where PCT spreads its priority change points: about the scheduling points of a
// race program (48 operations, a few dozen points each).
constexpr std::uint64_t kTypicalRaceSteps = 2000;

class PctStrategy : public Strategy {
 public:
  PctStrategy(std::uint64_t seed, int depth, std::uint64_t expected_steps)
      : seed_(seed), depth_(depth), expected_steps_(std::max<std::uint64_t>(expected_steps, 1)), rng_(seed) {}

  void start(int threads) override {
    // Distinct initial priorities above depth; change points get priorities depth-1..1.
    priority_.resize(threads + 1);
    for (int t = 0; t <= threads; t++) priority_[t] = depth_ + t;
    std::shuffle(priority_.begin() + 1, priority_.end(), rng_);
    change_points_.clear();
    for (int i = 1; i < depth_; i++) change_points_.push_back(rng_() % expected_steps_);
  }

  int choose(const Choice& choice) override {
    const int* runnable = choice.runnable;
    // The scheduler asks only when there is a choice: a change point that fell on a
    // step without one takes effect at the next choice.
    for (std::size_t i = 0; i < change_points_.size(); i++)
      if (change_points_[i] <= choice.step) {
        priority_[runnable[0]] = static_cast<int>(depth_ - 1 - i);
        change_points_[i] = UINT64_MAX;
      }
    int best = runnable[0];
    for (int i = 1; i < choice.count; i++)
      if (priority_[runnable[i]] > priority_[best]) best = runnable[i];
    return best;
  }

  std::string describe() const override {
    return "pct:" + std::to_string(seed_) + ":" + std::to_string(depth_) + ":" + std::to_string(expected_steps_);
  }

 private:
  std::uint64_t seed_;
  int depth_;
  std::uint64_t expected_steps_;
  std::mt19937_64 rng_;
  std::vector<int> priority_;
  std::vector<std::uint64_t> change_points_;
};

}  // namespace

std::unique_ptr<Strategy> make_pct_strategy(std::uint64_t seed, int depth, std::uint64_t expected_steps) {
  return std::make_unique<PctStrategy>(seed, depth, expected_steps);
}

std::unique_ptr<Strategy> parse_strategy(const std::string& spec) {
  try {
    if (spec.rfind("random:", 0) == 0) return make_random_strategy(std::stoull(spec.substr(7)));
    if (spec.rfind("pct:", 0) == 0) {
      const std::size_t colon = spec.find(':', 4);
      if (colon == std::string::npos) return nullptr;
      const std::size_t steps_colon = spec.find(':', colon + 1);
      const std::uint64_t steps =
          steps_colon == std::string::npos ? kTypicalRaceSteps : std::stoull(spec.substr(steps_colon + 1));
      return make_pct_strategy(std::stoull(spec.substr(4, colon - 4)), std::stoi(spec.substr(colon + 1)), steps);
    }
  } catch (const std::exception&) {
  }
  return nullptr;
}
