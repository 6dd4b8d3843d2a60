#include "strategy.h"

namespace {

constexpr std::uint8_t kPreemptFrom = 224;

class ReplayStrategy : public Strategy {
 public:
  explicit ReplayStrategy(std::vector<std::uint8_t> choices) : choices_(std::move(choices)) {}
  // A byte below kPreemptFrom keeps the running thread (runnable[0]); from it up, it
  // names another. Preemption is the rare choice: a few well-placed ones are what a
  // race needs.
  int choose(const Choice& c) override {
    if (next_ >= choices_.size()) return c.runnable[0];
    return c.runnable[replay_choice_index(choices_[next_++], c.count)];
  }
  std::string describe() const override { return "replay"; }

 private:
  std::vector<std::uint8_t> choices_;
  std::size_t next_ = 0;
};

}  // namespace

std::uint8_t replay_choice_byte(int index) {
  return index == 0 ? 0 : static_cast<std::uint8_t>(kPreemptFrom + index - 1);
}

int replay_choice_index(std::uint8_t byte, int count) {
  return byte < kPreemptFrom || count == 1 ? 0 : 1 + (byte - kPreemptFrom) % (count - 1);
}

std::unique_ptr<Strategy> make_replay_strategy(std::vector<std::uint8_t> choices) {
  return std::make_unique<ReplayStrategy>(std::move(choices));
}
