// Descriptors and data transfer: open flags (O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_PATH, ...),
// creat, close_range, dup/dup2/dup3, fcntl (F_DUPFD*, F_GETFD/F_SETFD, F_GETFL/F_SETFL, pipe
// sizes), read/write and the vectored and positional variants (preadv2/pwritev2 included),
// lseek with SEEK_DATA/SEEK_HOLE, fsync/fdatasync/sync/syncfs, sendfile, copy_file_range,
// the generic ioctls (FIONREAD, FIONBIO, FIOCLEX), and RLIMIT_NOFILE.
// File-system cases run in every directory of FsTestDirs(), each in a fresh ScratchDir;
// descriptor cases that need no file system use pipes and /dev/null.
#include <limits.h>
#include <linux/close_range.h>
#include <linux/fs.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <termios.h>

#include <vector>

#include "test_util.h"

namespace conformance {
namespace {

// ---- helpers -------------------------------------------------------------------------------

struct Pipe {
  int r = -1, w = -1;
  Pipe(int flags = 0) {
    int p[2];
    if (pipe2(p, O_CLOEXEC | flags) == 0) {
      r = p[0];
      w = p[1];
    }
  }
  ~Pipe() {
    if (r >= 0) close(r);
    if (w >= 0) close(w);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

// O_LARGEFILE as the kernel reports it on x86-64 (glibc defines O_LARGEFILE as 0 there).
constexpr int kLargefile = 0100000;

// A descriptor number that is certainly not open (and far from gtest's own).
int UnusedFdNumber() {
  for (int fd = 300;; fd++) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) return fd;
  }
}

// A fresh scratch directory under each FsTestDirs() entry, with umask 022.
class FsTest : public FsFixture {
 protected:
  FsTest() : FsFixture(022) {}
};

FS_SUITE(OpenFlags, FsTest);
FS_SUITE(FileIo, FsTest);
FS_SUITE(FileSeek, FsTest);
FS_SUITE(FileSync, FsTest);
FS_SUITE(Sendfile, FsTest);
FS_SUITE(CopyRange, FsTest);
FS_SUITE(FileIoctl, FsTest);
FS_SUITE(FileFcntl, FsTest);

// ---- open flags and creat ------------------------------------------------------------------

TEST_P(OpenFlags, CreateUsesTheModeOnlyWhenCreating) {
  UniqueFd a(Open("f", O_CREAT | O_WRONLY, 0640));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(write(a.get(), "keep", 4), 4);
  EXPECT_EQ(St("f").st_mode, S_IFREG | 0640u);
  // O_CREAT on an existing file: neither the mode nor the contents change.
  UniqueFd b(Open("f", O_CREAT | O_RDWR, 0600));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(St("f").st_mode, S_IFREG | 0640u);
  EXPECT_EQ(Contents("f"), "keep");
  // The new file is owned by the caller's fsuid/fsgid.
  EXPECT_EQ(St("f").st_uid, geteuid());
  EXPECT_EQ(St("f").st_gid, getegid());
}

TEST_P(OpenFlags, Exclusive) {
  UniqueFd a(Open("f", O_CREAT | O_EXCL | O_WRONLY));
  ASSERT_TRUE(a.ok());
  EXPECT_ERRNO(EEXIST, open(P("f").c_str(), O_CREAT | O_EXCL | O_RDONLY, 0644));
  // Without O_CREAT, O_EXCL on a regular file is ignored.
  UniqueFd b(Open("f", O_EXCL | O_RDONLY));
  EXPECT_TRUE(b.ok());
}

TEST_P(OpenFlags, TruncEmptiesTheFileEvenWhenOpenedReadOnly) {
  File("f", "0123456789");
  // Linux truncates on O_RDONLY|O_TRUNC too (it needs write permission for that).
  UniqueFd ro(Open("f", O_RDONLY | O_TRUNC));
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ(St("f").st_size, 0);
  File("g", "abcdef");
  UniqueFd rw(Open("g", O_RDWR | O_TRUNC));
  ASSERT_EQ(write(rw.get(), "xy", 2), 2);
  EXPECT_EQ(Contents("g"), "xy");
}

TEST_P(OpenFlags, AppendWritesAtTheEndWhateverTheOffset) {
  File("f", "base");
  UniqueFd a(Open("f", O_WRONLY | O_APPEND));
  UniqueFd b(Open("f", O_RDWR | O_APPEND));
  ASSERT_EQ(lseek(a.get(), 0, SEEK_SET), 0);
  ASSERT_EQ(write(a.get(), "1", 1), 1);
  EXPECT_EQ(lseek(a.get(), 0, SEEK_CUR), 5);
  ASSERT_EQ(lseek(b.get(), 2, SEEK_SET), 2);
  ASSERT_EQ(write(b.get(), "2", 1), 1);  // after a's write, not at b's offset
  ASSERT_EQ(write(a.get(), "3", 1), 1);
  EXPECT_EQ(Contents("f"), "base123");
  // Reading an O_APPEND|O_RDWR descriptor still uses its offset.
  ASSERT_EQ(lseek(b.get(), 1, SEEK_SET), 1);
  char buf[3];
  ASSERT_EQ(read(b.get(), buf, 3), 3);
  EXPECT_EQ(std::string(buf, 3), "ase");
}

TEST_P(OpenFlags, DirectoryFlag) {
  File("f");
  Dir("d");
  EXPECT_ERRNO(ENOTDIR, open(P("f").c_str(), O_RDONLY | O_DIRECTORY));
  UniqueFd d(Open("d", O_RDONLY | O_DIRECTORY));
  EXPECT_TRUE(d.ok());
  EXPECT_ERRNO(EISDIR, open(P("d").c_str(), O_WRONLY | O_DIRECTORY));
  // O_PATH|O_DIRECTORY checks the type too.
  EXPECT_ERRNO(ENOTDIR, open(P("f").c_str(), O_PATH | O_DIRECTORY));
}

TEST_P(OpenFlags, OPathAllowsOnlyMetadataOperations) {
  File("f", "data");
  UniqueFd fd(Open("f", O_PATH));
  ASSERT_TRUE(fd.ok());
  char c;
  EXPECT_ERRNO(EBADF, read(fd.get(), &c, 1));
  EXPECT_ERRNO(EBADF, write(fd.get(), "x", 1));
  EXPECT_ERRNO(EBADF, pread(fd.get(), &c, 1, 0));
  EXPECT_ERRNO(EBADF, lseek(fd.get(), 0, SEEK_SET));
  EXPECT_ERRNO(EBADF, fsync(fd.get()));
  int n = 0;
  EXPECT_ERRNO(EBADF, ioctl(fd.get(), FIONREAD, &n));
  EXPECT_ERRNO(EBADF, (long)mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd.get(), 0));
  // What does work: fstat, the fd flags, dup, and closing.
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 4);
  EXPECT_EQ(fcntl(fd.get(), F_GETFL), O_PATH);
  EXPECT_EQ(fcntl(fd.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(fd.get(), F_SETFD, 0), 0);
  // F_SETFL (and any other command) is EBADF on an O_PATH descriptor.
  EXPECT_ERRNO(EBADF, fcntl(fd.get(), F_SETFL, O_NONBLOCK));
  int d = fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  ASSERT_GE(d, 0) << strerror(errno);
  EXPECT_EQ(fcntl(d, F_GETFL), O_PATH);
  EXPECT_EQ(close(d), 0);
}

TEST_P(OpenFlags, OPathIgnoresTheOtherFlags) {
  File("f", "not truncated");
  UniqueFd fd(Open("f", O_PATH | O_RDWR | O_TRUNC | O_APPEND | O_NONBLOCK));
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(fcntl(fd.get(), F_GETFL), O_PATH);
  EXPECT_EQ(Contents("f"), "not truncated");
  // O_CREAT is dropped as well: nothing is created.
  EXPECT_ERRNO(ENOENT, open(P("new").c_str(), O_PATH | O_CREAT, 0644));
  EXPECT_ERRNO(ENOENT, access(P("new").c_str(), F_OK));
  // A directory opened with O_PATH can be read through openat and fchdir'd to.
  Dir("d");
  File("d/inner", "inside");
  UniqueFd dfd(Open("d", O_PATH | O_DIRECTORY));
  UniqueFd in(openat(dfd.get(), "inner", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(in.ok()) << strerror(errno);
  EXPECT_EQ(ReadAll(in.get()), "inside");
  alignas(8) char buf[256];
  EXPECT_ERRNO(EBADF, syscall(SYS_getdents64, dfd.get(), buf, sizeof buf));
}

TEST_P(OpenFlags, CreatIsWriteOnlyCreateTruncate) {
  File("f", "old contents");
  UniqueFd fd(creat(P("f").c_str(), 0600));
  ASSERT_TRUE(fd.ok()) << strerror(errno);
  EXPECT_EQ(St("f").st_size, 0);
  EXPECT_EQ(St("f").st_mode, S_IFREG | 0644u);  // existing: the mode stays
  EXPECT_EQ(fcntl(fd.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
  char c;
  EXPECT_ERRNO(EBADF, read(fd.get(), &c, 1));
  UniqueFd n(creat(P("new").c_str(), 0640));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(St("new").st_mode, S_IFREG | 0640u);
  EXPECT_EQ(fcntl(n.get(), F_GETFD), 0);  // creat has no O_CLOEXEC
}

TEST_P(OpenFlags, GetflReportsLargefile) {
  // On 64-bit Linux every open() of a file gets O_LARGEFILE, and F_GETFL shows it.
  File("f");
  for (int acc : {O_RDONLY, O_WRONLY, O_RDWR}) {
    UniqueFd fd(Open("f", acc));
    int fl = fcntl(fd.get(), F_GETFL);
    EXPECT_EQ(fl & O_ACCMODE, acc);
    EXPECT_EQ(fl & kLargefile, kLargefile) << std::oct << fl;
  }
  // Pipes do not get it.
  Pipe p;
  EXPECT_EQ(fcntl(p.r, F_GETFL), O_RDONLY);
  EXPECT_EQ(fcntl(p.w, F_GETFL), O_WRONLY);
}

TEST_P(OpenFlags, OwnerMayUseNoatime) {
  File("f", "x");
  UniqueFd fd(Open("f", O_RDONLY | O_NOATIME));
  ASSERT_TRUE(fd.ok());
  EXPECT_TRUE(fcntl(fd.get(), F_GETFL) & O_NOATIME);
  UniqueFd g(Open("f", O_RDONLY));
  ASSERT_EQ(fcntl(g.get(), F_SETFL, O_NOATIME), 0) << strerror(errno);
  EXPECT_TRUE(fcntl(g.get(), F_GETFL) & O_NOATIME);
}

// ---- close_range ---------------------------------------------------------------------------

// Places /dev/null at `count` consecutive free descriptor numbers; returns the first.
int OpenRun(int count) {
  int base = UnusedFdNumber() + 10;
  int src = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int i = 0; i < count; i++) {
    if (dup3(src, base + i, O_CLOEXEC) != base + i) ADD_FAILURE() << strerror(errno);
  }
  close(src);
  return base;
}

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(CloseRange, ClosesExactlyTheRange) {
  int base = OpenRun(6);
  ASSERT_EQ(syscall(SYS_close_range, base + 1, base + 3, 0), 0) << strerror(errno);
  EXPECT_TRUE(IsOpen(base));
  EXPECT_FALSE(IsOpen(base + 1));
  EXPECT_FALSE(IsOpen(base + 2));
  EXPECT_FALSE(IsOpen(base + 3));
  EXPECT_TRUE(IsOpen(base + 4));
  EXPECT_TRUE(IsOpen(base + 5));
  // Closed is closed: close() of any of them is EBADF, twice over.
  EXPECT_ERRNO(EBADF, close(base + 2));
  EXPECT_ERRNO(EBADF, close(base + 2));
  // A single descriptor, then everything from base up.
  ASSERT_EQ(syscall(SYS_close_range, base, base, 0), 0);
  EXPECT_FALSE(IsOpen(base));
  ASSERT_EQ(syscall(SYS_close_range, base, ~0U, 0), 0);
  EXPECT_FALSE(IsOpen(base + 4));
  EXPECT_FALSE(IsOpen(base + 5));
}

TEST(CloseRange, CloexecMarksWithoutClosing) {
  int base = OpenRun(3);
  for (int i = 0; i < 3; i++) ASSERT_EQ(fcntl(base + i, F_SETFD, 0), 0);
  ASSERT_EQ(syscall(SYS_close_range, base, base + 1, CLOSE_RANGE_CLOEXEC), 0) << strerror(errno);
  EXPECT_EQ(fcntl(base, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(base + 1, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(base + 2, F_GETFD), 0);
  // Still open and usable.
  char c;
  EXPECT_EQ(read(base, &c, 1), 0);
  syscall(SYS_close_range, base, base + 2, 0);
}

TEST(CloseRange, BeyondTheTableIsFine) {
  int far = UnusedFdNumber() + 100000;
  EXPECT_EQ(syscall(SYS_close_range, far, far + 10, 0), 0);
  EXPECT_EQ(syscall(SYS_close_range, ~0U, ~0U, 0), 0);
  EXPECT_EQ(syscall(SYS_close_range, far, ~0U, CLOSE_RANGE_CLOEXEC), 0);
}

TEST(CloseRange, InvalidArguments) {
  int base = OpenRun(2);
  EXPECT_ERRNO(EINVAL, syscall(SYS_close_range, base + 1, base, 0));  // first > last
  EXPECT_ERRNO(EINVAL, syscall(SYS_close_range, base, base + 1, 0x8));  // unknown flag
  EXPECT_TRUE(IsOpen(base));
  EXPECT_TRUE(IsOpen(base + 1));
  syscall(SYS_close_range, base, base + 1, 0);
}

TEST(CloseRange, UnshareClosesInAPrivateCopy) {
  int base = OpenRun(2);
  EXPECT_CHILD_OK([base] {
    CHILD_CHECK(syscall(SYS_close_range, base, base, CLOSE_RANGE_UNSHARE) == 0);
    CHILD_CHECK(fcntl(base, F_GETFD) == -1 && errno == EBADF);
    CHILD_CHECK(fcntl(base + 1, F_GETFD) != -1);
    return 0;
  });
  EXPECT_TRUE(IsOpen(base));  // the parent's table is another one anyway
  syscall(SYS_close_range, base, base + 1, 0);
}

// ---- dup/dup2/dup3 -------------------------------------------------------------------------

TEST_P(FileFcntl, DupSharesOffsetAndStatusFlagsButNotFdFlags) {
  File("f", "0123456789");
  UniqueFd a(Open("f", O_RDWR));
  UniqueFd b(dup(a.get()));
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(lseek(a.get(), 4, SEEK_SET), 4);
  EXPECT_EQ(lseek(b.get(), 0, SEEK_CUR), 4);
  ASSERT_EQ(fcntl(b.get(), F_SETFL, O_APPEND | O_NONBLOCK), 0);
  EXPECT_EQ(fcntl(a.get(), F_GETFL) & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK);
  ASSERT_EQ(write(a.get(), "!", 1), 1);  // O_APPEND set through b applies to a
  EXPECT_EQ(Contents("f"), "0123456789!");
  EXPECT_EQ(lseek(b.get(), 0, SEEK_CUR), 11);
  // FD_CLOEXEC belongs to the descriptor.
  EXPECT_EQ(fcntl(a.get(), F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(b.get(), F_GETFD), 0);
}

TEST_P(FileFcntl, SetflIgnoresAccessModeAndCreationFlags) {
  File("f", "contents");
  UniqueFd fd(Open("f", O_RDONLY));
  ASSERT_EQ(fcntl(fd.get(), F_SETFL, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_APPEND), 0);
  int fl = fcntl(fd.get(), F_GETFL);
  EXPECT_EQ(fl & O_ACCMODE, O_RDONLY);
  EXPECT_TRUE(fl & O_APPEND);
  EXPECT_FALSE(fl & (O_CREAT | O_EXCL | O_TRUNC));
  EXPECT_EQ(Contents("f"), "contents");
  char c;
  EXPECT_ERRNO(EBADF, write(fd.get(), "x", 1));
  EXPECT_EQ(read(fd.get(), &c, 1), 1);
}

TEST(Dup, LowestFreeNumber) {
  int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int b = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(b, 0);
  close(a);
  int d = dup(b);
  EXPECT_EQ(d, a);
  close(d);
  close(b);
}

TEST(Dup, Dup2OntoItselfChangesNothing) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // dup2(fd, fd) only checks fd: it does not clear FD_CLOEXEC as a real dup2 would.
  EXPECT_EQ(dup2(fd, fd), fd);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  EXPECT_ERRNO(EINVAL, dup3(fd, fd, 0));
  EXPECT_ERRNO(EINVAL, dup3(fd, fd, O_CLOEXEC));
  close(fd);
  EXPECT_ERRNO(EBADF, dup2(fd, fd));
}

TEST(Dup, Dup3CloexecOnlyOnTheNewDescriptor) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  int target = UnusedFdNumber();
  EXPECT_EQ(dup3(fd, target, O_CLOEXEC), target);
  EXPECT_EQ(fcntl(target, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(fd, F_GETFD), 0);
  // dup2 over it produces a descriptor without FD_CLOEXEC.
  EXPECT_EQ(dup2(fd, target), target);
  EXPECT_EQ(fcntl(target, F_GETFD), 0);
  close(target);
  close(fd);
}

TEST(Dup, TargetsBeyondRlimitNofile) {
  struct rlimit rl;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  int limit = static_cast<int>(rl.rlim_cur);
  EXPECT_ERRNO(EBADF, dup2(fd, limit));
  EXPECT_ERRNO(EBADF, dup3(fd, limit, O_CLOEXEC));
  EXPECT_ERRNO(EINVAL, fcntl(fd, F_DUPFD, limit));
  EXPECT_ERRNO(EINVAL, fcntl(fd, F_DUPFD_CLOEXEC, limit));
  EXPECT_ERRNO(EBADF, dup2(fd, -1));
  // One below the limit is a valid number.
  EXPECT_EQ(dup2(fd, limit - 1), limit - 1);
  close(limit - 1);
  close(fd);
}

TEST(Dup, Errors) {
  EXPECT_ERRNO(EBADF, dup(-1));
  EXPECT_ERRNO(EBADF, dup(UnusedFdNumber()));
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_ERRNO(EINVAL, dup3(fd, UnusedFdNumber(), O_NONBLOCK));
  EXPECT_ERRNO(EBADF, dup3(UnusedFdNumber(), fd, 0));
  close(fd);
}

TEST(Stdio, DupOfStdinAndStdout) {
  for (int std : {0, 1, 2}) {
    struct stat want;
    if (fstat(std, &want) != 0) continue;  // not open here
    int d = dup(std);
    ASSERT_GE(d, 0) << std << ": " << strerror(errno);
    struct stat got;
    ASSERT_EQ(fstat(d, &got), 0);
    EXPECT_EQ(got.st_ino, want.st_ino);
    EXPECT_EQ(got.st_dev, want.st_dev);
    EXPECT_EQ(fcntl(d, F_GETFL), fcntl(std, F_GETFL));
    close(d);
  }
  // Writing nothing through a duplicate of stdout works.
  int d = dup(1);
  ASSERT_GE(d, 0);
  EXPECT_EQ(write(d, "", 0), 0);
  close(d);
}

// ---- fcntl ---------------------------------------------------------------------------------

TEST(Fcntl, DupfdPicksTheLowestFreeAtOrAboveTheArgument) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int min = UnusedFdNumber();
  int a = fcntl(fd, F_DUPFD, min);
  EXPECT_EQ(a, min);
  EXPECT_EQ(fcntl(a, F_GETFD), 0);
  int b = fcntl(fd, F_DUPFD_CLOEXEC, min);
  EXPECT_EQ(b, min + 1);
  EXPECT_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
  close(a);
  int c = fcntl(fd, F_DUPFD, min);
  EXPECT_EQ(c, min);  // the freed number is reused
  // Below min are free numbers too, but F_DUPFD does not go there.
  EXPECT_GE(fcntl(fd, F_DUPFD, min + 1), min + 2);
  close_range(min, min + 2, 0);
  close(fd);
}

TEST(Fcntl, SetfdKeepsOnlyCloexec) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fcntl(fd, F_SETFD, 0xff), 0);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  ASSERT_EQ(fcntl(fd, F_SETFD, 0xfe), 0);
  EXPECT_EQ(fcntl(fd, F_GETFD), 0);
  close(fd);
}

TEST(Fcntl, GetflShowsAccessModeAndStatusFlags) {
  struct Case {
    int flags;
  } cases[] = {{O_RDONLY}, {O_WRONLY}, {O_RDWR}, {O_WRONLY | O_APPEND}, {O_RDONLY | O_NONBLOCK},
               {O_RDWR | O_APPEND | O_NONBLOCK}};
  for (auto c : cases) {
    int fd = open("/dev/null", c.flags | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    int fl = fcntl(fd, F_GETFL);
    EXPECT_EQ(fl & (O_ACCMODE | O_APPEND | O_NONBLOCK), c.flags) << std::oct << c.flags;
    EXPECT_FALSE(fl & O_CLOEXEC);  // a descriptor flag, not a status flag
    close(fd);
  }
}

TEST(Fcntl, SetflNonblockMakesAnEmptyPipeReadEAGAIN) {
  Pipe p;
  ASSERT_EQ(fcntl(p.r, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(fcntl(p.r, F_GETFL), O_RDONLY | O_NONBLOCK);
  char c;
  EXPECT_ERRNO(EAGAIN, read(p.r, &c, 1));
  ASSERT_EQ(fcntl(p.r, F_SETFL, 0), 0);
  EXPECT_EQ(fcntl(p.r, F_GETFL), O_RDONLY);
}

TEST(Fcntl, SetPipeSizeRoundsUpToPowerOfTwoPages) {
  Pipe p;
  long page = sysconf(_SC_PAGESIZE);
  EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, 1), page);
  EXPECT_EQ(fcntl(p.w, F_GETPIPE_SZ), page);
  EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, 0), page);  // zero rounds up to one page
  EXPECT_EQ(fcntl(p.r, F_SETPIPE_SZ, page + 1), 2 * page);
  EXPECT_EQ(fcntl(p.w, F_GETPIPE_SZ), 2 * page);  // either end
  EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, 5 * page), 8 * page);
  EXPECT_EQ(fcntl(p.w, F_GETPIPE_SZ), 8 * page);
}

