#include "explore.h"

#include <algorithm>

#include "check.h"

namespace {

// One choice point of a run, as the exploration remembers it.
struct Node {
  std::vector<int> runnable;
  std::vector<RunnableThread> threads;
  bool running_first = false;
  int chosen = 0;                  // index into runnable
  std::vector<bool> done;          // indices run or ruled out
  int preemptions_before = 0;      // on the path from the start to this node
  // When runnable[0] ran on (choice 0): whether its step passed an operation's beginning
  // or end (-1: unknown, the next choice point was not right after that one step).
  int first_step_crossed_op = -1;

  int cost(int index) const { return running_first && index != 0 ? 1 : 0; }
};

// Follows a forced prefix of choices (indices), then the replay bytes if any, then
// never preempts; records every choice point it passes.
class ExploringStrategy : public Strategy {
 public:
  explicit ExploringStrategy(const std::vector<int>& forced, std::vector<std::uint8_t> replay = {})
      : forced_(forced), replay_(std::move(replay)) {}

  int choose(const Choice& c) override {
    Node n;
    n.runnable.assign(c.runnable, c.runnable + c.count);
    n.threads.assign(c.threads, c.threads + c.count);
    n.running_first = c.running_first;
    const std::size_t at = nodes_.size();
    n.chosen = at < forced_.size()                    ? forced_[at]
               : at - forced_.size() < replay_.size() ? replay_choice_index(replay_[at - forced_.size()], c.count)
                                                      : 0;
    // A forced choice past the runnable set: the run did not repeat itself.
    HARNESS_CHECK(n.chosen < c.count);
    nodes_.push_back(std::move(n));
    return c.runnable[nodes_.back().chosen];
  }
  bool wants_threads() const override { return true; }
  std::string describe() const override { return "replay"; }

  std::vector<Node>& nodes() { return nodes_; }
  // The schedule bytes of the run so far (trailing non-preemptions dropped).
  std::vector<std::uint8_t> bytes() const {
    std::vector<std::uint8_t> b;
    for (const Node& n : nodes_) b.push_back(replay_choice_byte(n.chosen));
    while (!b.empty() && b.back() == 0) b.pop_back();
    return b;
  }

