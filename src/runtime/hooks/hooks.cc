#include "runtime/hooks/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/io.h"
#include "base/log.h"

namespace stockade::hooks {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

std::string LastLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  size_t p = s.find_last_of('\n');
  return p == std::string::npos ? s : s.substr(p + 1);
}

}  // namespace

Status RunHook(const std::string& kind, const oci::Hook& hook, const std::string& state_json) {
  std::string what = kind + " hook \"" + hook.path + "\"";
  ASSIGN_OR_RETURN(auto in, MakePipe(O_CLOEXEC));
  ASSIGN_OR_RETURN(auto err, MakePipe(O_CLOEXEC | O_NONBLOCK));

  // posix_spawn is safe from multithreaded processes, unlike a hand-written fork+exec.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.first.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, err.second.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args = hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  auto argv = CStrings(args);
  auto envp = CStrings(hook.env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, hook.path.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Error(rc, "running " + what);
  in.first.reset();
  err.second.reset();

  // A hook that does not read its stdin must not block us: ignore EPIPE.
  signal(SIGPIPE, SIG_IGN);
  (void)WriteAll(in.second.get(), state_json);
  in.second.reset();

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  UniqueFd pidfd_owned(pidfd);
  int64_t deadline = hook.timeout ? NowMs() + int64_t{*hook.timeout} * 1000 : -1;
  std::string stderr_text;
  bool exited = false;
  while (!exited) {
    struct pollfd fds[2] = {{pidfd, POLLIN, 0}, {err.first.get(), POLLIN, 0}};
    int timeout = -1;
    if (deadline >= 0) timeout = static_cast<int>(std::max<int64_t>(0, deadline - NowMs()));
    int n = poll(fds, err.first.valid() ? 2 : 1, timeout);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return Error(ETIMEDOUT, what + " timed out after " + std::to_string(*hook.timeout) + "s");
    }
    if (fds[1].revents != 0) {
      char buf[4096];
      ssize_t r = read(err.first.get(), buf, sizeof buf);
      if (r > 0) {
        stderr_text.append(buf, static_cast<size_t>(r));
        if (stderr_text.size() > 65536) stderr_text.erase(0, stderr_text.size() - 65536);
      } else if (r == 0) {
        err.first.reset();
      }
    }
    if (fds[0].revents != 0) exited = true;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string tail = LastLine(stderr_text);
  if (!tail.empty()) LOG_DEBUG("%s stderr: %s", what.c_str(), stderr_text.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok();
  std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  return Error::Msg(what + " failed: " + how + (tail.empty() ? "" : ": " + tail));
}

Status RunHooks(const std::string& kind, const std::vector<oci::Hook>& hooks,
                const std::string& state_json) {
  for (const auto& h : hooks) TRY(RunHook(kind, h, state_json));
  return Ok();
}

}  // namespace stockade::hooks
