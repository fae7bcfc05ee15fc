// fcntl record locks: F_SETLK/F_SETLKW/F_GETLK (owned by the process, dropped when it closes
// any FD of the file) and F_OFD_SETLK/F_OFD_SETLKW/F_OFD_GETLK (owned by the open file
// description): conflicts between processes, ranges, splitting, blocking, and errors.

#include "test_util.h"

namespace conformance {
namespace {

struct LockFile {
  TempDir dir;
  std::string path = dir.Join("lock");
  int Open(int flags = O_RDWR) { return open(path.c_str(), flags | O_CREAT | O_CLOEXEC, 0600); }
};

struct flock Range(short type, off_t start, off_t len, short whence = SEEK_SET) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = whence;
  fl.l_start = start;
  fl.l_len = len;
  return fl;
}

// In a child (another process): the lock F_GETLK reports for [start, start+len).
struct flock Probe(const std::string& path, short type, off_t start, off_t len, int cmd = F_GETLK) {
  int p[2];
  if (pipe(p) != 0) return {};
  pid_t c = fork();
  if (c == 0) {
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    struct flock fl = Range(type, start, len);
    if (fd < 0 || fcntl(fd, cmd, &fl) != 0) fl.l_type = -1;
    (void)!write(p[1], &fl, sizeof fl);
    _exit(0);
  }
  struct flock fl {};
  (void)!read(p[0], &fl, sizeof fl);
  close(p[0]);
  close(p[1]);
  waitpid(c, nullptr, 0);
  return fl;
}

TEST(RecordLock, AnotherProcessSeesTheConflict) {
  LockFile lf;
  int fd = lf.Open();
  ASSERT_GE(fd, 0);
  struct flock fl = Range(F_WRLCK, 10, 20);
  ASSERT_EQ(0, fcntl(fd, F_SETLK, &fl));
  struct flock got = Probe(lf.path, F_RDLCK, 0, 100);
  EXPECT_EQ(F_WRLCK, got.l_type);
  EXPECT_EQ(10, got.l_start);
  EXPECT_EQ(20, got.l_len);
  EXPECT_EQ(getpid(), got.l_pid);
  // Outside the range: free.
  EXPECT_EQ(F_UNLCK, Probe(lf.path, F_WRLCK, 30, 10).l_type);
  // Our own lock never conflicts with us.
  struct flock mine = Range(F_WRLCK, 0, 0);
  ASSERT_EQ(0, fcntl(fd, F_GETLK, &mine));
  EXPECT_EQ(F_UNLCK, mine.l_type);
  close(fd);
}

TEST(RecordLock, ReadLocksShareWriteLocksDoNot) {
  LockFile lf;
  int fd = lf.Open();
  struct flock rd = Range(F_RDLCK, 0, 0);
  ASSERT_EQ(0, fcntl(fd, F_SETLK, &rd));
  EXPECT_EQ(F_UNLCK, Probe(lf.path, F_RDLCK, 0, 0).l_type);
  EXPECT_EQ(F_RDLCK, Probe(lf.path, F_WRLCK, 5, 1).l_type);
  // F_SETLK from another process fails at once.
  EXPECT_EQ(-1, Probe(lf.path, F_WRLCK, 0, 1, F_SETLK).l_type);
  close(fd);
}

TEST(RecordLock, UnlockingTheMiddleSplitsTheLock) {
  LockFile lf;
  int fd = lf.Open();
  struct flock fl = Range(F_WRLCK, 0, 100);
  ASSERT_EQ(0, fcntl(fd, F_SETLK, &fl));
  struct flock un = Range(F_UNLCK, 40, 20);
  ASSERT_EQ(0, fcntl(fd, F_SETLK, &un));
  EXPECT_EQ(F_UNLCK, Probe(lf.path, F_WRLCK, 40, 20).l_type);
  struct flock left = Probe(lf.path, F_WRLCK, 0, 41);
  EXPECT_EQ(F_WRLCK, left.l_type);
  EXPECT_EQ(0, left.l_start);
  EXPECT_EQ(40, left.l_len);
  struct flock right = Probe(lf.path, F_WRLCK, 59, 100);
  EXPECT_EQ(60, right.l_start);
  EXPECT_EQ(40, right.l_len);
  close(fd);
}

TEST(RecordLock, ClosingAnyDescriptorOfTheFileDropsTheProcessLocks) {
  LockFile lf;
  int a = lf.Open(), b = lf.Open();
  struct flock fl = Range(F_WRLCK, 0, 0);
  ASSERT_EQ(0, fcntl(a, F_SETLK, &fl));
  EXPECT_EQ(F_WRLCK, Probe(lf.path, F_WRLCK, 0, 1).l_type);
  close(b);  // another FD of the same file
  EXPECT_EQ(F_UNLCK, Probe(lf.path, F_WRLCK, 0, 1).l_type);
  close(a);
}

TEST(RecordLock, OfdLocksBelongToTheDescription) {
  LockFile lf;
  int a = lf.Open(), b = lf.Open();
  struct flock fl = Range(F_WRLCK, 0, 10);
  ASSERT_EQ(0, fcntl(a, F_OFD_SETLK, &fl));
  // Another description in the same process conflicts.
  struct flock other = Range(F_WRLCK, 5, 1);
  EXPECT_ERRNO(EAGAIN, fcntl(b, F_OFD_SETLK, &other));
  struct flock probe = Range(F_RDLCK, 0, 0);
  ASSERT_EQ(0, fcntl(b, F_OFD_GETLK, &probe));
  EXPECT_EQ(F_WRLCK, probe.l_type);
  EXPECT_EQ(-1, probe.l_pid);
  // Closing b does not drop a's OFD lock; closing a does.
  close(b);
  EXPECT_EQ(F_WRLCK, Probe(lf.path, F_WRLCK, 0, 1).l_type);
  close(a);
  EXPECT_EQ(F_UNLCK, Probe(lf.path, F_WRLCK, 0, 1).l_type);
}

TEST(RecordLock, SetlkwWaitsForTheRelease) {
  LockFile lf;
  int fd = lf.Open();
  struct flock fl = Range(F_WRLCK, 0, 0);
  ASSERT_EQ(0, fcntl(fd, F_SETLK, &fl));
  std::string path = lf.path;
  // As in Flock.BlockedLockerWaitsForTheRelease: the child must find the parent's
  // "released" byte once it holds the lock.
  int ready[2], released[2];
  ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
  ASSERT_EQ(0, pipe2(released, O_CLOEXEC | O_NONBLOCK));
  pid_t c = ForkChild([&] {
    int b = open(path.c_str(), O_RDWR | O_CLOEXEC);
    CHILD_CHECK(write(ready[1], "r", 1) == 1);
    struct flock w = Range(F_WRLCK, 0, 1);
    CHILD_CHECK(fcntl(b, F_SETLKW, &w) == 0);
    char y;
    CHILD_CHECK(read(released[0], &y, 1) == 1);
    return 0;
  });
  char x;
  ASSERT_EQ(1, read(ready[0], &x, 1));
  usleep(50 * 1000);
  ASSERT_EQ(1, write(released[1], "u", 1));
  struct flock un = Range(F_UNLCK, 0, 0);
  ASSERT_EQ(0, fcntl(fd, F_SETLK, &un));
  EXPECT_EXITED(WaitStatus(c), 0);
  for (int f : {ready[0], ready[1], released[0], released[1]}) close(f);
  close(fd);
}

TEST(RecordLock, ErrorPaths) {
  LockFile lf;
  int ro = lf.Open(O_RDONLY);
  ASSERT_GE(ro, 0);
  struct flock w = Range(F_WRLCK, 0, 0);
  EXPECT_ERRNO(EBADF, fcntl(ro, F_SETLK, &w));  // a write lock needs a writable FD
  struct flock bad = Range(99, 0, 0);
  EXPECT_ERRNO(EINVAL, fcntl(ro, F_SETLK, &bad));
  struct flock whence = Range(F_RDLCK, 0, 0, 7);
  EXPECT_ERRNO(EINVAL, fcntl(ro, F_SETLK, &whence));
  struct flock neg = Range(F_RDLCK, -5, 1);
  EXPECT_ERRNO(EINVAL, fcntl(ro, F_SETLK, &neg));
  struct flock un = Range(F_UNLCK, 0, 0);
  EXPECT_ERRNO(EINVAL, fcntl(ro, F_GETLK, &un));
  struct flock ofd = Range(F_RDLCK, 0, 0);
  ofd.l_pid = 1;
  EXPECT_ERRNO(EINVAL, fcntl(ro, F_OFD_SETLK, &ofd));
  EXPECT_ERRNO(EFAULT, fcntl(ro, F_SETLK, BadPointer()));
  // A negative length locks the bytes before the start.
  int rw = lf.Open();
  struct flock back = Range(F_WRLCK, 10, -4);
  ASSERT_EQ(0, fcntl(rw, F_SETLK, &back));
  struct flock got = Probe(lf.path, F_WRLCK, 0, 0);
  EXPECT_EQ(6, got.l_start);
  EXPECT_EQ(4, got.l_len);
  close(rw);
  close(ro);
}

}  // namespace
}  // namespace conformance
