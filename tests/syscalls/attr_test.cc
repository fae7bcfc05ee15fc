// File attributes: stat/fstat/lstat/newfstatat/statx, chmod/fchmod/fchmodat, chown/fchown/
// lchown/fchownat, utimensat/futimens, truncate/ftruncate, fallocate, access/faccessat/
// faccessat2, statfs/fstatfs, the umask on creation, and extended attributes
// ({,l,f}{get,set,list,remove}xattr).
// File-system cases run in every directory of FsTestDirs(), each in a fresh ScratchDir.
// Where the outcome depends on privilege (natively root has every capability; the sandbox
// keeps three), the case asks HasCap() and expects the matching result. Where Linux itself
// lets file systems differ (fallocate, user xattrs), the case accepts exactly the allowed
// pair of outcomes and checks that the file system answers consistently.
#include <linux/falloc.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/xattr.h>

#include <algorithm>
#include <set>

#include "test_util.h"

namespace conformance {
namespace {

// ---- helpers -------------------------------------------------------------------------------

// Whether the running kernel (or the Sentry's reported version) is at least maj.min.
bool KernelAtLeast(int maj, int min) {
  struct utsname u;
  if (uname(&u) != 0) return false;
  int a = 0, b = 0;
  if (sscanf(u.release, "%d.%d", &a, &b) != 2) return false;
  return a > maj || (a == maj && b >= min);
}

int64_t Ns(const struct timespec& ts) { return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec; }

int64_t RealtimeNs(clockid_t clock = CLOCK_REALTIME) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return Ns(ts);
}

constexpr int64_t kSecond = 1000000000;

// A fresh scratch directory under each FsTestDirs() entry, with umask 022.
class FsTest : public FsFixture {
 protected:
  FsTest() : FsFixture(022) {}

  // The f_type of the file system under test.
  long FsType() {
    struct statfs sf = {};
    EXPECT_EQ(statfs(D().c_str(), &sf), 0) << strerror(errno);
    return sf.f_type;
  }
  bool IsTmpfs() { return FsType() == TMPFS_MAGIC; }
  // Sets both times of `name` to a fixed point in the past.
  void SetOldTimes(const std::string& name, int flags = 0) {
    struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, P(name).c_str(), ts, flags), 0) << strerror(errno);
  }
};

FS_SUITE(Stat, FsTest);
FS_SUITE(Statx, FsTest);
FS_SUITE(Chmod, FsTest);
FS_SUITE(Chown, FsTest);
FS_SUITE(Utimens, FsTest);
FS_SUITE(Truncate, FsTest);
FS_SUITE(Fallocate, FsTest);
FS_SUITE(Access, FsTest);
FS_SUITE(Statfs, FsTest);
FS_SUITE(Umask, FsTest);
FS_SUITE(Xattr, FsTest);

// ---- stat/fstat/lstat/newfstatat -----------------------------------------------------------

TEST_P(Stat, RegularFileFields) {
  File("f", std::string(5000, 'x'), 0640);
  struct stat st = St("f");
  EXPECT_EQ(st.st_mode, S_IFREG | 0640u);
  EXPECT_EQ(st.st_size, 5000);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getegid());
  EXPECT_GT(st.st_blksize, 0);
  EXPECT_NE(st.st_ino, 0u);
  // Written data occupies at least its size in 512-byte blocks.
  EXPECT_GE(int64_t(st.st_blocks) * 512, 5000);
}

TEST_P(Stat, StatFstatLstatNewfstatatAgree) {
  File("f", "agree");
  struct stat a = St("f"), b, c, d;
  UniqueFd fd(Open("f", O_RDONLY));
  ASSERT_EQ(fstat(fd.get(), &b), 0);
  ASSERT_EQ(lstat(P("f").c_str(), &c), 0);
  UniqueFd dfd(Open("", O_RDONLY | O_DIRECTORY));
  ASSERT_EQ(fstatat(dfd.get(), "f", &d, 0), 0);
  for (const struct stat* s : {&b, &c, &d}) {
    EXPECT_EQ(s->st_dev, a.st_dev);
    EXPECT_EQ(s->st_ino, a.st_ino);
    EXPECT_EQ(s->st_mode, a.st_mode);
    EXPECT_EQ(s->st_size, a.st_size);
    EXPECT_EQ(s->st_nlink, a.st_nlink);
    EXPECT_EQ(Ns(s->st_mtim), Ns(a.st_mtim));
    EXPECT_EQ(Ns(s->st_ctim), Ns(a.st_ctim));
  }
}

TEST_P(Stat, NewDirectoryHasTwoLinksPlusOnePerSubdirectory) {
  Dir("d");
  EXPECT_EQ(St("d").st_nlink, 2u);
  EXPECT_TRUE(S_ISDIR(St("d").st_mode));
  Dir("d/a");
  Dir("d/b");
  File("d/file");  // files do not add links to their directory
  EXPECT_EQ(St("d").st_nlink, 4u);
  ASSERT_EQ(rmdir(P("d/a").c_str()), 0);
  EXPECT_EQ(St("d").st_nlink, 3u);
}

TEST_P(Stat, HardLinkSharesInodeAndCountsLinks) {
  File("f", "data");
  ASSERT_EQ(link(P("f").c_str(), P("g").c_str()), 0) << strerror(errno);
  struct stat f = St("f"), g = St("g");
  EXPECT_EQ(f.st_ino, g.st_ino);
  EXPECT_EQ(f.st_dev, g.st_dev);
  EXPECT_EQ(f.st_nlink, 2u);
  EXPECT_EQ(g.st_nlink, 2u);
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  EXPECT_EQ(St("g").st_nlink, 1u);
}

TEST_P(Stat, SymlinkIsMode0777WithTargetLengthAsSize) {
  File("target", "12345");
  Link("target", "l");
  struct stat st = St("l", false);
  EXPECT_EQ(st.st_mode, S_IFLNK | 0777u);
  EXPECT_EQ(st.st_size, 6);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_uid, geteuid());
  // A symlink's mode ignores the umask.
  ScopedUmask um(077);
  Link("target", "l2");
  EXPECT_EQ(St("l2", false).st_mode, S_IFLNK | 0777u);
}

TEST_P(Stat, FifoType) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0640), 0) << strerror(errno);
  struct stat st = St("fifo");
  EXPECT_EQ(st.st_mode, S_IFIFO | 0640u);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_P(Stat, SizeFollowsWritesAndTruncation) {
  UniqueFd fd(Open("f", O_CREAT | O_RDWR));
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 0);
  ASSERT_EQ(write(fd.get(), "abc", 3), 3);
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
  ASSERT_EQ(pwrite(fd.get(), "z", 1, 99), 1);
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 100);
  EXPECT_EQ(St("f").st_size, 100);  // the path sees the same inode
  ASSERT_EQ(ftruncate(fd.get(), 7), 0);
  EXPECT_EQ(St("f").st_size, 7);
}

TEST_P(Stat, WriteUpdatesMtimeAndCtime) {
  File("f", "x");
  SetOldTimes("f");
  struct stat before = St("f");
  EXPECT_EQ(before.st_mtime, 1000000);
  EXPECT_EQ(before.st_atime, 1000000);
  int64_t start = RealtimeNs(CLOCK_REALTIME_COARSE) - kSecond;
  UniqueFd fd(Open("f", O_WRONLY));
  ASSERT_EQ(write(fd.get(), "y", 1), 1);
  struct stat after = St("f");
  EXPECT_GE(Ns(after.st_mtim), start);
  EXPECT_GE(Ns(after.st_ctim), start);
  EXPECT_EQ(after.st_atime, 1000000);  // writing does not read
}

TEST_P(Stat, ChmodUpdatesCtimeButNotMtime) {
  File("f", "x");
  SetOldTimes("f");
  int64_t start = RealtimeNs(CLOCK_REALTIME_COARSE) - kSecond;
  ASSERT_EQ(chmod(P("f").c_str(), 0600), 0);
  struct stat st = St("f");
  EXPECT_EQ(st.st_mtime, 1000000);
  EXPECT_EQ(st.st_atime, 1000000);
  EXPECT_GE(Ns(st.st_ctim), start);
}

