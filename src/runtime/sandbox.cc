#include "runtime/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <climits>

#include "base/io.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/user_namespace.h"

namespace stockade::runtime {
namespace {

constexpr int kFirstDonatedFd = 3;
constexpr uid_t kNobody = 65534;

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Builds the boot config in a sealed memfd so the sandbox reads exactly what we wrote.
Result<UniqueFd> ConfigMemfd(const boot_api::BootConfig& cfg) {
  UniqueFd fd(memfd_create("stockade-boot-config", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Error::FromErrno("memfd_create");
  nlohmann::json j = cfg;
  TRY(WriteAll(fd.get(), j.dump()));
  fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

}  // namespace

bool CanSetIds() {
  auto status = ReadFile("/proc/self/status");
  if (!status.ok()) return false;
  size_t p = status->find("CapEff:");
  if (p == std::string::npos) return false;
  uint64_t eff = std::strtoull(status->c_str() + p + 7, nullptr, 16);
  return (eff & (1ULL << 6)) != 0 && (eff & (1ULL << 7)) != 0;  // CAP_SETGID, CAP_SETUID
}

std::string SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<size_t>(n));
}

bool WaitGone(pid_t pid, uint64_t start_time, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  UniqueFd owned(pidfd);
  while (ProcessAlive(pid, start_time)) {
    int64_t left = deadline - NowMs();
    if (left <= 0) return false;
    if (pidfd >= 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    } else {
      usleep(10000);
    }
    // Our own zombie children (e.g. a sandbox we launched) must be reaped to disappear.
    waitpid(pid, nullptr, WNOHANG);
  }
  return true;
}

Result<Sandbox> LaunchSandbox(LaunchRequest& req, int timeout_ms) {
  boot_api::BootConfig& cfg = req.config;
  ASSIGN_OR_RETURN(auto sync, MakePipe(O_CLOEXEC));

  // The donated FDs, in their final order from FD 3 on.
  std::vector<int> donated;
  auto donate = [&](int fd) {
    if (fd < 0) return -1;
    donated.push_back(fd);
    return kFirstDonatedFd + static_cast<int>(donated.size()) - 1;
  };
  donated.push_back(-1);  // slot 3: the config memfd, filled in below
  cfg.controller_fd = donate(req.control_socket.get());
  cfg.sync_fd = donate(sync.second.get());
  cfg.exit_fd = donate(req.exit_file.get());
  cfg.stdio_fds.clear();
  for (int fd : req.stdio) cfg.stdio_fds.push_back(donate(fd));
  for (size_t i = 0; i < req.gofer.size() && i < cfg.gofer_mounts.size(); ++i) {
    cfg.gofer_mounts[i].fd = donate(req.gofer[i].get());
  }
  cfg.log_fd = donate(log::MainFd());
  cfg.debug_log_fd = req.debug_log ? donate(req.debug_log.get())
                                   : cfg.debug_log_dir.empty() ? donate(log::DebugFd()) : -1;
  cfg.attached = req.attached;
  ASSIGN_OR_RETURN(UniqueFd config_fd, ConfigMemfd(cfg));
  donated[0] = config_fd.get();

  std::string exe = req.exe.empty() ? SelfExe() : req.exe;
  pid_t parent = getpid();
  // The Sentry platforms' sandbox is born in its own namespaces, as runsc's: a user namespace
  // (nobody on the host; we write its ID maps while it waits on `userns_mapped`) and new
  // mount/IPC/UTS/PID namespaces, so that it is PID 1 of its own PID namespace (a process that
  // merely unshares CLONE_NEWPID can no longer create threads).
  ASSIGN_OR_RETURN(auto userns_mapped, MakePipe(O_CLOEXEC));
  long ns_flags = 0;
  if (cfg.userns_nobody) ns_flags |= CLONE_NEWUSER;
  if (cfg.userns_nobody || cfg.chroot_empty) {
    ns_flags |= CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID;
    if (cfg.network == "none") ns_flags |= CLONE_NEWNET;
  }
  pid_t pid = ForkInNamespaces(ns_flags);
  if (pid < 0) return Error::FromErrno("starting sandbox");
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to execve.
    setsid();
    if (req.attached) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      // In a new PID namespace our parent is outside it and reads as 0.
      if (getppid() != parent && getppid() != 0) _exit(1);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cfg.userns_nobody) {
      // As runsc: the sandbox is root in its own user namespace, which is nobody on the host.
      // As for the gofer: without our copy of the write end, a CLI that dies before mapping
      // us makes the read see EOF.
      close(userns_mapped.second.get());
      char c = 0;
      if (read(userns_mapped.first.get(), &c, 1) != 1) _exit(125);
      if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) _exit(125);
    }
    // Two passes so that moving one FD never clobbers another that is still to move.
    int tmp[128];
    size_t n = donated.size() < 128 ? donated.size() : 128;
    for (size_t i = 0; i < n; ++i) tmp[i] = fcntl(donated[i], F_DUPFD_CLOEXEC, 200);
    for (size_t i = 0; i < n; ++i) {
      if (dup2(tmp[i], kFirstDonatedFd + static_cast<int>(i)) < 0) _exit(126);
    }
    syscall(SYS_close_range, kFirstDonatedFd + n, ~0U, 0);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      if (devnull > 2) close(devnull);
    }
    const char* argv[] = {"stockade", "boot", "--config-fd", "3", nullptr};
    execv(exe.c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  sync.second.reset();
  // The Sentry's ends of the gofer sockets are the sandbox's alone now: while we
  // hold a copy, the gofer would not see the sandbox go away.
  req.gofer.clear();
  Sandbox sb{pid, ProcessStartTime(pid).value_or(0)};
  auto kill_it = [&] {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  };
  if (cfg.userns_nobody) {
    char c = 0;
    const std::string map = "0 " + std::to_string(kNobody) + " 1\n";
    if (Status st = WriteIdMaps(pid, map, map, /*deny_setgroups=*/true); !st.ok()) {
      kill_it();
      return st.error().Wrap("mapping the sandbox's user namespace");
    }
    if (req.on_spawned) {
      if (Status sp = req.on_spawned(pid); !sp.ok()) {
        kill_it();
        return sp.error();
      }
    }
    if (write(userns_mapped.second.get(), &c, 1) != 1) {
      kill_it();
      return Error::FromErrno("releasing the sandbox");
    }
  }

  // Wait for the sync byte, the pipe closing (boot died), or the timeout.
  int64_t deadline = NowMs() + timeout_ms;
  std::string reply;
  for (;;) {
    int64_t left = deadline - NowMs();
    if (left <= 0) {
      kill_it();
      return Error(ETIMEDOUT, "sandbox did not start within " + std::to_string(timeout_ms / 1000) + "s");
    }
    struct pollfd p = {sync.first.get(), POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(sync.first.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
    if (reply[0] == boot_api::kSyncOk) break;
  }
  if (!reply.empty() && reply[0] == boot_api::kSyncOk) return sb;
  kill_it();
  if (reply.size() > 1 && reply[0] == boot_api::kSyncError) {
    std::string msg = reply.substr(1);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Error::Msg(msg);
  }
  return Error::Msg("sandbox exited before it was ready");
}

}  // namespace stockade::runtime
