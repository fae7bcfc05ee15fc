// epoll_create/epoll_create1, epoll_ctl, epoll_wait/epoll_pwait/epoll_pwait2: level, edge and
// one-shot triggering on pipes and eventfds, blocking waits, timeouts, signals, nesting, and
// the error paths.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <chrono>
#include <thread>

#include "test_util.h"

namespace conformance {
namespace {

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
      r = p[0];
      w = p[1];
    }
  }
  ~Pipe() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
  }
};

int Add(int ep, int fd, uint32_t events, uint64_t data) {
  struct epoll_event e {};
  e.events = events;
  e.data.u64 = data;
  return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

// The events of one epoll_wait (timeout ms).
std::vector<struct epoll_event> Wait(int ep, int timeout, int max = 8) {
  std::vector<struct epoll_event> ev(static_cast<size_t>(max));
  int n = epoll_wait(ep, ev.data(), max, timeout);
  ev.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return ev;
}

TEST(Epoll, CreateFlagsAndErrors) {
  EXPECT_ERRNO(EINVAL, epoll_create(0));
  EXPECT_ERRNO(EINVAL, epoll_create(-1));
  EXPECT_ERRNO(EINVAL, epoll_create1(0x1234));
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0) << strerror(errno);
  EXPECT_EQ(FD_CLOEXEC, fcntl(ep, F_GETFD));
  int ep2 = epoll_create(1);
  ASSERT_GE(ep2, 0);
  EXPECT_EQ(0, fcntl(ep2, F_GETFD));
  close(ep2);
  close(ep);
}

TEST(Epoll, CtlErrors) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  Pipe p;
  ASSERT_GE(p.r, 0);
  EXPECT_ERRNO(EBADF, Add(ep, 9999, EPOLLIN, 0));
  EXPECT_ERRNO(EBADF, Add(9999, p.r, EPOLLIN, 0));
  EXPECT_ERRNO(EINVAL, Add(ep, ep, EPOLLIN, 0));   // itself
  EXPECT_ERRNO(EINVAL, Add(p.w, p.r, EPOLLIN, 0));  // not an epoll FD
  // Regular files have no poll operation.
  TempDir dir;
  int reg = open(dir.Join("f").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(reg, 0);
  EXPECT_ERRNO(EPERM, Add(ep, reg, EPOLLIN, 0));
  close(reg);
  ASSERT_EQ(0, Add(ep, p.r, EPOLLIN, 1));
  EXPECT_ERRNO(EEXIST, Add(ep, p.r, EPOLLIN, 1));
  struct epoll_event e {};
  e.events = EPOLLIN;
  EXPECT_ERRNO(ENOENT, epoll_ctl(ep, EPOLL_CTL_MOD, p.w, &e));
  EXPECT_ERRNO(ENOENT, epoll_ctl(ep, EPOLL_CTL_DEL, p.w, nullptr));
  EXPECT_ERRNO(EINVAL, epoll_ctl(ep, 99, p.r, &e));
  EXPECT_ERRNO(EFAULT, epoll_ctl(ep, EPOLL_CTL_MOD, p.r, static_cast<struct epoll_event*>(BadPointer())));
  // EPOLLEXCLUSIVE only on ADD.
  e.events = EPOLLIN | EPOLLEXCLUSIVE;
  EXPECT_ERRNO(EINVAL, epoll_ctl(ep, EPOLL_CTL_MOD, p.r, &e));
  EXPECT_EQ(0, epoll_ctl(ep, EPOLL_CTL_DEL, p.r, nullptr));
  close(ep);
}

TEST(Epoll, WaitErrors) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  struct epoll_event ev[2];
  EXPECT_ERRNO(EINVAL, epoll_wait(ep, ev, 0, 0));
  EXPECT_ERRNO(EINVAL, epoll_wait(ep, ev, -1, 0));
  Pipe p;
  EXPECT_ERRNO(EINVAL, epoll_wait(p.r, ev, 2, 0));
  EXPECT_ERRNO(EBADF, epoll_wait(9999, ev, 2, 0));
  // A kernel-space address fails before anything else.
  EXPECT_ERRNO(EFAULT, epoll_wait(ep, reinterpret_cast<struct epoll_event*>(0xffff800000000000ull), 2, 0));
  close(ep);
}

