// Process identifiers: getpid, getppid, gettid, getpgid/setpgid/getpgrp, getsid/setsid.
#include <climits>
#include <pthread.h>

#include "test_util.h"

namespace conformance {
namespace {

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

// Sends one int from a child to the parent.
struct IntPipe {
  int fds[2];
  IntPipe() { EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0); }
  ~IntPipe() {
    close(fds[0]);
    close(fds[1]);
  }
  void Send(long v) { CHILD_CHECK(write(fds[1], &v, sizeof v) == sizeof v); }
  long Recv() {
    long v = -1;
    EXPECT_EQ(read(fds[0], &v, sizeof v), (ssize_t)sizeof v);
    return v;
  }
};

TEST(ProcessIds, MainThreadTidEqualsPid) {
  EXPECT_GT(getpid(), 0);
  EXPECT_EQ(Gettid(), getpid());
  EXPECT_EQ(syscall(SYS_getpid), getpid());
}

TEST(ProcessIds, ThreadHasOwnTidSamePid) {
  struct Result {
    pid_t pid, tid;
  } r{};
  pthread_t t;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void* arg) -> void* {
                  auto* r = static_cast<Result*>(arg);
                  r->pid = getpid();
                  r->tid = Gettid();
                  return nullptr;
                },
                &r),
            0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  EXPECT_EQ(r.pid, getpid());
  EXPECT_NE(r.tid, getpid());
  EXPECT_GT(r.tid, 0);
}

TEST(ProcessIds, InitOfSandboxOrChildOfShell) {
  if (InSandbox()) {
    // process.args of the container: the init of a fresh PID namespace.
    EXPECT_EQ(getpid(), 1);
    EXPECT_EQ(getppid(), 0);
  } else {
    EXPECT_GT(getppid(), 0);
    EXPECT_NE(getppid(), getpid());
  }
}

TEST(ProcessIds, ForkReturnValueIsChildPidAndChildSeesParent) {
  IntPipe p;
  pid_t parent = getpid();
  pid_t pid = ForkChild([&] {
    p.Send(getpid());
    p.Send(getppid());
    p.Send(Gettid());
    return 0;
  });
  ASSERT_GT(pid, 0);
  EXPECT_EQ(p.Recv(), pid);
  EXPECT_EQ(p.Recv(), parent);
  EXPECT_EQ(p.Recv(), pid);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(ProcessIds, GetpgidForms) {
  pid_t pg = getpgrp();
  EXPECT_GT(pg, 0);
  EXPECT_EQ(getpgid(0), pg);
  EXPECT_EQ(getpgid(getpid()), pg);
  EXPECT_EQ(syscall(SYS_getpgrp), pg);
}

TEST(ProcessIds, GetpgidOfChildIsInherited) {
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    char c;
    close(go[1]);
    return read(go[0], &c, 1) == 0 ? 0 : 1;
  });
  ASSERT_GT(pid, 0);
  close(go[0]);
  EXPECT_EQ(getpgid(pid), getpgrp());
  EXPECT_EQ(getsid(pid), getsid(0));
  close(go[1]);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(ProcessIds, GetpgidGetsidNoSuchProcess) {
  EXPECT_ERRNO(ESRCH, getpgid(INT_MAX));
  EXPECT_ERRNO(ESRCH, getsid(INT_MAX));
}

TEST(ProcessIds, SetpgidNewGroupFromChildAndParent) {
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    close(go[1]);
    CHILD_CHECK(setpgid(0, 0) == 0);
    CHILD_CHECK(getpgrp() == getpid());
    char c;
    return read(go[0], &c, 1) == 0 ? 0 : 1;
  });
  ASSERT_GT(pid, 0);
  close(go[0]);
  // The classic race-free idiom: both sides move the child.
  EXPECT_EQ(setpgid(pid, pid), 0) << strerror(errno);
  EXPECT_EQ(getpgid(pid), pid);
  EXPECT_NE(getpgrp(), pid);
  close(go[1]);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(ProcessIds, SetpgidJoinExistingGroupOfSameSession) {
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  auto wait_go = [&] {
    close(go[1]);
    char c;
    return read(go[0], &c, 1) == 0 ? 0 : 1;
  };
  pid_t a = ForkChild(wait_go);
  ASSERT_GT(a, 0);
  ASSERT_EQ(setpgid(a, a), 0);
  pid_t b = ForkChild(wait_go);
  ASSERT_GT(b, 0);
  EXPECT_EQ(setpgid(b, a), 0) << strerror(errno);
  EXPECT_EQ(getpgid(b), a);
  // A group that does not exist in our session.
  EXPECT_ERRNO(EPERM, setpgid(b, INT_MAX - 1));
  close(go[1]);
  close(go[0]);
  EXPECT_EXITED(WaitStatus(a), 0);
  EXPECT_EXITED(WaitStatus(b), 0);
}

TEST(ProcessIds, SetpgidErrors) {
  EXPECT_ERRNO(EINVAL, setpgid(0, -1));
  EXPECT_ERRNO(ESRCH, setpgid(INT_MAX, 0));
}

TEST(ProcessIds, SetpgidOfChildInOtherSessionEPERM) {
  int ready[2], go[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    close(ready[0]);
    close(go[1]);
    CHILD_CHECK(setsid() == getpid());
    CHILD_CHECK(write(ready[1], "x", 1) == 1);
    char c;
    return read(go[0], &c, 1) == 0 ? 0 : 1;
  });
  ASSERT_GT(pid, 0);
  close(ready[1]);
  close(go[0]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_ERRNO(EPERM, setpgid(pid, pid));
  EXPECT_EQ(getsid(pid), pid);
  close(go[1]);
  close(ready[0]);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(ProcessIds, SetpgidOfChildAfterExecEACCES) {
  int in[2], ready[2];
  ASSERT_EQ(pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  std::string helper = HelperPath();
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    // ready[1] is close-on-exec: the parent sees EOF once the exec has happened.
    const char* argv[] = {helper.c_str(), "wait-stdin", nullptr};
    execv(argv[0], const_cast<char**>(argv));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  close(in[0]);
  close(ready[1]);
  char c;
  EXPECT_EQ(read(ready[0], &c, 1), 0);
  EXPECT_ERRNO(EACCES, setpgid(pid, pid));
  close(in[1]);
  close(ready[0]);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(ProcessIds, SetsidMakesNewSessionAndGroup) {
  EXPECT_CHILD_OK([] {
    pid_t me = getpid();
    CHILD_CHECK(getsid(0) != me);
    CHILD_CHECK(setsid() == me);
    CHILD_CHECK(getsid(0) == me);
    CHILD_CHECK(getpgrp() == me);
    // Now a session (and group) leader: a second setsid fails.
    CHILD_CHECK_ERRNO(setsid(), EPERM);
    return 0;
  });
}

TEST(ProcessIds, SetsidAsGroupLeaderEPERM) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(setpgid(0, 0) == 0);
    CHILD_CHECK_ERRNO(setsid(), EPERM);
    return 0;
  });
}

TEST(ProcessIds, GetppidAfterForkInGrandchild) {
  IntPipe p;
  pid_t pid = ForkChild([&] {
    pid_t middle = getpid();
    pid_t g = fork();
    if (g == 0) {
      p.Send(getppid() == middle ? 1 : 0);
      _exit(0);
    }
    int st = WaitStatus(g);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
  });
  ASSERT_GT(pid, 0);
  EXPECT_EQ(p.Recv(), 1);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

}  // namespace
}  // namespace conformance
