// kill, tgkill, tkill, rt_sigqueueinfo/sigqueue, SIGCHLD, signals to threads.
#include <atomic>
#include <climits>
#include <pthread.h>

#include "test_util.h"

namespace conformance {
namespace {

pid_t Gettid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

std::atomic<int> g_count{0};
std::atomic<pid_t> g_handler_tid{0};
void CountHandler(int) { g_count++; }
void RecordTid(int) { g_handler_tid = Gettid(); }

// A child that waits in pause() forever; killed by the test.
pid_t PausingChild() {
  return ForkChild([] {
    for (;;) pause();
    return 0;
  });
}

TEST(Kill, SignalZeroChecksExistence) {
  EXPECT_EQ(kill(getpid(), 0), 0);
  EXPECT_ERRNO(ESRCH, kill(INT_MAX, 0));
  pid_t pid = PausingChild();
  EXPECT_EQ(kill(pid, 0), 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_SIGNALED(WaitStatus(pid), SIGKILL);
  EXPECT_ERRNO(ESRCH, kill(pid, 0));
}

TEST(Kill, InvalidSignalEINVAL) {
  EXPECT_ERRNO(EINVAL, kill(getpid(), 65));
  EXPECT_ERRNO(EINVAL, kill(getpid(), -1));
  EXPECT_ERRNO(EINVAL, kill(getpid(), 1000));
}

TEST(Kill, TerminatesChild) {
  pid_t pid = PausingChild();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_SIGNALED(WaitStatus(pid), SIGTERM);
}

TEST(Kill, ProcessGroup) {
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t a = ForkChild([&] {
    setpgid(0, 0);
    CHILD_CHECK(write(ready[1], "a", 1) == 1);
    for (;;) pause();
    return 0;
  });
  setpgid(a, a);
  pid_t b = ForkChild([&] {
    setpgid(0, a);
    CHILD_CHECK(write(ready[1], "b", 1) == 1);
    for (;;) pause();
    return 0;
  });
  setpgid(b, a);
  pid_t bystander = PausingChild();
  char buf[2];
  ASSERT_EQ(read(ready[0], buf, 1), 1);
  ASSERT_EQ(read(ready[0], buf + 1, 1), 1);
  ASSERT_EQ(getpgid(b), a);
  ASSERT_EQ(kill(-a, SIGUSR2), 0);
  EXPECT_SIGNALED(WaitStatus(a), SIGUSR2);
  EXPECT_SIGNALED(WaitStatus(b), SIGUSR2);
  // The bystander (our own group) was not hit.
  EXPECT_EQ(waitpid(bystander, nullptr, WNOHANG), 0);
  kill(bystander, SIGKILL);
  EXPECT_SIGNALED(WaitStatus(bystander), SIGKILL);
  EXPECT_ERRNO(ESRCH, kill(-a, 0));
  close(ready[0]);
  close(ready[1]);
}

TEST(Kill, SelfWithHandler) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  g_count = 0;
  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  // A signal a process sends to itself while unblocked is delivered before kill returns.
  EXPECT_EQ(g_count.load(), 1);
}

struct Waiter {
  pthread_t thread;
  std::atomic<pid_t> tid{0};
  std::atomic<bool> stop{false};
  static void* Run(void* arg) {
    auto* w = static_cast<Waiter*>(arg);
    w->tid = Gettid();
    while (!w->stop) {
      struct timespec ts = {0, 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
    return nullptr;
  }
  Waiter() {
    pthread_create(&thread, nullptr, Run, this);
    while (tid == 0) sched_yield();
  }
  ~Waiter() {
    stop = true;
    pthread_join(thread, nullptr);
  }
};

TEST(Tgkill, TargetsSpecificThread) {
  ScopedSigaction sa(SIGUSR1, RecordTid);
  Waiter w;
  g_handler_tid = 0;
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), w.tid.load(), SIGUSR1), 0);
  for (int i = 0; i < 10000 && g_handler_tid == 0; i++) {
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  EXPECT_EQ(g_handler_tid.load(), w.tid.load());
  g_handler_tid = 0;
  ASSERT_EQ(syscall(SYS_tgkill, getpid(), Gettid(), SIGUSR1), 0);
  EXPECT_EQ(g_handler_tid.load(), Gettid());
}

TEST(Tgkill, Errors) {
  Waiter w;
  EXPECT_ERRNO(EINVAL, syscall(SYS_tgkill, getpid(), w.tid.load(), 65));
  EXPECT_ERRNO(EINVAL, syscall(SYS_tgkill, 0, w.tid.load(), 0));
  EXPECT_ERRNO(EINVAL, syscall(SYS_tgkill, getpid(), 0, 0));
  EXPECT_ERRNO(EINVAL, syscall(SYS_tgkill, getpid(), -5, 0));
  EXPECT_ERRNO(ESRCH, syscall(SYS_tgkill, getpid(), INT_MAX, 0));
  // A real thread, but not of the named thread group.
  pid_t child = PausingChild();
  EXPECT_ERRNO(ESRCH, syscall(SYS_tgkill, child, w.tid.load(), 0));
  EXPECT_EQ(syscall(SYS_tgkill, getpid(), w.tid.load(), 0), 0);
  kill(child, SIGKILL);
  EXPECT_SIGNALED(WaitStatus(child), SIGKILL);
}

TEST(Tkill, SelfAndErrors) {
  ScopedSigaction sa(SIGUSR1, RecordTid);
  g_handler_tid = 0;
  ASSERT_EQ(syscall(SYS_tkill, Gettid(), SIGUSR1), 0);
  EXPECT_EQ(g_handler_tid.load(), Gettid());
  EXPECT_ERRNO(EINVAL, syscall(SYS_tkill, 0, SIGUSR1));
  EXPECT_ERRNO(EINVAL, syscall(SYS_tkill, Gettid(), 100));
  EXPECT_ERRNO(ESRCH, syscall(SYS_tkill, INT_MAX, 0));
}

siginfo_t g_info;
void RecordInfo(int, siginfo_t* si, void*) { g_info = *si; }

TEST(Sigqueue, RtSigqueueinfoToSelf) {
  ScopedSigaction sa(SIGUSR2, RecordInfo);
  siginfo_t si = {};
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  si.si_pid = getpid();
  si.si_uid = getuid();
  si.si_value.sival_int = -77;
  memset(&g_info, 0, sizeof g_info);
  ASSERT_EQ(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, &si), 0);
  EXPECT_EQ(g_info.si_code, SI_QUEUE);
  EXPECT_EQ(g_info.si_value.sival_int, -77);
  EXPECT_ERRNO(EFAULT, syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, BadPointer()));
}

