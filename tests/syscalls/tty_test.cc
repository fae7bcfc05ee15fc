// Terminals: ptys from /dev/ptmx (TIOCGPTN, TIOCSPTLCK), data through the line discipline,
// termios and window size, ttyname, the controlling terminal (TIOCSCTTY, TIOCNOTTY, /dev/tty,
// TIOCGSID), the foreground process group (tcsetpgrp), SIGTTIN for background readers and
// SIGHUP when the session leader exits.
//
// Anything that depends on having (or not having) a controlling terminal runs in a child
// that first makes its own session, so the runner's terminal (if any) plays no part.
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include <functional>

#include "test_util.h"

namespace conformance {
namespace {

// A pty pair: master from /dev/ptmx, replica opened by name (O_NOCTTY unless asked).
struct Pty {
  int master = -1;
  int replica = -1;
  std::string name;
  explicit Pty(bool noctty = true) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return;
    if (grantpt(master) != 0 || unlockpt(master) != 0) return;
    char buf[64];
    if (ptsname_r(master, buf, sizeof buf) != 0) return;
    name = buf;
    replica = open(buf, O_RDWR | O_CLOEXEC | (noctty ? O_NOCTTY : 0));
  }
  ~Pty() {
    if (replica >= 0) close(replica);
    if (master >= 0) close(master);
  }
  bool ok() const { return master >= 0 && replica >= 0; }
};

// Reads what is available within `ms`, up to `max` bytes.
std::string ReadSome(int fd, int ms = 2000, size_t max = 256) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return "";
  char buf[512];
  ssize_t n = read(fd, buf, std::min(max, sizeof buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// Forks a member of the caller's session in a process group of its own (a
// background job), which runs `body` and exits with its result. Both sides
// set the group, so it is in place whichever runs first.
pid_t ForkBackground(const std::function<int()>& body) {
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    _exit(body());
  }
  setpgid(c, c);
  return c;
}

// The child side of a session leader that owns `pty.replica` as its controlling terminal.
#define BECOME_SESSION_LEADER_WITH(pty)                  \
  do {                                                   \
    CHILD_CHECK(setsid() == getpid());                   \
    CHILD_CHECK(ioctl((pty).replica, TIOCSCTTY, 0) == 0); \
  } while (0)

TEST(Tty, PtmxGivesNumberedUnlockablePty) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(m, 0) << strerror(errno);
  unsigned n = 12345;
  ASSERT_SYSCALL_OK(ioctl(m, TIOCGPTN, &n));
  EXPECT_NE(n, 12345u);
  char name[64];
  ASSERT_EQ(0, ptsname_r(m, name, sizeof name));
  EXPECT_EQ("/dev/pts/" + std::to_string(n), std::string(name));
  // Locked until TIOCSPTLCK(0): the replica cannot be opened.
  int lock = 1;
  ASSERT_SYSCALL_OK(ioctl(m, TIOCSPTLCK, &lock));
  EXPECT_ERRNO(EIO, open(name, O_RDWR | O_NOCTTY));
  lock = 0;
  ASSERT_SYSCALL_OK(ioctl(m, TIOCSPTLCK, &lock));
  int r = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  EXPECT_GE(r, 0) << strerror(errno);
  struct stat st;
  ASSERT_SYSCALL_OK(fstat(r, &st));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(136u, major(st.st_rdev));
  EXPECT_EQ(n, minor(st.st_rdev));
  close(r);
  close(m);
}

TEST(Tty, DataFlowsThroughTheLineDiscipline) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  // Canonical mode: the replica reads a whole line; the master sees the echo.
  ASSERT_EQ(3, write(pty.master, "hi\n", 3));
  EXPECT_EQ("hi\n", ReadSome(pty.replica));
  EXPECT_EQ("hi\r\n", ReadSome(pty.master));
  // Output processing: ONLCR turns \n into \r\n on the way out.
  ASSERT_EQ(3, write(pty.replica, "ok\n", 3));
  EXPECT_EQ("ok\r\n", ReadSome(pty.master));
}

TEST(Tty, TermiosRoundTripsAndTouchesOnlyTheKernelStruct) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  // TCGETS writes the kernel's 36-byte struct termios, never glibc's larger one.
  unsigned char buf[128];
  memset(buf, 0xa5, sizeof buf);
  ASSERT_SYSCALL_OK(ioctl(pty.replica, TCGETS, buf));
  for (size_t i = 36; i < sizeof buf; i++) ASSERT_EQ(0xa5, buf[i]) << "byte " << i << " written";

  struct termios t;
  ASSERT_SYSCALL_OK(tcgetattr(pty.replica, &t));
  EXPECT_TRUE(t.c_lflag & ICANON);
  cfmakeraw(&t);
  ASSERT_SYSCALL_OK(tcsetattr(pty.replica, TCSANOW, &t));
  struct termios back;
  ASSERT_SYSCALL_OK(tcgetattr(pty.replica, &back));
  EXPECT_FALSE(back.c_lflag & (ICANON | ECHO));
  EXPECT_FALSE(back.c_oflag & OPOST);
  // Raw: bytes pass at once, with no echo.
  ASSERT_EQ(2, write(pty.master, "ab", 2));
  EXPECT_EQ("ab", ReadSome(pty.replica));
  EXPECT_EQ("", ReadSome(pty.master, 100));
  EXPECT_EQ(0, tcflush(pty.replica, TCIOFLUSH)) << strerror(errno);
  EXPECT_EQ(0, tcdrain(pty.replica)) << strerror(errno);
  EXPECT_ERRNO(EFAULT, ioctl(pty.replica, TCGETS, BadPointer()));
  EXPECT_ERRNO(EFAULT, ioctl(pty.replica, TCSETS, BadPointer()));
}

