// exit, exit_group, wait4/waitpid, waitid: statuses, WNOHANG, ECHILD, pid/pgid selection,
// WNOWAIT, stop/continue reporting, zombies, reparenting to a subreaper.
#include <climits>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "test_util.h"

namespace conformance {
namespace {

// A child that blocks until the returned fd is closed, then exits with `code`.
struct BlockedChild {
  pid_t pid = -1;
  int release_fd = -1;
  explicit BlockedChild(int code = 0, bool new_group = false) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return;
    pid = ForkChild([&] {
      close(p[1]);
      if (new_group) setpgid(0, 0);
      char c;
      read(p[0], &c, 1);
      return code;
    });
    close(p[0]);
    release_fd = p[1];
    if (new_group) setpgid(pid, pid);
  }
  void Release() {
    if (release_fd >= 0) close(release_fd);
    release_fd = -1;
  }
  ~BlockedChild() { Release(); }
};

TEST(Exit, StatusCodesModulo256) {
  for (int code : {0, 1, 77, 255}) {
    EXPECT_EXITED(RunInChild([code] { return code; }), code);
  }
  EXPECT_EXITED(RunInChild([] { _exit(256 + 3); return 0; }), 3);
}

TEST(Exit, ExitGroupAndExitSyscalls) {
  EXPECT_EXITED(RunInChild([] { syscall(SYS_exit_group, 17); return 0; }), 17);
  // exit() of the only thread ends the process with that status.
  EXPECT_EXITED(RunInChild([] { syscall(SYS_exit, 18); return 0; }), 18);
}

TEST(Exit, AtexitHandlersRunOnExitNotOnUnderscoreExit) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  static int wfd;
  wfd = p[1];
  pid_t a = ForkChild([] {
    atexit([] { write(wfd, "A", 1); });
    exit(0);
    return 0;
  });
  EXPECT_EXITED(WaitStatus(a), 0);
  pid_t b = ForkChild([] {
    atexit([] { write(wfd, "B", 1); });
    return 0;  // ForkChild uses _exit
  });
  EXPECT_EXITED(WaitStatus(b), 0);
  close(p[1]);
  EXPECT_EQ(ReadAll(p[0]), "A");
  close(p[0]);
}

TEST(Wait4, KilledChildReportsSignal) {
  BlockedChild c;
  ASSERT_GT(c.pid, 0);
  ASSERT_EQ(kill(c.pid, SIGKILL), 0);
  int st = WaitStatus(c.pid);
  EXPECT_SIGNALED(st, SIGKILL);
  EXPECT_FALSE(WIFEXITED(st));
}

TEST(Wait4, WnohangWhileRunning) {
  BlockedChild c(9);
  ASSERT_GT(c.pid, 0);
  int st = 0;
  EXPECT_EQ(waitpid(c.pid, &st, WNOHANG), 0);
  c.Release();
  EXPECT_EXITED(WaitStatus(c.pid), 9);
}

TEST(Wait4, EchildCases) {
  EXPECT_ERRNO(ECHILD, waitpid(INT_MAX, nullptr, 0));
  EXPECT_ERRNO(ECHILD, waitpid(getpid(), nullptr, WNOHANG));
  // No children at all (every earlier test reaped its own).
  EXPECT_ERRNO(ECHILD, waitpid(-1, nullptr, WNOHANG));
  EXPECT_ERRNO(ECHILD, waitpid(-1, nullptr, 0));
  // A reaped child is gone.
  pid_t pid = ForkChild([] { return 0; });
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_ERRNO(ECHILD, waitpid(pid, nullptr, 0));
}

TEST(Wait4, SpecificPidOutOfOrder) {
  BlockedChild a(1), b(2);
  ASSERT_GT(a.pid, 0);
  ASSERT_GT(b.pid, 0);
  b.Release();
  EXPECT_EXITED(WaitStatus(b.pid), 2);
  a.Release();
  EXPECT_EXITED(WaitStatus(a.pid), 1);
}

TEST(Wait4, AnyChildReturnsEachOnce) {
  pid_t a = ForkChild([] { return 4; });
  pid_t b = ForkChild([] { return 5; });
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  int seen = 0;
  for (int i = 0; i < 2; i++) {
    int st = 0;
    pid_t r = waitpid(-1, &st, 0);
    if (r == a) {
      EXPECT_EXITED(st, 4);
      seen |= 1;
    } else if (r == b) {
      EXPECT_EXITED(st, 5);
      seen |= 2;
    } else {
      ADD_FAILURE() << "waitpid(-1) returned " << r;
    }
  }
  EXPECT_EQ(seen, 3);
}