TEST_P(Stat, PathErrors) {
  File("f");
  struct stat st;
  EXPECT_ERRNO(ENOENT, stat(P("missing").c_str(), &st));
  EXPECT_ERRNO(ENOENT, lstat(P("missing").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, stat(P("f/x").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, stat(P("f/").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, lstat(P("f/").c_str(), &st));
  UniqueFd fd(Open("f", O_RDONLY));
  EXPECT_ERRNO(ENOTDIR, fstatat(fd.get(), "x", &st, 0));  // a file as dirfd
  EXPECT_ERRNO(EINVAL, fstatat(fd.get(), "", &st, AT_REMOVEDIR));
}

// ---- statx ---------------------------------------------------------------------------------

int StatxAt(int dirfd, const std::string& path, int flags, unsigned mask, struct statx* stx) {
  return static_cast<int>(syscall(SYS_statx, dirfd, path.c_str(), flags, mask, stx));
}

TEST_P(Statx, BasicStatsMatchStat) {
  File("f", std::string(1234, 'q'), 0604);
  struct stat st = St("f");
  struct statx stx = {};
  ASSERT_EQ(StatxAt(AT_FDCWD, P("f"), 0, STATX_BASIC_STATS, &stx), 0) << strerror(errno);
  EXPECT_EQ(stx.stx_mask & STATX_BASIC_STATS, unsigned(STATX_BASIC_STATS));
  EXPECT_EQ(stx.stx_mode, S_IFREG | 0604u);
  EXPECT_EQ(stx.stx_size, 1234u);
  EXPECT_EQ(stx.stx_nlink, 1u);
  EXPECT_EQ(stx.stx_ino, st.st_ino);
  EXPECT_EQ(stx.stx_uid, st.st_uid);
  EXPECT_EQ(stx.stx_gid, st.st_gid);
  EXPECT_EQ(stx.stx_blocks, uint64_t(st.st_blocks));
  EXPECT_EQ(stx.stx_blksize, uint32_t(st.st_blksize));
  EXPECT_GT(stx.stx_blksize, 0u);
  EXPECT_EQ(makedev(stx.stx_dev_major, stx.stx_dev_minor), st.st_dev);
  EXPECT_EQ(stx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
  EXPECT_EQ(stx.stx_mtime.tv_nsec, uint32_t(st.st_mtim.tv_nsec));
  EXPECT_EQ(stx.stx_atime.tv_sec, st.st_atim.tv_sec);
  EXPECT_EQ(stx.stx_ctime.tv_sec, st.st_ctim.tv_sec);
}

TEST_P(Statx, EmptyPathStatsTheFd) {
  File("f", "abc");
  UniqueFd fd(Open("f", O_RDONLY));
  struct statx stx = {};
  ASSERT_EQ(StatxAt(fd.get(), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), 0) << strerror(errno);
  EXPECT_TRUE(S_ISREG(stx.stx_mode));
  EXPECT_EQ(stx.stx_size, 3u);
  EXPECT_EQ(stx.stx_ino, St("f").st_ino);
  EXPECT_ERRNO(ENOENT, StatxAt(fd.get(), "", 0, STATX_BASIC_STATS, &stx));
  // An O_PATH descriptor works the same way.
  UniqueFd path(Open("f", O_PATH));
  stx = {};
  ASSERT_EQ(StatxAt(path.get(), "", AT_EMPTY_PATH, STATX_SIZE, &stx), 0) << strerror(errno);
  EXPECT_EQ(stx.stx_size, 3u);
}

TEST_P(Statx, DirectoryAndSymlinkNoFollow) {
  Dir("d");
  Link("d", "ld");
  struct statx stx = {};
  ASSERT_EQ(StatxAt(AT_FDCWD, P("ld"), 0, STATX_BASIC_STATS, &stx), 0);
  EXPECT_TRUE(S_ISDIR(stx.stx_mode));
  EXPECT_EQ(stx.stx_nlink, 2u);
  ASSERT_EQ(StatxAt(AT_FDCWD, P("ld"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx), 0);
  EXPECT_TRUE(S_ISLNK(stx.stx_mode));
  EXPECT_EQ(stx.stx_size, 1u);
}

TEST_P(Statx, SyncFlags) {
  File("f", "sync");
  struct statx stx = {};
  for (int flags : {AT_STATX_SYNC_AS_STAT, AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC}) {
    stx = {};
    ASSERT_EQ(StatxAt(AT_FDCWD, P("f"), flags, STATX_BASIC_STATS, &stx), 0)
        << flags << ": " << strerror(errno);
    EXPECT_EQ(stx.stx_size, 4u) << flags;
  }
  // FORCE and DONT together are not a sync type.
  EXPECT_ERRNO(EINVAL, StatxAt(AT_FDCWD, P("f"), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
                             STATX_BASIC_STATS, &stx));
}

TEST_P(Statx, InvalidFlagsAndMaskEINVAL) {
  File("f");
  struct statx stx;
  EXPECT_ERRNO(EINVAL, StatxAt(AT_FDCWD, P("f"), AT_REMOVEDIR, STATX_BASIC_STATS, &stx));
  EXPECT_ERRNO(EINVAL, StatxAt(AT_FDCWD, P("f"), 0x40000000, STATX_BASIC_STATS, &stx));
  EXPECT_ERRNO(EINVAL, StatxAt(AT_FDCWD, P("f"), 0, 0x80000000u /* STATX__RESERVED */, &stx));
  EXPECT_ERRNO(ENOENT, StatxAt(AT_FDCWD, P("missing"), 0, STATX_BASIC_STATS, &stx));
  EXPECT_ERRNO(EFAULT, syscall(SYS_statx, AT_FDCWD, P("f").c_str(), 0, STATX_BASIC_STATS,
                               BadPointer()));
}

// ---- chmod/fchmod/fchmodat -----------------------------------------------------------------

TEST_P(Chmod, KeepsTheFileTypeBits) {
  File("f");
  Dir("d");
  ASSERT_EQ(chmod(P("f").c_str(), 0), 0);
  EXPECT_EQ(Mode("f"), S_IFREG | 0u);
  ASSERT_EQ(chmod(P("d").c_str(), 0700), 0);
  EXPECT_EQ(Mode("d"), S_IFDIR | 0700u);
  // Type bits in the argument are ignored; the file stays a regular file.
  ASSERT_EQ(chmod(P("f").c_str(), S_IFDIR | 0640), 0);
  EXPECT_EQ(Mode("f"), S_IFREG | 0640u);
}

TEST_P(Chmod, SetuidSetgidAndStickyBits) {
  File("f");
  Dir("d");
  ASSERT_EQ(chmod(P("f").c_str(), 04755), 0);
  EXPECT_EQ(Mode("f") & 07777, 04755u);
  ASSERT_EQ(chmod(P("f").c_str(), 02755), 0);  // our own group: kept without CAP_FSETID
  EXPECT_EQ(Mode("f") & 07777, 02755u);
  ASSERT_EQ(chmod(P("f").c_str(), 06711), 0);
  EXPECT_EQ(Mode("f") & 07777, 06711u);
  ASSERT_EQ(chmod(P("d").c_str(), 01777), 0);
  EXPECT_EQ(Mode("d"), S_IFDIR | 01777u);
  ASSERT_EQ(chmod(P("d").c_str(), 02755), 0);
  EXPECT_EQ(Mode("d"), S_IFDIR | 02755u);
}

TEST_P(Chmod, FchmodAndFchmodat) {
  File("f");
  UniqueFd ro(Open("f", O_RDONLY));  // the access mode of the fd does not matter
  ASSERT_EQ(fchmod(ro.get(), 0600), 0) << strerror(errno);
  EXPECT_EQ(Mode("f") & 07777, 0600u);
  UniqueFd dfd(Open("", O_RDONLY | O_DIRECTORY));
  ASSERT_EQ(fchmodat(dfd.get(), "f", 0604, 0), 0) << strerror(errno);
  EXPECT_EQ(Mode("f") & 07777, 0604u);
  // The fd sees the change too.
  struct stat st;
  ASSERT_EQ(fstat(ro.get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
}

TEST_P(Chmod, FollowsSymlinks) {
  File("f");
  Link("f", "l");
  ASSERT_EQ(chmod(P("l").c_str(), 0600), 0);
  EXPECT_EQ(Mode("f") & 07777, 0600u);
  EXPECT_EQ(Mode("l", false), S_IFLNK | 0777u);
  // The raw fchmodat syscall has no flags argument: a fourth argument is ignored and the
  // link is followed.
  ASSERT_EQ(syscall(SYS_fchmodat, AT_FDCWD, P("l").c_str(), 0640, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_EQ(Mode("f") & 07777, 0640u);
  EXPECT_EQ(Mode("l", false), S_IFLNK | 0777u);
}

TEST_P(Chmod, FchmodatNoFollowOnSymlinkEOPNOTSUPP) {
  File("f");
  Link("f", "l");
  // Linux cannot change a symlink's mode: glibc's fchmodat(AT_SYMLINK_NOFOLLOW) (like the
  // kernel's fchmodat2) answers EOPNOTSUPP and changes nothing.
  EXPECT_ERRNO(EOPNOTSUPP, fchmodat(AT_FDCWD, P("l").c_str(), 0600, AT_SYMLINK_NOFOLLOW));
  EXPECT_EQ(Mode("f") & 07777, 0644u);
  EXPECT_EQ(Mode("l", false), S_IFLNK | 0777u);
  // On a non-link it changes the file.
  ASSERT_EQ(fchmodat(AT_FDCWD, P("f").c_str(), 0600, AT_SYMLINK_NOFOLLOW), 0) << strerror(errno);
  EXPECT_EQ(Mode("f") & 07777, 0600u);
}

TEST_P(Chmod, Errors) {
  File("f");
  EXPECT_ERRNO(ENOENT, chmod(P("missing").c_str(), 0644));
  EXPECT_ERRNO(ENOTDIR, chmod(P("f/x").c_str(), 0644));
  EXPECT_ERRNO(EBADF, fchmod(-1, 0644));
  UniqueFd path(Open("f", O_PATH));
  EXPECT_ERRNO(EBADF, fchmod(path.get(), 0600));  // O_PATH descriptors carry no file ops
  EXPECT_ERRNO(EFAULT, syscall(SYS_chmod, BadPointer(), 0644));
  EXPECT_EQ(Mode("f") & 07777, 0644u);
}

// ---- chown/fchown/lchown/fchownat ----------------------------------------------------------

TEST_P(Chown, OwnIdsAlwaysAllowed) {
  File("f");
  Link("f", "l");
  uid_t u = geteuid();
  gid_t g = getegid();
  EXPECT_EQ(chown(P("f").c_str(), u, g), 0) << strerror(errno);
  EXPECT_EQ(lchown(P("l").c_str(), u, g), 0) << strerror(errno);
  UniqueFd fd(Open("f", O_RDONLY));
  EXPECT_EQ(fchown(fd.get(), u, g), 0) << strerror(errno);
  UniqueFd dfd(Open("", O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(fchownat(dfd.get(), "f", u, g, 0), 0) << strerror(errno);
  EXPECT_EQ(fchownat(dfd.get(), "l", u, g, AT_SYMLINK_NOFOLLOW), 0) << strerror(errno);
  struct stat st = St("f");
  EXPECT_EQ(st.st_uid, u);
  EXPECT_EQ(st.st_gid, g);
}

TEST_P(Chown, MinusOneKeepsAField) {
  File("f");
  if (HasCap(CAP_CHOWN)) {
    ASSERT_EQ(chown(P("f").c_str(), 1234, -1), 0) << strerror(errno);
    struct stat st = St("f");
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, getegid());
    ASSERT_EQ(chown(P("f").c_str(), -1, 5678), 0);
    st = St("f");
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
  } else {
    // Without CAP_CHOWN only the no-op changes are possible; -1 still means "keep".
    ASSERT_EQ(chown(P("f").c_str(), -1, getegid()), 0) << strerror(errno);
    ASSERT_EQ(chown(P("f").c_str(), geteuid(), -1), 0) << strerror(errno);
    struct stat st = St("f");
    EXPECT_EQ(st.st_uid, geteuid());
    EXPECT_EQ(st.st_gid, getegid());
  }
  EXPECT_EQ(chown(P("f").c_str(), -1, -1), 0);
}

TEST_P(Chown, GivingAwayNeedsCapChown) {
  File("f");
  UniqueFd fd(Open("f", O_RDONLY));
  if (HasCap(CAP_CHOWN)) {
    EXPECT_EQ(chown(P("f").c_str(), 4321, 4321), 0) << strerror(errno);
    EXPECT_EQ(fchown(fd.get(), 0, 4321), 0) << strerror(errno);
    struct stat st = St("f");
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 4321u);
  } else {
    EXPECT_ERRNO(EPERM, chown(P("f").c_str(), geteuid() + 1, -1));
    // A group we are not in, even as the owner.
    EXPECT_ERRNO(EPERM, fchown(fd.get(), -1, 4321));
    struct stat st = St("f");
    EXPECT_EQ(st.st_uid, geteuid());
    EXPECT_EQ(st.st_gid, getegid());
  }
}

TEST_P(Chown, ClearsSetuidOfARegularFile) {
  File("f");
  ASSERT_EQ(chmod(P("f").c_str(), 04755), 0);
  // Even a no-op chown, even by root: Linux always drops S_ISUID of a non-directory.
  ASSERT_EQ(chown(P("f").c_str(), geteuid(), getegid()), 0) << strerror(errno);
  EXPECT_EQ(Mode("f") & 07777, 0755u);
  // S_ISGID with group execute is dropped as well.
  ASSERT_EQ(chmod(P("f").c_str(), 06755), 0);
  UniqueFd fd(Open("f", O_RDONLY));
  ASSERT_EQ(fchown(fd.get(), -1, -1), 0);
  EXPECT_EQ(Mode("f") & 07777, 0755u);
  // S_ISGID without group execute (not a set-group-ID program) stays for a member of the group.
  ASSERT_EQ(chmod(P("f").c_str(), 02644), 0);
  ASSERT_EQ(chown(P("f").c_str(), geteuid(), getegid()), 0);
  EXPECT_EQ(Mode("f") & 07777, 02644u);
}

TEST_P(Chown, DirectoryKeepsSetgid) {
  Dir("d");
  ASSERT_EQ(chmod(P("d").c_str(), 02755), 0);
  ASSERT_EQ(chown(P("d").c_str(), geteuid(), getegid()), 0) << strerror(errno);
  EXPECT_EQ(Mode("d"), S_IFDIR | 02755u);
}

TEST_P(Chown, FchownatFlagsAndErrors) {
  File("f");
  UniqueFd dfd(Open("", O_RDONLY | O_DIRECTORY));
  EXPECT_ERRNO(EINVAL, fchownat(dfd.get(), "f", geteuid(), getegid(), 0x1));
  EXPECT_ERRNO(ENOENT, fchownat(dfd.get(), "missing", geteuid(), getegid(), 0));
  EXPECT_ERRNO(ENOENT, chown(P("missing").c_str(), geteuid(), getegid()));
  EXPECT_ERRNO(EBADF, fchown(-1, geteuid(), getegid()));
  UniqueFd path(Open("f", O_PATH));
  EXPECT_ERRNO(EBADF, fchown(path.get(), geteuid(), getegid()));
  // ... though fchownat(AT_EMPTY_PATH) accepts it.
  EXPECT_EQ(fchownat(path.get(), "", geteuid(), getegid(), AT_EMPTY_PATH), 0) << strerror(errno);
}

// ---- utimensat/futimens --------------------------------------------------------------------

TEST_P(Utimens, ExplicitTimesWithNanoseconds) {
  File("f");
  struct timespec ts[2] = {{1000, 123456789}, {2000, 987654321}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), ts, 0), 0) << strerror(errno);
  struct stat st = St("f");
  EXPECT_EQ(st.st_atim.tv_sec, 1000);
  EXPECT_EQ(st.st_atim.tv_nsec, 123456789);
  EXPECT_EQ(st.st_mtim.tv_sec, 2000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 987654321);
  // Before the epoch is allowed too.
  struct timespec neg[2] = {{-100, 0}, {-200, 500}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), neg, 0), 0) << strerror(errno);
  st = St("f");
  EXPECT_EQ(st.st_atim.tv_sec, -100);
  EXPECT_EQ(st.st_mtim.tv_sec, -200);
  EXPECT_EQ(st.st_mtim.tv_nsec, 500);
}

TEST_P(Utimens, OmitLeavesAFieldAlone) {
  File("f");
  struct timespec ts[2] = {{1000, 1}, {2000, 2}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), ts, 0), 0);
  struct timespec only_atime[2] = {{3000, 3}, {0, UTIME_OMIT}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), only_atime, 0), 0);
  struct stat st = St("f");
  EXPECT_EQ(Ns(st.st_atim), 3000 * kSecond + 3);
  EXPECT_EQ(Ns(st.st_mtim), 2000 * kSecond + 2);
  struct timespec only_mtime[2] = {{0, UTIME_OMIT}, {4000, 4}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), only_mtime, 0), 0);
  st = St("f");
  EXPECT_EQ(Ns(st.st_atim), 3000 * kSecond + 3);
  EXPECT_EQ(Ns(st.st_mtim), 4000 * kSecond + 4);
}

