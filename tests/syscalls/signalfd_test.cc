// signalfd/signalfd4: reading blocked signals as signalfd_siginfo records, masks, blocking and
// non-blocking reads, poll and epoll readiness, and the error paths.
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <thread>

#include "test_util.h"

namespace conformance {
namespace {

sigset_t Set(std::initializer_list<int> sigs) {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : sigs) sigaddset(&s, sig);
  return s;
}

// Each case runs in a child: it blocks signals for the whole process.
TEST(Signalfd, ReadsBlockedSignalsWithTheirSender) {
  EXPECT_CHILD_OK([] {
    sigset_t s = Set({SIGUSR1, SIGUSR2});
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &s, nullptr) == 0);
    int fd = signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
    struct signalfd_siginfo si[4];
    CHILD_CHECK_ERRNO(read(fd, si, sizeof si), EAGAIN);
    CHILD_CHECK(kill(getpid(), SIGUSR2) == 0);
    CHILD_CHECK(kill(getpid(), SIGUSR1) == 0);
    // Both in one read, lowest number first.
    CHILD_CHECK(read(fd, si, sizeof si) == 2 * static_cast<ssize_t>(sizeof si[0]));
    CHILD_CHECK(si[0].ssi_signo == SIGUSR1 && si[1].ssi_signo == SIGUSR2);
    CHILD_CHECK(si[0].ssi_code == SI_USER);
    CHILD_CHECK(si[0].ssi_pid == static_cast<uint32_t>(getpid()));
    CHILD_CHECK(si[0].ssi_uid == getuid());
    // Consumed: no longer pending.
    sigset_t pending;
    CHILD_CHECK(sigpending(&pending) == 0 && !sigismember(&pending, SIGUSR1));
    return 0;
  });
}

TEST(Signalfd, QueuedValueAndMaskChanges) {
  EXPECT_CHILD_OK([] {
    sigset_t both = Set({SIGUSR1, SIGRTMIN});
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &both, nullptr) == 0);
    sigset_t only_usr1 = Set({SIGUSR1});
    int fd = signalfd(-1, &only_usr1, SFD_NONBLOCK);
    CHILD_CHECK(fd >= 0);
    union sigval v;
    v.sival_int = 1234;
    CHILD_CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
    struct signalfd_siginfo si;
    CHILD_CHECK_ERRNO(read(fd, &si, sizeof si), EAGAIN);  // not in the mask
    // A new mask for the same FD.
    sigset_t rt = Set({SIGRTMIN});
    CHILD_CHECK(signalfd(fd, &rt, 0) == fd);
    CHILD_CHECK(read(fd, &si, sizeof si) == sizeof si);
    CHILD_CHECK(si.ssi_signo == static_cast<uint32_t>(SIGRTMIN));
    CHILD_CHECK(si.ssi_code == SI_QUEUE);
    CHILD_CHECK(si.ssi_int == 1234);
    return 0;
  });
}

TEST(Signalfd, BlockingReadWaitsForASignal) {
  EXPECT_CHILD_OK([] {
    sigset_t s = Set({SIGUSR1});
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &s, nullptr) == 0);
    int fd = signalfd(-1, &s, 0);
    CHILD_CHECK(fd >= 0);
    pid_t self = getpid();
    std::thread t([self] {
      usleep(50 * 1000);
      kill(self, SIGUSR1);
    });
    struct signalfd_siginfo si;
    CHILD_CHECK(read(fd, &si, sizeof si) == sizeof si);
    CHILD_CHECK(si.ssi_signo == SIGUSR1);
    t.join();
    return 0;
  });
}

TEST(Signalfd, PollAndEpollSeePendingSignals) {
  EXPECT_CHILD_OK([] {
    sigset_t s = Set({SIGUSR2});
    CHILD_CHECK(sigprocmask(SIG_BLOCK, &s, nullptr) == 0);
    int fd = signalfd(-1, &s, SFD_NONBLOCK);
    CHILD_CHECK(fd >= 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHILD_CHECK(poll(&p, 1, 0) == 0);
    int ep = epoll_create1(0);
    struct epoll_event e {};
    e.events = EPOLLIN;
    e.data.u64 = 5;
    CHILD_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) == 0);
    pid_t self = getpid();
    std::thread t([self] {
      usleep(50 * 1000);
      kill(self, SIGUSR2);
    });
    struct epoll_event got;
    CHILD_CHECK(epoll_wait(ep, &got, 1, 5000) == 1 && got.data.u64 == 5);
    t.join();
    CHILD_CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
    return 0;
  });
}

TEST(Signalfd, ErrorPaths) {
  sigset_t s = Set({SIGUSR1});
  EXPECT_ERRNO(EINVAL, syscall(SYS_signalfd4, -1, &s, 8, 0x1234));
  EXPECT_ERRNO(EINVAL, syscall(SYS_signalfd4, -1, &s, 4, 0));
  EXPECT_ERRNO(EFAULT, syscall(SYS_signalfd4, -1, BadPointer(), 8, 0));
  int p[2];
  ASSERT_EQ(0, pipe(p));
  EXPECT_ERRNO(EINVAL, signalfd(p[0], &s, 0));  // not a signalfd
  EXPECT_ERRNO(EBADF, signalfd(9999, &s, 0));
  close(p[0]);
  close(p[1]);
  int fd = signalfd(-1, &s, SFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  char small[8];
  EXPECT_ERRNO(EINVAL, read(fd, small, sizeof small));
  EXPECT_ERRNO(EINVAL, write(fd, small, sizeof small));
  close(fd);
}

}  // namespace
}  // namespace conformance