TEST(Fcntl, SetPipeSizeLimits) {
  Pipe p;
  EXPECT_ERRNO(EINVAL, fcntl(p.w, F_SETPIPE_SZ, (1u << 31) + 1));  // cannot be rounded
  // The sysctl's value, or Linux's default (1 MiB) where the file is not provided.
  long max = 1 << 20;
  int fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    max = atol(ReadAll(fd).c_str());
    close(fd);
  }
  ASSERT_GT(max, 0);
  EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, max), max);  // the maximum itself is allowed to all
  // Above pipe-max-size only with CAP_SYS_RESOURCE.
  if (HasCap(CAP_SYS_RESOURCE)) {
    EXPECT_EQ(fcntl(p.w, F_SETPIPE_SZ, 2 * max), 2 * max) << strerror(errno);
  } else {
    EXPECT_ERRNO(EPERM, fcntl(p.w, F_SETPIPE_SZ, 2 * max));
    EXPECT_EQ(fcntl(p.w, F_GETPIPE_SZ), max);
  }
}

// ---- read/write and friends on files -------------------------------------------------------

TEST_P(FileIo, ShortReadAtEofThenZero) {
  File("f", "0123456789");
  UniqueFd fd(Open("f", O_RDONLY));
  char buf[100];
  ASSERT_EQ(lseek(fd.get(), 6, SEEK_SET), 6);
  EXPECT_EQ(read(fd.get(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "6789");
  EXPECT_EQ(read(fd.get(), buf, sizeof buf), 0);
  EXPECT_EQ(read(fd.get(), buf, sizeof buf), 0);
  EXPECT_EQ(pread(fd.get(), buf, sizeof buf, 8), 2);
  EXPECT_EQ(pread(fd.get(), buf, sizeof buf, 10), 0);
}

TEST_P(FileIo, ZeroLengthTransfers) {
  File("f", "abc");
  struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), old, 0), 0);
  UniqueFd fd(Open("f", O_RDWR));
  char buf[4];
  EXPECT_EQ(read(fd.get(), buf, 0), 0);
  EXPECT_EQ(write(fd.get(), buf, 0), 0);
  EXPECT_EQ(pwrite(fd.get(), buf, 0, 100), 0);
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 0);
  struct stat st = St("f");
  EXPECT_EQ(st.st_size, 3);            // not extended to 100
  EXPECT_EQ(st.st_mtime, 1000000);     // an empty write modifies nothing
}

