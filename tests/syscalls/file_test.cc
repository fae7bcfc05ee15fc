// The first file layer: open/openat/close, read/write/pread/pwrite/readv/writev, lseek,
// fstat/stat/lstat/newfstatat, getdents64, dup/dup2/dup3, fcntl, access/faccessat,
// getcwd/chdir/fchdir, symlink/readlink, unlink, mkdir/rmdir, rename, ftruncate,
// /dev/null and /dev/zero, and reading files that come with the root filesystem.
// Everything that writes does so in a fresh directory under /tmp.
#include <dirent.h>
#include <map>
#include <set>
#include <sys/uio.h>

#include "test_util.h"

namespace conformance {
namespace {

int OpenOrDie(const std::string& path, int flags, mode_t mode = 0644) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  EXPECT_GE(fd, 0) << path << ": " << strerror(errno);
  return fd;
}

// ---- open/close ----------------------------------------------------------------------------

TEST(Open, CreateWriteReadBack) {
  TempDir dir;
  std::string path = dir.Join("file");
  int fd = OpenOrDie(path, O_CREAT | O_RDWR, 0640);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(write(fd, "hello world", 11), 11);
  EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
  char buf[32] = {};
  EXPECT_EQ(read(fd, buf, sizeof buf), 11);
  EXPECT_STREQ(buf, "hello world");
  EXPECT_EQ(read(fd, buf, sizeof buf), 0);  // EOF
  EXPECT_EQ(close(fd), 0);
  EXPECT_EQ(ReadPath(path), "hello world");
}

TEST(Open, LowestFreeDescriptor) {
  int a = OpenOrDie("/dev/null", O_RDONLY);
  int b = OpenOrDie("/dev/null", O_RDONLY);
  int c = OpenOrDie("/dev/null", O_RDONLY);
  EXPECT_EQ(b, a + 1);
  EXPECT_EQ(c, b + 1);
  close(b);
  int d = OpenOrDie("/dev/null", O_RDONLY);
  EXPECT_EQ(d, b);
  close(a);
  close(c);
  close(d);
}

TEST(Open, ExclusiveCreateEEXIST) {
  TempDir dir;
  std::string path = dir.Join("f");
  int fd = OpenOrDie(path, O_CREAT | O_EXCL | O_WRONLY);
  close(fd);
  EXPECT_ERRNO(EEXIST, open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
  // Also for directories and dangling symlinks.
  EXPECT_ERRNO(EEXIST, open(dir.path().c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
  ASSERT_EQ(symlink(dir.Join("nowhere").c_str(), dir.Join("dangling").c_str()), 0);
  EXPECT_ERRNO(EEXIST, open(dir.Join("dangling").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
}

TEST(Open, PathErrors) {
  TempDir dir;
  EXPECT_ERRNO(ENOENT, open(dir.Join("missing").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOENT, open(dir.Join("no/such/dir").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, open("", O_RDONLY));
  ASSERT_TRUE(WriteFile(dir.Join("file"), "x"));
  EXPECT_ERRNO(ENOTDIR, open(dir.Join("file/x").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOTDIR, open(dir.Join("file").c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_ERRNO(EISDIR, open(dir.path().c_str(), O_WRONLY));
  EXPECT_ERRNO(EISDIR, open(dir.path().c_str(), O_RDWR));
  EXPECT_ERRNO(EISDIR, open(dir.Join("newdir/").c_str(), O_CREAT | O_WRONLY, 0644));
  std::string long_name(300, 'n');
  EXPECT_ERRNO(ENAMETOOLONG, open(dir.Join(long_name).c_str(), O_RDONLY));
  EXPECT_ERRNO(EFAULT, syscall(SYS_open, BadPointer(), O_RDONLY));
  EXPECT_ERRNO(EFAULT, syscall(SYS_openat, AT_FDCWD, UnmappedAddress(), O_RDONLY));
  EXPECT_ERRNO(EINVAL, syscall(SYS_open, "/dev/null", O_RDONLY | O_TMPFILE));
}

TEST(Open, DirectoryOpensReadOnly) {
  int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  char c;
  EXPECT_ERRNO(EISDIR, read(fd, &c, 1));
  close(fd);
}

TEST(Open, TruncAndAppend) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "0123456789"));
  int fd = OpenOrDie(path, O_WRONLY | O_TRUNC);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(write(fd, "abc", 3), 3);
  close(fd);
  fd = OpenOrDie(path, O_WRONLY | O_APPEND);
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  EXPECT_EQ(write(fd, "def", 3), 3);  // lands at the end regardless of the offset
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 6);
  close(fd);
  EXPECT_EQ(ReadPath(path), "abcdef");
}

TEST(Open, OpenatRelativeToDirectory) {
  TempDir dir;
  ASSERT_EQ(mkdir(dir.Join("sub").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(dir.Join("sub/f"), "in sub"));
  int dfd = open(dir.Join("sub").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  int fd = openat(dfd, "f", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ReadAll(fd), "in sub");
  close(fd);
  // Absolute paths ignore dirfd, even an invalid one.
  fd = openat(-1, dir.Join("sub/f").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  close(fd);
  EXPECT_ERRNO(EBADF, openat(-1, "f", O_RDONLY));
  EXPECT_ERRNO(EBADF, openat(12345, "f", O_RDONLY));
  int file = open(dir.Join("sub/f").c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_ERRNO(ENOTDIR, openat(file, "x", O_RDONLY));
  close(file);
  close(dfd);
}

TEST(Close, Errors) {
  EXPECT_ERRNO(EBADF, close(-1));
  EXPECT_ERRNO(EBADF, close(1 << 20));
  int fd = OpenOrDie("/dev/null", O_RDONLY);
  ASSERT_EQ(close(fd), 0);
  EXPECT_ERRNO(EBADF, close(fd));
}

// ---- read/write ----------------------------------------------------------------------------

TEST(ReadWrite, BadDescriptorsEBADF) {
  char c = 0;
  int fd = OpenOrDie("/dev/null", O_RDONLY);
  close(fd);
  EXPECT_ERRNO(EBADF, read(fd, &c, 1));
  EXPECT_ERRNO(EBADF, write(fd, &c, 1));
  EXPECT_ERRNO(EBADF, read(-1, &c, 1));
  int ro = OpenOrDie("/dev/null", O_RDONLY);
  EXPECT_ERRNO(EBADF, write(ro, &c, 1));
  int wo = OpenOrDie("/dev/null", O_WRONLY);
  EXPECT_ERRNO(EBADF, read(wo, &c, 1));
  close(ro);
  close(wo);
}

TEST(ReadWrite, BadBuffersEFAULT) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "some data"));
  int fd = OpenOrDie(path, O_RDWR);
  EXPECT_ERRNO(EFAULT, syscall(SYS_read, fd, BadPointer(), 4));
  EXPECT_ERRNO(EFAULT, syscall(SYS_write, fd, UnmappedAddress(), 4));
  EXPECT_ERRNO(EFAULT, syscall(SYS_pread64, fd, UnmappedAddress(), 4, 0));
  // Zero-length transfers do not touch the buffer.
  EXPECT_EQ(read(fd, BadPointer(), 0), 0);
  EXPECT_EQ(write(fd, BadPointer(), 0), 0);
  close(fd);
  EXPECT_EQ(ReadPath(path), "some data");
}

TEST(ReadWrite, PreadPwriteKeepOffset) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "abcdefghij"));
  int fd = OpenOrDie(path, O_RDWR);
  ASSERT_EQ(lseek(fd, 2, SEEK_SET), 2);
  char buf[4] = {};
  EXPECT_EQ(pread(fd, buf, 3, 5), 3);
  EXPECT_EQ(std::string(buf, 3), "fgh");
  EXPECT_EQ(pwrite(fd, "XY", 2, 0), 2);
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 2);
  EXPECT_EQ(read(fd, buf, 2), 2);
  EXPECT_EQ(std::string(buf, 2), "cd");
  // Past EOF: nothing to read; writing there extends the file with a hole of zeros.
  EXPECT_EQ(pread(fd, buf, 4, 100), 0);
  EXPECT_EQ(pwrite(fd, "Z", 1, 12), 1);
  EXPECT_EQ(ReadPath(path), std::string("XYcdefghij\0\0Z", 13));
  EXPECT_ERRNO(EINVAL, pread(fd, buf, 1, -1));
  EXPECT_ERRNO(EINVAL, pwrite(fd, buf, 1, -5));
  close(fd);
}

TEST(ReadWrite, ReadvWritev) {
  TempDir dir;
  std::string path = dir.Join("f");
  int fd = OpenOrDie(path, O_CREAT | O_RDWR);
  char a[] = "one ", b[] = "", c[] = "three";
  struct iovec out[3] = {{a, 4}, {b, 0}, {c, 5}};
  EXPECT_EQ(writev(fd, out, 3), 9);
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  char x[2], y[10] = {};
  struct iovec in[2] = {{x, 2}, {y, sizeof y}};
  EXPECT_EQ(readv(fd, in, 2), 9);
  EXPECT_EQ(std::string(x, 2), "on");
  EXPECT_EQ(std::string(y, 7), "e three");
  EXPECT_EQ(preadv(fd, in, 1, 4), 2);
  EXPECT_EQ(std::string(x, 2), "th");
  close(fd);
}

TEST(ReadWrite, ReadvWritevErrors) {
  int fd = OpenOrDie("/dev/null", O_RDWR);
  char buf[4];
  struct iovec iov = {buf, sizeof buf};
  EXPECT_ERRNO(EINVAL, syscall(SYS_writev, fd, &iov, -1));
  EXPECT_ERRNO(EINVAL, syscall(SYS_writev, fd, &iov, 1025));  // more than IOV_MAX
  EXPECT_ERRNO(EFAULT, syscall(SYS_writev, fd, BadPointer(), 1));
  EXPECT_EQ(writev(fd, &iov, 0), 0);
  struct iovec negative = {buf, (size_t)-1};  // a length that is negative as ssize_t
  EXPECT_ERRNO(EINVAL, writev(fd, &negative, 1));
  close(fd);
}

// ---- lseek -----------------------------------------------------------------------------

TEST(Lseek, WhenceAndErrors) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "0123456789"));
  int fd = OpenOrDie(path, O_RDONLY);
  EXPECT_EQ(lseek(fd, 3, SEEK_SET), 3);
  EXPECT_EQ(lseek(fd, 2, SEEK_CUR), 5);
  EXPECT_EQ(lseek(fd, -1, SEEK_END), 9);
  char c;
  EXPECT_EQ(read(fd, &c, 1), 1);
  EXPECT_EQ(c, '9');
  EXPECT_EQ(lseek(fd, 100, SEEK_SET), 100);  // beyond EOF is allowed
  EXPECT_EQ(read(fd, &c, 1), 0);
  EXPECT_ERRNO(EINVAL, lseek(fd, -1, SEEK_SET));
  EXPECT_ERRNO(EINVAL, lseek(fd, -20, SEEK_END));
  EXPECT_ERRNO(EINVAL, lseek(fd, 0, 42));
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 100);  // failed seeks did not move it
  close(fd);
  EXPECT_ERRNO(EBADF, lseek(fd, 0, SEEK_SET));
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_ERRNO(ESPIPE, lseek(p[0], 0, SEEK_CUR));
  close(p[0]);
  close(p[1]);
}

