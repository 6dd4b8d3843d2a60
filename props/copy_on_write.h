// A model that rapidcheck can copy for the price of a reference count: copies share one
// state until one of them changes it. rapidcheck copies the model for each command it
// generates (and keeps the copies, to regenerate a command when it shrinks), and the
// suites' models copy deep (every object's bytes, every stored page): in a stateful
// suite's parent those copies were most of the time a case took.
#pragma once

#include <memory>
#include <utility>

template <typename State>
class CopyOnWrite {
 public:
  template <typename... Args>
  explicit CopyOnWrite(std::in_place_t, Args&&... args) : state_(std::make_shared<State>(std::forward<Args>(args)...)) {}

  const State& operator*() const { return *state_; }
  const State* operator->() const { return state_.get(); }

  // The state to change: this copy's own from now on.
  State& write() {
    if (state_.use_count() > 1) state_ = std::make_shared<State>(*state_);
    return *state_;
  }

 private:
  std::shared_ptr<State> state_;  // a suite's model lives on one thread: use_count() is exact
};