TEST_P(Utimens, BothOmitIsANoOpThatSkipsThePath) {
  File("f");
  SetOldTimes("f");
  struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  EXPECT_EQ(utimensat(AT_FDCWD, P("f").c_str(), ts, 0), 0);
  EXPECT_EQ(St("f").st_mtime, 1000000);
  // Linux returns before it even looks the path up.
  EXPECT_EQ(syscall(SYS_utimensat, AT_FDCWD, P("missing").c_str(), ts, 0), 0);
}

TEST_P(Utimens, NowAndNullSetTheCurrentTime) {
  File("f");
  SetOldTimes("f");
  int64_t start = RealtimeNs(CLOCK_REALTIME_COARSE) - kSecond;
  struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), now, 0), 0);
  struct stat st = St("f");
  EXPECT_GE(Ns(st.st_atim), start);
  EXPECT_LE(Ns(st.st_atim), RealtimeNs() + kSecond);
  EXPECT_EQ(st.st_mtime, 1000000);
  SetOldTimes("f");
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), nullptr, 0), 0);
  st = St("f");
  EXPECT_GE(Ns(st.st_atim), start);
  EXPECT_GE(Ns(st.st_mtim), start);
  EXPECT_LE(Ns(st.st_mtim), RealtimeNs() + kSecond);
}