TEST(Wait4, ByProcessGroup) {
  BlockedChild other(3, /*new_group=*/true);
  BlockedChild mine(4);
  ASSERT_GT(other.pid, 0);
  ASSERT_GT(mine.pid, 0);
  ASSERT_EQ(getpgid(other.pid), other.pid);
  mine.Release();
  other.Release();
  // -pgid: only members of that group; 0: only members of our group.
  int st = 0;
  EXPECT_EQ(waitpid(-other.pid, &st, 0), other.pid);
  EXPECT_EXITED(st, 3);
  EXPECT_ERRNO(ECHILD, waitpid(-other.pid, &st, WNOHANG));
  EXPECT_EQ(waitpid(0, &st, 0), mine.pid);
  EXPECT_EXITED(st, 4);
}

TEST(Wait4, RusageAndErrors) {
  pid_t pid = ForkChild([] { return 0; });
  int st = 0;
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  EXPECT_EQ(wait4(pid, &st, 0, &ru), pid);
  EXPECT_EXITED(st, 0);
  EXPECT_GE(ru.ru_utime.tv_sec, 0);
  EXPECT_GE(ru.ru_utime.tv_usec, 0);
  EXPECT_LT(ru.ru_utime.tv_usec, 1000000);
  EXPECT_GE(ru.ru_maxrss, 0);
  EXPECT_ERRNO(EINVAL, waitpid(-1, &st, 0x10000000));
  pid = ForkChild([] { return 0; });
  EXPECT_ERRNO(EFAULT, syscall(SYS_wait4, pid, BadPointer(), 0, nullptr));
  waitpid(pid, nullptr, WNOHANG);  // in case the failed call left it unreaped
}

TEST(Waitid, ExitedSiginfo) {
  pid_t pid = ForkChild([] { return 12; });
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
  EXPECT_EQ(si.si_signo, SIGCHLD);
  EXPECT_EQ(si.si_code, CLD_EXITED);
  EXPECT_EQ(si.si_pid, pid);
  EXPECT_EQ(si.si_uid, getuid());
  EXPECT_EQ(si.si_status, 12);
  EXPECT_ERRNO(ECHILD, waitid(P_PID, pid, &si, WEXITED));
}

TEST(Waitid, KilledSiginfo) {
  BlockedChild c;
  ASSERT_EQ(kill(c.pid, SIGTERM), 0);
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WEXITED), 0);
  EXPECT_EQ(si.si_code, CLD_KILLED);
  EXPECT_EQ(si.si_status, SIGTERM);
  EXPECT_EQ(si.si_pid, c.pid);
}

TEST(Waitid, DumpedSiginfoForCoreSignal) {
  // SIGABRT's default action is "core": si_code is CLD_DUMPED if a core was written and
  // CLD_KILLED otherwise. RLIMIT_CORE = 1 rules out both a file dump (smaller than a page)
  // and a piped one (1 is the documented "no pipe dump" value), so CLD_KILLED is certain.
  pid_t pid = ForkChild([] {
    struct rlimit rl = {1, 1};
    setrlimit(RLIMIT_CORE, &rl);
    abort();
    return 0;
  });
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
  EXPECT_EQ(si.si_code, CLD_KILLED);
  EXPECT_EQ(si.si_status, SIGABRT);
}

TEST(Waitid, WnowaitLeavesChildWaitable) {
  pid_t pid = ForkChild([] { return 21; });
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(si.si_pid, pid);
  EXPECT_EQ(si.si_status, 21);
  // Still a zombie: signal 0 finds it, and it can be waited for again.
  EXPECT_EQ(kill(pid, 0), 0);
  si = {};
  ASSERT_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0);
  EXPECT_EQ(si.si_pid, pid);
  EXPECT_EXITED(WaitStatus(pid), 21);
  EXPECT_ERRNO(ESRCH, kill(pid, 0));
}

TEST(Waitid, WnohangNothingReadyZeroesPid) {
  BlockedChild c;
  siginfo_t si;
  memset(&si, 0x5a, sizeof si);
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WEXITED | WNOHANG), 0);
  EXPECT_EQ(si.si_pid, 0);
  EXPECT_EQ(si.si_signo, 0);
  c.Release();
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WEXITED), 0);
  EXPECT_EQ(si.si_pid, c.pid);
}

