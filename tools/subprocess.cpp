#include "subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "signature.h"

namespace fs = std::filesystem;

pid_t spawn(const std::vector<std::string>& args, const EnvChanges& env, const fs::path& output) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int out = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    std::fprintf(stderr, "error: cannot write %s: %s\n", output.c_str(), std::strerror(errno));
    std::exit(1);
  }
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    setpgid(0, 0);  // its own group: a stop reaches everything it forks
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    for (const auto& [name, value] : env) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
    }
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "%s cannot execute %s: %s\n", kHarnessBugTag, argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so that a kill can never precede the child's own call
  close(out);
  return pid;
}

void kill_group(pid_t pid) { kill(-pid, SIGKILL); }

Completed run_to_end(const std::vector<std::string>& argv, const EnvChanges& env, double timeout_seconds) {
  std::string output_template = (fs::temp_directory_path() / "run-XXXXXX").string();
  const int fd = mkstemp(output_template.data());
  if (fd < 0) {
    std::perror("mkstemp");
    std::exit(1);
  }
  close(fd);
  const fs::path output = output_template;
  const pid_t pid = spawn(argv, env, output);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  Completed done;
  for (;;) {
    const pid_t r = waitpid(pid, &done.status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      std::perror("waitpid");
      std::exit(1);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill_group(pid);
      waitpid(pid, &done.status, 0);
      done.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  done.output = read_all(output);
  fs::remove(output);
  return done;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string describe_status(int status) {
  return WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                             : "exited with status " + std::to_string(WEXITSTATUS(status));
}
