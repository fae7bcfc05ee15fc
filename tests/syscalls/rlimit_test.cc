// Resource limits: getrlimit/setrlimit/prlimit64 and their enforcement (RLIMIT_NOFILE by
// open/dup/fcntl, RLIMIT_FSIZE by write, RLIMIT_AS by mmap). Every change happens in a child.
#include <climits>
#include <sys/resource.h>

#include "test_util.h"

namespace conformance {
namespace {

TEST(Rlimit, NofileSane) {
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  EXPECT_LE(rl.rlim_cur, rl.rlim_max);
  EXPECT_GE(rl.rlim_cur, 64u);
  if (InSandbox()) {
    // The default spec's process.rlimits.
    EXPECT_EQ(rl.rlim_cur, 1024u);
    EXPECT_EQ(rl.rlim_max, 1024u);
  }
}

TEST(Rlimit, LowerSoftThenRaiseBackToHard) {
  EXPECT_CHILD_OK([] {
    struct rlimit rl, got;
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    struct rlimit lower = {32, rl.rlim_max};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &lower) == 0);
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0);
    CHILD_CHECK(got.rlim_cur == 32 && got.rlim_max == rl.rlim_max);
    // The soft limit may go back up to the hard limit without privilege.
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &got) == 0);
    CHILD_CHECK(got.rlim_cur == rl.rlim_cur);
    return 0;
  });
}

TEST(Rlimit, SoftAboveHardEINVAL) {
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  struct rlimit bad = {rl.rlim_max, rl.rlim_max - 1};
  EXPECT_ERRNO(EINVAL, setrlimit(RLIMIT_NOFILE, &bad));
  struct rlimit after;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, rl.rlim_cur);
  EXPECT_EQ(after.rlim_max, rl.rlim_max);
}

TEST(Rlimit, RaisingHardNeedsCapSysResource) {
  bool cap = HasCap(CAP_SYS_RESOURCE);
  EXPECT_CHILD_OK([cap] {
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    struct rlimit lower = {rl.rlim_cur - 1, rl.rlim_max - 1};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &lower) == 0);  // lowering is always allowed
    if (cap) {
      CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    } else {
      CHILD_CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &rl), EPERM);
    }
    return 0;
  });
}

TEST(Rlimit, BadResourceAndPointer) {
  struct rlimit rl;
  EXPECT_ERRNO(EINVAL, getrlimit((__rlimit_resource)100, &rl));
  EXPECT_ERRNO(EINVAL, setrlimit((__rlimit_resource)100, &rl));
  EXPECT_ERRNO(EFAULT, syscall(SYS_getrlimit, RLIMIT_NOFILE, BadPointer()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_setrlimit, RLIMIT_NOFILE, UnmappedAddress()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, BadPointer()));
}

TEST(Rlimit, PrlimitGetMatchesGetrlimit) {
  for (int res : {RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_NPROC, RLIMIT_AS}) {
    struct rlimit a, b;
    ASSERT_EQ(getrlimit((__rlimit_resource)res, &a), 0);
    ASSERT_EQ(prlimit(0, (__rlimit_resource)res, nullptr, &b), 0);
    EXPECT_EQ(a.rlim_cur, b.rlim_cur) << res;
    EXPECT_EQ(a.rlim_max, b.rlim_max) << res;
    ASSERT_EQ(prlimit(getpid(), (__rlimit_resource)res, nullptr, &b), 0);
    EXPECT_EQ(a.rlim_cur, b.rlim_cur) << res;
  }
}

TEST(Rlimit, PrlimitSetReturnsOldAtomically) {
  EXPECT_CHILD_OK([] {
    struct rlimit orig, old, now;
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &orig) == 0);
    struct rlimit nl = {100, orig.rlim_max};
    CHILD_CHECK(prlimit(0, RLIMIT_NOFILE, &nl, &old) == 0);
    CHILD_CHECK(old.rlim_cur == orig.rlim_cur && old.rlim_max == orig.rlim_max);
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_cur == 100);
    return 0;
  });
}