TEST_P(Utimens, FutimensOnDescriptors) {
  File("f");
  UniqueFd fd(Open("f", O_RDONLY));
  struct timespec ts[2] = {{5000, 5}, {6000, 6}};
  ASSERT_EQ(futimens(fd.get(), ts), 0) << strerror(errno);
  struct stat st = St("f");
  EXPECT_EQ(Ns(st.st_atim), 5000 * kSecond + 5);
  EXPECT_EQ(Ns(st.st_mtim), 6000 * kSecond + 6);
  // A directory descriptor works; a NULL path with a real fd is futimens itself.
  Dir("d");
  UniqueFd dfd(Open("d", O_RDONLY | O_DIRECTORY));
  ASSERT_EQ(syscall(SYS_utimensat, dfd.get(), nullptr, ts, 0), 0) << strerror(errno);
  EXPECT_EQ(St("d").st_mtime, 6000);
  // AT_EMPTY_PATH on an O_PATH descriptor.
  UniqueFd path(Open("f", O_PATH));
  struct timespec ts2[2] = {{7000, 0}, {8000, 0}};
  ASSERT_EQ(utimensat(path.get(), "", ts2, AT_EMPTY_PATH), 0) << strerror(errno);
  EXPECT_EQ(St("f").st_mtime, 8000);
}

TEST_P(Utimens, UpdatesCtime) {
  File("f");
  int64_t start = RealtimeNs(CLOCK_REALTIME_COARSE) - kSecond;
  SetOldTimes("f");
  struct stat st = St("f");
  EXPECT_EQ(st.st_mtime, 1000000);
  EXPECT_GE(Ns(st.st_ctim), start);  // ctime cannot be set: it becomes now
}

TEST_P(Utimens, Errors) {
  File("f");
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  EXPECT_ERRNO(EINVAL, utimensat(AT_FDCWD, P("f").c_str(), bad, 0));
  struct timespec neg[2] = {{0, 0}, {0, -1}};
  EXPECT_ERRNO(EINVAL, utimensat(AT_FDCWD, P("f").c_str(), neg, 0));
  EXPECT_ERRNO(EINVAL, utimensat(AT_FDCWD, P("f").c_str(), nullptr, 0x4000));
  EXPECT_ERRNO(ENOENT, utimensat(AT_FDCWD, P("missing").c_str(), nullptr, 0));
  EXPECT_ERRNO(EBADF, futimens(-1, nullptr));
  EXPECT_ERRNO(EFAULT, syscall(SYS_utimensat, AT_FDCWD, P("f").c_str(), BadPointer(), 0));
  UniqueFd path(Open("f", O_PATH));
  EXPECT_ERRNO(EBADF, futimens(path.get(), nullptr));
}

// ---- truncate/ftruncate --------------------------------------------------------------------

TEST_P(Truncate, PathGrowsWithZerosAndShrinks) {
  File("f", "abc");
  ASSERT_EQ(truncate(P("f").c_str(), 10), 0) << strerror(errno);
  EXPECT_EQ(Contents("f"), std::string("abc\0\0\0\0\0\0\0", 10));
  ASSERT_EQ(truncate(P("f").c_str(), 1), 0);
  EXPECT_EQ(Contents("f"), "a");
  ASSERT_EQ(truncate(P("f").c_str(), 0), 0);
  EXPECT_EQ(St("f").st_size, 0);
}

TEST_P(Truncate, ShrinkThenGrowDoesNotResurrectData) {
  File("f", "abcdefghij");
  UniqueFd fd(Open("f", O_RDWR));
  ASSERT_EQ(ftruncate(fd.get(), 2), 0);
  ASSERT_EQ(ftruncate(fd.get(), 6), 0);
  EXPECT_EQ(Contents("f"), std::string("ab\0\0\0\0", 6));
  // A big sparse extension reads as zeros at its end.
  ASSERT_EQ(ftruncate(fd.get(), 1 << 20), 0);
  char buf[4] = {1, 1, 1, 1};
  ASSERT_EQ(pread(fd.get(), buf, 4, (1 << 20) - 4), 4);
  EXPECT_EQ(std::string(buf, 4), std::string(4, '\0'));
}

TEST_P(Truncate, DoesNotMoveTheOffset) {
  File("f", "0123456789");
  UniqueFd fd(Open("f", O_RDWR));
  ASSERT_EQ(lseek(fd.get(), 8, SEEK_SET), 8);
  ASSERT_EQ(ftruncate(fd.get(), 4), 0);
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 8);
  char c;
  EXPECT_EQ(read(fd.get(), &c, 1), 0);
  // Writing at the old offset leaves a hole.
  ASSERT_EQ(write(fd.get(), "X", 1), 1);
  EXPECT_EQ(Contents("f"), std::string("0123\0\0\0\0X", 9));
}

TEST_P(Truncate, FollowsSymlinks) {
  File("f", "abcdef");
  Link("f", "l");
  ASSERT_EQ(truncate(P("l").c_str(), 2), 0);
  EXPECT_EQ(Contents("f"), "ab");
}

TEST_P(Truncate, UpdatesMtimeAndCtime) {
  File("f", "abcdef");
  SetOldTimes("f");
  int64_t start = RealtimeNs(CLOCK_REALTIME_COARSE) - kSecond;
  ASSERT_EQ(truncate(P("f").c_str(), 3), 0);
  struct stat st = St("f");
  EXPECT_GE(Ns(st.st_mtim), start);
  EXPECT_GE(Ns(st.st_ctim), start);
  SetOldTimes("f");
  UniqueFd fd(Open("f", O_WRONLY));
  ASSERT_EQ(ftruncate(fd.get(), 10), 0);
  st = St("f");
  EXPECT_GE(Ns(st.st_mtim), start);
}

TEST_P(Truncate, NegativeLengthEINVAL) {
  File("f", "abc");
  EXPECT_ERRNO(EINVAL, truncate(P("f").c_str(), -1));
  UniqueFd fd(Open("f", O_RDWR));
  EXPECT_ERRNO(EINVAL, ftruncate(fd.get(), -1));
  EXPECT_EQ(St("f").st_size, 3);
}