TEST(Tty, WindowSizeSetOnTheMasterIsSeenOnTheReplica) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  struct winsize ws = {33, 101, 0, 0};
  ASSERT_SYSCALL_OK(ioctl(pty.master, TIOCSWINSZ, &ws));
  struct winsize got = {};
  ASSERT_SYSCALL_OK(ioctl(pty.replica, TIOCGWINSZ, &got));
  EXPECT_EQ(33, got.ws_row);
  EXPECT_EQ(101, got.ws_col);
}

TEST(Tty, IsattyAndTtyname) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_EQ(1, isatty(pty.replica));
  char name[64];
  ASSERT_EQ(0, ttyname_r(pty.replica, name, sizeof name));
  EXPECT_EQ(pty.name, std::string(name));
  int p[2];
  ASSERT_SYSCALL_OK(pipe2(p, O_CLOEXEC));
  errno = 0;
  EXPECT_EQ(0, isatty(p[0]));
  EXPECT_EQ(ENOTTY, errno);
  EXPECT_ERRNO(ENOTTY, ioctl(p[0], TIOCGPGRP, &name));
  close(p[0]);
  close(p[1]);
}

TEST(Tty, NewSessionHasNoControllingTerminal) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(setsid() == getpid());
    CHILD_CHECK_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
    int pg;
    CHILD_CHECK_ERRNO(ioctl(pty.replica, TIOCGPGRP, &pg), ENOTTY);
    CHILD_CHECK_ERRNO(ioctl(pty.replica, TIOCGSID, &pg), ENOTTY);
    CHILD_CHECK_ERRNO(ioctl(pty.replica, TIOCNOTTY), ENOTTY);
    return 0;
  });
}

TEST(Tty, SessionLeaderTakesAControllingTerminal) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    // Again on its own terminal: a no-op.
    CHILD_CHECK(ioctl(pty.replica, TIOCSCTTY, 0) == 0);
    CHILD_CHECK(tcgetpgrp(pty.replica) == getpgrp());
    CHILD_CHECK(tcgetsid(pty.replica) == getpid());
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(isatty(fd) == 1);
    // /dev/tty is the same terminal: what the master writes, it reads.
    CHILD_CHECK(write(pty.master, "x\n", 2) == 2);
    CHILD_CHECK(ReadSome(fd) == "x\n");
    close(fd);
    return 0;
  });
}

TEST(Tty, OnlyASessionLeaderWithoutATerminalMayTakeOne) {
  Pty pty, other;
  ASSERT_TRUE(pty.ok() && other.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    // Already has one.
    CHILD_CHECK_ERRNO(ioctl(other.replica, TIOCSCTTY, 0), EPERM);
    // A member of the session that is not its leader.
    pid_t c = fork();
    if (c == 0) {
      CHILD_CHECK_ERRNO(ioctl(other.replica, TIOCSCTTY, 0), EPERM);
      _exit(0);
    }
    int st;
    CHILD_CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
  });
}

