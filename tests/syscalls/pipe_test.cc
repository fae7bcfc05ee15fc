// pipe and pipe2: data flow, EOF, EPIPE/SIGPIPE, O_NONBLOCK, capacity, PIPE_BUF atomicity,
// flags, errors.
#include <climits>
#include <pthread.h>

#include "test_util.h"

namespace conformance {
namespace {

struct Pipe {
  int r = -1, w = -1;
  explicit Pipe(int flags = 0) {
    int p[2];
    if (pipe2(p, flags | O_CLOEXEC) == 0) {
      r = p[0];
      w = p[1];
    }
  }
  ~Pipe() {
    CloseR();
    CloseW();
  }
  void CloseR() {
    if (r >= 0) close(r);
    r = -1;
  }
  void CloseW() {
    if (w >= 0) close(w);
    w = -1;
  }
};

TEST(Pipe, WriteThenRead) {
  Pipe p;
  ASSERT_GE(p.r, 0);
  EXPECT_EQ(write(p.w, "hello", 5), 5);
  char buf[16] = {};
  // A read returns what is available, even when asked for more.
  EXPECT_EQ(read(p.r, buf, sizeof buf), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(write(p.w, "ab", 2), 2);
  EXPECT_EQ(write(p.w, "cd", 2), 2);
  EXPECT_EQ(read(p.r, buf, 3), 3);  // data is a byte stream: writes are not boundaries
  EXPECT_EQ(std::string(buf, 3), "abc");
  EXPECT_EQ(read(p.r, buf, 3), 1);
}

TEST(Pipe, EofWhenAllWritersClosed) {
  Pipe p;
  int w2 = dup(p.w);
  ASSERT_EQ(write(p.w, "x", 1), 1);
  p.CloseW();
  char c;
  EXPECT_EQ(read(p.r, &c, 1), 1);
  // One writer remains: the pipe is empty but not at EOF (non-blocking read to observe).
  ASSERT_EQ(fcntl(p.r, F_SETFL, O_NONBLOCK), 0);
  EXPECT_ERRNO(EAGAIN, read(p.r, &c, 1));
  close(w2);
  EXPECT_EQ(read(p.r, &c, 1), 0);
  EXPECT_EQ(read(p.r, &c, 1), 0);
}

TEST(Pipe, EofAfterWriterProcessExits) {
  Pipe p;
  pid_t pid = ForkChild([&] {
    close(p.r);
    CHILD_CHECK(write(p.w, "from child", 10) == 10);
    return 0;
  });
  p.CloseW();
  EXPECT_EQ(ReadAll(p.r), "from child");
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(Pipe, EpipeAndSigpipeWhenNoReaders) {
  ScopedSigmask block(SIG_BLOCK, {SIGPIPE});
  DrainSignal(SIGPIPE);
  Pipe p;
  p.CloseR();
  EXPECT_ERRNO(EPIPE, write(p.w, "x", 1));
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_TRUE(sigismember(&pending, SIGPIPE));
  // SIGPIPE is sent to the writing thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  siginfo_t si = {};
  struct timespec zero = {0, 0};
  ASSERT_EQ(sigtimedwait(&set, &si, &zero), SIGPIPE);
  EXPECT_EQ(si.si_code, SI_USER);
  EXPECT_EQ(si.si_pid, getpid());
}

TEST(Pipe, SigpipeKillsByDefault) {
  Pipe p;
  p.CloseR();  // no reader anywhere
  int st = RunInChild([&] {
    signal(SIGPIPE, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    write(p.w, "x", 1);
    return 0;
  });
  EXPECT_SIGNALED(st, SIGPIPE);
}

TEST(Pipe, IgnoredSigpipeGivesJustEpipe) {
  EXPECT_CHILD_OK([] {
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    CHILD_CHECK(pipe(p) == 0);
    close(p[0]);
    CHILD_CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
    return 0;
  });
}

TEST(Pipe, NonblockingEmptyAndFull) {
  Pipe p(O_NONBLOCK);
  char buf[4096];
  EXPECT_ERRNO(EAGAIN, read(p.r, buf, 1));
  memset(buf, 'f', sizeof buf);
  long total = 0;
  for (;;) {
    ssize_t n = write(p.w, buf, sizeof buf);
    if (n < 0) {
      EXPECT_EQ(errno, EAGAIN);
      break;
    }
    total += n;
    ASSERT_LT(total, 64l << 20) << "pipe never filled";
  }
  long cap = fcntl(p.w, F_GETPIPE_SZ);
  EXPECT_EQ(total, cap);
  EXPECT_ERRNO(EAGAIN, write(p.w, "x", 1));
  // Draining makes room again.
  long drained = 0;
  ssize_t n;
  while ((n = read(p.r, buf, sizeof buf)) > 0) drained += n;
  EXPECT_EQ(drained, total);
  EXPECT_EQ(write(p.w, "x", 1), 1);
}

TEST(Pipe, DefaultCapacityAndSetPipeSize) {
  Pipe p;
  EXPECT_EQ(fcntl(p.w, F_GETPIPE_SZ), 65536);
  EXPECT_EQ(fcntl(p.r, F_GETPIPE_SZ), 65536);  // either end
  EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, 8192), 8192);
  EXPECT_EQ(fcntl(p.w, F_GETPIPE_SZ), 8192);
  // Rounded up to a power-of-two number of pages.
  EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, 3 * 4096), 16384);
  // Not below the data already in it.
  char buf[16384] = {};
  ASSERT_EQ(write(p.w, buf, sizeof buf), (ssize_t)sizeof buf);
  EXPECT_ERRNO(EBUSY, fcntl(p.w, F_SETPIPE_SZ, 4096));
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_ERRNO(EBADF, fcntl(fd, F_GETPIPE_SZ));
  close(fd);
}

TEST(Pipe, WritesUpToPipeBufAreAtomic) {
  // Two writers each write 200 blocks of PIPE_BUF bytes of their own letter; the reader
  // must never see a block mixing letters.
  Pipe p;
  auto writer = [&](char letter) {
    return ForkChild([&p, letter] {
      close(p.r);
      char block[PIPE_BUF];
      memset(block, letter, sizeof block);
      for (int i = 0; i < 200; i++) CHILD_CHECK(write(p.w, block, sizeof block) == PIPE_BUF);
      return 0;
    });
  };
  pid_t a = writer('a');
  pid_t b = writer('b');
  p.CloseW();
  std::string all = ReadAll(p.r);
  EXPECT_EXITED(WaitStatus(a), 0);
  EXPECT_EXITED(WaitStatus(b), 0);
  ASSERT_EQ(all.size(), 2u * 200 * PIPE_BUF);
  int mixed = 0;
  for (size_t off = 0; off < all.size(); off += PIPE_BUF) {
    std::string block = all.substr(off, PIPE_BUF);
    if (block.find_first_not_of(block[0]) != std::string::npos) mixed++;
  }
  EXPECT_EQ(mixed, 0);
}

TEST(Pipe, BlockingReadWokenByWriterThread) {
  Pipe p;
  pthread_t t;
  int wfd = p.w;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void* arg) -> void* {
                  struct timespec ts = {0, 20 * 1000 * 1000};
                  nanosleep(&ts, nullptr);
                  write(*static_cast<int*>(arg), "late", 4);
                  return nullptr;
                },
                &wfd),
            0);
  char buf[8] = {};
  EXPECT_EQ(read(p.r, buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "late");
  pthread_join(t, nullptr);
}