TEST_P(FileIo, VectoredPositionalIoLeavesTheOffset) {
  File("f", "..........");
  UniqueFd fd(Open("f", O_RDWR));
  ASSERT_EQ(lseek(fd.get(), 3, SEEK_SET), 3);
  char a[] = "AB", b[] = "CDE";
  struct iovec out[2] = {{a, 2}, {b, 3}};
  EXPECT_EQ(pwritev(fd.get(), out, 2, 4), 5);
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 3);
  EXPECT_EQ(Contents("f"), "....ABCDE.");
  char x[3] = {}, y[4] = {};
  struct iovec in[2] = {{x, 3}, {y, 4}};
  EXPECT_EQ(preadv(fd.get(), in, 2, 5), 5);  // short at EOF
  EXPECT_EQ(std::string(x, 3), "BCD");
  EXPECT_EQ(std::string(y, 2), "E.");
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 3);
}

TEST_P(FileIo, Preadv2AndPwritev2WithMinusOneUseTheFilePosition) {
  File("f", "0123456789");
  UniqueFd fd(Open("f", O_RDWR));
  ASSERT_EQ(lseek(fd.get(), 2, SEEK_SET), 2);
  char buf[3];
  struct iovec in = {buf, 3};
  EXPECT_EQ(preadv2(fd.get(), &in, 1, -1, 0), 3) << strerror(errno);
  EXPECT_EQ(std::string(buf, 3), "234");
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 5);
  char w[] = "xy";
  struct iovec out = {w, 2};
  EXPECT_EQ(pwritev2(fd.get(), &out, 1, -1, 0), 2) << strerror(errno);
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 7);
  // With an offset they behave like preadv/pwritev.
  EXPECT_EQ(preadv2(fd.get(), &in, 1, 0, 0), 3);
  EXPECT_EQ(std::string(buf, 3), "012");
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 7);
  EXPECT_EQ(Contents("f"), "01234xy789");
}

