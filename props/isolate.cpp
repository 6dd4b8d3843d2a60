#include "isolate.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>

#include <rapidcheck.h>

namespace {

// The tags a finding's first line carries (the fuzz targets print the same).
constexpr const char* kFindingTags[] = {"[divergence]", "[invariant]", "[harness bug]", "ERROR: AddressSanitizer",
                                        "ERROR: LeakSanitizer", "runtime error:", "WARNING: ThreadSanitizer"};

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

[[noreturn]] void child(int out, const std::function<void()>& body) {
  dup2(out, STDERR_FILENO);
  dup2(out, STDOUT_FILENO);
  close(out);
  int status = 0;
  try {
    body();
  } catch (const rc::detail::CaseResult& result) {
    std::fprintf(stderr, "%s\n", result.description.c_str());
    status = 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[harness bug] exception: %s\n", e.what());
    status = 1;
  }
  std::fflush(nullptr);
  _exit(status);  // no exit handlers: the parent owns them
}

}  // namespace

std::string run_isolated(const std::function<void()>& body, const std::string& context_prefix) {
  int fds[2];
  if (pipe(fds) != 0) return "[harness bug] pipe: " + std::string(std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return "[harness bug] fork: " + std::string(std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    child(fds[1], body);
  }
  close(fds[1]);
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;)
    if (n > 0) output.append(buf, static_cast<std::size_t>(n));
    else if (errno != EINTR) break;
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::string finding = first_finding(output, context_prefix);
  if (finding.empty()) {
    finding = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                  : "exited with status " + std::to_string(WEXITSTATUS(status));
    finding += "; its output:\n" + output.substr(0, 2000);
  }
  return finding;
}