TEST_P(Truncate, DirectoryEISDIRByPathEINVALByFd) {
  Dir("d");
  EXPECT_ERRNO(EISDIR, truncate(P("d").c_str(), 0));
  UniqueFd dfd(Open("d", O_RDONLY | O_DIRECTORY));
  EXPECT_ERRNO(EINVAL, ftruncate(dfd.get(), 0));
}

TEST_P(Truncate, FtruncateNeedsAWritableRegularFile) {
  File("f", "abc");
  UniqueFd ro(Open("f", O_RDONLY));
  EXPECT_ERRNO(EINVAL, ftruncate(ro.get(), 0));
  UniqueFd path(Open("f", O_PATH));
  EXPECT_ERRNO(EBADF, ftruncate(path.get(), 0));
  EXPECT_ERRNO(EBADF, ftruncate(-1, 0));
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  EXPECT_ERRNO(EINVAL, ftruncate(p[1], 0));
  close(p[0]);
  close(p[1]);
  EXPECT_EQ(St("f").st_size, 3);
}

TEST_P(Truncate, PathErrorsAndPermission) {
  File("f", "abc", 0444);
  EXPECT_ERRNO(ENOENT, truncate(P("missing").c_str(), 0));
  EXPECT_ERRNO(ENOTDIR, truncate(P("f/x").c_str(), 0));
  // truncate(2) needs write permission on the file; root's CAP_DAC_OVERRIDE bypasses it.
  if (HasCap(CAP_DAC_OVERRIDE)) {
    EXPECT_EQ(truncate(P("f").c_str(), 1), 0) << strerror(errno);
    EXPECT_EQ(St("f").st_size, 1);
  } else {
    EXPECT_ERRNO(EACCES, truncate(P("f").c_str(), 1));
    EXPECT_EQ(St("f").st_size, 3);
  }
}

// ---- fallocate -----------------------------------------------------------------------------

// fallocate support is up to the file system (EOPNOTSUPP otherwise); Linux's tmpfs has modes
// 0, KEEP_SIZE and PUNCH_HOLE, so there they must work. Returns whether the call worked.
bool FallocateOk(bool tmpfs, int fd, int mode, off_t off, off_t len) {
  errno = 0;
  int r = fallocate(fd, mode, off, len);
  if (r == 0) return true;
  int e = errno;
  if (tmpfs) {
    ADD_FAILURE() << "fallocate(mode " << mode << ") on tmpfs: " << strerror(e);
  } else {
    EXPECT_EQ(e, EOPNOTSUPP) << "fallocate(mode " << mode << "): " << strerror(e);
  }
  return false;
}

TEST_P(Fallocate, ModeZeroExtendsTheSizeWithZeros) {
  UniqueFd fd(Open("f", O_CREAT | O_RDWR));
  ASSERT_EQ(write(fd.get(), "abc", 3), 3);
  if (!FallocateOk(IsTmpfs(), fd.get(), 0, 0, 8192)) return;
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 8192);
  EXPECT_GE(int64_t(st.st_blocks) * 512, 8192);
  EXPECT_EQ(Contents("f"), "abc" + std::string(8189, '\0'));
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 3);  // the offset stays
}

TEST_P(Fallocate, ModeZeroInsideTheFileKeepsData) {
  File("f", std::string(10000, 'd'));
  UniqueFd fd(Open("f", O_RDWR));
  if (!FallocateOk(IsTmpfs(), fd.get(), 0, 100, 4000)) return;
  EXPECT_EQ(Contents("f"), std::string(10000, 'd'));
}

TEST_P(Fallocate, KeepSizeAllocatesWithoutGrowing) {
  File("f", "0123456789");
  UniqueFd fd(Open("f", O_RDWR));
  if (!FallocateOk(IsTmpfs(), fd.get(), FALLOC_FL_KEEP_SIZE, 0, 65536)) return;
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_size, 10);
  EXPECT_GE(int64_t(st.st_blocks) * 512, 65536);
  EXPECT_EQ(Contents("f"), "0123456789");
}

TEST_P(Fallocate, PunchHoleZeroesTheRange) {
  File("f", std::string(3 * 4096, 'x'));
  UniqueFd fd(Open("f", O_RDWR));
  if (!FallocateOk(IsTmpfs(), fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096,
                   4096)) {
    return;
  }
  // Also a range that is not block aligned.
  ASSERT_EQ(fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 50), 0)
      << strerror(errno);
  std::string want(3 * 4096, 'x');
  std::fill(want.begin() + 4096, want.begin() + 8192, '\0');
  std::fill(want.begin() + 100, want.begin() + 150, '\0');
  EXPECT_EQ(Contents("f"), want);
  EXPECT_EQ(St("f").st_size, 3 * 4096);
  // Punching beyond the end changes nothing and does not grow the file.
  ASSERT_EQ(fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 20000, 4096), 0);
  EXPECT_EQ(St("f").st_size, 3 * 4096);
}

TEST_P(Fallocate, PunchHoleRequiresKeepSize) {
  File("f", std::string(8192, 'x'));
  UniqueFd fd(Open("f", O_RDWR));
  // Checked by the VFS before any file system: the same answer everywhere.
  EXPECT_ERRNO(EOPNOTSUPP, fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE, 0, 4096));
  EXPECT_ERRNO(EOPNOTSUPP, fallocate(fd.get(), 0x80 /* no such mode */, 0, 4096));
  EXPECT_EQ(Contents("f"), std::string(8192, 'x'));
}

TEST_P(Fallocate, ArgumentAndDescriptorErrors) {
  File("f", "abc");
  UniqueFd fd(Open("f", O_RDWR));
  EXPECT_ERRNO(EINVAL, fallocate(fd.get(), 0, 0, 0));
  EXPECT_ERRNO(EINVAL, fallocate(fd.get(), 0, -1, 10));
  EXPECT_ERRNO(EINVAL, fallocate(fd.get(), 0, 0, -10));
  EXPECT_ERRNO(EFBIG, fallocate(fd.get(), 0, 0x7fffffffffffff00LL, 0x1000));  // wraps
  UniqueFd ro(Open("f", O_RDONLY));
  EXPECT_ERRNO(EBADF, fallocate(ro.get(), 0, 0, 10));
  Dir("d");
  UniqueFd dfd(Open("d", O_RDONLY | O_DIRECTORY));
  EXPECT_ERRNO(EBADF, fallocate(dfd.get(), 0, 0, 10));  // not open for writing
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  EXPECT_ERRNO(ESPIPE, fallocate(p[1], 0, 0, 10));
  close(p[0]);
  close(p[1]);
  EXPECT_ERRNO(EBADF, fallocate(-1, 0, 0, 10));
  EXPECT_EQ(St("f").st_size, 3);
}

// ---- access/faccessat/faccessat2 -----------------------------------------------------------

TEST_P(Access, ExistenceAndReadWrite) {
  File("f", "", 0644);
  EXPECT_EQ(access(P("f").c_str(), F_OK), 0);
  EXPECT_EQ(access(P("f").c_str(), R_OK | W_OK), 0);
  EXPECT_ERRNO(ENOENT, access(P("missing").c_str(), F_OK));
  EXPECT_ERRNO(ENOTDIR, access(P("f/x").c_str(), F_OK));
  File("ro", "", 0444);
  EXPECT_EQ(access(P("ro").c_str(), R_OK), 0);
  // Writing a read-only file: root's CAP_DAC_OVERRIDE passes, a plain owner does not.
  if (HasCap(CAP_DAC_OVERRIDE)) {
    EXPECT_EQ(access(P("ro").c_str(), W_OK), 0);
  } else {
    EXPECT_ERRNO(EACCES, access(P("ro").c_str(), W_OK));
  }
}

TEST_P(Access, ModeZeroFile) {
  File("f", "", 0);
  EXPECT_EQ(access(P("f").c_str(), F_OK), 0);
  if (HasCap(CAP_DAC_OVERRIDE)) {
    EXPECT_EQ(access(P("f").c_str(), R_OK | W_OK), 0);
  } else {
    EXPECT_ERRNO(EACCES, access(P("f").c_str(), R_OK));
    EXPECT_ERRNO(EACCES, access(P("f").c_str(), W_OK));
  }
  // Even root needs an execute bit somewhere for X_OK on a non-directory.
  EXPECT_ERRNO(EACCES, access(P("f").c_str(), X_OK));
}