TEST_P(FileIo, Pwritev2AppendFlag) {
  File("f", "head");
  UniqueFd fd(Open("f", O_RDWR));
  char w[] = "++";
  struct iovec out = {w, 2};
  // RWF_APPEND appends no matter the offset given; the file position is left alone.
  EXPECT_EQ(pwritev2(fd.get(), &out, 1, 0, RWF_APPEND), 2) << strerror(errno);
  EXPECT_EQ(Contents("f"), "head++");
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 0);
  EXPECT_ERRNO(EOPNOTSUPP, pwritev2(fd.get(), &out, 1, 0, 0x10000000));  // unknown flag
  struct iovec in = {w, 2};
  EXPECT_ERRNO(EOPNOTSUPP, preadv2(fd.get(), &in, 1, 0, 0x10000000));
}

TEST_P(FileIo, PwriteOnAnAppendDescriptorAppends) {
  // A documented Linux bug (pwrite(2) BUGS): with O_APPEND, pwrite appends.
  File("f", "abc");
  UniqueFd fd(Open("f", O_WRONLY | O_APPEND));
  EXPECT_EQ(pwrite(fd.get(), "Z", 1, 0), 1);
  EXPECT_EQ(Contents("f"), "abcZ");
  char z[] = "Q";
  struct iovec iov = {z, 1};
  EXPECT_EQ(pwritev(fd.get(), &iov, 1, 1), 1);
  EXPECT_EQ(Contents("f"), "abcZQ");
}

