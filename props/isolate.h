// Runs property cases in a worker process, so that what kills a process (a sanitizer
// report, an impl BUG_ON, a deadlock report) fails that case and lets rapidcheck shrink
// it, instead of ending the test binary.
//
// A worker is forked at the first case and runs case after case: a fork and a leak
// check per case cost ten times the case itself. The case that kills the worker is the
// failing case; any failing case retires its worker (its state may be broken: threads
// suspended in a deadlock, objects left behind on purpose), and the next case gets a new
// one. Between cases a worker forgets what would make one case's verdict depend on an
// earlier one: the lock order the lock validator saw, and what a case left allocated.
//
// A closure cannot cross into a process forked before it existed, so a case is data: a
// runner (a function of the suite, registered before the first fork), a Program and a
// mode.
#pragma once

#include <chrono>
#include <string>

#include "ops.h"

// Under ASan (clang or g++) a passing case is also checked for leaks.
#if defined(__SANITIZE_ADDRESS__)
#define ISOLATE_CHECKS_LEAKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOLATE_CHECKS_LEAKS 1
#endif
#endif

// Runs one case in the worker and fails it with RC_FAIL, by printing a finding line, or
// by dying. mode: what the suite needs besides the program (race_props: PCT schedules or
// the exploration's preemption bound).
using CaseRunner = void (*)(const Program& program, int mode);

// Adds runner to the table each worker gets when it is forked; call it at namespace
// scope, so that it runs before the first case. Returns the runner's id for run_isolated.
int register_case_runner(CaseRunner runner);

// "" when the case passed; otherwise why it failed: the first finding line it printed
// ("[divergence] ...", "[invariant] ...", "ERROR: AddressSanitizer: ...") or, failing
// that, how it ended. With context_prefix, the case's last line starting with it before
// the finding is appended in brackets (say, which schedule was running). With
// ISOLATE_CHECKS_LEAKS a passing case also fails when an allocation it made is
// unreachable at its end. A case takes milliseconds; one still running at 3/4 of the
// deadline reports itself as a hang (watchdog.h), and one still running at the deadline
// is killed with its worker and reported as a hang.
std::string run_isolated(int runner, const Program& program, int mode = 0, const std::string& context_prefix = "",
                         std::chrono::seconds deadline = std::chrono::seconds(30));
