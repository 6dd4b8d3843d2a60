#include "sync.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace sched {

std::atomic<Hook> hook{nullptr};

void wait(const void* object, const char* name) {
  if (Hook h = hook.load(std::memory_order_relaxed))
    h(Event::wait, object, name);
  else
    std::this_thread::yield();
}

namespace {

std::mutex kinds_mutex;
int kind_count = 0;  // kinds_mutex
void (*destroy_kind[TaskLocals::kMaxSlots])(void*);  // [0, kind_count): written once, under kinds_mutex

thread_local TaskLocals* t_switched = nullptr;

}  // namespace

TaskLocals::~TaskLocals() {
  for (int i = TaskLocals::kMaxSlots - 1; i >= 0; i--)
    if (slots_[i]) destroy_kind[i](slots_[i]);
}

TaskLocals& current_task_locals() {
  if (t_switched) return *t_switched;
  thread_local TaskLocals own;
  return own;
}

void switch_task_locals(TaskLocals* locals) { t_switched = locals; }

std::string task_name() {
  const std::string thread = "thread " + std::to_string(gettid());
  const int label = current_task_locals().label();
  return label > 0 ? "fiber " + std::to_string(label) + " (" + thread + ")" : thread;
}

int register_task_local(void (*destroy)(void*)) {
  std::lock_guard<std::mutex> lock(kinds_mutex);
  if (kind_count == TaskLocals::kMaxSlots) {
    std::fprintf(stderr, "[harness bug] more than %d kinds of task-local objects: raise TaskLocals::kMaxSlots\n",
                 TaskLocals::kMaxSlots);
    std::abort();
  }
  destroy_kind[kind_count] = destroy;
  return kind_count++;
}

}  // namespace sched