TEST(Waitid, StoppedAndContinued) {
  BlockedChild c;
  ASSERT_EQ(kill(c.pid, SIGSTOP), 0);
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WSTOPPED), 0);
  EXPECT_EQ(si.si_code, CLD_STOPPED);
  EXPECT_EQ(si.si_status, SIGSTOP);
  EXPECT_EQ(si.si_pid, c.pid);
  // Reported once.
  si = {};
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WSTOPPED | WNOHANG), 0);
  EXPECT_EQ(si.si_pid, 0);
  ASSERT_EQ(kill(c.pid, SIGCONT), 0);
  si = {};
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WCONTINUED), 0);
  EXPECT_EQ(si.si_code, CLD_CONTINUED);
  EXPECT_EQ(si.si_status, SIGCONT);
  c.Release();
  ASSERT_EQ(waitid(P_PID, c.pid, &si, WEXITED), 0);
  EXPECT_EQ(si.si_code, CLD_EXITED);
}

TEST(Waitid, ByProcessGroup) {
  BlockedChild c(6, /*new_group=*/true);
  c.Release();
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PGID, c.pid, &si, WEXITED), 0);
  EXPECT_EQ(si.si_pid, c.pid);
  EXPECT_EQ(si.si_status, 6);
}

TEST(Waitid, Errors) {
  siginfo_t si;
  EXPECT_ERRNO(EINVAL, waitid(P_ALL, 0, &si, 0));          // no event selected
  EXPECT_ERRNO(EINVAL, waitid((idtype_t)42, 0, &si, WEXITED));
  EXPECT_ERRNO(ECHILD, waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
  pid_t pid = ForkChild([] { return 0; });
  siginfo_t probe;
  ASSERT_EQ(waitid(P_PID, pid, &probe, WEXITED | WNOWAIT), 0);
  EXPECT_ERRNO(EFAULT, syscall(SYS_waitid, P_PID, pid, BadPointer(), WEXITED | WNOWAIT, nullptr));
  waitpid(pid, nullptr, 0);
}

TEST(Zombie, ExistsUntilReaped) {
  pid_t pid = ForkChild([] { return 0; });
  siginfo_t si = {};
  ASSERT_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);  // it has exited
  EXPECT_EQ(kill(pid, 0), 0);
  EXPECT_EQ(getpgid(pid), getpgrp());
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_ERRNO(ESRCH, kill(pid, 0));
  EXPECT_ERRNO(ESRCH, getpgid(pid));
}

TEST(Reparent, OrphanGoesToSubreaper) {
  // In the sandbox we are init, which adopts orphans anyway; natively the subreaper flag
  // makes us the adopter, so the test holds in both.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int pids[2], go[2];
  ASSERT_EQ(pipe2(pids, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  pid_t top = getpid();
  pid_t middle = ForkChild([&] {
    pid_t g = fork();
    if (g == 0) {
      close(go[1]);
      char c;
      CHILD_CHECK(read(go[0], &c, 1) == 1);  // middle is dead and reaped by now
      _exit(getppid() == top ? 0 : 1);
    }
    CHILD_CHECK(write(pids[1], &g, sizeof g) == sizeof g);
    return 0;
  });
  pid_t g = 0;
  ASSERT_EQ(read(pids[0], &g, sizeof g), (ssize_t)sizeof g);
  EXPECT_EXITED(WaitStatus(middle), 0);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  // The grandchild is now our child.
  EXPECT_EXITED(WaitStatus(g), 0);
  for (int fd : {pids[0], pids[1], go[0], go[1]}) close(fd);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

TEST(Reparent, ExitedOrphanZombieIsReapedByAdopter) {
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int pids[2];
  ASSERT_EQ(pipe2(pids, O_CLOEXEC), 0);
  pid_t middle = ForkChild([&] {
    pid_t g = fork();
    if (g == 0) _exit(44);
    CHILD_CHECK(write(pids[1], &g, sizeof g) == sizeof g);
    // Make sure the grandchild is a zombie before we die, without reaping it.
    siginfo_t si;
    CHILD_CHECK(waitid(P_PID, g, &si, WEXITED | WNOWAIT) == 0);
    return 0;
  });
  pid_t g = 0;
  ASSERT_EQ(read(pids[0], &g, sizeof g), (ssize_t)sizeof g);
  EXPECT_EXITED(WaitStatus(middle), 0);
  EXPECT_EXITED(WaitStatus(g), 44);
  close(pids[0]);
  close(pids[1]);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

}  // namespace
}  // namespace conformance
