// One watchdog thread per process (started again in a forked child, whose parent's
// thread did not survive the fork), sleeping until the armed deadline.
#include "watchdog.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "sync.h"

namespace watchdog {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kNoteSlots = 16;  // threads whose last operation a report shows

struct Note {
  std::atomic<const Op*> op{nullptr};  // nullptr: idle
  std::atomic<std::size_t> index{0};
  char task[64] = "";                   // sched::task_name(), as the lock validator names it;
                                        // written before the task's first op is published
};
Note notes[kNoteSlots];
std::atomic<int> next_note{0};

struct State {
  std::mutex mutex;
  std::condition_variable changed;
  bool armed = false;               // mutex
  Clock::time_point deadline;       // mutex
  std::string what;                 // mutex
  double seconds = 0;               // mutex
  pid_t thread_pid = 0;             // mutex: the process the watchdog thread runs in
};

State& state() {
  static State* s = new State;  // never destroyed: the thread may outlive main
  return *s;
}

// 80% of the 10-s timeout ci/fuzz.sh and the hunt give both engines (AFL++ passes no flag).
std::atomic<double> default_seconds{8};

std::string operations() {
  std::string out;
  for (int i = 0; i < kNoteSlots; i++)
    if (const Op* op = notes[i].op.load()) {
      const std::size_t index = notes[i].index.load();
      out += std::string("  ") + notes[i].task + ": last started operation " +
             (index == kNoIndex ? "" : "#" + std::to_string(index) + " ") + format_op(*op) + "\n";
    }
  return out;
}

// The name of the operation the first busy thread is in ("shrink"), for the first line.
const char* first_operation_name() {
  for (const Note& n : notes)
    if (const Op* op = n.op.load()) return op_info(op->code).name;
  return "no operation";
}

[[noreturn]] void report(const std::string& what, double seconds) {
  char limit[32];
  std::snprintf(limit, sizeof limit, "%.3g", seconds);
  std::string r = "[invariant] hang: " + what + " still running after " + limit + " s, last operation " +
                  std::string(first_operation_name()) + "\n";
  r += operations();
  const std::string locks = lockdep::describe_threads();
  r += locks.empty() ? "  no thread holds or waits for an impl lock\n" : "  locks:\n" + locks;
  std::fputs(r.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

void loop() {
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  for (;;) {
    if (!s.armed) {
      s.changed.wait(lock);
      continue;
    }
    if (s.changed.wait_until(lock, s.deadline) == std::cv_status::timeout && s.armed && Clock::now() >= s.deadline)
      report(s.what, s.seconds);
  }
}

double limit_seconds() {
  if (const char* env = std::getenv("ZSWAP_HANG_SECONDS"); env && *env) return std::atof(env);
  return default_seconds;
}

// The running task's note (sync.h: a thread, or a fiber of the scheduler).
struct NoteSlot {
  int index = -1;
};

Note& my_note() {
  NoteSlot& slot = sched::task_local<NoteSlot>();
  if (slot.index < 0) {
    slot.index = next_note.fetch_add(1) % kNoteSlots;
    std::snprintf(notes[slot.index].task, sizeof notes[slot.index].task, "%s", sched::task_name().c_str());
  }
  return notes[slot.index];
}

}  // namespace

void set_default_seconds(double seconds) { default_seconds = seconds; }

Guard::Guard(std::string what) {
  const double seconds = limit_seconds();
  if (seconds <= 0) return;
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.thread_pid != getpid()) {
    s.thread_pid = getpid();
    std::thread(loop).detach();
  }
  for (Note& n : notes) n.op = nullptr;  // notes from before the run may point at dead operations
  s.armed = true;
  s.seconds = seconds;
  s.what = std::move(what);
  s.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  s.changed.notify_one();
}

Guard::~Guard() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.armed = false;
  s.changed.notify_one();
  for (Note& n : notes) n.op = nullptr;
}

void note_operation(const Op& op, std::size_t index) {
  Note& n = my_note();
  n.index = index;
  n.op = &op;
}


}  // namespace watchdog

// In the fuzz targets that arm the watchdog (here, so that linking Guard brings it):
// libFuzzer's -timeout=N ends a slow input with no finding line, so the watchdog
// reports the hang itself at 80% of N (without the flag, at its default). The replay
// main calls it too.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; i++)
    if (std::strncmp((*argv)[i], "-timeout=", 9) == 0)
      watchdog::set_default_seconds(0.8 * std::atof((*argv)[i] + 9));
  return 0;
}
