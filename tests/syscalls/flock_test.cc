// flock(2): shared and exclusive locks held by open file descriptions, LOCK_NB, conversion,
// release on close, blocking until release, and the error paths.
#include <sys/file.h>


#include "test_util.h"

namespace conformance {
namespace {

struct LockFile {
  TempDir dir;
  std::string path = dir.Join("lock");
  int Open() { return open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600); }
};

TEST(Flock, ExclusiveExcludesOtherDescriptions) {
  LockFile lf;
  int a = lf.Open(), b = lf.Open();
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ASSERT_EQ(0, flock(a, LOCK_EX | LOCK_NB));
  EXPECT_ERRNO(EWOULDBLOCK, flock(b, LOCK_EX | LOCK_NB));
  EXPECT_ERRNO(EWOULDBLOCK, flock(b, LOCK_SH | LOCK_NB));
  // Again through the same description: already held.
  EXPECT_EQ(0, flock(a, LOCK_EX | LOCK_NB));
  ASSERT_EQ(0, flock(a, LOCK_UN));
  EXPECT_EQ(0, flock(b, LOCK_EX | LOCK_NB));
  close(a);
  close(b);
}

TEST(Flock, SharedLocksCoexist) {
  LockFile lf;
  int a = lf.Open(), b = lf.Open(), c = lf.Open();
  ASSERT_EQ(0, flock(a, LOCK_SH | LOCK_NB));
  ASSERT_EQ(0, flock(b, LOCK_SH | LOCK_NB));
  EXPECT_ERRNO(EWOULDBLOCK, flock(c, LOCK_EX | LOCK_NB));
  // Converting to exclusive fails while the other shared lock stays.
  EXPECT_ERRNO(EWOULDBLOCK, flock(a, LOCK_EX | LOCK_NB));
  ASSERT_EQ(0, flock(b, LOCK_UN));
  EXPECT_EQ(0, flock(a, LOCK_EX | LOCK_NB));
  // And back down to shared.
  EXPECT_EQ(0, flock(a, LOCK_SH | LOCK_NB));
  EXPECT_EQ(0, flock(c, LOCK_SH | LOCK_NB));
  close(a);
  close(b);
  close(c);
}

TEST(Flock, DupSharesTheLockAndTheLastCloseReleasesIt) {
  LockFile lf;
  int a = lf.Open(), other = lf.Open();
  ASSERT_EQ(0, flock(a, LOCK_EX));
  int d = dup(a);
  ASSERT_GE(d, 0);
  EXPECT_EQ(0, flock(d, LOCK_EX | LOCK_NB));  // the same description
  close(a);
  EXPECT_ERRNO(EWOULDBLOCK, flock(other, LOCK_EX | LOCK_NB));  // still held through d
  close(d);
  EXPECT_EQ(0, flock(other, LOCK_EX | LOCK_NB));
  close(other);
}

TEST(Flock, ForkedChildSharesTheParentsLock) {
  LockFile lf;
  int a = lf.Open();
  ASSERT_EQ(0, flock(a, LOCK_EX));
  std::string path = lf.path;
  EXPECT_CHILD_OK([a, path] {
    // The inherited description holds it; a new one does not.
    CHILD_CHECK(flock(a, LOCK_EX | LOCK_NB) == 0);
    int b = open(path.c_str(), O_RDWR | O_CLOEXEC);
    CHILD_CHECK(b >= 0);
    CHILD_CHECK_ERRNO(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    return 0;
  });
  close(a);
}

TEST(Flock, BlockedLockerWaitsForTheRelease) {
  LockFile lf;
  int a = lf.Open();
  ASSERT_EQ(0, flock(a, LOCK_EX));
  std::string path = lf.path;
  // `released` gets a byte just before the parent unlocks: a child that got the
  // lock must find it there (it did not get in early), whatever the timing.
  int ready[2], released[2];
  ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
  ASSERT_EQ(0, pipe2(released, O_CLOEXEC | O_NONBLOCK));
  pid_t c = ForkChild([&] {
    int b = open(path.c_str(), O_RDWR | O_CLOEXEC);
    CHILD_CHECK(b >= 0);
    CHILD_CHECK(write(ready[1], "r", 1) == 1);
    CHILD_CHECK(flock(b, LOCK_EX) == 0);  // blocks until the parent lets go
    char y;
    CHILD_CHECK(read(released[0], &y, 1) == 1);
    return 0;
  });
  char x;
  ASSERT_EQ(1, read(ready[0], &x, 1));
  usleep(50 * 1000);  // most likely blocked by now; the check above does not depend on it
  ASSERT_EQ(1, write(released[1], "u", 1));
  ASSERT_EQ(0, flock(a, LOCK_UN));
  EXPECT_EXITED(WaitStatus(c), 0);
  for (int fd : {ready[0], ready[1], released[0], released[1]}) close(fd);
  close(a);
}

TEST(Flock, ErrorPaths) {
  LockFile lf;
  int a = lf.Open();
  EXPECT_ERRNO(EINVAL, flock(a, 0));
  EXPECT_ERRNO(EINVAL, flock(a, LOCK_SH | LOCK_EX));
  EXPECT_ERRNO(EINVAL, flock(a, 16));
  // LOCK_MAND (32) is obsolete: accepted and ignored.
  EXPECT_EQ(0, flock(a, 32 | 64));
  EXPECT_EQ(0, flock(a, LOCK_UN));  // nothing held: fine
  close(a);
  EXPECT_ERRNO(EBADF, flock(a, LOCK_EX));
  int p = open(lf.dir.path().c_str(), O_PATH | O_CLOEXEC);
  ASSERT_GE(p, 0);
  EXPECT_ERRNO(EBADF, flock(p, LOCK_EX));
  close(p);
  // Locks work on directories and pipes too.
  int d = open(lf.dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(0, flock(d, LOCK_EX | LOCK_NB));
  close(d);
}

}  // namespace
}  // namespace conformance