TEST_P(FileIo, NegativeOffsetsEINVAL) {
  File("f", "abc");
  UniqueFd fd(Open("f", O_RDWR));
  char buf[2];
  struct iovec iov = {buf, 2};
  EXPECT_ERRNO(EINVAL, preadv(fd.get(), &iov, 1, -1));
  EXPECT_ERRNO(EINVAL, pwritev(fd.get(), &iov, 1, -5));
  EXPECT_ERRNO(EINVAL, preadv2(fd.get(), &iov, 1, -2, 0));  // only -1 is special
  EXPECT_ERRNO(EINVAL, pwritev2(fd.get(), &iov, 1, -2, 0));
  EXPECT_EQ(Contents("f"), "abc");
}

TEST_P(FileIo, IovecCountLimits) {
  UniqueFd fd(Open("f", O_CREAT | O_RDWR));
  std::vector<char> bytes(IOV_MAX + 1, 'v');
  std::vector<struct iovec> iov(IOV_MAX + 1);
  for (size_t i = 0; i < iov.size(); i++) iov[i] = {&bytes[i], 1};
  EXPECT_EQ(writev(fd.get(), iov.data(), IOV_MAX), IOV_MAX);  // exactly IOV_MAX is fine
  EXPECT_ERRNO(EINVAL, writev(fd.get(), iov.data(), IOV_MAX + 1));
  EXPECT_ERRNO(EINVAL, readv(fd.get(), iov.data(), IOV_MAX + 1));
  EXPECT_ERRNO(EINVAL, preadv(fd.get(), iov.data(), IOV_MAX + 1, 0));
  EXPECT_ERRNO(EINVAL, pwritev(fd.get(), iov.data(), IOV_MAX + 1, 0));
  EXPECT_ERRNO(EINVAL, preadv2(fd.get(), iov.data(), IOV_MAX + 1, 0, 0));
  EXPECT_EQ(readv(fd.get(), iov.data(), 0), 0);
  EXPECT_EQ(St("f").st_size, IOV_MAX);
  EXPECT_EQ(preadv(fd.get(), iov.data(), IOV_MAX, 0), IOV_MAX);
}

TEST_P(FileIo, ReadvAndWritevKeepTheOrder) {
  UniqueFd fd(Open("f", O_CREAT | O_RDWR));
  char a[] = "first-", b[] = "", c[] = "second-", d[] = "third";
  struct iovec out[4] = {{a, 6}, {b, 0}, {c, 7}, {d, 5}};
  EXPECT_EQ(writev(fd.get(), out, 4), 18);
  EXPECT_EQ(Contents("f"), "first-second-third");
  ASSERT_EQ(lseek(fd.get(), 0, SEEK_SET), 0);
  char x[4], y[1], z[20] = {};
  struct iovec in[4] = {{x, 4}, {nullptr, 0}, {y, 1}, {z, sizeof z}};
  EXPECT_EQ(readv(fd.get(), in, 4), 18);
  EXPECT_EQ(std::string(x, 4), "firs");
  EXPECT_EQ(y[0], 't');
  EXPECT_EQ(std::string(z, 13), "-second-third");
}

TEST_P(FileIo, ConcurrentWritevsToAnAppendFileDoNotInterleave) {
  // Each writev of a 64-byte record (3 iovecs) to an O_APPEND file lands whole.
  constexpr int kRecords = 200;
  auto writer = [this](char letter) {
    return ForkChild([this, letter] {
      int fd = open(P("f").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      CHILD_CHECK(fd >= 0);
      std::string head(1, letter), body(62, letter), tail("\n");
      for (int i = 0; i < kRecords; i++) {
        struct iovec iov[3] = {{head.data(), 1}, {body.data(), 62}, {tail.data(), 1}};
        CHILD_CHECK(writev(fd, iov, 3) == 64);
      }
      return 0;
    });
  };
  File("f");
  pid_t a = writer('a'), b = writer('b');
  EXPECT_EXITED(WaitStatus(a), 0);
  EXPECT_EXITED(WaitStatus(b), 0);
  std::string s = Contents("f");
  ASSERT_EQ(s.size(), 2u * kRecords * 64);
  int counts[2] = {0, 0};
  for (size_t off = 0; off < s.size(); off += 64) {
    char c = s[off];
    ASSERT_TRUE(c == 'a' || c == 'b') << off;
    EXPECT_EQ(s.substr(off, 63), std::string(63, c)) << "record at " << off;
    EXPECT_EQ(s[off + 63], '\n');
    counts[c - 'a']++;
  }
  EXPECT_EQ(counts[0], kRecords);
  EXPECT_EQ(counts[1], kRecords);
}

// ---- pipes: positional I/O and atomic writev -----------------------------------------------

TEST(PipeIo, PositionalIoESPIPE) {
  Pipe p;
  ASSERT_EQ(write(p.w, "abc", 3), 3);
  char buf[4];
  struct iovec iov = {buf, 1};
  EXPECT_ERRNO(ESPIPE, pread(p.r, buf, 1, 0));
  EXPECT_ERRNO(ESPIPE, pwrite(p.w, "x", 1, 0));
  EXPECT_ERRNO(ESPIPE, preadv(p.r, &iov, 1, 0));
  EXPECT_ERRNO(ESPIPE, pwritev(p.w, &iov, 1, 0));
  EXPECT_ERRNO(ESPIPE, preadv2(p.r, &iov, 1, 0, 0));
  EXPECT_ERRNO(ESPIPE, lseek(p.r, 0, SEEK_CUR));
  // Offset -1 means "the current position", which a pipe has.
  EXPECT_EQ(preadv2(p.r, &iov, 1, -1, 0), 1) << strerror(errno);
  EXPECT_EQ(buf[0], 'a');
  EXPECT_EQ(pwritev2(p.w, &iov, 1, -1, 0), 1) << strerror(errno);
  EXPECT_EQ(read(p.r, buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "bca");
}

TEST(PipeIo, WritevUpToPipeBufIsAtomic) {
  // Two writers each writev 100 records of PIPE_BUF bytes as 4 iovecs; the reader must see
  // only whole records.
  Pipe p;
  constexpr int kRecords = 100;
  auto writer = [&p](char letter) {
    return ForkChild([&p, letter] {
      close(p.r);
      std::string part(PIPE_BUF / 4, letter);
      for (int i = 0; i < kRecords; i++) {
        struct iovec iov[4] = {{part.data(), part.size()}, {part.data(), part.size()},
                               {part.data(), part.size()}, {part.data(), part.size()}};
        CHILD_CHECK(writev(p.w, iov, 4) == PIPE_BUF);
      }
      return 0;
    });
  };
  pid_t a = writer('a'), b = writer('b');
  close(p.w);
  p.w = -1;
  std::string all = ReadAll(p.r);
  EXPECT_EXITED(WaitStatus(a), 0);
  EXPECT_EXITED(WaitStatus(b), 0);
  ASSERT_EQ(all.size(), 2u * kRecords * PIPE_BUF);
  int mixed = 0;
  for (size_t off = 0; off < all.size(); off += PIPE_BUF) {
    if (all.find_first_not_of(all[off], off) < off + PIPE_BUF) mixed++;
  }
  EXPECT_EQ(mixed, 0);
}

TEST(PipeIo, ReadvTakesWhatIsThere) {
  Pipe p;
  ASSERT_EQ(write(p.w, "hello", 5), 5);
  char a[4], b[4];
  struct iovec iov[2] = {{a, 4}, {b, 4}};
  EXPECT_EQ(readv(p.r, iov, 2), 5);
  EXPECT_EQ(std::string(a, 4), "hell");
  EXPECT_EQ(b[0], 'o');
}

// ---- lseek ---------------------------------------------------------------------------------

TEST_P(FileSeek, SetCurEnd) {
  File("f", "0123456789");
  UniqueFd fd(Open("f", O_RDONLY));
  EXPECT_EQ(lseek(fd.get(), 4, SEEK_SET), 4);
  EXPECT_EQ(lseek(fd.get(), -2, SEEK_CUR), 2);
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_END), 10);
  EXPECT_EQ(lseek(fd.get(), 5, SEEK_END), 15);
  EXPECT_EQ(lseek(fd.get(), -10, SEEK_END), 0);
  EXPECT_ERRNO(EINVAL, lseek(fd.get(), -11, SEEK_END));
  EXPECT_ERRNO(EINVAL, lseek(fd.get(), -1, SEEK_CUR));
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 0);
  EXPECT_ERRNO(EINVAL, lseek(fd.get(), 0, 5));  // past SEEK_HOLE
}

