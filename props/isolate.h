// Runs one property case in a child process, so that what kills a process (a
// sanitizer report, an impl BUG_ON, a deadlock report) fails that case and lets
// rapidcheck shrink it, instead of ending the test binary.
#pragma once

#include <functional>
#include <string>

// "" when body returned; otherwise why the case failed: the first finding line the
// child printed ("[divergence] ...", "[invariant] ...", "ERROR: AddressSanitizer: ...")
// or, failing that, how it died. With context_prefix, the child's last line starting
// with it before the finding is appended in brackets (say, which schedule was running).
std::string run_isolated(const std::function<void()>& body, const std::string& context_prefix = "");