TEST(Sigqueue, ForgedKernelCodeToOtherProcessEPERM) {
  // Userspace may not pretend to be the kernel (si_code >= 0) towards another process.
  pid_t child = PausingChild();
  siginfo_t si = {};
  si.si_signo = SIGUSR1;
  si.si_code = SI_USER;
  EXPECT_ERRNO(EPERM, syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &si));
  si.si_code = SI_TKILL;
  EXPECT_ERRNO(EPERM, syscall(SYS_rt_sigqueueinfo, child, SIGUSR1, &si));
  EXPECT_EQ(waitpid(child, nullptr, WNOHANG), 0);  // nothing was delivered
  kill(child, SIGKILL);
  EXPECT_SIGNALED(WaitStatus(child), SIGKILL);
}

TEST(Sigqueue, ValueReachesChild) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  static int wfd;
  wfd = p[1];
  ScopedSigmask block(SIG_BLOCK, {SIGRTMIN});
  pid_t child = ForkChild([] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    siginfo_t si;
    CHILD_CHECK(sigwaitinfo(&set, &si) == SIGRTMIN);
    int v = si.si_value.sival_int;
    CHILD_CHECK(si.si_code == SI_QUEUE);
    CHILD_CHECK(si.si_pid == getppid());
    CHILD_CHECK(write(wfd, &v, sizeof v) == sizeof v);
    return 0;
  });
  union sigval v;
  v.sival_int = 31337;
  ASSERT_EQ(sigqueue(child, SIGRTMIN, v), 0);
  int got = 0;
  ASSERT_EQ(read(p[0], &got, sizeof got), (ssize_t)sizeof got);
  EXPECT_EQ(got, 31337);
  EXPECT_EXITED(WaitStatus(child), 0);
  close(p[0]);
  close(p[1]);
}