TEST_P(FileSeek, WriteBeyondEofLeavesAZeroFilledHole) {
  File("f", "abc");
  UniqueFd fd(Open("f", O_RDWR));
  ASSERT_EQ(lseek(fd.get(), 10, SEEK_END), 13);
  EXPECT_EQ(St("f").st_size, 3);  // seeking alone does not extend
  ASSERT_EQ(write(fd.get(), "Z", 1), 1);
  EXPECT_EQ(St("f").st_size, 14);
  EXPECT_EQ(Contents("f"), "abc" + std::string(10, '\0') + "Z");
  // A far hole, across pages.
  ASSERT_EQ(lseek(fd.get(), 3 * 65536, SEEK_SET), 3 * 65536);
  ASSERT_EQ(write(fd.get(), "Y", 1), 1);
  std::string s = Contents("f");
  ASSERT_EQ(s.size(), 3u * 65536 + 1);
  EXPECT_EQ(s.find_first_not_of('\0', 14), 3u * 65536);
}

TEST_P(FileSeek, DataAndHoleOnADenseFile) {
  File("f", std::string(5000, 'x'));
  UniqueFd fd(Open("f", O_RDONLY));
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_DATA), 0);
  EXPECT_EQ(lseek(fd.get(), 123, SEEK_DATA), 123);
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_HOLE), 5000);  // the implicit hole at EOF
  EXPECT_EQ(lseek(fd.get(), 4999, SEEK_HOLE), 5000);
  EXPECT_ERRNO(ENXIO, lseek(fd.get(), 5000, SEEK_DATA));
  EXPECT_ERRNO(ENXIO, lseek(fd.get(), 5000, SEEK_HOLE));
  EXPECT_ERRNO(ENXIO, lseek(fd.get(), 9999, SEEK_DATA));
  EXPECT_ERRNO(ENXIO, lseek(fd.get(), -1, SEEK_DATA));
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 5000);  // the last successful seek
}

TEST_P(FileSeek, DataAndHoleOnAnEmptyFile) {
  File("f");
  UniqueFd fd(Open("f", O_RDONLY));
  EXPECT_ERRNO(ENXIO, lseek(fd.get(), 0, SEEK_DATA));
  EXPECT_ERRNO(ENXIO, lseek(fd.get(), 0, SEEK_HOLE));
}

TEST_P(FileSeek, DataAndHoleOnASparseFile) {
  // Whether holes inside a file are reported is up to the file system: either the real hole
  // or, for a file system that does not track them, the whole file as data.
  constexpr off_t kMiB = 1 << 20;
  UniqueFd fd(Open("f", O_CREAT | O_RDWR));
  ASSERT_EQ(pwrite(fd.get(), std::string(4096, 'a').data(), 4096, 0), 4096);
  ASSERT_EQ(pwrite(fd.get(), std::string(4096, 'b').data(), 4096, kMiB), 4096);
  off_t hole = lseek(fd.get(), 0, SEEK_HOLE);
  EXPECT_TRUE(hole == 4096 || hole == kMiB + 4096) << hole;
  off_t data = lseek(fd.get(), 8192, SEEK_DATA);
  EXPECT_TRUE(data == 8192 || data == kMiB) << data;
  EXPECT_EQ(hole == 4096, data == kMiB) << "hole " << hole << ", data " << data;
  EXPECT_EQ(lseek(fd.get(), kMiB + 10, SEEK_DATA), kMiB + 10);
  EXPECT_EQ(lseek(fd.get(), kMiB, SEEK_HOLE), kMiB + 4096);
}

// ---- fsync/fdatasync/sync/syncfs -----------------------------------------------------------

TEST_P(FileSync, FsyncAndFdatasyncOnFilesAndDirectories) {
  File("f", "data");
  Dir("d");
  UniqueFd rw(Open("f", O_RDWR));
  UniqueFd ro(Open("f", O_RDONLY));  // read-only descriptors may be synced too
  UniqueFd dfd(Open("d", O_RDONLY | O_DIRECTORY));
  for (int fd : {rw.get(), ro.get(), dfd.get()}) {
    EXPECT_EQ(fsync(fd), 0) << strerror(errno);
    EXPECT_EQ(fdatasync(fd), 0) << strerror(errno);
  }
  ASSERT_EQ(write(rw.get(), "more", 4), 4);
  EXPECT_EQ(fdatasync(rw.get()), 0);
  EXPECT_EQ(Contents("f"), "more");  // written at offset 0
}

TEST_P(FileSync, SyncfsAndSync) {
  File("f", "x");
  UniqueFd fd(Open("f", O_RDONLY));
  EXPECT_EQ(syncfs(fd.get()), 0) << strerror(errno);
  sync();
  EXPECT_EQ(Contents("f"), "x");
  UniqueFd path(Open("f", O_PATH));
  EXPECT_ERRNO(EBADF, fsync(path.get()));
  EXPECT_ERRNO(EBADF, syncfs(path.get()));
}