// ---- stat ------------------------------------------------------------------------------

TEST(Stat, FileAttributes) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, std::string(5000, 'x'), 0640));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_size, 5000);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_uid, getuid());
  EXPECT_GT(st.st_blksize, 0);
  int fd = OpenOrDie(path, O_RDONLY);
  struct stat fst;
  ASSERT_EQ(fstat(fd, &fst), 0);
  EXPECT_EQ(fst.st_ino, st.st_ino);
  EXPECT_EQ(fst.st_dev, st.st_dev);
  close(fd);
  ASSERT_EQ(stat(dir.path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(Stat, SymlinkFollowAndNoFollow) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("target"), "12345"));
  ASSERT_EQ(symlink("target", dir.Join("link").c_str()), 0);
  struct stat st;
  ASSERT_EQ(stat(dir.Join("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 5);
  ASSERT_EQ(lstat(dir.Join("link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_size, 6);  // length of "target"
  int dfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  ASSERT_EQ(fstatat(dfd, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(fstatat(dfd, "link", &st, 0), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  // AT_EMPTY_PATH stats dirfd itself.
  ASSERT_EQ(fstatat(dfd, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_ERRNO(ENOENT, fstatat(dfd, "", &st, 0));
  EXPECT_ERRNO(EINVAL, fstatat(dfd, "link", &st, 0x40000000));
  close(dfd);
}

TEST(Stat, Errors) {
  struct stat st;
  EXPECT_ERRNO(ENOENT, stat("/nonexistent/path", &st));
  EXPECT_ERRNO(ENOTDIR, stat("/etc/passwd/x", &st));
  EXPECT_ERRNO(EFAULT, syscall(SYS_stat, BadPointer(), &st));
  EXPECT_ERRNO(EFAULT, syscall(SYS_stat, "/", UnmappedAddress()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_fstat, 0, BadPointer()));
  EXPECT_ERRNO(EBADF, fstat(-1, &st));
  EXPECT_ERRNO(EBADF, fstatat(-1, "relative", &st, 0));
  TempDir dir;
  ASSERT_EQ(symlink("loop", dir.Join("loop").c_str()), 0);
  EXPECT_ERRNO(ELOOP, stat(dir.Join("loop").c_str(), &st));
}

// ---- getdents64 ---------------------------------------------------------------------------

std::set<std::string> ListDir(int fd, std::map<std::string, int>* types = nullptr) {
  std::set<std::string> names;
  alignas(8) char buf[1024];
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
      names.insert(d->d_name);
      if (types) (*types)[d->d_name] = d->d_type;
      off += d->d_reclen;
    }
  }
  return names;
}

TEST(Getdents, ListsEntriesWithTypes) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("file"), "x"));
  ASSERT_EQ(mkdir(dir.Join("sub").c_str(), 0755), 0);
  ASSERT_EQ(symlink("file", dir.Join("link").c_str()), 0);
  for (int i = 0; i < 50; i++) ASSERT_TRUE(WriteFile(dir.Join("many" + std::to_string(i)), ""));
  int fd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::map<std::string, int> types;
  std::set<std::string> names = ListDir(fd, &types);
  EXPECT_EQ(names.size(), 55u);  // ".", "..", 3 + 50
  EXPECT_TRUE(names.count(".") && names.count(".."));
  EXPECT_EQ(types["file"], DT_REG);
  EXPECT_EQ(types["sub"], DT_DIR);
  EXPECT_EQ(types["link"], DT_LNK);
  EXPECT_TRUE(names.count("many49"));
  // At the end: 0. After rewinding: everything again.
  alignas(8) char buf[256];
  EXPECT_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  EXPECT_EQ(ListDir(fd).size(), 55u);
  close(fd);
}

TEST(Getdents, Errors) {
  alignas(8) char buf[256];
  int fd = OpenOrDie("/etc/passwd", O_RDONLY);
  EXPECT_ERRNO(ENOTDIR, syscall(SYS_getdents64, fd, buf, sizeof buf));
  close(fd);
  EXPECT_ERRNO(EBADF, syscall(SYS_getdents64, fd, buf, sizeof buf));
  int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  EXPECT_ERRNO(EINVAL, syscall(SYS_getdents64, dfd, buf, 8));  // too small for any entry
  EXPECT_ERRNO(EFAULT, syscall(SYS_getdents64, dfd, UnmappedAddress(), 4096));
  close(dfd);
}

// ---- dup ---------------------------------------------------------------------------------

TEST(Dup, SharesFileDescription) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "abcdef"));
  int fd = OpenOrDie(path, O_RDONLY);
  int d = dup(fd);
  ASSERT_GE(d, 0);
  EXPECT_NE(d, fd);
  char c;
  ASSERT_EQ(read(fd, &c, 1), 1);
  ASSERT_EQ(read(d, &c, 1), 1);
  EXPECT_EQ(c, 'b');  // shared offset
  EXPECT_EQ(fcntl(d, F_GETFD), 0);  // the duplicate is not close-on-exec
  close(fd);
  ASSERT_EQ(read(d, &c, 1), 1);  // still usable after the original is closed
  EXPECT_EQ(c, 'c');
  close(d);
  EXPECT_ERRNO(EBADF, dup(d));
  EXPECT_ERRNO(EBADF, dup(-1));
}

TEST(Dup, Dup2AndDup3) {
  int a = OpenOrDie("/dev/null", O_RDONLY);
  int b = OpenOrDie("/dev/zero", O_RDONLY);
  // dup2 onto an open descriptor closes it first.
  EXPECT_EQ(dup2(a, b), b);
  struct stat sa, sb;
  ASSERT_EQ(fstat(a, &sa), 0);
  ASSERT_EQ(fstat(b, &sb), 0);
  EXPECT_EQ(sa.st_rdev, sb.st_rdev);
  EXPECT_EQ(fcntl(b, F_GETFD), 0);
  // dup2 to itself is a no-op that checks validity; dup3 to itself is EINVAL.
  EXPECT_EQ(dup2(a, a), a);
  EXPECT_ERRNO(EINVAL, dup3(a, a, 0));
  EXPECT_EQ(dup3(a, b, O_CLOEXEC), b);
  EXPECT_EQ(fcntl(b, F_GETFD), FD_CLOEXEC);
  EXPECT_ERRNO(EINVAL, dup3(a, b, O_NONBLOCK));
  close(b);
  EXPECT_ERRNO(EBADF, dup2(b, a));
  EXPECT_ERRNO(EBADF, dup2(a, -1));
  close(a);
  EXPECT_ERRNO(EBADF, dup2(a, a));
}

// ---- fcntl -------------------------------------------------------------------------------

TEST(Fcntl, DescriptorFlags) {
  int fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(fcntl(fd, F_GETFD), 0);
  EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(fcntl(fd, F_SETFD, 0), 0);
  EXPECT_EQ(fcntl(fd, F_GETFD), 0);
  close(fd);
  fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  close(fd);
}

TEST(Fcntl, StatusFlags) {
  TempDir dir;
  int fd = OpenOrDie(dir.Join("f"), O_CREAT | O_RDWR | O_APPEND);
  int fl = fcntl(fd, F_GETFL);
  EXPECT_EQ(fl & O_ACCMODE, O_RDWR);
  EXPECT_TRUE(fl & O_APPEND);
  EXPECT_FALSE(fl & O_NONBLOCK);
  EXPECT_FALSE(fl & O_CREAT);  // creation flags are not kept
  ASSERT_EQ(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
  fl = fcntl(fd, F_GETFL);
  EXPECT_TRUE(fl & O_NONBLOCK);
  // F_SETFL cannot change the access mode.
  ASSERT_EQ(fcntl(fd, F_SETFL, O_RDONLY), 0);
  fl = fcntl(fd, F_GETFL);
  EXPECT_EQ(fl & O_ACCMODE, O_RDWR);
  EXPECT_FALSE(fl & O_APPEND);
  // Status flags belong to the open file description: a dup sees them.
  int d = dup(fd);
  ASSERT_EQ(fcntl(fd, F_SETFL, O_APPEND), 0);
  EXPECT_TRUE(fcntl(d, F_GETFL) & O_APPEND);
  close(d);
  close(fd);
}

TEST(Fcntl, DupfdVariants) {
  int fd = OpenOrDie("/dev/null", O_RDONLY);
  int d = fcntl(fd, F_DUPFD, 100);
  EXPECT_GE(d, 100);
  EXPECT_EQ(fcntl(d, F_GETFD), 0);
  int e = fcntl(fd, F_DUPFD_CLOEXEC, 100);
  EXPECT_GT(e, d);
  EXPECT_EQ(fcntl(e, F_GETFD), FD_CLOEXEC);
  EXPECT_ERRNO(EINVAL, fcntl(fd, F_DUPFD, -1));
  close(d);
  close(e);
  close(fd);
}

TEST(Fcntl, Errors) {
  int fd = OpenOrDie("/dev/null", O_RDONLY);
  EXPECT_ERRNO(EINVAL, fcntl(fd, 12345));
  close(fd);
  EXPECT_ERRNO(EBADF, fcntl(fd, F_GETFD));
  EXPECT_ERRNO(EBADF, fcntl(-1, F_GETFL));
}

// ---- access --------------------------------------------------------------------------------

TEST(Access, ModesAndErrors) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "x", 0644));
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
  EXPECT_EQ(access(path.c_str(), R_OK | W_OK), 0);
  // Even root needs some execute bit to pass X_OK.
  EXPECT_ERRNO(EACCES, access(path.c_str(), X_OK));
  ASSERT_EQ(chmod(path.c_str(), 0744), 0);
  EXPECT_EQ(access(path.c_str(), X_OK), 0);
  EXPECT_ERRNO(ENOENT, access(dir.Join("missing").c_str(), F_OK));
  EXPECT_ERRNO(EINVAL, access(path.c_str(), 0x100));
  EXPECT_ERRNO(EFAULT, syscall(SYS_access, BadPointer(), F_OK));
  int dfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(faccessat(dfd, "f", R_OK, 0), 0);
  EXPECT_ERRNO(ENOENT, faccessat(dfd, "missing", R_OK, 0));
  close(dfd);
}