TEST(Rlimit, PrlimitOtherProcess) {
  int go[2], back[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(back, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    char c;
    CHILD_CHECK(read(go[0], &c, 1) == 1);
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    CHILD_CHECK(write(back[1], &rl, sizeof rl) == sizeof rl);
    return 0;
  });
  ASSERT_GT(pid, 0);
  struct rlimit mine;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  struct rlimit nl = {77, mine.rlim_max}, old;
  EXPECT_EQ(prlimit(pid, RLIMIT_NOFILE, &nl, &old), 0) << strerror(errno);
  EXPECT_EQ(old.rlim_cur, mine.rlim_cur);
  ASSERT_EQ(write(go[1], "g", 1), 1);
  struct rlimit seen = {};
  ASSERT_EQ(read(back[0], &seen, sizeof seen), (ssize_t)sizeof seen);
  EXPECT_EQ(seen.rlim_cur, 77u);
  EXPECT_EXITED(WaitStatus(pid), 0);
  struct rlimit after;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, mine.rlim_cur);  // ours did not change
  for (int fd : {go[0], go[1], back[0], back[1]}) close(fd);
  EXPECT_ERRNO(ESRCH, prlimit(INT_MAX, RLIMIT_NOFILE, nullptr, &old));
}

TEST(Rlimit, NofileLimitsOpenEMFILE) {
  EXPECT_CHILD_OK([] {
    ChildLowerNofile(16);
    for (int i = 3; i < 64; i++) close(i);
    int last = ChildOpenUntilEMFILE(16);
    CHILD_CHECK(last == 15);
    CHILD_CHECK_ERRNO(dup(0), EMFILE);
    int p[2];
    CHILD_CHECK_ERRNO(pipe(p), EMFILE);
    return 0;
  });
}

TEST(Rlimit, NofileLimitsDup2AndFcntl) {
  EXPECT_CHILD_OK([] {
    ChildLowerNofile(16);
    CHILD_CHECK(dup2(0, 15) == 15);
    CHILD_CHECK_ERRNO(dup2(0, 16), EBADF);
    CHILD_CHECK_ERRNO(dup3(0, 100, 0), EBADF);
    CHILD_CHECK_ERRNO(fcntl(0, F_DUPFD, 16), EINVAL);
    CHILD_CHECK_ERRNO(fcntl(0, F_DUPFD_CLOEXEC, 16), EINVAL);
    return 0;
  });
}

TEST(Rlimit, FsizeLimitsWrite) {
  TempDir dir;
  std::string path = dir.Join("f");
  EXPECT_CHILD_OK([&] {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit nl = {10, RLIM_INFINITY};
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
    nl.rlim_max = rl.rlim_max;
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &nl) == 0);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHILD_CHECK(fd >= 0);
    // A write crossing the limit is cut short; one starting at the limit fails.
    CHILD_CHECK(write(fd, "0123456789abcdefghij", 20) == 10);
    CHILD_CHECK_ERRNO(write(fd, "x", 1), EFBIG);
    return 0;
  });
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 10);
}

TEST(Rlimit, FsizeExceededRaisesSIGXFSZ) {
  TempDir dir;
  std::string path = dir.Join("f");
  int status = RunInChild([&] {
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0);
    struct rlimit nl = {4, rl.rlim_max};
    CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &nl) == 0);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(write(fd, "abcd", 4) == 4);
    write(fd, "e", 1);  // SIGXFSZ, default action: terminate (core)
    return 0;
  });
  EXPECT_SIGNALED(status, SIGXFSZ);
}

TEST(Rlimit, AddressSpaceLimitsMmap) {
  EXPECT_CHILD_OK([] {
    struct rlimit rl;
    CHILD_CHECK(getrlimit(RLIMIT_AS, &rl) == 0);
    struct rlimit nl = {1ul << 30, rl.rlim_max};
    CHILD_CHECK(setrlimit(RLIMIT_AS, &nl) == 0);
    void* p = mmap(nullptr, 2ul << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_CHECK(p == MAP_FAILED && errno == ENOMEM);
    p = mmap(nullptr, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_CHECK(p != MAP_FAILED);
    return 0;
  });
}

}  // namespace
}  // namespace conformance
