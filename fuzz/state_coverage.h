// State coverage: features of the state a run reached (how many writes were in flight,
// a shrink at the in-flight bound) become coverage edges of their own, so libFuzzer and
// AFL++ keep an input that reaches a new state even when it runs no new code. That is
// the gradient toward a bound only a burst reaches. The edges must be in an instrumented
// translation unit (the harness is not), so this header is included by the targets.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

namespace state_coverage {

// One function per feature: its entry is the feature's edge for either engine.
template <int Feature>
[[gnu::noinline]] void reached() {
  asm volatile("" ::: "memory");  // not folded into its neighbours, not removed
}

template <int... Features>
constexpr std::array<void (*)(), sizeof...(Features)> edges(std::integer_sequence<int, Features...>) {
  return {&reached<Features>...};
}

// Bit i of features set: edge i is taken.
inline void cover(std::uint64_t features) {
  static constexpr auto kEdges = edges(std::make_integer_sequence<int, 64>());
  for (int i = 0; i < 64; i++)
    if (features >> i & 1) kEdges[i]();
}

}  // namespace state_coverage