// ---- cwd ---------------------------------------------------------------------------------

class CwdRestorer {
 public:
  CwdRestorer() { fd_ = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
  ~CwdRestorer() {
    if (fd_ >= 0) {
      fchdir(fd_);
      close(fd_);
    }
  }

 private:
  int fd_;
};

TEST(Cwd, ChdirGetcwdFchdir) {
  CwdRestorer restore;
  TempDir dir;
  char real[4096];
  ASSERT_NE(realpath(dir.path().c_str(), real), nullptr);
  ASSERT_EQ(chdir(dir.path().c_str()), 0);
  char buf[4096];
  ASSERT_NE(getcwd(buf, sizeof buf), nullptr);
  EXPECT_STREQ(buf, real);
  ASSERT_EQ(mkdir("sub", 0755), 0);
  ASSERT_EQ(chdir("sub"), 0);
  ASSERT_NE(getcwd(buf, sizeof buf), nullptr);
  EXPECT_EQ(std::string(buf), std::string(real) + "/sub");
  ASSERT_EQ(chdir(".."), 0);
  // Relative paths resolve against the new cwd.
  ASSERT_TRUE(WriteFile("rel", "relative"));
  EXPECT_EQ(ReadPath(dir.Join("rel")), "relative");
  int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(fchdir(fd), 0);
  ASSERT_NE(getcwd(buf, sizeof buf), nullptr);
  EXPECT_STREQ(buf, "/");
  close(fd);
}

TEST(Cwd, Errors) {
  CwdRestorer restore;
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_ERRNO(ENOTDIR, chdir(dir.Join("f").c_str()));
  EXPECT_ERRNO(ENOENT, chdir(dir.Join("missing").c_str()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_chdir, BadPointer()));
  int fd = OpenOrDie(dir.Join("f"), O_RDONLY);
  EXPECT_ERRNO(ENOTDIR, fchdir(fd));
  close(fd);
  EXPECT_ERRNO(EBADF, fchdir(fd));
  ASSERT_EQ(chdir("/"), 0);
  char small[1];
  // The raw syscall: ERANGE when the buffer cannot hold the path and its NUL.
  EXPECT_ERRNO(ERANGE, syscall(SYS_getcwd, small, 1));
  char two[2];
  EXPECT_EQ(syscall(SYS_getcwd, two, 2), 2);  // "/" plus NUL: returns the length
  EXPECT_STREQ(two, "/");
  EXPECT_ERRNO(EFAULT, syscall(SYS_getcwd, BadPointer(), 4096));
}

// ---- symlink/readlink ----------------------------------------------------------------------

TEST(Readlink, ContentsNotTerminatedAndTruncated) {
  TempDir dir;
  std::string link = dir.Join("link");
  ASSERT_EQ(symlink("some/target/path", link.c_str()), 0);
  char buf[64];
  memset(buf, 'X', sizeof buf);
  EXPECT_EQ(readlink(link.c_str(), buf, sizeof buf), 16);
  EXPECT_EQ(std::string(buf, 16), "some/target/path");
  EXPECT_EQ(buf[16], 'X');  // no NUL added
  EXPECT_EQ(readlink(link.c_str(), buf, 4), 4);
  EXPECT_EQ(std::string(buf, 4), "some");
  int dfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(readlinkat(dfd, "link", buf, sizeof buf), 16);
  close(dfd);
}

TEST(Readlink, Errors) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  char buf[64];
  EXPECT_ERRNO(EINVAL, readlink(dir.Join("f").c_str(), buf, sizeof buf));  // not a link
  EXPECT_ERRNO(ENOENT, readlink(dir.Join("missing").c_str(), buf, sizeof buf));
  ASSERT_EQ(symlink("x", dir.Join("l").c_str()), 0);
  EXPECT_ERRNO(EINVAL, readlink(dir.Join("l").c_str(), buf, 0));
  EXPECT_ERRNO(EFAULT, syscall(SYS_readlink, dir.Join("l").c_str(), BadPointer(), 64));
  EXPECT_ERRNO(EEXIST, symlink("y", dir.Join("l").c_str()));
  EXPECT_ERRNO(ENOENT, symlink("", dir.Join("empty").c_str()));
}