TEST(Epoll, LevelTriggeredPipeReportsWhileReadable) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  Pipe p;
  ASSERT_EQ(0, Add(ep, p.r, EPOLLIN, 42));
  EXPECT_TRUE(Wait(ep, 0).empty());
  ASSERT_EQ(1, write(p.w, "x", 1));
  auto ev = Wait(ep, 0);
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(42u, ev[0].data.u64);
  EXPECT_TRUE(ev[0].events & EPOLLIN);
  EXPECT_EQ(1u, Wait(ep, 0).size());  // still readable: reported again
  char c;
  ASSERT_EQ(1, read(p.r, &c, 1));
  EXPECT_TRUE(Wait(ep, 0).empty());
  // The writer closing is a hang-up, reported without asking.
  close(p.w);
  p.w = -1;
  ev = Wait(ep, 0);
  ASSERT_EQ(1u, ev.size());
  EXPECT_TRUE(ev[0].events & EPOLLHUP);
  close(ep);
}

TEST(Epoll, EdgeTriggeredPipeReportsNewDataOnce) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  Pipe p;
  ASSERT_EQ(0, Add(ep, p.r, EPOLLIN | EPOLLET, 7));
  ASSERT_EQ(1, write(p.w, "a", 1));
  EXPECT_EQ(1u, Wait(ep, 0).size());
  EXPECT_TRUE(Wait(ep, 0).empty());  // no new edge
  ASSERT_EQ(1, write(p.w, "b", 1));
  EXPECT_EQ(1u, Wait(ep, 0).size());
  close(ep);
}

TEST(Epoll, OneShotIsDisabledUntilModified) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  Pipe p;
  ASSERT_EQ(0, Add(ep, p.r, EPOLLIN | EPOLLONESHOT, 1));
  ASSERT_EQ(1, write(p.w, "a", 1));
  EXPECT_EQ(1u, Wait(ep, 0).size());
  EXPECT_TRUE(Wait(ep, 0).empty());
  struct epoll_event e {};
  e.events = EPOLLIN | EPOLLONESHOT;
  e.data.u64 = 2;
  ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_MOD, p.r, &e));
  auto ev = Wait(ep, 0);
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(2u, ev[0].data.u64);
  close(ep);
}

TEST(Epoll, EventfdLevelEdgeAndOneShot) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int lt = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int et = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int os = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_EQ(0, Add(ep, lt, EPOLLIN, 1));
  ASSERT_EQ(0, Add(ep, et, EPOLLIN | EPOLLET, 2));
  ASSERT_EQ(0, Add(ep, os, EPOLLIN | EPOLLONESHOT, 3));
  EXPECT_TRUE(Wait(ep, 0).empty());
  uint64_t one = 1;
  for (int fd : {lt, et, os}) ASSERT_EQ(8, write(fd, &one, 8));
  EXPECT_EQ(3u, Wait(ep, 0).size());
  auto ev = Wait(ep, 0);
  ASSERT_EQ(1u, ev.size());  // only the level-triggered one again
  EXPECT_EQ(1u, ev[0].data.u64);
  ASSERT_EQ(8, write(et, &one, 8));  // a new edge
  EXPECT_EQ(2u, Wait(ep, 0).size());
  for (int fd : {lt, et, os}) close(fd);
  close(ep);
}

TEST(Epoll, BlockingWaitIsWokenByAnotherThread) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  Pipe p;
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ASSERT_EQ(0, Add(ep, p.r, EPOLLIN, 1));
  ASSERT_EQ(0, Add(ep, efd, EPOLLIN, 2));
  for (int which : {1, 2}) {
    std::thread t([&] {
      usleep(50 * 1000);
      uint64_t one = 1;
      if (which == 1) (void)!write(p.w, "x", 1);
      else (void)!write(efd, &one, 8);
    });
    auto ev = Wait(ep, 5000);
    t.join();
    ASSERT_EQ(1u, ev.size());
    EXPECT_EQ(static_cast<uint64_t>(which), ev[0].data.u64);
    char buf[8];
    (void)!read(which == 1 ? p.r : efd, buf, 8);
  }
  close(efd);
  close(ep);
}