TEST_P(Access, ExecuteNeedsAnXBit) {
  File("u", "", 0700);
  File("o", "", 0601);
  EXPECT_EQ(access(P("u").c_str(), X_OK), 0);
  // Only "other" may execute: root (CAP_DAC_OVERRIDE) may since some x bit is set; the owner
  // is judged by the owner bits alone.
  if (HasCap(CAP_DAC_OVERRIDE)) {
    EXPECT_EQ(access(P("o").c_str(), X_OK), 0);
  } else {
    EXPECT_ERRNO(EACCES, access(P("o").c_str(), X_OK));
  }
}

TEST_P(Access, DirectorySearch) {
  Dir("d", 0);
  // For directories CAP_DAC_OVERRIDE (or DAC_READ_SEARCH) covers search without any x bit.
  if (HasCap(CAP_DAC_OVERRIDE)) {
    EXPECT_EQ(access(P("d").c_str(), X_OK | R_OK | W_OK), 0);
  } else {
    EXPECT_ERRNO(EACCES, access(P("d").c_str(), X_OK));
    EXPECT_ERRNO(EACCES, access(P("d").c_str(), R_OK));
  }
  ASSERT_EQ(chmod(P("d").c_str(), 0700), 0);
  EXPECT_EQ(access(P("d").c_str(), X_OK | R_OK | W_OK), 0);
}

