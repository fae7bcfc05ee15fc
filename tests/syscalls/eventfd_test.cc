// eventfd/eventfd2 (counter and semaphore modes, overflow, blocking and non-blocking, poll)
// and timerfd_create/settime/gettime (relative and absolute, intervals, expiry counts).
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <thread>

#include "test_util.h"

namespace conformance {
namespace {

uint64_t ReadCounter(int fd) {
  uint64_t v = 0;
  EXPECT_EQ(8, read(fd, &v, 8)) << strerror(errno);
  return v;
}

bool Readable(int fd, int ms = 0) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

TEST(Eventfd, CounterAddsUpAndReadResetsIt) {
  int fd = eventfd(5, EFD_CLOEXEC | EFD_NONBLOCK);
  ASSERT_GE(fd, 0) << strerror(errno);
  uint64_t two = 2;
  ASSERT_EQ(8, write(fd, &two, 8));
  EXPECT_EQ(7u, ReadCounter(fd));
  uint64_t v;
  EXPECT_ERRNO(EAGAIN, read(fd, &v, 8));
  EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
  EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  close(fd);
}

TEST(Eventfd, SemaphoreModeCountsDownByOne) {
  int fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(1u, ReadCounter(fd));
  EXPECT_EQ(1u, ReadCounter(fd));
  EXPECT_EQ(1u, ReadCounter(fd));
  uint64_t v;
  EXPECT_ERRNO(EAGAIN, read(fd, &v, 8));
  close(fd);
}

TEST(Eventfd, BadSizesValuesAndFlags) {
  int fd = eventfd(0, EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  uint32_t small = 1;
  EXPECT_ERRNO(EINVAL, read(fd, &small, 4));
  EXPECT_ERRNO(EINVAL, write(fd, &small, 4));
  uint64_t max = UINT64_MAX;
  EXPECT_ERRNO(EINVAL, write(fd, &max, 8));
  // The counter saturates at UINT64_MAX - 1: adding more would block.
  uint64_t big = UINT64_MAX - 1;
  ASSERT_EQ(8, write(fd, &big, 8));
  uint64_t one = 1;
  EXPECT_ERRNO(EAGAIN, write(fd, &one, 8));
  EXPECT_ERRNO(EFAULT, read(fd, BadPointer(), 8));
  close(fd);
  EXPECT_ERRNO(EINVAL, syscall(SYS_eventfd2, 0, 0x40000000));
  EXPECT_ERRNO(EBADF, read(fd, &one, 8));
}

TEST(Eventfd, BlockingReadIsWokenByAWrite) {
  int fd = eventfd(0, 0);
  ASSERT_GE(fd, 0);
  std::thread writer([fd] {
    usleep(50 * 1000);
    uint64_t v = 9;
    (void)!write(fd, &v, 8);
  });
  EXPECT_EQ(9u, ReadCounter(fd));
  writer.join();
  close(fd);
}

TEST(Eventfd, PollSeesTheCounter) {
  int fd = eventfd(0, EFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(Readable(fd));
  struct pollfd p = {fd, POLLOUT, 0};
  EXPECT_EQ(1, poll(&p, 1, 0));
  uint64_t v = 1;
  ASSERT_EQ(8, write(fd, &v, 8));
  EXPECT_TRUE(Readable(fd));
  // The legacy eventfd(2) takes no flags.
  int legacy = static_cast<int>(syscall(SYS_eventfd, 4));
  ASSERT_GE(legacy, 0);
  EXPECT_TRUE(Readable(legacy));
  close(legacy);
  close(fd);
}

TEST(Timerfd, RelativeOneShotExpiresOnce) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  uint64_t n;
  EXPECT_ERRNO(EAGAIN, read(fd, &n, 8));  // disarmed
  // Long enough that it is still armed when read back, even on a busy machine.
  struct itimerspec its = {{0, 0}, {0, 300 * 1000 * 1000}};
  ASSERT_EQ(0, timerfd_settime(fd, 0, &its, nullptr));
  struct itimerspec cur;
  ASSERT_EQ(0, timerfd_gettime(fd, &cur));
  EXPECT_EQ(0, cur.it_value.tv_sec);
  EXPECT_GT(cur.it_value.tv_nsec, 0);
  EXPECT_TRUE(Readable(fd, 2000));
  EXPECT_EQ(1u, ReadCounter(fd));
  ASSERT_EQ(0, timerfd_gettime(fd, &cur));
  EXPECT_EQ(0, cur.it_value.tv_sec);
  EXPECT_EQ(0, cur.it_value.tv_nsec);
  close(fd);
}

TEST(Timerfd, IntervalCountsExpirationsAndBlockingReadWaits) {
  int fd = timerfd_create(CLOCK_MONOTONIC, 0);
  ASSERT_GE(fd, 0);
  struct itimerspec its = {{0, 10 * 1000 * 1000}, {0, 10 * 1000 * 1000}};
  ASSERT_EQ(0, timerfd_settime(fd, 0, &its, nullptr));
  uint64_t first = ReadCounter(fd);  // blocks until the first expiry
  EXPECT_GE(first, 1u);
  usleep(60 * 1000);
  EXPECT_GE(ReadCounter(fd), 3u);
  // Disarming returns the old setting.
  struct itimerspec off = {}, old;
  ASSERT_EQ(0, timerfd_settime(fd, 0, &off, &old));
  EXPECT_EQ(10 * 1000 * 1000, old.it_interval.tv_nsec);
  close(fd);
}

TEST(Timerfd, AbsoluteTimeInThePastFiresAtOnce) {
  int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct itimerspec its = {{0, 0}, {now.tv_sec - 10, 0}};
  ASSERT_EQ(0, timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, nullptr));
  EXPECT_TRUE(Readable(fd, 1000));
  EXPECT_EQ(1u, ReadCounter(fd));
  close(fd);
}

TEST(Timerfd, ErrorPaths) {
  EXPECT_ERRNO(EINVAL, timerfd_create(12345, 0));
  EXPECT_ERRNO(EINVAL, timerfd_create(CLOCK_MONOTONIC, 0x1234));
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  ASSERT_GE(fd, 0);
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};  // nsec out of range
  EXPECT_ERRNO(EINVAL, timerfd_settime(fd, 0, &bad, nullptr));
  EXPECT_ERRNO(EINVAL, timerfd_settime(fd, 0x100, &bad, nullptr));
  EXPECT_ERRNO(EFAULT, timerfd_settime(fd, 0, static_cast<struct itimerspec*>(BadPointer()), nullptr));
  EXPECT_ERRNO(EFAULT, timerfd_gettime(fd, static_cast<struct itimerspec*>(BadPointer())));
  uint32_t small;
  struct itimerspec its = {{0, 0}, {0, 1000}};
  ASSERT_EQ(0, timerfd_settime(fd, 0, &its, nullptr));
  usleep(5000);
  EXPECT_ERRNO(EINVAL, read(fd, &small, 4));
  // Not a timerfd.
  int p[2];
  ASSERT_EQ(0, pipe(p));
  EXPECT_ERRNO(EINVAL, timerfd_gettime(p[0], &its));
  close(p[0]);
  close(p[1]);
  close(fd);
  EXPECT_ERRNO(EBADF, timerfd_gettime(fd, &its));
}

}  // namespace
}  // namespace conformance