 private:
  const std::vector<int>& forced_;
  const std::vector<std::uint8_t> replay_;
  std::vector<Node> nodes_;
};

// The locks a thread's next step works under: those it holds and the one it takes.
// A step from an acquire runs under them; a step from a release runs thread-local code
// (and code under the locks still held) up to its next scheduling point. Any other
// step (an annotated point, a wait, a thread's start) may touch anything: nullopt.
std::optional<std::vector<const void*>> footprint(const RunnableThread& t) {
  if (!t.acquiring && !t.released) return std::nullopt;
  std::vector<const void*> locks = t.held;
  if (t.acquiring) locks.push_back(t.acquiring);
  return locks;
}

bool independent(const RunnableThread& a, const RunnableThread& b) {
  const auto fa = footprint(a), fb = footprint(b);
  if (!fa || !fb) return false;
  return std::none_of(fa->begin(), fa->end(),
                      [&](const void* lock) { return std::find(fb->begin(), fb->end(), lock) != fb->end(); });
}

// Choosing runnable[j] at tree[d] switches straight back to x after preempting x for y
// at tree[d-1], with y having run one step and x none: "x, then y" was run instead.
bool switch_back_is_redundant(const std::vector<Node>& tree, std::size_t d, int j) {
  if (d == 0) return false;
  const Node& before = tree[d - 1];
  const Node& now = tree[d];
  if (!before.running_first || before.chosen == 0 || !now.running_first) return false;
  const int x = before.runnable[0], y = before.runnable[before.chosen];
  if (now.runnable[0] != y || now.runnable[j] != x) return false;
  const RunnableThread& x_then = before.threads[0];
  const RunnableThread& y_then = before.threads[before.chosen];
  if (now.threads[0].moves != y_then.moves + 1 || now.threads[j].moves != x_then.moves) return false;
  // Neither step may pass an operation's beginning or end: those are the linearizability
  // checker's call and return times, which the reordering would move.
  if (now.threads[0].op_marks != y_then.op_marks || before.first_step_crossed_op != 0) return false;
  return independent(x_then, y_then);
}

ExploringStrategy* g_running = nullptr;  // for the crash callback
const Program* g_program = nullptr;
const ExploreOptions* g_options = nullptr;

Program with_schedule(const Program& program, std::vector<std::uint8_t> bytes) {
  Program p = program;
  p.schedule = std::move(bytes);
  return p;
}

// Every schedule within bound, depth first, until one fails.
void explore_within(const Program& program, int bound, bool prune, ExploreResult& result) {
  result.schedules = result.pruned = 0;
  std::vector<Node> tree;   // the current path's choice points
  std::vector<int> forced;  // the choices that lead to the next schedule
  for (;;) {
    ExploringStrategy strategy(forced);
    g_running = &strategy;
    RaceResult run = run_zswap_race(program, strategy);
    g_running = nullptr;
    result.schedules++;
    std::vector<Node>& nodes = strategy.nodes();
    HARNESS_CHECK(nodes.size() >= forced.size());
    for (std::size_t d = 0; d < forced.size(); d++) HARNESS_CHECK(nodes[d].runnable == tree[d].runnable);
    for (std::size_t d = tree.size(); d < nodes.size(); d++) {
      Node& n = nodes[d];
      n.done.assign(n.runnable.size(), false);
      n.done[n.chosen] = true;
      n.preemptions_before = d == 0 ? 0 : tree[d - 1].preemptions_before + tree[d - 1].cost(tree[d - 1].chosen);
      if (d > forced.size()) {
        // tree[d - 1] let runnable[0] run on: was its step alone, and did it pass an op mark?
        Node& before = tree[d - 1];
        const RunnableThread& x_then = before.threads[0];
        for (std::size_t i = 0; i < n.runnable.size(); i++)
          if (before.running_first && n.runnable[i] == before.runnable[0] && n.threads[i].moves == x_then.moves + 1)
            before.first_step_crossed_op = n.threads[i].op_marks != x_then.op_marks;
      }
      tree.push_back(std::move(n));
    }
    if (run.divergence) {
      result.failing = with_schedule(program, strategy.bytes());
      result.failure = std::move(run);
      break;
    }
    // The deepest choice point with a choice not yet taken within the bound.
    bool found = false;
    while (!tree.empty() && !found) {
      const std::size_t d = tree.size() - 1;
      Node& n = tree[d];
      for (int j = 0; j < static_cast<int>(n.runnable.size()) && !found; j++) {
        if (n.done[j]) continue;
        n.done[j] = true;
        if (n.preemptions_before + n.cost(j) > bound) continue;
        if (prune && switch_back_is_redundant(tree, d, j)) {
          result.pruned++;
          continue;
        }
        n.chosen = j;
        found = true;
      }
      if (!found) tree.pop_back();
    }
    if (!found) break;
    forced.clear();
    for (const Node& n : tree) forced.push_back(n.chosen);
  }
}

}  // namespace

int preemptions_of(const Program& program) {
  const std::vector<int> none;
  ExploringStrategy strategy(none, program.schedule);
  const RaceResult run = run_zswap_race(program, strategy);
  if (run.stuck) return -1;  // its threads are suspended inside the system: not comparable
  int preemptions = 0;
  for (const Node& n : strategy.nodes()) preemptions += n.cost(n.chosen);
  return preemptions;
}

ExploreResult explore_race(const Program& program, const ExploreOptions& options) {
  ExploreResult result;
  g_program = &program;
  g_options = &options;
  set_crash_epilogue([] {
    if (g_running && g_options->on_crash) g_options->on_crash(with_schedule(*g_program, g_running->bytes()));
  });
  // Bound 0, then 1, ... (CHESS's iterative context bounding): a failure is found with
  // the fewest preemptions, and soon when it needs few; the smaller bounds cost a
  // fraction of the last one's schedules.
  for (int bound = 0; bound <= options.max_preemptions && !result.failure; bound++) {
    explore_within(program, bound, options.prune, result);
    result.runs += result.schedules;
    result.bound = bound;
  }
  set_crash_epilogue(nullptr);
  return result;
}