TEST_P(Access, FaccessatDirfdAndEaccess) {
  File("f", "", 0640);
  UniqueFd dfd(Open("", O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(faccessat(dfd.get(), "f", R_OK | W_OK, 0), 0);
  EXPECT_EQ(faccessat(dfd.get(), "f", R_OK, AT_EACCESS), 0) << strerror(errno);
  EXPECT_ERRNO(EACCES, faccessat(dfd.get(), "f", X_OK, AT_EACCESS));
  EXPECT_EQ(syscall(SYS_faccessat2, dfd.get(), "f", R_OK, AT_EACCESS), 0) << strerror(errno);
  EXPECT_ERRNO(ENOENT, syscall(SYS_faccessat2, dfd.get(), "missing", F_OK, AT_EACCESS));
}

TEST_P(Access, Faccessat2EmptyPath) {
  File("f", "", 0644);
  UniqueFd fd(Open("f", O_PATH));
  EXPECT_EQ(syscall(SYS_faccessat2, fd.get(), "", R_OK, AT_EMPTY_PATH), 0) << strerror(errno);
  EXPECT_ERRNO(EACCES, syscall(SYS_faccessat2, fd.get(), "", X_OK, AT_EMPTY_PATH));
  EXPECT_ERRNO(ENOENT, syscall(SYS_faccessat2, fd.get(), "", R_OK, 0));
}

TEST_P(Access, Faccessat2NoFollowChecksTheLink) {
  File("f", "", 0644);
  Link("f", "l");
  // A symlink's own permissions are 0777, but X_OK on it checks the link itself only with
  // AT_SYMLINK_NOFOLLOW; without it the target (no x bit) decides.
  EXPECT_ERRNO(EACCES, syscall(SYS_faccessat2, AT_FDCWD, P("l").c_str(), X_OK, 0));
  EXPECT_EQ(syscall(SYS_faccessat2, AT_FDCWD, P("l").c_str(), X_OK, AT_SYMLINK_NOFOLLOW), 0)
      << strerror(errno);
}

TEST_P(Access, InvalidModeAndFlagsEINVAL) {
  File("f");
  EXPECT_ERRNO(EINVAL, access(P("f").c_str(), 8));
  EXPECT_ERRNO(EINVAL, syscall(SYS_faccessat, AT_FDCWD, P("f").c_str(), 0x10));
  EXPECT_ERRNO(EINVAL, syscall(SYS_faccessat2, AT_FDCWD, P("f").c_str(), F_OK, 0x1));
  EXPECT_ERRNO(EINVAL, syscall(SYS_faccessat2, AT_FDCWD, P("f").c_str(), -1, 0));
}

// ---- statfs/fstatfs ------------------------------------------------------------------------

TEST_P(Statfs, StatfsAndFstatfsAgree) {
  File("f", "x");
  struct statfs a = {}, b = {};
  ASSERT_EQ(statfs(D().c_str(), &a), 0) << strerror(errno);
  UniqueFd fd(Open("f", O_RDONLY));
  ASSERT_EQ(fstatfs(fd.get(), &b), 0) << strerror(errno);
  EXPECT_EQ(a.f_type, b.f_type);
  EXPECT_EQ(a.f_bsize, b.f_bsize);
  EXPECT_EQ(a.f_namelen, b.f_namelen);
  EXPECT_EQ(a.f_blocks, b.f_blocks);
  EXPECT_EQ(a.f_fsid.__val[0], b.f_fsid.__val[0]);
  EXPECT_EQ(a.f_fsid.__val[1], b.f_fsid.__val[1]);
}

TEST_P(Statfs, SaneFields) {
  struct statfs sf = {};
  ASSERT_EQ(statfs(D().c_str(), &sf), 0) << strerror(errno);
  EXPECT_NE(sf.f_type, 0);
  EXPECT_GT(sf.f_bsize, 0);
  EXPECT_GT(sf.f_frsize, 0);
  EXPECT_EQ(sf.f_namelen, 255);
  EXPECT_GE(sf.f_blocks, sf.f_bfree);
  EXPECT_GE(sf.f_bfree, sf.f_bavail);
  // Linux always reports ST_VALID; the test directories are writable.
  EXPECT_TRUE(sf.f_flags & 0x20 /* ST_VALID */) << std::hex << sf.f_flags;
  EXPECT_FALSE(sf.f_flags & ST_RDONLY) << std::hex << sf.f_flags;
}

TEST_P(Statfs, OPathDescriptorAndSymlinks) {
  File("f");
  Link("f", "l");
  struct statfs a = {}, b = {}, c = {};
  ASSERT_EQ(statfs(D().c_str(), &a), 0);
  UniqueFd path(Open("f", O_PATH));
  // fstatfs takes O_PATH descriptors.
  ASSERT_EQ(fstatfs(path.get(), &b), 0) << strerror(errno);
  EXPECT_EQ(a.f_type, b.f_type);
  ASSERT_EQ(statfs(P("l").c_str(), &c), 0) << strerror(errno);
  EXPECT_EQ(a.f_type, c.f_type);
}

TEST(StatfsSpecial, ProcIsProcSuperMagic) {
  struct statfs sf = {};
  ASSERT_EQ(statfs("/proc", &sf), 0) << strerror(errno);
  EXPECT_EQ(sf.f_type, PROC_SUPER_MAGIC);
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct statfs f = {};
  ASSERT_EQ(fstatfs(fd, &f), 0);
  EXPECT_EQ(f.f_type, PROC_SUPER_MAGIC);
  close(fd);
}

TEST(StatfsSpecial, TmpfsMountsAreTmpfsMagic) {
  // Every tmpfs mount point listed in /proc/self/mounts (natively e.g. /dev/shm, in the
  // sandbox /tmp) reports TMPFS_MAGIC.
  int fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  std::string mounts = ReadAll(fd);
  close(fd);
  int checked = 0;
  size_t pos = 0;
  while (pos < mounts.size()) {
    size_t nl = mounts.find('\n', pos);
    if (nl == std::string::npos) nl = mounts.size();
    std::string line = mounts.substr(pos, nl - pos);
    pos = nl + 1;
    char dev[256], dir[1024], type[64];
    if (sscanf(line.c_str(), "%255s %1023s %63s", dev, dir, type) != 3) continue;
    if (strcmp(type, "tmpfs") != 0 || strchr(dir, '\\') != nullptr) continue;
    struct statfs sf = {};
    if (statfs(dir, &sf) != 0) continue;  // e.g. hidden by a later mount
    EXPECT_EQ(sf.f_type, TMPFS_MAGIC) << dir;
    checked++;
  }
  if (checked == 0) GTEST_SKIP() << "no tmpfs mount visible";
  if (InSandbox()) {
    // run_in_sandbox.sh mounts a tmpfs at /tmp.
    struct statfs sf = {};
    ASSERT_EQ(statfs("/tmp", &sf), 0);
    EXPECT_EQ(sf.f_type, TMPFS_MAGIC);
  }
}

TEST(StatfsSpecial, Errors) {
  struct statfs sf;
  EXPECT_ERRNO(ENOENT, statfs("/nonexistent/dir", &sf));
  EXPECT_ERRNO(ENOTDIR, statfs("/proc/self/status/x", &sf));
  EXPECT_ERRNO(EFAULT, syscall(SYS_statfs, BadPointer(), &sf));
  EXPECT_ERRNO(EFAULT, syscall(SYS_statfs, "/", BadPointer()));
  EXPECT_ERRNO(EBADF, fstatfs(-1, &sf));
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_ERRNO(EFAULT, syscall(SYS_fstatfs, fd, BadPointer()));
  close(fd);
}

// ---- umask ---------------------------------------------------------------------------------

TEST_P(Umask, AppliesToOpenCreate) {
  ScopedUmask um(027);
  UniqueFd fd(Open("f", O_CREAT | O_WRONLY, 0666));
  EXPECT_EQ(Mode("f"), S_IFREG | 0640u);
  // Only on creation: opening an existing file with O_CREAT keeps its mode.
  ASSERT_EQ(chmod(P("f").c_str(), 0666), 0);
  UniqueFd again(Open("f", O_CREAT | O_WRONLY, 0600));
  EXPECT_EQ(Mode("f"), S_IFREG | 0666u);
  UniqueFd c(creat(P("c").c_str(), 0777));
  EXPECT_EQ(Mode("c"), S_IFREG | 0750u);
}

TEST_P(Umask, AppliesToMkdirAndMkfifo) {
  ScopedUmask um(077);
  Dir("d", 0777);
  EXPECT_EQ(Mode("d"), S_IFDIR | 0700u);
  umask(022);
  ASSERT_EQ(mkfifo(P("p").c_str(), 0666), 0) << strerror(errno);
  EXPECT_EQ(Mode("p"), S_IFIFO | 0644u);
  ASSERT_EQ(mknod(P("q").c_str(), S_IFIFO | 0777, 0), 0) << strerror(errno);
  EXPECT_EQ(Mode("q"), S_IFIFO | 0755u);
  ASSERT_EQ(mknod(P("r").c_str(), S_IFREG | 0666, 0), 0) << strerror(errno);
  EXPECT_EQ(Mode("r"), S_IFREG | 0644u);
}

TEST_P(Umask, SpecialBitsOfMkdir) {
  ScopedUmask um(022);
  // mkdir keeps the sticky bit of its argument but drops S_ISUID and S_ISGID (a directory
  // gets S_ISGID only from a set-group-ID parent).
  Dir("sticky", 01777);
  EXPECT_EQ(Mode("sticky"), S_IFDIR | 01755u);
  Dir("all", 07777);
  EXPECT_EQ(Mode("all"), S_IFDIR | 01755u);
}

TEST_P(Umask, NotAppliedToChmod) {
  ScopedUmask um(077);
  File("f", "", 0600);
  ASSERT_EQ(chmod(P("f").c_str(), 0777), 0);
  EXPECT_EQ(Mode("f"), S_IFREG | 0777u);
  UniqueFd fd(Open("f", O_RDONLY));
  ASSERT_EQ(fchmod(fd.get(), 0755), 0);
  EXPECT_EQ(Mode("f"), S_IFREG | 0755u);
}

TEST_P(Umask, SetuidAndSetgidBitsOfOpenModeAreKept) {
  ScopedUmask um(022);
  UniqueFd fd(Open("f", O_CREAT | O_WRONLY, 06777));
  EXPECT_EQ(Mode("f") & 07777, 06755u);
}

// ---- extended attributes ------------------------------------------------------------------

std::set<std::string> UserNames(const char* list, ssize_t n) {
  std::set<std::string> out;
  for (ssize_t off = 0; off < n;) {
    std::string name(list + off);
    if (name.rfind("user.", 0) == 0) out.insert(name);
    off += name.size() + 1;
  }
  return out;
}

// Xattr cases: "xattrs where the backing store allows; EOPNOTSUPP otherwise". Linux's tmpfs
// keeps user.* attributes since 6.6. ProbeUserXattrs asks once per case, on its fresh file,
// and when the answer is EOPNOTSUPP checks that the other calls agree.
bool ProbeUserXattrs(const std::string& path, bool tmpfs) {
  errno = 0;
  int r = setxattr(path.c_str(), "user.probe", "1", 1, 0);
  int e = errno;
  if (r == 0) {
    EXPECT_EQ(removexattr(path.c_str(), "user.probe"), 0) << strerror(errno);
    return true;
  }
  EXPECT_EQ(e, EOPNOTSUPP) << "setxattr: " << strerror(e);
  if (tmpfs && KernelAtLeast(6, 6)) {
    ADD_FAILURE() << "tmpfs keeps user.* xattrs since Linux 6.6";
  }
  // Unsupported: the other calls must say so consistently.
  char buf[64];
  EXPECT_ERRNO(EOPNOTSUPP, getxattr(path.c_str(), "user.probe", buf, sizeof buf));
  EXPECT_ERRNO(EOPNOTSUPP, removexattr(path.c_str(), "user.probe"));
  ssize_t n = listxattr(path.c_str(), buf, sizeof buf);
  EXPECT_GE(n, 0) << strerror(errno);
  if (n >= 0) {
    EXPECT_TRUE(UserNames(buf, n).empty());
  }
  return false;
}

#define REQUIRE_USER_XATTRS(path)                                                    \
  do {                                                                               \
    if (!ProbeUserXattrs((path), IsTmpfs())) {                                       \
      if (::testing::Test::HasFailure()) return;                                     \
      GTEST_SKIP() << GetParam() << ": no user xattrs here (EOPNOTSUPP, consistently)"; \
    }                                                                                \
  } while (0)

// An image file's attributes stay with it when the container changes it (on the
// Sentry: the overlay copies the gofer's file up, attributes included).
TEST(XattrImage, AttributesSurviveAChangeToTheFile) {
  if (!getenv("STOCKADE_CONFORMANCE_SANDBOX")) GTEST_SKIP() << "run_in_sandbox.sh prepares the image file";
  const char* path = "/conformance/lower-xattr";
  char buf[16] = {};
  ASSERT_EQ(getxattr(path, "user.origin", buf, sizeof buf), 5) << strerror(errno);
  EXPECT_STREQ(buf, "image");
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(write(fd, "+", 1), 1);
  close(fd);
  memset(buf, 0, sizeof buf);
  ASSERT_EQ(getxattr(path, "user.origin", buf, sizeof buf), 5) << strerror(errno);
  EXPECT_STREQ(buf, "image");
  ASSERT_EQ(setxattr(path, "user.added", "1", 1, 0), 0) << strerror(errno);
  char names[64];
  ssize_t n = listxattr(path, names, sizeof names);
  ASSERT_GT(n, 0) << strerror(errno);
  std::set<std::string> got;
  for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(strlen(names + i)) + 1) {
    if (strncmp(names + i, "user.", 5) == 0) got.insert(names + i);
  }
  EXPECT_EQ(got, (std::set<std::string>{"user.added", "user.origin"}));
}

TEST_P(Xattr, SetGetRoundTrip) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.color", "blue", 4, 0), 0) << strerror(errno);
  char buf[64] = {};
  EXPECT_EQ(getxattr(P("f").c_str(), "user.color", buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "blue");
  // Binary values with NULs survive.
  std::string bin("a\0b\0c", 5);
  ASSERT_EQ(setxattr(P("f").c_str(), "user.bin", bin.data(), bin.size(), 0), 0);
  EXPECT_EQ(getxattr(P("f").c_str(), "user.bin", buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), bin);
  // Replacing with a shorter value.
  ASSERT_EQ(setxattr(P("f").c_str(), "user.color", "red", 3, 0), 0);
  EXPECT_EQ(getxattr(P("f").c_str(), "user.color", buf, sizeof buf), 3);
  EXPECT_EQ(std::string(buf, 3), "red");
}

TEST_P(Xattr, FdVariants) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  UniqueFd fd(Open("f", O_RDONLY));  // read-only is enough for fsetxattr
  ASSERT_EQ(fsetxattr(fd.get(), "user.k", "v1", 2, 0), 0) << strerror(errno);
  char buf[64] = {};
  EXPECT_EQ(fgetxattr(fd.get(), "user.k", buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "v1");
  EXPECT_EQ(getxattr(P("f").c_str(), "user.k", buf, sizeof buf), 2);  // same inode
  ssize_t n = flistxattr(fd.get(), buf, sizeof buf);
  ASSERT_GE(n, 0) << strerror(errno);
  EXPECT_EQ(UserNames(buf, n), std::set<std::string>{"user.k"});
  ASSERT_EQ(fremovexattr(fd.get(), "user.k"), 0) << strerror(errno);
  EXPECT_ERRNO(ENODATA, fgetxattr(fd.get(), "user.k", buf, sizeof buf));
}

TEST_P(Xattr, SizeQueryWithZeroSize) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.a", "12345", 5, 0), 0);
  ASSERT_EQ(setxattr(P("f").c_str(), "user.bb", "1", 1, 0), 0);
  EXPECT_EQ(getxattr(P("f").c_str(), "user.a", nullptr, 0), 5);
  // The list is "user.a\0user.bb\0" (plus any other namespace the file system adds).
  char buf[1024];
  ssize_t n = listxattr(P("f").c_str(), buf, sizeof buf);
  ASSERT_GE(n, 15) << strerror(errno);
  EXPECT_EQ(listxattr(P("f").c_str(), nullptr, 0), n);
  EXPECT_EQ(UserNames(buf, n), (std::set<std::string>{"user.a", "user.bb"}));
}

