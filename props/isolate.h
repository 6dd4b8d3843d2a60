// Runs one property case in a child process, so that what kills a process (a
// sanitizer report, an impl BUG_ON, a deadlock report) fails that case and lets
// rapidcheck shrink it, instead of ending the test binary.
#pragma once

#include <chrono>
#include <functional>
#include <string>

// Under ASan (clang or g++) a passing case is also checked for leaks.
#if defined(__SANITIZE_ADDRESS__)
#define ISOLATE_CHECKS_LEAKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOLATE_CHECKS_LEAKS 1
#endif
#endif

// "" when body returned without printing a finding; otherwise why the case failed: the
// first finding line the child printed ("[divergence] ...", "[invariant] ...",
// "ERROR: AddressSanitizer: ...") or, failing that, how it died. With context_prefix,
// the child's last line starting with it before the finding is appended in brackets
// (say, which schedule was running). With ISOLATE_CHECKS_LEAKS a passing body is also
// checked for leaks. A case takes milliseconds; one still running at 3/4 of the
// deadline reports itself as a hang (watchdog.h), and one still running at the
// deadline is killed and reported as a hang.
std::string run_isolated(const std::function<void()>& body, const std::string& context_prefix = "",
                         std::chrono::seconds deadline = std::chrono::seconds(30));