// ---- unlink/mkdir/rmdir/rename -------------------------------------------------------------

TEST(Unlink, RemovesNameButOpenFileSurvives) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "still here"));
  int fd = OpenOrDie(path, O_RDONLY);
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_ERRNO(ENOENT, access(path.c_str(), F_OK));
  EXPECT_EQ(ReadAll(fd), "still here");
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  close(fd);
}

TEST(Unlink, Errors) {
  TempDir dir;
  EXPECT_ERRNO(ENOENT, unlink(dir.Join("missing").c_str()));
  EXPECT_ERRNO(EISDIR, unlink(dir.path().c_str()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_unlink, BadPointer()));
  ASSERT_EQ(mkdir(dir.Join("d").c_str(), 0755), 0);
  int dfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  EXPECT_ERRNO(EISDIR, unlinkat(dfd, "d", 0));
  EXPECT_EQ(unlinkat(dfd, "d", AT_REMOVEDIR), 0);
  EXPECT_ERRNO(EINVAL, unlinkat(dfd, "x", 0x1234));
  close(dfd);
}

TEST(Mkdir, CreateAndErrors) {
  TempDir dir;
  std::string d = dir.Join("d");
  ASSERT_EQ(mkdir(d.c_str(), 0750), 0);
  struct stat st;
  ASSERT_EQ(stat(d.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_ERRNO(EEXIST, mkdir(d.c_str(), 0755));
  EXPECT_ERRNO(ENOENT, mkdir(dir.Join("a/b").c_str(), 0755));
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_ERRNO(ENOTDIR, mkdir(dir.Join("f/sub").c_str(), 0755));
  EXPECT_ERRNO(EFAULT, syscall(SYS_mkdir, BadPointer(), 0755));
  // A new subdirectory adds a link to its parent ("..").
  ASSERT_EQ(mkdir((d + "/child").c_str(), 0755), 0);
  ASSERT_EQ(stat(d.c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 3u);
}

TEST(Rmdir, Errors) {
  TempDir dir;
  std::string d = dir.Join("d");
  ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(d + "/f", ""));
  EXPECT_ERRNO(ENOTEMPTY, rmdir(d.c_str()));
  EXPECT_ERRNO(ENOTDIR, rmdir((d + "/f").c_str()));
  EXPECT_ERRNO(EINVAL, rmdir((d + "/.").c_str()));
  EXPECT_ERRNO(ENOENT, rmdir(dir.Join("missing").c_str()));
  ASSERT_EQ(unlink((d + "/f").c_str()), 0);
  EXPECT_EQ(rmdir(d.c_str()), 0);
  EXPECT_ERRNO(ENOENT, access(d.c_str(), F_OK));
}

TEST(Rename, FilesAndDirectories) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "AAA"));
  ASSERT_TRUE(WriteFile(dir.Join("b"), "BBB"));
  // Replaces the target atomically.
  ASSERT_EQ(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), 0);
  EXPECT_EQ(ReadPath(dir.Join("b")), "AAA");
  EXPECT_ERRNO(ENOENT, access(dir.Join("a").c_str(), F_OK));
  ASSERT_EQ(mkdir(dir.Join("d1").c_str(), 0755), 0);
  ASSERT_EQ(rename(dir.Join("b").c_str(), dir.Join("d1/moved").c_str()), 0);
  EXPECT_EQ(ReadPath(dir.Join("d1/moved")), "AAA");
  // A directory may replace an empty directory.
  ASSERT_EQ(mkdir(dir.Join("empty").c_str(), 0755), 0);
  ASSERT_EQ(rename(dir.Join("d1").c_str(), dir.Join("empty").c_str()), 0);
  EXPECT_EQ(ReadPath(dir.Join("empty/moved")), "AAA");
  // Renaming to itself is a no-op.
  EXPECT_EQ(rename(dir.Join("empty").c_str(), dir.Join("empty").c_str()), 0);
}