TEST_P(Xattr, SmallBufferERANGE) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.a", "12345", 5, 0), 0);
  char buf[4];
  EXPECT_ERRNO(ERANGE, getxattr(P("f").c_str(), "user.a", buf, 4));
  EXPECT_ERRNO(ERANGE, listxattr(P("f").c_str(), buf, 3));
}

TEST_P(Xattr, MissingAttributeENODATA) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  char buf[16];
  EXPECT_ERRNO(ENODATA, getxattr(P("f").c_str(), "user.none", buf, sizeof buf));
  EXPECT_ERRNO(ENODATA, getxattr(P("f").c_str(), "user.none", nullptr, 0));
  EXPECT_ERRNO(ENODATA, removexattr(P("f").c_str(), "user.none"));
}

TEST_P(Xattr, CreateAndReplaceFlags) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  EXPECT_ERRNO(ENODATA, setxattr(P("f").c_str(), "user.x", "1", 1, XATTR_REPLACE));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.x", "1", 1, XATTR_CREATE), 0) << strerror(errno);
  EXPECT_ERRNO(EEXIST, setxattr(P("f").c_str(), "user.x", "2", 1, XATTR_CREATE));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.x", "3", 1, XATTR_REPLACE), 0) << strerror(errno);
  char c = 0;
  EXPECT_EQ(getxattr(P("f").c_str(), "user.x", &c, 1), 1);
  EXPECT_EQ(c, '3');
  EXPECT_ERRNO(EINVAL, setxattr(P("f").c_str(), "user.x", "4", 1, 0x4));
}

TEST_P(Xattr, EmptyValue) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.empty", "", 0, 0), 0) << strerror(errno);
  char buf[8];
  EXPECT_EQ(getxattr(P("f").c_str(), "user.empty", buf, sizeof buf), 0);
  EXPECT_EQ(getxattr(P("f").c_str(), "user.empty", nullptr, 0), 0);
}

TEST_P(Xattr, RemoveAndList) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  for (const char* n : {"user.one", "user.two", "user.three"}) {
    ASSERT_EQ(setxattr(P("f").c_str(), n, "v", 1, 0), 0) << n << ": " << strerror(errno);
  }
  ASSERT_EQ(removexattr(P("f").c_str(), "user.two"), 0);
  char buf[1024];
  ssize_t n = listxattr(P("f").c_str(), buf, sizeof buf);
  ASSERT_GE(n, 0);
  EXPECT_EQ(UserNames(buf, n), (std::set<std::string>{"user.one", "user.three"}));
}

TEST_P(Xattr, FollowTheInodeThroughLinksAndRename) {
  File("f");
  REQUIRE_USER_XATTRS(P("f"));
  ASSERT_EQ(setxattr(P("f").c_str(), "user.k", "val", 3, 0), 0);
  ASSERT_EQ(link(P("f").c_str(), P("hard").c_str()), 0);
  ASSERT_EQ(rename(P("f").c_str(), P("moved").c_str()), 0);
  Link("moved", "sym");
  char buf[8];
  EXPECT_EQ(getxattr(P("hard").c_str(), "user.k", buf, sizeof buf), 3);
  EXPECT_EQ(getxattr(P("moved").c_str(), "user.k", buf, sizeof buf), 3);
  EXPECT_EQ(getxattr(P("sym").c_str(), "user.k", buf, sizeof buf), 3);  // followed
}

TEST_P(Xattr, Directories) {
  Dir("d");
  REQUIRE_USER_XATTRS(P("d"));
  ASSERT_EQ(setxattr(P("d").c_str(), "user.dir", "yes", 3, 0), 0) << strerror(errno);
  char buf[8];
  EXPECT_EQ(getxattr(P("d").c_str(), "user.dir", buf, sizeof buf), 3);
  ASSERT_EQ(removexattr(P("d").c_str(), "user.dir"), 0);
}

TEST_P(Xattr, UserNamespaceNotOnSymlinks) {
  // Checked by the VFS before the file system: user.* exists only on regular files and
  // directories, so this holds whether or not the file system keeps xattrs.
  File("f");
  Link("f", "l");
  char buf[8];
  EXPECT_ERRNO(EPERM, lsetxattr(P("l").c_str(), "user.k", "v", 1, 0));
  EXPECT_ERRNO(ENODATA, lgetxattr(P("l").c_str(), "user.k", buf, sizeof buf));
  EXPECT_ERRNO(EPERM, lremovexattr(P("l").c_str(), "user.k"));
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  EXPECT_ERRNO(EPERM, setxattr(P("fifo").c_str(), "user.k", "v", 1, 0));
  EXPECT_ERRNO(ENODATA, getxattr(P("fifo").c_str(), "user.k", buf, sizeof buf));
}

TEST_P(Xattr, NameErrors) {
  File("f");
  char buf[8];
  // Empty or longer than XATTR_NAME_MAX (255): ERANGE, before the file system is asked.
  EXPECT_ERRNO(ERANGE, setxattr(P("f").c_str(), "", "v", 1, 0));
  EXPECT_ERRNO(ERANGE, getxattr(P("f").c_str(), "", buf, sizeof buf));
  std::string longname = "user." + std::string(251, 'n');  // 256 bytes
  EXPECT_ERRNO(ERANGE, setxattr(P("f").c_str(), longname.c_str(), "v", 1, 0));
  EXPECT_ERRNO(ERANGE, getxattr(P("f").c_str(), longname.c_str(), buf, sizeof buf));
  // A value over XATTR_SIZE_MAX (64 KiB).
  std::string big(65537, 'v');
  EXPECT_ERRNO(E2BIG, setxattr(P("f").c_str(), "user.big", big.data(), big.size(), 0));
  // A name in no namespace.
  EXPECT_ERRNO(EOPNOTSUPP, setxattr(P("f").c_str(), "nonamespace", "v", 1, 0));
  EXPECT_ERRNO(EOPNOTSUPP, getxattr(P("f").c_str(), "nonamespace", buf, sizeof buf));
}

TEST_P(Xattr, PathAndDescriptorErrors) {
  File("f");
  char buf[8];
  EXPECT_ERRNO(ENOENT, getxattr(P("missing").c_str(), "user.k", buf, sizeof buf));
  EXPECT_ERRNO(ENOENT, setxattr(P("missing").c_str(), "user.k", "v", 1, 0));
  EXPECT_ERRNO(ENOTDIR, listxattr(P("f/x").c_str(), buf, sizeof buf));
  EXPECT_ERRNO(EBADF, fgetxattr(-1, "user.k", buf, sizeof buf));
  EXPECT_ERRNO(EBADF, fsetxattr(-1, "user.k", "v", 1, 0));
  EXPECT_ERRNO(EBADF, flistxattr(-1, buf, sizeof buf));
  EXPECT_ERRNO(EBADF, fremovexattr(-1, "user.k"));
  EXPECT_ERRNO(EFAULT, syscall(SYS_getxattr, P("f").c_str(), BadPointer(), buf, sizeof buf));
}

}  // namespace
}  // namespace conformance
