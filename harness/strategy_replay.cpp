#include "strategy.h"

namespace {

class ReplayStrategy : public Strategy {
 public:
  explicit ReplayStrategy(std::vector<std::uint8_t> choices) : choices_(std::move(choices)) {}
  int choose(const std::vector<int>& runnable, std::uint64_t) override {
    if (next_ >= choices_.size()) return runnable[0];
    return runnable[choices_[next_++] % runnable.size()];
  }
  std::string describe() const override { return "replay"; }

 private:
  std::vector<std::uint8_t> choices_;
  std::size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Strategy> make_replay_strategy(std::vector<std::uint8_t> choices) {
  return std::make_unique<ReplayStrategy>(std::move(choices));
}