TEST(Pipe, LargeBlockingWriteCompletesAsReaderDrains) {
  Pipe p;
  constexpr size_t kSize = 1 << 20;  // much more than the capacity
  pid_t pid = ForkChild([&] {
    close(p.r);
    std::string data(kSize, 'L');
    // A blocking write of any size completes in full (possibly in pieces internally).
    return write(p.w, data.data(), data.size()) == (ssize_t)kSize ? 0 : 1;
  });
  p.CloseW();
  std::string got = ReadAll(p.r);
  EXPECT_EQ(got.size(), kSize);
  EXPECT_EQ(got.find_first_not_of('L'), std::string::npos);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(Pipe2, Flags) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  for (int fd : p) {
    EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
    EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  }
  EXPECT_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
  close(p[0]);
  close(p[1]);
  ASSERT_EQ(pipe2(p, 0), 0);
  EXPECT_EQ(fcntl(p[0], F_GETFD), 0);
  EXPECT_FALSE(fcntl(p[1], F_GETFL) & O_NONBLOCK);
  close(p[0]);
  close(p[1]);
  EXPECT_ERRNO(EINVAL, pipe2(p, O_RDWR | O_APPEND));
  EXPECT_ERRNO(EINVAL, pipe2(p, 0x12345678));
}

TEST(Pipe, Errors) {
  EXPECT_ERRNO(EFAULT, syscall(SYS_pipe, BadPointer()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_pipe2, UnmappedAddress(), 0));
  Pipe p;
  char c = 'x';
  EXPECT_ERRNO(EBADF, write(p.r, &c, 1));
  EXPECT_ERRNO(EBADF, read(p.w, &c, 1));
  EXPECT_ERRNO(ESPIPE, lseek(p.r, 0, SEEK_SET));
  EXPECT_ERRNO(ESPIPE, pread(p.r, &c, 1, 0));
  EXPECT_ERRNO(ESPIPE, pwrite(p.w, &c, 1, 0));
  struct stat st;
  ASSERT_EQ(fstat(p.r, &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(Pipe, ZeroLengthOperations) {
  Pipe p;
  // A zero-length read returns 0 immediately (without blocking) on an empty pipe.
  char c;
  EXPECT_EQ(read(p.r, &c, 0), 0);
  EXPECT_EQ(write(p.w, &c, 0), 0);
  ASSERT_EQ(fcntl(p.r, F_SETFL, O_NONBLOCK), 0);
  EXPECT_ERRNO(EAGAIN, read(p.r, &c, 1));  // the empty write put nothing in
}

}  // namespace
}  // namespace conformance