TEST(Epoll, TimeoutExpires) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  Pipe p;
  ASSERT_EQ(0, Add(ep, p.r, EPOLLIN, 1));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(Wait(ep, 50).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
  // epoll_pwait2 takes a timespec; NULL would wait forever.
  struct timespec ts = {0, 20 * 1000 * 1000};
  struct epoll_event ev;
  EXPECT_EQ(0, syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, nullptr, 8));
  ts.tv_nsec = 1000000000;
  EXPECT_ERRNO(EINVAL, syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, nullptr, 8));
  close(ep);
}

void Nothing(int) {}

TEST(Epoll, SignalInterruptsWithEINTR) {
  EXPECT_CHILD_OK([] {
    struct sigaction sa {};
    sa.sa_handler = Nothing;
    sa.sa_flags = SA_RESTART;  // epoll_wait is never restarted
    CHILD_CHECK(sigaction(SIGUSR1, &sa, nullptr) == 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    pid_t self = getpid();
    pid_t waiter = static_cast<pid_t>(syscall(SYS_gettid));
    // To the waiting thread itself: which thread takes a process-directed signal is the
    // kernel's choice.
    std::thread t([self, waiter] {
      usleep(50 * 1000);
      syscall(SYS_tgkill, self, waiter, SIGUSR1);
    });
    struct epoll_event ev;
    CHILD_CHECK_ERRNO(epoll_wait(ep, &ev, 1, 5000), EINTR);
    t.join();
    // epoll_pwait with SIGUSR1 blocked for the call: a pending one does not interrupt it.
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, nullptr);
    kill(self, SIGUSR1);
    sigset_t during;
    sigemptyset(&during);
    sigaddset(&during, SIGUSR1);
    CHILD_CHECK(epoll_pwait(ep, &ev, 1, 20, &during) == 0);
    // And one that unblocks it is interrupted at once.
    sigset_t open;
    sigemptyset(&open);
    CHILD_CHECK_ERRNO(epoll_pwait(ep, &ev, 1, 5000, &open), EINTR);
    return 0;
  });
}

TEST(Epoll, NestedEpollPropagatesReadiness) {
  int outer = epoll_create1(EPOLL_CLOEXEC);
  int inner = epoll_create1(EPOLL_CLOEXEC);
  Pipe p;
  ASSERT_EQ(0, Add(inner, p.r, EPOLLIN, 1));
  ASSERT_EQ(0, Add(outer, inner, EPOLLIN, 2));
  EXPECT_TRUE(Wait(outer, 0).empty());
  struct pollfd pf = {inner, POLLIN, 0};
  EXPECT_EQ(0, poll(&pf, 1, 0));
  ASSERT_EQ(1, write(p.w, "x", 1));
  auto ev = Wait(outer, 1000);
  ASSERT_EQ(1u, ev.size());
  EXPECT_EQ(2u, ev[0].data.u64);
  EXPECT_EQ(1, poll(&pf, 1, 0));
  close(inner);
  close(outer);
}

TEST(Epoll, ClosingTheLastDescriptorRemovesTheInterest) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int fds[2];
  ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
  ASSERT_EQ(0, Add(ep, fds[0], EPOLLIN, 1));
  ASSERT_EQ(1, write(fds[1], "x", 1));
  close(fds[0]);
  EXPECT_TRUE(Wait(ep, 0).empty());
  // The number can be added again once it names another file.
  int again[2];
  ASSERT_EQ(0, pipe2(again, O_CLOEXEC));
  EXPECT_EQ(0, Add(ep, again[0], EPOLLIN, 3));
  close(again[0]);
  close(again[1]);
  close(fds[1]);
  close(ep);
}

}  // namespace
}  // namespace conformance