TEST(Rename, Errors) {
  TempDir dir;
  ASSERT_EQ(mkdir(dir.Join("d").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(dir.Join("full").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFile(dir.Join("full/x"), ""));
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_ERRNO(ENOENT, rename(dir.Join("missing").c_str(), dir.Join("x").c_str()));
  EXPECT_ERRNO(ENOTEMPTY, rename(dir.Join("d").c_str(), dir.Join("full").c_str()));
  EXPECT_ERRNO(EISDIR, rename(dir.Join("f").c_str(), dir.Join("d").c_str()));
  EXPECT_ERRNO(ENOTDIR, rename(dir.Join("d").c_str(), dir.Join("f").c_str()));
  EXPECT_ERRNO(EINVAL, rename(dir.Join("d").c_str(), dir.Join("d/inside").c_str()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_rename, BadPointer(), dir.Join("x").c_str()));
}

TEST(Ftruncate, ExtendAndShrink) {
  TempDir dir;
  int fd = OpenOrDie(dir.Join("f"), O_CREAT | O_RDWR);
  ASSERT_EQ(write(fd, "abcdef", 6), 6);
  ASSERT_EQ(ftruncate(fd, 3), 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 3);
  ASSERT_EQ(ftruncate(fd, 8), 0);
  char buf[8];
  ASSERT_EQ(pread(fd, buf, 8, 0), 8);
  EXPECT_EQ(std::string(buf, 8), std::string("abc\0\0\0\0\0", 8));
  EXPECT_ERRNO(EINVAL, ftruncate(fd, -1));
  close(fd);
  int ro = OpenOrDie(dir.Join("f"), O_RDONLY);
  EXPECT_ERRNO(EINVAL, ftruncate(ro, 0));  // not open for writing
  close(ro);
}

// ---- devices and the root filesystem -------------------------------------------------------

TEST(DevNull, ReadsEofWritesDiscard) {
  int fd = OpenOrDie("/dev/null", O_RDWR);
  char buf[16];
  EXPECT_EQ(read(fd, buf, sizeof buf), 0);
  EXPECT_EQ(write(fd, "discarded", 9), 9);
  EXPECT_EQ(read(fd, buf, sizeof buf), 0);
  EXPECT_EQ(lseek(fd, 1000, SEEK_SET), 0);  // seeking /dev/null always yields 0
  close(fd);
}

TEST(DevZero, ReadsZeros) {
  int fd = OpenOrDie("/dev/zero", O_RDONLY);
  char buf[4096];
  memset(buf, 1, sizeof buf);
  EXPECT_EQ(read(fd, buf, sizeof buf), (ssize_t)sizeof buf);
  bool zero = true;
  for (char c : buf) zero &= c == 0;
  EXPECT_TRUE(zero);
  close(fd);
}

TEST(Rootfs, ReadsEtcPasswd) {
  std::string s = ReadPath("/etc/passwd");
  EXPECT_EQ(s.rfind("root:x:0:0:", 0), 0u) << s.substr(0, 40);
}

TEST(Rootfs, ShellIsAnExecutableElf) {
  // /bin/sh exists in both places (busybox in the sandbox, dash or bash on the host).
  struct stat st;
  ASSERT_EQ(stat("/bin/sh", &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(access("/bin/sh", X_OK), 0);
  int fd = OpenOrDie("/bin/sh", O_RDONLY);
  char magic[4];
  ASSERT_EQ(read(fd, magic, 4), 4);
  EXPECT_EQ(memcmp(magic, "\x7f" "ELF", 4), 0);
  close(fd);
}

TEST(Rootfs, RootDirectoryListing) {
  int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::set<std::string> names = ListDir(fd);
  for (const char* want : {".", "..", "bin", "etc", "tmp", "proc", "dev"}) {
    EXPECT_TRUE(names.count(want)) << want;
  }
  if (InSandbox()) {
    EXPECT_TRUE(names.count("conformance"));
  }
  close(fd);
}

}  // namespace
}  // namespace conformance
