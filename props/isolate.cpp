#include "isolate.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <sstream>

#include <rapidcheck.h>

#include "watchdog.h"

#ifdef ISOLATE_CHECKS_LEAKS
#include <sanitizer/lsan_interface.h>
#endif

namespace {

// The tags a finding's first line carries (the fuzz targets print the same).
constexpr const char* kFindingTags[] = {"[divergence]", "[invariant]", "[harness bug]", "ERROR: AddressSanitizer",
                                        "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
                                        "ERROR: ThreadSanitizer"};

// A sanitizer report's first stack frame in impl/: where the bug is (the mutant hunt
// takes its signature from it).
std::string first_impl_frame(std::istringstream& lines) {
  for (std::string line; std::getline(lines, line);)
    if (line.find(" in ") != std::string::npos && line.find("/impl/") != std::string::npos) return "\n" + line;
  return "";
}

std::string first_finding(const std::string& output, const std::string& context_prefix) {
  std::istringstream lines(output);
  std::string context;
  for (std::string line; std::getline(lines, line);) {
    if (!context_prefix.empty() && line.rfind(context_prefix, 0) == 0) context = line;
    for (const char* tag : kFindingTags)
      if (line.find(tag) != std::string::npos) {
        if (!context.empty() && line.find(context) == std::string::npos) line += " [" + context + "]";
        return line.find("Sanitizer") != std::string::npos ? line + first_impl_frame(lines) : line;
      }
  }
  return "";
}

// Leaks are checked in the child, where the case's allocations live: _exit skips
// LeakSanitizer's exit-time check.
bool leaked() {
#ifdef ISOLATE_CHECKS_LEAKS
  return __lsan_do_recoverable_leak_check() != 0;
#else
  return false;
#endif
}

[[noreturn]] void child(int out, const std::function<void()>& body, std::chrono::seconds deadline) {
  dup2(out, STDERR_FILENO);
  dup2(out, STDOUT_FILENO);
  close(out);
  int status = 0;
  try {
    // The child names its own hang (the operation and the locks of each thread)
    // before the parent's deadline would kill it blind.
    watchdog::set_default_seconds(0.75 * static_cast<double>(deadline.count()));
    const watchdog::Guard guard("the property case");
    body();
  } catch (const rc::detail::CaseResult& result) {
    // Preconditions are checked in the parent: a discard here could not reach rapidcheck.
    if (result.type == rc::detail::CaseResult::Type::Failure) {
      std::fprintf(stderr, "%s\n", result.description.c_str());
      status = 1;
    } else if (result.type == rc::detail::CaseResult::Type::Discard) {
      std::fprintf(stderr, "[harness bug] a case was discarded inside its child: %s\n", result.description.c_str());
      status = 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[harness bug] exception: %s\n", e.what());
    status = 1;
  }
  // Only after a passing body: a failing one may leave its objects behind on purpose
  // (a deadlocked race keeps its threads' state).
  if (status == 0 && leaked()) status = 1;
  std::fflush(nullptr);
  _exit(status);  // no exit handlers: the parent owns them
}

// What the child printed, up to its end or the deadline; nullopt at the deadline.
std::optional<std::string> read_until(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string output;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return output;
    if (ready <= 0) continue;  // interrupted or timed out: the deadline check above decides
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) output.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR) return output;
  }
}

// The start and the end of a long output: a sanitizer names the cause of death last.
std::string excerpt(const std::string& output) {
  constexpr std::size_t kPart = 2000;
  if (output.size() <= 2 * kPart) return output;
  return output.substr(0, kPart) + "\n[...]\n" + output.substr(output.size() - kPart);
}

}  // namespace

std::string run_isolated(const std::function<void()>& body, const std::string& context_prefix,
                         std::chrono::seconds deadline) {
  int fds[2];
  if (pipe(fds) != 0) return "[harness bug] pipe: " + std::string(std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return "[harness bug] fork: " + std::string(std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    child(fds[1], body, deadline);
  }
  close(fds[1]);
  const std::optional<std::string> output = read_until(fds[0], std::chrono::steady_clock::now() + deadline);
  close(fds[0]);
  if (!output) kill(pid, SIGKILL);
  int status = 0;
  pid_t waited;
  while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (waited < 0) return "[harness bug] waitpid: " + std::string(std::strerror(errno));
  if (!output)
    return "[invariant] hang: the case did not finish in " + std::to_string(deadline.count()) +
           " s and was killed (its own watchdog did not report)";
  // A report that does not end the process (a TSan warning without halt_on_error) still fails the case.
  std::string finding = first_finding(*output, context_prefix);
  if (!finding.empty() || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) return finding;
  return (WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                              : "exited with status " + std::to_string(WEXITSTATUS(status))) +
         " without a finding line; its output:\n" + excerpt(*output);
}