TEST(SyncMisc, FsyncOnPipesAndCharDevicesEINVAL) {
  Pipe p;
  EXPECT_ERRNO(EINVAL, fsync(p.r));
  EXPECT_ERRNO(EINVAL, fsync(p.w));
  EXPECT_ERRNO(EINVAL, fdatasync(p.w));
  int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_ERRNO(EINVAL, fsync(fd));
  EXPECT_ERRNO(EINVAL, fdatasync(fd));
  close(fd);
  // Nor do /dev/zero and anonymous files.
  for (int other : {open("/dev/zero", O_RDONLY | O_CLOEXEC), eventfd(0, EFD_CLOEXEC), epoll_create1(EPOLL_CLOEXEC)}) {
    ASSERT_GE(other, 0) << strerror(errno);
    EXPECT_ERRNO(EINVAL, fsync(other));
    close(other);
  }
}

TEST(SyncMisc, BadDescriptors) {
  EXPECT_ERRNO(EBADF, fsync(-1));
  EXPECT_ERRNO(EBADF, fdatasync(UnusedFdNumber()));
  EXPECT_ERRNO(EBADF, syncfs(-1));
}

// ---- sendfile ------------------------------------------------------------------------------

TEST_P(Sendfile, FileToFileAdvancesBothPositions) {
  File("in", "0123456789");
  UniqueFd in(Open("in", O_RDONLY));
  UniqueFd out(Open("out", O_CREAT | O_WRONLY));
  ASSERT_EQ(lseek(in.get(), 2, SEEK_SET), 2);
  ASSERT_EQ(write(out.get(), ">", 1), 1);
  EXPECT_EQ(sendfile(out.get(), in.get(), nullptr, 5), 5) << strerror(errno);
  EXPECT_EQ(lseek(in.get(), 0, SEEK_CUR), 7);
  EXPECT_EQ(lseek(out.get(), 0, SEEK_CUR), 6);
  EXPECT_EQ(Contents("out"), ">23456");
}

TEST_P(Sendfile, OffsetPointerLeavesTheInputPosition) {
  File("in", "0123456789");
  UniqueFd in(Open("in", O_RDONLY));
  UniqueFd out(Open("out", O_CREAT | O_WRONLY));
  off_t off = 4;
  EXPECT_EQ(sendfile(out.get(), in.get(), &off, 3), 3) << strerror(errno);
  EXPECT_EQ(off, 7);
  EXPECT_EQ(lseek(in.get(), 0, SEEK_CUR), 0);
  EXPECT_EQ(lseek(out.get(), 0, SEEK_CUR), 3);
  EXPECT_EQ(Contents("out"), "456");
}

TEST_P(Sendfile, CountIsClampedAtEof) {
  File("in", "0123456789");
  UniqueFd in(Open("in", O_RDONLY));
  UniqueFd out(Open("out", O_CREAT | O_WRONLY));
  off_t off = 7;
  EXPECT_EQ(sendfile(out.get(), in.get(), &off, 100), 3);
  EXPECT_EQ(off, 10);
  EXPECT_EQ(sendfile(out.get(), in.get(), &off, 100), 0);
  off = 50;
  EXPECT_EQ(sendfile(out.get(), in.get(), &off, 100), 0);
  EXPECT_EQ(off, 50);
  EXPECT_EQ(sendfile(out.get(), in.get(), nullptr, 0), 0);
  EXPECT_EQ(Contents("out"), "789");
}

TEST_P(Sendfile, FileToPipe) {
  File("in", "through a pipe");
  UniqueFd in(Open("in", O_RDONLY));
  Pipe p;
  EXPECT_EQ(sendfile(p.w, in.get(), nullptr, 100), 14) << strerror(errno);
  char buf[32];
  EXPECT_EQ(read(p.r, buf, sizeof buf), 14);
  EXPECT_EQ(std::string(buf, 14), "through a pipe");
}

TEST_P(Sendfile, Errors) {
  File("in", "abc");
  File("out", "");
  UniqueFd in(Open("in", O_RDONLY));
  UniqueFd in_wo(Open("in", O_WRONLY));
  UniqueFd out(Open("out", O_WRONLY));
  UniqueFd out_ro(Open("out", O_RDONLY));
  UniqueFd out_app(Open("out", O_WRONLY | O_APPEND));
  off_t neg = -1;
  EXPECT_ERRNO(EBADF, sendfile(out.get(), in_wo.get(), nullptr, 3));
  EXPECT_ERRNO(EBADF, sendfile(out_ro.get(), in.get(), nullptr, 3));
  EXPECT_ERRNO(EINVAL, sendfile(out_app.get(), in.get(), nullptr, 3));
  EXPECT_ERRNO(EINVAL, sendfile(out.get(), in.get(), &neg, 3));
  EXPECT_ERRNO(EBADF, sendfile(-1, in.get(), nullptr, 3));
  EXPECT_ERRNO(EFAULT, syscall(SYS_sendfile, out.get(), in.get(), BadPointer(), 3));
  Dir("d");
  UniqueFd dfd(Open("d", O_RDONLY | O_DIRECTORY));
  EXPECT_ERRNO(EINVAL, sendfile(out.get(), dfd.get(), nullptr, 3));
  EXPECT_EQ(Contents("out"), "");
}

// ---- copy_file_range -----------------------------------------------------------------------

TEST_P(CopyRange, WithinOneFile) {
  File("f", "abcdefghij");
  UniqueFd fd(Open("f", O_RDWR));
  loff_t in = 0, out = 10;
  EXPECT_EQ(copy_file_range(fd.get(), &in, fd.get(), &out, 4, 0), 4) << strerror(errno);
  EXPECT_EQ(in, 4);
  EXPECT_EQ(out, 14);
  EXPECT_EQ(Contents("f"), "abcdefghijabcd");
  // Non-overlapping ranges inside the file.
  in = 6;
  out = 0;
  EXPECT_EQ(copy_file_range(fd.get(), &in, fd.get(), &out, 3, 0), 3);
  EXPECT_EQ(Contents("f"), "ghidefghijabcd");
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 0);
}

TEST_P(CopyRange, BetweenFilesExtendsTheOutput) {
  File("a", "0123456789");
  File("b", "xy");
  UniqueFd a(Open("a", O_RDONLY));  // the input only needs read access
  UniqueFd b(Open("b", O_WRONLY));
  loff_t in = 5, out = 6;
  EXPECT_EQ(copy_file_range(a.get(), &in, b.get(), &out, 100, 0), 5) << strerror(errno);
  EXPECT_EQ(Contents("b"), std::string("xy\0\0\0\0" "56789", 11));
  EXPECT_EQ(copy_file_range(a.get(), &in, b.get(), &out, 100, 0), 0);  // input at EOF
  in = 0;
  EXPECT_EQ(copy_file_range(a.get(), &in, b.get(), &out, 0, 0), 0);  // nothing asked
  EXPECT_EQ(in, 0);
}

TEST_P(CopyRange, AppendOutputEBADF) {
  File("a", "abc");
  File("b", "");
  UniqueFd a(Open("a", O_RDONLY));
  UniqueFd b(Open("b", O_WRONLY | O_APPEND));
  EXPECT_ERRNO(EBADF, copy_file_range(a.get(), nullptr, b.get(), nullptr, 3, 0));
  UniqueFd path(Open("a", O_PATH));
  UniqueFd w(Open("b", O_WRONLY));
  EXPECT_ERRNO(EBADF, copy_file_range(path.get(), nullptr, w.get(), nullptr, 3, 0));
  EXPECT_EQ(Contents("b"), "");
}

