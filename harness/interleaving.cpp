// Interleaving features of a race run: what its schedule did, as numbers a fuzzing
// engine can keep inputs for (fuzz/state_coverage.h turns each into an edge). Code
// coverage barely moves when only the interleaving changes; these do.
#include <cstdint>
#include <cstring>

#include "race.h"

namespace {

// FNV-1a, over the static names of points and locks: the same feature in every process.
struct FeatureHash {
  std::uint32_t h = 2166136261u;
  FeatureHash& add(std::uint32_t v) {
    for (int i = 0; i < 4; i++) h = (h ^ ((v >> (8 * i)) & 0xff)) * 16777619u;
    return *this;
  }
  FeatureHash& add(const char* s) {
    for (; *s; s++) h = (h ^ static_cast<unsigned char>(*s)) * 16777619u;
    return add(0u);
  }
};

bool is_scheduling_event(const TraceEvent& e) {
  return e.kind != TraceEvent::Kind::op_begin && e.kind != TraceEvent::Kind::op_end &&
         e.kind != TraceEvent::Kind::acquired;
}

// The operation a thread was in at an event: its code, or one past the last code outside any.
std::uint32_t op_code_at(const Program& program, const TraceEvent& e) {
  return e.op_index >= 0 ? static_cast<std::uint32_t>(program.ops[e.op_index].code) : 0xffu;
}

}  // namespace

std::vector<int> interleaving_features(const Program& program, const std::vector<TraceEvent>& trace) {
  std::vector<bool> seen(kInterleavingFeatures);
  auto add = [&seen](const FeatureHash& f) { seen[f.h % kInterleavingFeatures] = true; };
  const TraceEvent* previous = nullptr;  // the previous scheduling event of the threads
  for (std::size_t i = 0; i < trace.size(); i++) {
    const TraceEvent& e = trace[i];
    if (e.thread == 0) continue;  // the prefix (and the final loads) run alone
    if (e.kind == TraceEvent::Kind::acquired) {
      // A hand-off: the lock's previous holder was another thread.
      for (std::size_t j = i; j-- > 0;) {
        const TraceEvent& r = trace[j];
        if (r.kind != TraceEvent::Kind::release || r.object != e.object) continue;
        if (r.thread != 0 && r.thread != e.thread)
          add(FeatureHash().add(3).add(e.name).add(op_code_at(program, r)).add(op_code_at(program, e)));
        break;
      }
    }
    if (!is_scheduling_event(e)) continue;
    if (previous && previous->thread != e.thread) {
      // A context switch: where the first thread stopped, where the next one stood.
      add(FeatureHash().add(1).add(static_cast<std::uint32_t>(previous->kind)).add(previous->name)
              .add(static_cast<std::uint32_t>(e.kind)).add(e.name));
      // A race window (an annotated point) with another thread running inside it.
      if (previous->kind == TraceEvent::Kind::point)
        add(FeatureHash().add(2).add(previous->name).add(op_code_at(program, *previous)).add(op_code_at(program, e)));
    }
    previous = &e;
  }
  std::vector<int> features;
  for (int f = 0; f < kInterleavingFeatures; f++)
    if (seen[f]) features.push_back(f);
  return features;
}
