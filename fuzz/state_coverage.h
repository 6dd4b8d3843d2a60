// State and interleaving coverage: features of what a run reached (how many writes were
// in flight, a shrink at the in-flight bound; for race runs, the interleaving features of
// harness/race.h) become coverage edges of their own, so libFuzzer and AFL++ keep an
// input that reaches a new state or a new interleaving even when it runs no new code.
// The edges must be in an instrumented translation unit (the harness is not), so this
// header is included by the targets.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "race.h"

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

inline constexpr int kStateFeatures = 64;
// Edges 0..63: the state features; then one per interleaving feature bucket.
inline constexpr auto kEdges = edges(std::make_integer_sequence<int, kStateFeatures + kInterleavingFeatures>());

// Bit i of features set: edge i is taken.
inline void cover(std::uint64_t features) {
  for (int i = 0; i < kStateFeatures; i++)
    if (features >> i & 1) kEdges[i]();
}

// Each interleaving feature's edge is taken.
inline void cover_interleaving(const std::vector<int>& features) {
  for (int f : features) kEdges[kStateFeatures + f]();
}

}  // namespace state_coverage
