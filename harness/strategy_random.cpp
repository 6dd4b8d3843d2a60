#include <random>

#include "strategy.h"

namespace {

class RandomStrategy : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : seed_(seed), rng_(seed) {}
  int choose(const Choice& c) override { return c.runnable[rng_() % c.count]; }
  std::string describe() const override { return "random:" + std::to_string(seed_); }

 private:
  std::uint64_t seed_;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<Strategy> make_random_strategy(std::uint64_t seed) {
  return std::make_unique<RandomStrategy>(seed);
}