TEST(CopyRangeAcrossFs, DifferentFileSystemsEXDEV) {
  // Between two of the test directories on different file systems (different st_dev), none
  // of which has its own cross-file-system copy: EXDEV. Natively there is one such directory
  // unless STOCKADE_CONFORMANCE_FS_DIRS names more.
  std::vector<std::string> dirs = FsTestDirs();
  int pairs = 0;
  for (size_t i = 0; i < dirs.size(); i++) {
    for (size_t j = 0; j < dirs.size(); j++) {
      struct stat si, sj;
      if (i == j || stat(dirs[i].c_str(), &si) != 0 || stat(dirs[j].c_str(), &sj) != 0) continue;
      if (si.st_dev == sj.st_dev) continue;
      ScratchDir a(dirs[i]), b(dirs[j]);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_TRUE(WriteFile(a / "src", "cross"));
      int in = open((a / "src").c_str(), O_RDONLY | O_CLOEXEC);
      int out = open((b / "dst").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      ASSERT_GE(in, 0);
      ASSERT_GE(out, 0);
      EXPECT_ERRNO(EXDEV, copy_file_range(in, nullptr, out, nullptr, 5, 0));
      // sendfile has no such restriction.
      off_t off = 0;
      EXPECT_EQ(sendfile(out, in, &off, 5), 5) << dirs[i] << " -> " << dirs[j];
      close(in);
      close(out);
      pairs++;
    }
  }
  if (pairs == 0) GTEST_SKIP() << "no two test directories on different file systems";
}

// ---- ioctl ---------------------------------------------------------------------------------

TEST_P(FileIoctl, FionreadIsWhatRemainsToEof) {
  File("f", "0123456789");
  UniqueFd fd(Open("f", O_RDONLY));
  int n = -1;
  ASSERT_EQ(ioctl(fd.get(), FIONREAD, &n), 0) << strerror(errno);
  EXPECT_EQ(n, 10);
  ASSERT_EQ(lseek(fd.get(), 3, SEEK_SET), 3);
  ASSERT_EQ(ioctl(fd.get(), FIONREAD, &n), 0);
  EXPECT_EQ(n, 7);
  ASSERT_EQ(lseek(fd.get(), 0, SEEK_END), 10);
  ASSERT_EQ(ioctl(fd.get(), FIONREAD, &n), 0);
  EXPECT_EQ(n, 0);
}

TEST_P(FileIoctl, TerminalIoctlOnAFileENOTTY) {
  File("f", "x");
  UniqueFd fd(Open("f", O_RDONLY));
  struct termios t;
  EXPECT_ERRNO(ENOTTY, ioctl(fd.get(), TCGETS, &t));
  EXPECT_ERRNO(ENOTTY, ioctl(fd.get(), TIOCGPGRP, &t));
  // The generic ones work on any file.
  int on = 1;
  EXPECT_EQ(ioctl(fd.get(), FIONBIO, &on), 0);
  EXPECT_TRUE(fcntl(fd.get(), F_GETFL) & O_NONBLOCK);
}

TEST(Ioctl, FionreadOnAPipe) {
  Pipe p;
  int n = -1;
  ASSERT_EQ(ioctl(p.r, FIONREAD, &n), 0) << strerror(errno);
  EXPECT_EQ(n, 0);
  ASSERT_EQ(write(p.w, "1234567", 7), 7);
  ASSERT_EQ(ioctl(p.r, FIONREAD, &n), 0);
  EXPECT_EQ(n, 7);
  ASSERT_EQ(ioctl(p.w, FIONREAD, &n), 0);  // either end
  EXPECT_EQ(n, 7);
  char buf[3];
  ASSERT_EQ(read(p.r, buf, 3), 3);
  ASSERT_EQ(ioctl(p.r, FIONREAD, &n), 0);
  EXPECT_EQ(n, 4);
}

TEST(Ioctl, FionbioTogglesNonblock) {
  Pipe p;
  int on = 1, off = 0;
  ASSERT_EQ(ioctl(p.r, FIONBIO, &on), 0) << strerror(errno);
  EXPECT_EQ(fcntl(p.r, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  char c;
  EXPECT_ERRNO(EAGAIN, read(p.r, &c, 1));
  int dup_fd = dup(p.r);  // the flag lives in the open file description
  EXPECT_EQ(fcntl(dup_fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  ASSERT_EQ(ioctl(p.r, FIONBIO, &off), 0);
  EXPECT_EQ(fcntl(dup_fd, F_GETFL) & O_NONBLOCK, 0);
  close(dup_fd);
}

TEST(Ioctl, FioclexAndFionclex) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ioctl(fd, FIOCLEX), 0) << strerror(errno);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  ASSERT_EQ(ioctl(fd, FIONCLEX), 0) << strerror(errno);
  EXPECT_EQ(fcntl(fd, F_GETFD), 0);
  close(fd);
  EXPECT_ERRNO(EBADF, ioctl(fd, FIOCLEX));
  int n;
  EXPECT_ERRNO(EBADF, ioctl(-1, FIONREAD, &n));
}

// ---- RLIMIT_NOFILE -------------------------------------------------------------------------

TEST(FdLimit, OpenBeyondTheLimitEMFILE) {
  EXPECT_CHILD_OK([] {
    ChildLowerNofile(64);
    int last = ChildOpenUntilEMFILE();
    CHILD_CHECK(last == 63);  // every number below the limit is in use now
    int p[2];
    CHILD_CHECK_ERRNO(pipe(p), EMFILE);
    CHILD_CHECK_ERRNO(dup(0), EMFILE);
    CHILD_CHECK_ERRNO(fcntl(0, F_DUPFD_CLOEXEC, 0), EMFILE);
    CHILD_CHECK_ERRNO(open("/dev/null", O_RDONLY | O_PATH), EMFILE);
    // dup2 onto an open number below the limit still works.
    CHILD_CHECK(dup2(3, 40) == 40);
    CHILD_CHECK(close(40) == 0);
    CHILD_CHECK(open("/dev/null", O_RDONLY) == 40);
    return 0;
  });
}

TEST(FdLimit, LoweringBelowOpenDescriptorsKeepsThem) {
  EXPECT_CHILD_OK([] {
    int high = fcntl(0, F_DUPFD, 100);
    if (high < 0) high = fcntl(open("/dev/null", O_RDONLY), F_DUPFD, 100);
    CHILD_CHECK(high >= 100);
    ChildLowerNofile(50);
    CHILD_CHECK(fcntl(high, F_GETFD) != -1);  // still open
    struct stat st;
    CHILD_CHECK(fstat(high, &st) == 0);
    CHILD_CHECK_ERRNO(dup2(high, high + 1), EBADF);  // a new number above the limit
    CHILD_CHECK(close(high) == 0);
    return 0;
  });
}

}  // namespace
}  // namespace conformance