TEST(Sigchld, SentToParentOnExitWithSiginfo) {
  ScopedSigmask block(SIG_BLOCK, {SIGCHLD});
  DrainSignal(SIGCHLD);
  pid_t child = ForkChild([] { return 7; });
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  siginfo_t si = {};
  struct timespec ts = {30, 0};
  ASSERT_EQ(sigtimedwait(&set, &si, &ts), SIGCHLD);
  EXPECT_EQ(si.si_code, CLD_EXITED);
  EXPECT_EQ(si.si_pid, child);
  EXPECT_EQ(si.si_status, 7);
  EXPECT_EQ(si.si_uid, getuid());
  EXPECT_EXITED(WaitStatus(child), 7);
}

TEST(Sigchld, KilledChildReportsSignal) {
  ScopedSigmask block(SIG_BLOCK, {SIGCHLD});
  DrainSignal(SIGCHLD);
  pid_t child = PausingChild();
  ASSERT_EQ(kill(child, SIGKILL), 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  siginfo_t si = {};
  struct timespec ts = {30, 0};
  ASSERT_EQ(sigtimedwait(&set, &si, &ts), SIGCHLD);
  EXPECT_EQ(si.si_code, CLD_KILLED);
  EXPECT_EQ(si.si_status, SIGKILL);
  EXPECT_EQ(si.si_pid, child);
  EXPECT_SIGNALED(WaitStatus(child), SIGKILL);
}

TEST(Sigchld, IgnoredSigchldMeansNoZombies) {
  // With SIGCHLD explicitly ignored, children are reaped automatically and wait fails with
  // ECHILD once they are gone.
  EXPECT_CHILD_OK([] {
    signal(SIGCHLD, SIG_IGN);
    pid_t g = fork();
    if (g == 0) _exit(0);
    int st;
    // Blocks until the child is gone, then reports that there is no child.
    pid_t r = waitpid(g, &st, 0);
    CHILD_CHECK(r == -1 && errno == ECHILD);
    return 0;
  });
}

TEST(Kill, ProcessDirectedSignalReachesSomeThread) {
  // kill() to a multi-threaded process whose main thread blocks the signal is delivered to
  // a thread that does not.
  ScopedSigaction sa(SIGUSR1, RecordTid);
  g_handler_tid = 0;
  pid_t waiter_tid;
  {
    ScopedSigmask block(SIG_BLOCK, {SIGUSR1});
    // The waiter is created with SIGUSR1 blocked too; it unblocks in its own thread.
    struct Unblocker {
      pthread_t t;
      std::atomic<pid_t> tid{0};
      std::atomic<bool> stop{false};
    } u;
    pthread_create(
        &u.t, nullptr,
        [](void* arg) -> void* {
          auto* u = static_cast<Unblocker*>(arg);
          sigset_t set;
          sigemptyset(&set);
          sigaddset(&set, SIGUSR1);
          pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
          u->tid = Gettid();
          while (!u->stop) {
            struct timespec ts = {0, 1000 * 1000};
            nanosleep(&ts, nullptr);
          }
          return nullptr;
        },
        &u);
    while (u.tid == 0) sched_yield();
    waiter_tid = u.tid;
    ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
    for (int i = 0; i < 10000 && g_handler_tid == 0; i++) {
      struct timespec ts = {0, 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
    u.stop = true;
    pthread_join(u.t, nullptr);
  }
  EXPECT_EQ(g_handler_tid.load(), waiter_tid);
}

}  // namespace
}  // namespace conformance