TEST(Tty, AnotherSessionsTerminalCannotBeTaken) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  int ready[2], done[2];
  ASSERT_SYSCALL_OK(pipe2(ready, O_CLOEXEC));
  ASSERT_SYSCALL_OK(pipe2(done, O_CLOEXEC));
  pid_t owner = ForkChild([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    CHILD_CHECK(write(ready[1], "r", 1) == 1);
    char c;
    CHILD_CHECK(read(done[0], &c, 1) == 1);
    return 0;
  });
  char c;
  ASSERT_EQ(1, read(ready[0], &c, 1));
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(setsid() == getpid());
    // Without force (arg 0) even CAP_SYS_ADMIN does not steal it.
    CHILD_CHECK_ERRNO(ioctl(pty.replica, TIOCSCTTY, 0), EPERM);
    return 0;
  });
  ASSERT_EQ(1, write(done[1], "d", 1));
  EXPECT_EXITED(WaitStatus(owner), 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

TEST(Tty, ForegroundGroupMustBeInTheSession) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    // A member in a group of its own becomes the foreground, then the leader again.
    int go[2];
    CHILD_CHECK(pipe(go) == 0);
    pid_t c = fork();
    if (c == 0) {
      close(go[1]);
      char ch;
      (void)!read(go[0], &ch, 1);
      _exit(0);
    }
    close(go[0]);
    CHILD_CHECK(setpgid(c, c) == 0);
    CHILD_CHECK(tcsetpgrp(pty.replica, c) == 0);
    CHILD_CHECK(tcgetpgrp(pty.replica) == c);
    // Now in the background: setting the foreground again needs SIGTTOU ignored.
    signal(SIGTTOU, SIG_IGN);
    CHILD_CHECK(tcsetpgrp(pty.replica, getpgrp()) == 0);
    CHILD_CHECK(tcgetpgrp(pty.replica) == getpgrp());
    CHILD_CHECK_ERRNO(tcsetpgrp(pty.replica, 0x3fffffff), ESRCH);
    CHILD_CHECK_ERRNO(tcsetpgrp(pty.replica, -1), EINVAL);
    // The test runner's group is in another session.
    CHILD_CHECK_ERRNO(tcsetpgrp(pty.replica, getpgid(getppid())), EPERM);
    CHILD_CHECK_ERRNO(ioctl(pty.replica, TIOCSPGRP, BadPointer()), EFAULT);
    close(go[1]);
    int st;
    CHILD_CHECK(waitpid(c, &st, 0) == c);
    return 0;
  });
}

TEST(Tty, BackgroundReaderIsStoppedBySIGTTIN) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    pid_t c = ForkBackground([&] {
      char ch;
      (void)!read(pty.replica, &ch, 1);
      return 3;
    });
    int st;
    CHILD_CHECK(waitpid(c, &st, WUNTRACED) == c);
    CHILD_CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
    kill(c, SIGKILL);
    CHILD_CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st));
    return 0;
  });
}

TEST(Tty, BackgroundReaderIgnoringSIGTTINGetsEIO) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    pid_t c = ForkBackground([&] {
      signal(SIGTTIN, SIG_IGN);
      char ch;
      CHILD_CHECK_ERRNO(read(pty.replica, &ch, 1), EIO);
      return 0;
    });
    int st;
    CHILD_CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
  });
}

TEST(Tty, BackgroundWriterIsStoppedOnlyUnderTOSTOP) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    // Without TOSTOP a background process writes freely.
    pid_t c = ForkBackground([&] { return write(pty.replica, "bg\n", 3) == 3 ? 0 : 1; });
    int st;
    CHILD_CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct termios t;
    CHILD_CHECK(tcgetattr(pty.replica, &t) == 0);
    t.c_lflag |= TOSTOP;
    CHILD_CHECK(tcsetattr(pty.replica, TCSANOW, &t) == 0);
    c = ForkBackground([&] {
      (void)!write(pty.replica, "bg\n", 3);
      return 3;
    });
    CHILD_CHECK(waitpid(c, &st, WUNTRACED) == c);
    CHILD_CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU);
    kill(c, SIGKILL);
    CHILD_CHECK(waitpid(c, &st, 0) == c);
    // Ignoring SIGTTOU lets it write.
    c = ForkBackground([&] {
      signal(SIGTTOU, SIG_IGN);
      return write(pty.replica, "ok\n", 3) == 3 ? 0 : 1;
    });
    CHILD_CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
  });
}

TEST(Tty, SessionLeaderExitHangsUpTheForeground) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  int report[2];
  ASSERT_SYSCALL_OK(pipe2(report, O_CLOEXEC));
  EXPECT_CHILD_OK([&] {
    BECOME_SESSION_LEADER_WITH(pty);
    int ready[2];
    CHILD_CHECK(pipe(ready) == 0);
    pid_t c = fork();
    if (c == 0) {
      // In the leader's (foreground) group: SIGHUP comes when the leader exits.
      sigset_t hup;
      sigemptyset(&hup);
      sigaddset(&hup, SIGHUP);
      sigprocmask(SIG_BLOCK, &hup, nullptr);
      close(ready[1]);
      int sig = 0;
      sigwait(&hup, &sig);
      (void)!write(report[1], "H", 1);
      _exit(0);
    }
    close(ready[1]);
    char ch;
    (void)!read(ready[0], &ch, 1);  // EOF: the child has blocked SIGHUP
    return 0;
  });
  close(report[1]);
  EXPECT_EQ("H", ReadSome(report[0], 5000, 1));
  close(report[0]);
}

TEST(Tty, ReplicaHangsUpOnceTheMasterIsClosed) {
  Pty pty;
  ASSERT_TRUE(pty.ok()) << strerror(errno);
  close(pty.master);
  pty.master = -1;
  struct pollfd p = {pty.replica, POLLIN, 0};
  ASSERT_EQ(1, poll(&p, 1, 1000));
  EXPECT_TRUE(p.revents & POLLHUP);
  char ch;
  EXPECT_EQ(0, read(pty.replica, &ch, 1));  // end of file
}

}  // namespace
}  // namespace conformance
