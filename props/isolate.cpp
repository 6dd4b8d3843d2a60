#include "isolate.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <sstream>
#include <type_traits>
#include <vector>

#include <rapidcheck.h>

#include "case_allocations.h"
#include "sync.h"
#include "watchdog.h"

#ifdef ISOLATE_CHECKS_LEAKS
#include <sanitizer/lsan_interface.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

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

// The start and the end of a long output: a sanitizer names the cause of death last.
std::string excerpt(const std::string& output) {
  constexpr std::size_t kPart = 2000;
  if (output.size() <= 2 * kPart) return output;
  return output.substr(0, kPart) + "\n[...]\n" + output.substr(output.size() - kPart);
}

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

// For poll(); <= 0 once the deadline has passed.
int milliseconds_until(Clock::time_point deadline) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
}

// --- A case as bytes ---------------------------------------------------------------
// encode() carries the program's setup (layer aside: format version, threads, schedule,
// compressor, and whatever the format gains later); its operations travel as raw
// records, because the format's records cannot hold every program a suite makes: a
// version-1 record has no compact (zswap_props generates it), and version 2 reduces
// offsets modulo the race key space (zswap_props uses offset 32, past the last slot).
// run_isolated checks that the bytes give the program back.
static_assert(std::is_trivially_copyable_v<Op>, "operations travel as raw bytes");

std::vector<std::uint8_t> case_bytes(const Program& program) {
  Program setup = program;
  setup.ops.clear();
  const std::vector<std::uint8_t> encoded = encode(setup);
  const auto encoded_size = static_cast<std::uint32_t>(encoded.size());
  std::vector<std::uint8_t> bytes{static_cast<std::uint8_t>(program.layer)};
  bytes.insert(bytes.end(), reinterpret_cast<const std::uint8_t*>(&encoded_size),
               reinterpret_cast<const std::uint8_t*>(&encoded_size + 1));
  bytes.insert(bytes.end(), encoded.begin(), encoded.end());
  bytes.insert(bytes.end(), reinterpret_cast<const std::uint8_t*>(program.ops.data()),
               reinterpret_cast<const std::uint8_t*>(program.ops.data() + program.ops.size()));
  return bytes;
}

Program program_of(const std::vector<std::uint8_t>& bytes) {
  std::uint32_t encoded_size = 0;
  std::memcpy(&encoded_size, bytes.data() + 1, sizeof encoded_size);
  const std::uint8_t* encoded = bytes.data() + 1 + sizeof encoded_size;
  Program program = decode(encoded, encoded_size, static_cast<Layer>(bytes[0]));
  const std::uint8_t* ops = encoded + encoded_size;
  program.ops.resize(static_cast<std::size_t>(bytes.data() + bytes.size() - ops) / sizeof(Op));
  if (!program.ops.empty()) std::memcpy(program.ops.data(), ops, program.ops.size() * sizeof(Op));
  return program;
}

// --- The pipe protocol ----------------------------------------------------------------
// The parent sends a Request and the case's bytes on the control socket; the worker runs
// the case with its stdout and stderr on the output pipe, then answers one Verdict on the
// control socket. What the case printed is in the pipe before its verdict is sent.
struct Request {
  std::int32_t runner;
  std::int32_t mode;
  std::int32_t deadline_seconds;
  std::uint32_t size;  // of the case's bytes, which follow
};
enum class Verdict : std::int32_t {
  passed,
  // Passed, but left a lock held: the next case's lock checks would see it (and a held
  // lock's object may be gone), where a process per case saw nothing. The parent retires
  // the worker.
  passed_leaving_a_lock_held,
  failed,
};

bool write_all(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = send(fd, p, size, MSG_NOSIGNAL);  // a dead peer is an error, not SIGPIPE
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// False at the end of the stream (the peer is gone).
bool read_all(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// --- The worker ------------------------------------------------------------------------

std::vector<CaseRunner>& runners() {
  static std::vector<CaseRunner> table;
  return table;
}

bool worker_forked = false;  // a runner registered later would be missing from its table

// Runs the runner; false when it failed the case (and printed why).
bool run_runner(CaseRunner runner, const Program& program, int mode) {
  try {
    runner(program, mode);
    return true;
  } catch (const rc::detail::CaseResult& result) {
    // Preconditions are checked in the parent: a discard here could not reach rapidcheck.
    if (result.type == rc::detail::CaseResult::Type::Failure) {
      std::fprintf(stderr, "%s\n", result.description.c_str());
      return false;
    }
    if (result.type == rc::detail::CaseResult::Type::Discard) {
      std::fprintf(stderr, "[harness bug] a case was discarded inside its worker: %s\n", result.description.c_str());
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "[harness bug] exception: %s\n", e.what());
    return false;
  }
}

#ifdef ISOLATE_CHECKS_LEAKS
void start_recording_allocations() { case_allocations::start(); }

// Whether an allocation of the case is unreachable now. Only after a passing case: a
// failing one may leave its objects behind on purpose (a deadlocked race keeps its
// threads' state), and its worker is retired anyway.
bool case_leaked(bool passed) {
  if (!case_allocations::stop() || !passed) return false;
  if (__lsan_do_recoverable_leak_check() != 0) return true;  // the report is in the case's output
  case_allocations::forget_live();
  return false;
}
#else
void start_recording_allocations() {}
bool case_leaked(bool) { return false; }
#endif

Verdict run_case(const Request& request, const std::vector<std::uint8_t>& bytes) {
  if (request.runner < 0 || static_cast<std::size_t>(request.runner) >= runners().size()) {
    std::fprintf(stderr, "[harness bug] case runner %d is not in the worker's table\n", request.runner);
    return Verdict::failed;
  }
  const Program program = program_of(bytes);
  // A process per case started with an empty lock-order graph (the parent takes no impl
  // lock); an order an earlier case took must not make this one an inversion.
  lockdep::forget_observed_order();
  bool passed;
  {
    // The case names its own hang (the operation and the locks of each thread) before
    // the parent's deadline would kill it blind.
    watchdog::set_default_seconds(0.75 * static_cast<double>(request.deadline_seconds));
    const watchdog::Guard guard("the property case");
    start_recording_allocations();
    passed = run_runner(runners()[static_cast<std::size_t>(request.runner)], program, request.mode);
  }
  if (case_leaked(passed) || !passed) return Verdict::failed;
  return lockdep::any_lock_held() ? Verdict::passed_leaving_a_lock_held : Verdict::passed;
}

[[noreturn]] void serve(pid_t parent, int control, int output) {
  // A worker outlives nothing: not its parent killed at a timeout, nor its parent's exit.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  dup2(output, STDOUT_FILENO);
  dup2(output, STDERR_FILENO);
  close(output);
  for (;;) {
    Request request{};
    if (!read_all(control, &request, sizeof request)) _exit(0);  // the parent is done
    std::vector<std::uint8_t> bytes(request.size);
    if (!read_all(control, bytes.data(), bytes.size())) _exit(0);
    const Verdict verdict = run_case(request, bytes);
    std::fflush(nullptr);
    // _exit everywhere: no exit handlers (the parent owns them), no exit-time leak check.
    if (!write_all(control, &verdict, sizeof verdict)) _exit(0);
  }
}

// --- The parent's side ---------------------------------------------------------------

class Worker {
 public:
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { retire(); }

  bool running() const { return pid_ > 0; }

  // "" or what went wrong.
  std::string fork_worker() {
    int control[2], output[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, control) != 0) return errno_text("socketpair");
    if (pipe(output) != 0) {
      const std::string error = errno_text("pipe");
      close(control[0]);
      close(control[1]);
      return error;
    }
    std::fflush(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      const std::string error = errno_text("fork");
      for (int fd : {control[0], control[1], output[0], output[1]}) close(fd);
      return error;
    }
    if (pid == 0) {
      close(control[0]);
      close(output[0]);
      serve(parent, control[1], output[1]);
    }
    worker_forked = true;
    close(control[1]);
    close(output[1]);
    pid_ = pid;
    control_ = control[0];
    output_ = output[0];
    fcntl(output_, F_SETFL, fcntl(output_, F_GETFL) | O_NONBLOCK);
    return "";
  }

  bool send(const Request& request, const std::vector<std::uint8_t>& bytes) const {
    return write_all(control_, &request, sizeof request) && write_all(control_, bytes.data(), bytes.size());
  }

  // The verdict, or nullopt when the worker died or the deadline passed first
  // (*timed_out says which); what the case printed is appended to *output.
  std::optional<Verdict> await_verdict(Clock::time_point deadline, std::string* output, bool* timed_out) {
    *timed_out = false;
    for (;;) {
      const int left = milliseconds_until(deadline);
      if (left <= 0) {
        *timed_out = true;
        return std::nullopt;
      }
      pollfd fds[] = {{control_, POLLIN, 0}, {output_, POLLIN, 0}};
      if (poll(fds, 2, left) < 0 && errno != EINTR) return std::nullopt;
      if (fds[1].revents) drain_output(output);
      if (fds[0].revents) {
        Verdict verdict;
        if (!read_all(control_, &verdict, sizeof verdict)) return std::nullopt;
        drain_output(output);  // all of the case's output was written before its verdict
        return verdict;
      }
    }
  }

  // The rest of a dead worker's output: up to its end, or the deadline.
  void read_remaining_output(Clock::time_point deadline, std::string* output) {
    for (;;) {
      const int left = milliseconds_until(deadline);
      if (left <= 0) return;
      pollfd fd{output_, POLLIN, 0};
      const int ready = poll(&fd, 1, left);
      if (ready < 0 && errno != EINTR) return;
      if (ready > 0 && !drain_output(output)) return;
    }
  }

  // Kills the worker (it may be dead already, or hung) and returns its wait status.
  int retire() {
    if (!running()) return 0;
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    close(control_);
    close(output_);
    pid_ = -1;
    return status;
  }

 private:
  // Appends what the pipe holds now; false at its end (no writer is left).
  bool drain_output(std::string* output) const {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(output_, buf, sizeof buf);
      if (n > 0) {
        output->append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return n < 0;  // EAGAIN: the pipe is open and empty
    }
  }

  pid_t pid_ = -1;
  int control_ = -1;  // socket: requests out, verdicts in
  int output_ = -1;   // pipe: the worker's stdout and stderr
};

Worker& worker() {
  static Worker w;
  return w;
}

std::string how_it_ended(int status) {
  return WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                             : "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

int register_case_runner(CaseRunner runner) {
  if (worker_forked) {
    std::fprintf(stderr, "[harness bug] a case runner registered after the first case: register at namespace scope\n");
    std::abort();
  }
  runners().push_back(runner);
  return static_cast<int>(runners().size()) - 1;
}

std::string run_isolated(int runner, const Program& program, int mode, const std::string& context_prefix,
                         std::chrono::seconds deadline) {
  const std::vector<std::uint8_t> bytes = case_bytes(program);
  if (!(program_of(bytes) == program))
    return "[harness bug] the case's program does not survive its way to the worker (a Program field encode() "
           "does not carry?)";
  Worker& w = worker();
  if (!w.running())
    if (const std::string error = w.fork_worker(); !error.empty()) return "[harness bug] " + error;
  const Request request{runner, mode, static_cast<std::int32_t>(deadline.count()),
                        static_cast<std::uint32_t>(bytes.size())};
  if (!w.send(request, bytes))
    return "[harness bug] the worker was gone before the case started (" + how_it_ended(w.retire()) + ")";
  const Clock::time_point until = Clock::now() + deadline;
  std::string output;
  bool timed_out = false;
  const std::optional<Verdict> verdict = w.await_verdict(until, &output, &timed_out);
  if (timed_out) {
    w.retire();
    return "[invariant] hang: the case did not finish in " + std::to_string(deadline.count()) +
           " s and was killed (its own watchdog did not report)";
  }
  if (!verdict) w.read_remaining_output(until, &output);  // it died: its last words
  // A report that does not end the process (a TSan warning without halt_on_error) still fails the case.
  const std::string finding = first_finding(output, context_prefix);
  if (verdict == Verdict::passed && finding.empty()) return "";
  const int status = w.retire();
  if (verdict == Verdict::passed_leaving_a_lock_held && finding.empty()) return "";
  if (!finding.empty()) return finding;
  if (verdict) return "failed without a finding line; its output:\n" + excerpt(output);
  // A case that ended its worker with exit(0) ended as the process per case did: passed.
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return how_it_ended(status) + " without a finding line; its output:\n" + excerpt(output);
}
