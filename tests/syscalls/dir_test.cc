// Namespace operations: mkdir/mkdirat, rmdir, unlink/unlinkat, rename/renameat/renameat2
// (RENAME_NOREPLACE, RENAME_EXCHANGE), link/linkat, symlink/symlinkat, getdents64,
// mknod/mknodat and FIFOs (mkfifo, opening ends by path), and directory timestamps.
// Every case runs in every directory of FsTestDirs(), each in a fresh ScratchDir.
#include <limits.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>

#include <map>
#include <set>

#include "test_util.h"

namespace conformance {
namespace {

// ---- helpers -------------------------------------------------------------------------------

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  if (lstat(path.c_str(), &st) != 0) ADD_FAILURE() << path << ": " << strerror(errno);
  return st;
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

struct Dirent {
  std::string name;
  uint64_t ino;
  int64_t off;
  unsigned char type;
};

// Reads the directory from its current position to the end with getdents64 calls of
// `bufsize` bytes; counts the calls that returned entries.
std::vector<Dirent> ReadDirents(int fd, size_t bufsize = 4096, int* calls = nullptr) {
  std::vector<Dirent> out;
  std::vector<char> storage(bufsize + 8);
  char* buf = storage.data() + (8 - reinterpret_cast<uintptr_t>(storage.data()) % 8) % 8;
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, bufsize);
    if (n < 0) ADD_FAILURE() << "getdents64: " << strerror(errno);
    if (n <= 0) break;
    if (calls) ++*calls;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
      out.push_back({d->d_name, d->d_ino, d->d_off, d->d_type});
      off += d->d_reclen;
    }
  }
  return out;
}

std::multiset<std::string> Names(const std::vector<Dirent>& ents) {
  std::multiset<std::string> s;
  for (auto& e : ents) s.insert(e.name);
  return s;
}

// Waits until the realtime clock is clearly past `t`, so that a timestamp taken from the
// (possibly coarse) file-system clock afterwards is later than `t`.
void WaitPast(const struct timespec& t) {
  int64_t target = int64_t(t.tv_sec) * 1000000000 + t.tv_nsec + 50000000;
  while (NowNs(CLOCK_REALTIME) <= target) {
    struct timespec d = {0, 5000000};
    nanosleep(&d, nullptr);
  }
}

// Creates an object of the given kind ("file", "dir", "link" (a dangling symlink), "fifo").
int Make(const std::string& kind, const std::string& path) {
  if (kind == "file") {
    int fd = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    return close(fd);
  }
  if (kind == "dir") return mkdir(path.c_str(), 0755);
  if (kind == "link") return symlink("nowhere", path.c_str());
  if (kind == "fifo") return mkfifo(path.c_str(), 0644);
  errno = EINVAL;
  return -1;
}

bool Later(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

class DirTest : public FsFixture {
 protected:
  ino_t Ino(const std::string& name) { return Lstat(P(name)).st_ino; }
  nlink_t Nlink(const std::string& name) { return Lstat(name.empty() ? D() : P(name)).st_nlink; }
};

// ---- mkdir -------------------------------------------------------------------------------

TEST_P(DirTest, MkdirModeIsMaskedByUmask) {
  {
    ScopedUmask um(022);
    ASSERT_EQ(mkdir(P("a").c_str(), 0777), 0);
  }
  {
    ScopedUmask um(077);
    ASSERT_EQ(mkdir(P("b").c_str(), 0777), 0);
  }
  {
    ScopedUmask um(0);
    ASSERT_EQ(mkdir(P("c").c_str(), 0751), 0);
    ASSERT_EQ(mkdir(P("sticky").c_str(), 01777), 0);
    ASSERT_EQ(mkdir(P("suid").c_str(), 04755), 0);  // S_ISUID is not a mkdir bit
  }
  EXPECT_EQ(Lstat(P("a")).st_mode & 07777, 0755u);
  EXPECT_EQ(Lstat(P("b")).st_mode & 07777, 0700u);
  EXPECT_EQ(Lstat(P("c")).st_mode & 07777, 0751u);
  EXPECT_EQ(Lstat(P("sticky")).st_mode & 07777, 01777u);
  EXPECT_EQ(Lstat(P("suid")).st_mode & 07777, 0755u);
  EXPECT_TRUE(S_ISDIR(Lstat(P("a")).st_mode));
}

TEST_P(DirTest, MkdirOwnerAndEmptyContents) {
  Dir("d");
  struct stat st = Lstat(P("d"));
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getegid());
  EXPECT_EQ(st.st_nlink, 2u);
  UniqueFd fd(OpenDir("d"));
  std::vector<Dirent> ents = ReadDirents(fd.get());
  EXPECT_EQ(Names(ents), (std::multiset<std::string>{".", ".."}));
}

TEST_P(DirTest, MkdirExistingNameEEXIST) {
  File("f");
  Dir("d");
  Link("d", "ld");
  Link("absent", "dangling");
  EXPECT_ERRNO(EEXIST, mkdir(P("f").c_str(), 0755));
  EXPECT_ERRNO(EEXIST, mkdir(P("d").c_str(), 0755));
  EXPECT_ERRNO(EEXIST, mkdir(P("ld").c_str(), 0755));
  // A dangling symlink is not followed: its target is not created.
  EXPECT_ERRNO(EEXIST, mkdir(P("dangling").c_str(), 0755));
  EXPECT_FALSE(Exists(P("absent")));
  EXPECT_ERRNO(EEXIST, mkdir(P("d/.").c_str(), 0755));
  EXPECT_ERRNO(EEXIST, mkdir(P("d/..").c_str(), 0755));
  EXPECT_TRUE(S_ISREG(Lstat(P("f")).st_mode));
}

TEST_P(DirTest, MkdirMissingParentENOENT) {
  EXPECT_ERRNO(ENOENT, mkdir(P("no/d").c_str(), 0755));
  EXPECT_ERRNO(ENOENT, mkdir(P("no/more/d").c_str(), 0755));
  EXPECT_FALSE(Exists(P("no")));
}

TEST_P(DirTest, MkdirParentIsFileENOTDIR) {
  File("f");
  EXPECT_ERRNO(ENOTDIR, mkdir(P("f/d").c_str(), 0755));
}

TEST_P(DirTest, MkdirTrailingSlashAccepted) {
  ASSERT_EQ(mkdir(P("d/").c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mkdir(P("e//").c_str(), 0755), 0) << strerror(errno);
  EXPECT_TRUE(S_ISDIR(Lstat(P("d")).st_mode));
  EXPECT_TRUE(S_ISDIR(Lstat(P("e")).st_mode));
  EXPECT_ERRNO(EEXIST, mkdir(P("d/").c_str(), 0755));
}

TEST_P(DirTest, MkdiratRelativeToDirfdAndCwd) {
  CwdRestorer restore;
  Dir("base");
  UniqueFd dfd(OpenDir("base"));
  ASSERT_EQ(mkdirat(dfd.get(), "child", 0755), 0);
  EXPECT_TRUE(S_ISDIR(Lstat(P("base/child")).st_mode));
  ASSERT_EQ(chdir(D().c_str()), 0);
  ASSERT_EQ(mkdirat(AT_FDCWD, "viacwd", 0755), 0);
  EXPECT_TRUE(S_ISDIR(Lstat(P("viacwd")).st_mode));
  EXPECT_ERRNO(EEXIST, mkdirat(dfd.get(), "child", 0755));
  EXPECT_ERRNO(EBADF, mkdirat(-1, "rel", 0755));
}

TEST_P(DirTest, MkdirAndRmdirAdjustParentLinkCount) {
  nlink_t base = Nlink("");
  Dir("a");
  Dir("b");
  EXPECT_EQ(Nlink(""), base + 2);
  File("f");  // files do not count
  EXPECT_EQ(Nlink(""), base + 2);
  Dir("a/x");
  EXPECT_EQ(Nlink("a"), 3u);
  ASSERT_EQ(rmdir(P("a/x").c_str()), 0);
  EXPECT_EQ(Nlink("a"), 2u);
  ASSERT_EQ(rmdir(P("b").c_str()), 0);
  EXPECT_EQ(Nlink(""), base + 1);
}

TEST_P(DirTest, MkdirInheritsSetgidDirectory) {
  Dir("sg");
  ASSERT_EQ(chmod(P("sg").c_str(), 02775), 0) << strerror(errno);
  ASSERT_EQ(Lstat(P("sg")).st_mode & 07777, 02775u);
  Dir("sg/child");
  struct stat st = Lstat(P("sg/child"));
  EXPECT_TRUE(st.st_mode & S_ISGID);
  EXPECT_EQ(st.st_gid, Lstat(P("sg")).st_gid);
  File("sg/file");
  EXPECT_FALSE(Lstat(P("sg/file")).st_mode & S_ISGID);  // files only inherit the group
}

// ---- rmdir --------------------------------------------------------------------------------

TEST_P(DirTest, RmdirNonEmptyENOTEMPTY) {
  const char* kinds[] = {"file", "dir", "link", "fifo"};
  for (const char* k : kinds) {
    std::string d = std::string("d_") + k;
    Dir(d);
    std::string inner = P(d + "/x");
    ASSERT_EQ(Make(k, inner), 0) << k << ": " << strerror(errno);
    EXPECT_ERRNO(ENOTEMPTY, rmdir(P(d).c_str()));
    EXPECT_TRUE(Exists(inner)) << k;
    ASSERT_EQ(k == std::string("dir") ? rmdir(inner.c_str()) : unlink(inner.c_str()), 0);
    EXPECT_EQ(rmdir(P(d).c_str()), 0) << k;
  }
}

TEST_P(DirTest, RmdirNonDirectoryENOTDIR) {
  File("f");
  Dir("d");
  Link("d", "ld");
  EXPECT_ERRNO(ENOTDIR, rmdir(P("f").c_str()));
  EXPECT_ERRNO(ENOTDIR, rmdir(P("ld").c_str()));  // the link is not followed
  EXPECT_TRUE(Exists(P("d")));
  EXPECT_TRUE(Exists(P("ld")));
  EXPECT_ERRNO(ENOTDIR, rmdir(P("f/x").c_str()));
  EXPECT_ERRNO(ENOENT, rmdir(P("missing").c_str()));
}

TEST_P(DirTest, RmdirDotEINVALDotDotENOTEMPTY) {
  CwdRestorer restore;
  Dir("d");
  Dir("d/sub");
  EXPECT_ERRNO(EINVAL, rmdir(P("d/sub/.").c_str()));
  EXPECT_ERRNO(ENOTEMPTY, rmdir(P("d/sub/..").c_str()));
  ASSERT_EQ(chdir(P("d/sub").c_str()), 0);
  EXPECT_ERRNO(EINVAL, rmdir("."));
  EXPECT_TRUE(Exists(P("d/sub")));
  UniqueFd dfd(OpenDir("d/sub"));
  EXPECT_ERRNO(EINVAL, unlinkat(dfd.get(), ".", AT_REMOVEDIR));
}

TEST_P(DirTest, RmdirTrailingSlash) {
  Dir("d");
  EXPECT_EQ(rmdir(P("d/").c_str()), 0) << strerror(errno);
  EXPECT_FALSE(Exists(P("d")));
  Dir("e");
  EXPECT_EQ(rmdir(P("e//").c_str()), 0) << strerror(errno);
}

TEST(Dir, RmdirMountPointEBUSY) {
  // /proc is a mount point (and not empty): the mount wins.
  EXPECT_ERRNO(EBUSY, rmdir("/proc"));
  struct stat st;
  EXPECT_EQ(stat("/proc/self", &st), 0);
}

TEST_P(DirTest, RmdirWhileOpen) {
  Dir("d");
  UniqueFd fd(OpenDir("d"));
  ASSERT_EQ(rmdir(P("d").c_str()), 0);
  EXPECT_FALSE(Exists(P("d")));
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0u);
  // Nothing can be created in a removed directory, and it lists as gone.
  EXPECT_ERRNO(ENOENT, openat(fd.get(), "x", O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, mkdirat(fd.get(), "y", 0755));
  alignas(8) char buf[512];
  EXPECT_ERRNO(ENOENT, syscall(SYS_getdents64, fd.get(), buf, sizeof buf));
  // The name can be reused by a new, different directory.
  Dir("d");
  EXPECT_NE(Ino("d"), st.st_ino);
}

// ---- unlink ------------------------------------------------------------------------------

TEST_P(DirTest, UnlinkDirectoryEISDIR) {
  Dir("d");
  UniqueFd dfd(OpenDir());
  EXPECT_ERRNO(EISDIR, unlink(P("d").c_str()));
  EXPECT_ERRNO(EISDIR, unlinkat(dfd.get(), "d", 0));
  EXPECT_TRUE(Exists(P("d")));
  EXPECT_EQ(unlinkat(dfd.get(), "d", AT_REMOVEDIR), 0);
  EXPECT_FALSE(Exists(P("d")));
}

TEST_P(DirTest, UnlinkatRemovedirOnNonDirectoryOrNonEmpty) {
  File("f");
  Dir("full");
  File("full/x");
  UniqueFd dfd(OpenDir());
  EXPECT_ERRNO(ENOTDIR, unlinkat(dfd.get(), "f", AT_REMOVEDIR));
  EXPECT_ERRNO(ENOTEMPTY, unlinkat(dfd.get(), "full", AT_REMOVEDIR));
  EXPECT_ERRNO(ENOENT, unlinkat(dfd.get(), "missing", AT_REMOVEDIR));
  EXPECT_TRUE(Exists(P("f")));
  EXPECT_EQ(unlinkat(dfd.get(), "f", 0), 0);
  EXPECT_FALSE(Exists(P("f")));
}

TEST_P(DirTest, UnlinkSymlinkRemovesOnlyTheLink) {
  File("f", "kept");
  Dir("d");
  Link("f", "lf");
  Link("d", "ld");
  EXPECT_EQ(unlink(P("lf").c_str()), 0);
  EXPECT_EQ(unlink(P("ld").c_str()), 0);  // a link to a directory is still just a link
  EXPECT_FALSE(Exists(P("lf")));
  EXPECT_FALSE(Exists(P("ld")));
  EXPECT_EQ(ReadPath(P("f")), "kept");
  EXPECT_TRUE(S_ISDIR(Lstat(P("d")).st_mode));
}

TEST_P(DirTest, UnlinkTrailingSlash) {
  File("f");
  Dir("d");
  EXPECT_ERRNO(ENOTDIR, unlink(P("f/").c_str()));
  EXPECT_ERRNO(EISDIR, unlink(P("d/").c_str()));
  EXPECT_ERRNO(ENOENT, unlink(P("missing/").c_str()));
  EXPECT_TRUE(Exists(P("f")));
}

TEST_P(DirTest, UnlinkOpenFileSurvives) {
  File("f", "data");
  UniqueFd fd(open(P("f").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  ino_t ino = Ino("f");
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  EXPECT_FALSE(Exists(P("f")));
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_ino, ino);
  EXPECT_EQ(pwrite(fd.get(), "DA", 2, 0), 2);
  char buf[8];
  EXPECT_EQ(pread(fd.get(), buf, sizeof buf, 0), 4);
  EXPECT_EQ(std::string(buf, 4), "DAta");
  // A new file under the old name is a different file.
  File("f", "new");
  EXPECT_EQ(ReadPath(P("f")), "new");
  EXPECT_EQ(pread(fd.get(), buf, sizeof buf, 0), 4);
}

TEST_P(DirTest, UnlinkFifoAndSpecialNames) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  EXPECT_EQ(unlink(P("fifo").c_str()), 0);
  EXPECT_FALSE(Exists(P("fifo")));
  Dir("d");
  EXPECT_ERRNO(EISDIR, unlink(P("d/.").c_str()));
  EXPECT_ERRNO(EISDIR, unlink(P("d/..").c_str()));
}

// ---- rename ------------------------------------------------------------------------------

TEST_P(DirTest, RenameFileOverFile) {
  File("a", "AAA");
  File("b", "BBB");
  ino_t a = Ino("a");
  ASSERT_EQ(rename(P("a").c_str(), P("b").c_str()), 0);
  EXPECT_FALSE(Exists(P("a")));
  EXPECT_EQ(Ino("b"), a);
  EXPECT_EQ(ReadPath(P("b")), "AAA");
  EXPECT_EQ(Nlink("b"), 1u);
}

TEST_P(DirTest, RenameOverAnOpenFileLeavesItUnlinked) {
  File("a", "AAA");
  File("b", "BBB");
  UniqueFd old_b(open(P("b").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(old_b.ok());
  ASSERT_EQ(rename(P("a").c_str(), P("b").c_str()), 0);
  // The replaced file lives on for its open descriptor, with no links.
  struct stat st;
  ASSERT_EQ(fstat(old_b.get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(ReadAll(old_b.get()), "BBB");
}

TEST_P(DirTest, RenameDirOverEmptyDir) {
  Dir("src");
  File("src/f", "moved");
  Dir("dst");
  ino_t src = Ino("src");
  ASSERT_EQ(rename(P("src").c_str(), P("dst").c_str()), 0);
  EXPECT_FALSE(Exists(P("src")));
  EXPECT_EQ(Ino("dst"), src);
  EXPECT_EQ(ReadPath(P("dst/f")), "moved");
  EXPECT_EQ(Lstat(P("dst/..")).st_ino, Lstat(D()).st_ino);
}

TEST_P(DirTest, RenameDirectoryUpdatesParentLinkCounts) {
  Dir("a");
  Dir("b");
  Dir("a/x");
  Dir("a/y");
  Dir("b/z");
  nlink_t top = Nlink("");
  // Over an empty directory in the same parent: one subdirectory fewer.
  ASSERT_EQ(rename(P("a/x").c_str(), P("a/y").c_str()), 0);
  EXPECT_EQ(Nlink("a"), 3u);
  // Into another parent: the old one loses a link, the new one gains one.
  ASSERT_EQ(rename(P("a/y").c_str(), P("b/y").c_str()), 0);
  EXPECT_EQ(Nlink("a"), 2u);
  EXPECT_EQ(Nlink("b"), 4u);
  // Exchanging a directory with a file across parents moves the link too.
  File("a/f");
  ASSERT_EQ(renameat2(AT_FDCWD, P("a/f").c_str(), AT_FDCWD, P("b/z").c_str(), RENAME_EXCHANGE),
            0) << strerror(errno);
  EXPECT_EQ(Nlink("a"), 3u);
  EXPECT_EQ(Nlink("b"), 3u);
  EXPECT_EQ(Nlink(""), top);
}

TEST_P(DirTest, RenameDirOverNonEmptyDirENOTEMPTY) {
  Dir("src");
  Dir("dst");
  File("dst/keep", "k");
  EXPECT_ERRNO(ENOTEMPTY, rename(P("src").c_str(), P("dst").c_str()));
  EXPECT_TRUE(Exists(P("src")));
  EXPECT_EQ(ReadPath(P("dst/keep")), "k");
}

TEST_P(DirTest, RenameFileOverDirEISDIR) {
  File("f");
  Dir("d");
  EXPECT_ERRNO(EISDIR, rename(P("f").c_str(), P("d").c_str()));
  EXPECT_TRUE(S_ISREG(Lstat(P("f")).st_mode));
  EXPECT_TRUE(S_ISDIR(Lstat(P("d")).st_mode));
}

TEST_P(DirTest, RenameDirOverFileENOTDIR) {
  File("f", "file");
  Dir("d");
  EXPECT_ERRNO(ENOTDIR, rename(P("d").c_str(), P("f").c_str()));
  EXPECT_EQ(ReadPath(P("f")), "file");
  EXPECT_TRUE(S_ISDIR(Lstat(P("d")).st_mode));
}

TEST_P(DirTest, RenameIntoOwnSubdirectoryEINVAL) {
  Dir("d");
  Dir("d/sub");
  Dir("d/sub/deeper");
  EXPECT_ERRNO(EINVAL, rename(P("d").c_str(), P("d/inside").c_str()));
  EXPECT_ERRNO(EINVAL, rename(P("d").c_str(), P("d/sub/deeper/x").c_str()));
  // Also when the target exists (an empty descendant).
  EXPECT_ERRNO(EINVAL, rename(P("d").c_str(), P("d/sub/deeper").c_str()));
  // Moving the descendant over its (non-empty) ancestor: ENOTEMPTY.
  EXPECT_ERRNO(ENOTEMPTY, rename(P("d/sub/deeper").c_str(), P("d").c_str()));
  EXPECT_TRUE(Exists(P("d/sub/deeper")));
}

TEST_P(DirTest, RenameToSameFileIsANoOp) {
  File("f", "same");
  ASSERT_EQ(link(P("f").c_str(), P("hard").c_str()), 0);
  EXPECT_EQ(rename(P("f").c_str(), P("f").c_str()), 0);
  // Two names of one inode: rename does nothing and both names remain.
  EXPECT_EQ(rename(P("f").c_str(), P("hard").c_str()), 0);
  EXPECT_TRUE(Exists(P("f")));
  EXPECT_TRUE(Exists(P("hard")));
  EXPECT_EQ(Nlink("f"), 2u);
  Dir("d");
  EXPECT_EQ(rename(P("d").c_str(), P("d").c_str()), 0);
  EXPECT_TRUE(Exists(P("d")));
}

TEST_P(DirTest, RenameNoreplace) {
  File("a", "A");
  File("b", "B");
  Dir("d");
  EXPECT_ERRNO(EEXIST, renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("b").c_str(),
                                 RENAME_NOREPLACE));
  EXPECT_ERRNO(EEXIST, renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("d").c_str(),
                                 RENAME_NOREPLACE));
  EXPECT_EQ(ReadPath(P("b")), "B");
  ASSERT_EQ(renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("c").c_str(), RENAME_NOREPLACE),
            0) << strerror(errno);
  EXPECT_EQ(ReadPath(P("c")), "A");
  EXPECT_FALSE(Exists(P("a")));
  // Even a dangling symlink counts as existing.
  Link("nowhere", "dangling");
  EXPECT_ERRNO(EEXIST, renameat2(AT_FDCWD, P("c").c_str(), AT_FDCWD, P("dangling").c_str(),
                                 RENAME_NOREPLACE));
}

TEST_P(DirTest, RenameExchangeSwapsFiles) {
  File("a", "A");
  File("b", "B");
  ino_t a = Ino("a"), b = Ino("b");
  ASSERT_EQ(renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("b").c_str(), RENAME_EXCHANGE),
            0) << strerror(errno);
  EXPECT_EQ(ReadPath(P("a")), "B");
  EXPECT_EQ(ReadPath(P("b")), "A");
  EXPECT_EQ(Ino("a"), b);
  EXPECT_EQ(Ino("b"), a);
}

TEST_P(DirTest, RenameExchangeMissingTargetENOENT) {
  File("a", "A");
  EXPECT_ERRNO(ENOENT, renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("none").c_str(),
                                 RENAME_EXCHANGE));
  EXPECT_ERRNO(ENOENT, renameat2(AT_FDCWD, P("none").c_str(), AT_FDCWD, P("a").c_str(),
                                 RENAME_EXCHANGE));
  EXPECT_EQ(ReadPath(P("a")), "A");
  EXPECT_FALSE(Exists(P("none")));
}

TEST_P(DirTest, RenameExchangeFileAndDirectory) {
  File("f", "file");
  Dir("d");
  File("d/inner", "inner");
  ASSERT_EQ(renameat2(AT_FDCWD, P("f").c_str(), AT_FDCWD, P("d").c_str(), RENAME_EXCHANGE),
            0) << strerror(errno);
  EXPECT_TRUE(S_ISDIR(Lstat(P("f")).st_mode));
  EXPECT_TRUE(S_ISREG(Lstat(P("d")).st_mode));
  EXPECT_EQ(ReadPath(P("f/inner")), "inner");
  EXPECT_EQ(ReadPath(P("d")), "file");
}

TEST_P(DirTest, RenameExchangeDirectoriesAcrossParents) {
  Dir("p1");
  Dir("p2");
  Dir("p1/x");
  Dir("p1/x/sub");
  File("p2/y", "file y");
  ASSERT_EQ(renameat2(AT_FDCWD, P("p1/x").c_str(), AT_FDCWD, P("p2/y").c_str(),
                      RENAME_EXCHANGE), 0) << strerror(errno);
  EXPECT_TRUE(S_ISDIR(Lstat(P("p2/y")).st_mode));
  EXPECT_EQ(ReadPath(P("p1/x")), "file y");
  // The moved directory's ".." is its new parent.
  EXPECT_EQ(Lstat(P("p2/y/..")).st_ino, Ino("p2"));
  EXPECT_EQ(ReadPath(P("p2/y/../y/../../p1/x")), "file y");
}

TEST_P(DirTest, Renameat2InvalidFlagsEINVAL) {
  File("a");
  File("b");
  EXPECT_ERRNO(EINVAL, renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("b").c_str(),
                                 RENAME_NOREPLACE | RENAME_EXCHANGE));
  EXPECT_ERRNO(EINVAL, renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("b").c_str(), 1u << 10));
  EXPECT_ERRNO(EINVAL, renameat2(AT_FDCWD, P("a").c_str(), AT_FDCWD, P("b").c_str(),
                                 RENAME_EXCHANGE | RENAME_WHITEOUT));
  EXPECT_TRUE(Exists(P("a")));
  EXPECT_TRUE(Exists(P("b")));
}

TEST_P(DirTest, RenameKeepsOpenDescriptorsWorking) {
  File("f", "before");
  UniqueFd fd(open(P("f").c_str(), O_RDWR | O_APPEND | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  Dir("d");
  ASSERT_EQ(rename(P("f").c_str(), P("d/g").c_str()), 0);
  EXPECT_EQ(write(fd.get(), "+after", 6), 6);
  EXPECT_EQ(ReadPath(P("d/g")), "before+after");
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_ino, Ino("d/g"));
  EXPECT_EQ(st.st_nlink, 1u);
  ASSERT_EQ(unlink(P("d/g").c_str()), 0);
  char buf[32];
  EXPECT_EQ(pread(fd.get(), buf, sizeof buf, 0), 12);
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
}

TEST_P(DirTest, RenameDirectoryAcrossParentsUpdatesDotDot) {
  Dir("a");
  Dir("b");
  Dir("a/moving");
  File("a/moving/f", "payload");
  ASSERT_EQ(rename(P("a/moving").c_str(), P("b/moved").c_str()), 0);
  EXPECT_EQ(Lstat(P("b/moved/..")).st_ino, Ino("b"));
  EXPECT_EQ(ReadPath(P("b/moved/../moved/f")), "payload");
  EXPECT_FALSE(Exists(P("a/moving")));
}

TEST_P(DirTest, OpenDirectoryFdFollowsRename) {
  Dir("a");
  Dir("b");
  Dir("a/moving");
  File("a/moving/f", "payload");
  UniqueFd moving(OpenDir("a/moving"));
  ASSERT_EQ(rename(P("a/moving").c_str(), P("b/moved").c_str()), 0);
  // Lookups relative to the descriptor happen in the directory's new place.
  int fd = openat(moving.get(), "f", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(ReadAll(fd), "payload");
  close(fd);
  fd = openat(moving.get(), "g", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  EXPECT_TRUE(Exists(P("b/moved/g")));
  struct stat st;
  ASSERT_EQ(fstatat(moving.get(), "..", &st, 0), 0) << strerror(errno);
  EXPECT_EQ(st.st_ino, Ino("b"));
}

TEST_P(DirTest, RenameDotOrDotDotEBUSY) {
  Dir("d");
  Dir("d/sub");
  EXPECT_ERRNO(EBUSY, rename(P("d/sub/.").c_str(), P("x").c_str()));
  EXPECT_ERRNO(EBUSY, rename(P("d/sub/..").c_str(), P("x").c_str()));
  EXPECT_ERRNO(EBUSY, rename(P("d/sub").c_str(), P("d/.").c_str()));
  EXPECT_FALSE(Exists(P("x")));
}

TEST_P(DirTest, RenameSymlinkMovesTheLink) {
  File("f", "target");
  Link("f", "l");
  ASSERT_EQ(rename(P("l").c_str(), P("m").c_str()), 0);
  EXPECT_TRUE(S_ISLNK(Lstat(P("m")).st_mode));
  EXPECT_EQ(Readlink(P("m")), "f");
  EXPECT_EQ(ReadPath(P("f")), "target");
  // Renaming a file over a symlink replaces the link, not its target.
  File("g", "g");
  ASSERT_EQ(rename(P("g").c_str(), P("m").c_str()), 0);
  EXPECT_TRUE(S_ISREG(Lstat(P("m")).st_mode));
  EXPECT_EQ(ReadPath(P("f")), "target");
}

TEST_P(DirTest, RenameTrailingSlashes) {
  File("f");
  Dir("d");
  EXPECT_ERRNO(ENOTDIR, rename(P("f").c_str(), P("g/").c_str()));
  EXPECT_ERRNO(ENOTDIR, rename(P("f/").c_str(), P("g").c_str()));
  EXPECT_FALSE(Exists(P("g")));
  EXPECT_EQ(rename(P("d/").c_str(), P("e/").c_str()), 0) << strerror(errno);
  EXPECT_TRUE(S_ISDIR(Lstat(P("e")).st_mode));
}

TEST_P(DirTest, RenameMissingNamesENOENT) {
  File("f");
  EXPECT_ERRNO(ENOENT, rename(P("missing").c_str(), P("x").c_str()));
  EXPECT_ERRNO(ENOENT, rename(P("f").c_str(), P("nodir/x").c_str()));
  EXPECT_TRUE(Exists(P("f")));
}

TEST_P(DirTest, RenameatWithDirfds) {
  Dir("a");
  Dir("b");
  File("a/f", "moved by fd");
  UniqueFd a(OpenDir("a")), b(OpenDir("b"));
  ASSERT_EQ(renameat(a.get(), "f", b.get(), "g"), 0);
  EXPECT_EQ(ReadPath(P("b/g")), "moved by fd");
  EXPECT_ERRNO(ENOENT, renameat(a.get(), "f", b.get(), "h"));
  EXPECT_ERRNO(EBADF, renameat(-1, "f", b.get(), "h"));
}

TEST_P(DirTest, RenameAndLinkAcrossMountsEXDEV) {
  File("f");
  EXPECT_ERRNO(EXDEV, rename(P("f").c_str(), "/proc/conformance-f"));
  // link looks the new name up first, and /proc refuses unknown names: use /dev (a mount
  // in both places) there.
  EXPECT_ERRNO(EXDEV, link(P("f").c_str(), "/dev/conformance-dir-test-link"));
  unlink("/dev/conformance-dir-test-link");  // only if the check above failed
  EXPECT_TRUE(Exists(P("f")));
}

// ---- link --------------------------------------------------------------------------------

TEST_P(DirTest, LinkSharesTheInodeAndCountsLinks) {
  File("f", "shared");
  ASSERT_EQ(link(P("f").c_str(), P("g").c_str()), 0);
  EXPECT_EQ(Ino("f"), Ino("g"));
  EXPECT_EQ(Nlink("f"), 2u);
  Dir("d");
  ASSERT_EQ(link(P("g").c_str(), P("d/h").c_str()), 0);
  EXPECT_EQ(Nlink("f"), 3u);
  ASSERT_TRUE(WriteFile(P("d/h"), "changed"));
  EXPECT_EQ(ReadPath(P("f")), "changed");
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  EXPECT_EQ(Nlink("g"), 2u);
  ASSERT_EQ(unlink(P("g").c_str()), 0);
  EXPECT_EQ(Nlink("d/h"), 1u);
  EXPECT_EQ(ReadPath(P("d/h")), "changed");
}

TEST_P(DirTest, LinkExistingNameEEXIST) {
  File("f");
  File("g");
  Dir("d");
  Link("nowhere", "dangling");
  EXPECT_ERRNO(EEXIST, link(P("f").c_str(), P("g").c_str()));
  EXPECT_ERRNO(EEXIST, link(P("f").c_str(), P("d").c_str()));
  EXPECT_ERRNO(EEXIST, link(P("f").c_str(), P("dangling").c_str()));
  EXPECT_FALSE(Exists(P("nowhere")));
  EXPECT_EQ(Nlink("f"), 1u);
}

TEST_P(DirTest, LinkDirectoryEPERM) {
  Dir("d");
  EXPECT_ERRNO(EPERM, link(P("d").c_str(), P("d2").c_str()));
  EXPECT_FALSE(Exists(P("d2")));
  EXPECT_EQ(Nlink("d"), 2u);
}

TEST_P(DirTest, LinkatWithoutFollowLinksTheSymlink) {
  File("f");
  Link("f", "l");
  ASSERT_EQ(linkat(AT_FDCWD, P("l").c_str(), AT_FDCWD, P("l2").c_str(), 0), 0);
  EXPECT_TRUE(S_ISLNK(Lstat(P("l2")).st_mode));
  EXPECT_EQ(Ino("l2"), Ino("l"));
  EXPECT_EQ(Nlink("l"), 2u);
  EXPECT_EQ(Nlink("f"), 1u);
  // link(2) does not follow either (on Linux).
  ASSERT_EQ(link(P("l").c_str(), P("l3").c_str()), 0);
  EXPECT_EQ(Ino("l3"), Ino("l"));
}

TEST_P(DirTest, LinkatSymlinkFollowLinksTheTarget) {
  File("f", "target");
  Link("f", "l");
  Link("nowhere", "dangling");
  UniqueFd dfd(OpenDir());
  ASSERT_EQ(linkat(dfd.get(), "l", dfd.get(), "t", AT_SYMLINK_FOLLOW), 0);
  EXPECT_TRUE(S_ISREG(Lstat(P("t")).st_mode));
  EXPECT_EQ(Ino("t"), Ino("f"));
  EXPECT_EQ(Nlink("f"), 2u);
  EXPECT_ERRNO(ENOENT, linkat(dfd.get(), "dangling", dfd.get(), "u", AT_SYMLINK_FOLLOW));
  EXPECT_ERRNO(EINVAL, linkat(dfd.get(), "f", dfd.get(), "v", AT_REMOVEDIR));
  EXPECT_FALSE(Exists(P("v")));
}

TEST_P(DirTest, LinkErrors) {
  File("f");
  EXPECT_ERRNO(ENOENT, link(P("missing").c_str(), P("x").c_str()));
  EXPECT_ERRNO(ENOENT, link(P("f").c_str(), P("nodir/x").c_str()));
  EXPECT_ERRNO(ENOTDIR, link(P("f/").c_str(), P("x").c_str()));
  EXPECT_ERRNO(ENOENT, link(P("f").c_str(), P("x/").c_str()));
  EXPECT_FALSE(Exists(P("x")));
}

TEST_P(DirTest, LinkUpdatesCtimeOfTheFile) {
  File("f");
  struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, P("f").c_str(), old, 0), 0);
  struct stat before = Lstat(P("f"));
  WaitPast(before.st_ctim);
  ASSERT_EQ(link(P("f").c_str(), P("g").c_str()), 0);
  struct stat after = Lstat(P("f"));
  EXPECT_TRUE(Later(after.st_ctim, before.st_ctim));
  EXPECT_EQ(after.st_mtime, 1000000);  // the data did not change
}

// ---- symlink ---------------------------------------------------------------------------

TEST_P(DirTest, SymlinkOverExistingNameEEXIST) {
  File("f", "untouched");
  Dir("d");
  Link("nowhere", "dangling");
  EXPECT_ERRNO(EEXIST, symlink("x", P("f").c_str()));
  EXPECT_ERRNO(EEXIST, symlink("x", P("d").c_str()));
  EXPECT_ERRNO(EEXIST, symlink("x", P("dangling").c_str()));
  EXPECT_FALSE(Exists(P("nowhere")));
  EXPECT_EQ(ReadPath(P("f")), "untouched");
  EXPECT_EQ(Readlink(P("dangling")), "nowhere");
}

TEST_P(DirTest, SymlinkTargetStoredVerbatim) {
  const std::string targets[] = {
      "plain", "a//b/../c/", "/abs/./path", " spaces and\ttabs ", "..", "trailing/", "ünï",
      std::string(1000, 'x')};
  int i = 0;
  for (const std::string& t : targets) {
    std::string name = "l" + std::to_string(i++);
    ASSERT_EQ(symlink(t.c_str(), P(name).c_str()), 0) << t;
    EXPECT_EQ(Readlink(P(name)), t);
    EXPECT_EQ(Lstat(P(name)).st_size, (off_t)t.size()) << t;
  }
  EXPECT_ERRNO(ENOENT, symlink("", P("empty").c_str()));
  EXPECT_FALSE(Exists(P("empty")));
}

TEST_P(DirTest, SymlinkTargetLengthLimit) {
  std::string longest(4095, 't');
  ASSERT_EQ(symlink(longest.c_str(), P("max").c_str()), 0) << strerror(errno);
  EXPECT_EQ(Readlink(P("max")), longest);
  std::string too_long(4096, 't');
  EXPECT_ERRNO(ENAMETOOLONG, symlink(too_long.c_str(), P("over").c_str()));
  EXPECT_FALSE(Exists(P("over")));
}

TEST_P(DirTest, SymlinkatRelativeToDirfd) {
  Dir("d");
  UniqueFd dfd(OpenDir("d"));
  ASSERT_EQ(symlinkat("target", dfd.get(), "l"), 0);
  EXPECT_EQ(Readlink(P("d/l")), "target");
  EXPECT_ERRNO(EEXIST, symlinkat("other", dfd.get(), "l"));
  EXPECT_ERRNO(ENOENT, symlinkat("t", dfd.get(), "no/l"));
  EXPECT_ERRNO(EBADF, symlinkat("t", -1, "rel"));
}

TEST_P(DirTest, SymlinkOwnerAndMode) {
  ScopedUmask um(077);  // the umask does not apply to symlinks
  Link("whatever", "l");
  struct stat st = Lstat(P("l"));
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0777u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_nlink, 1u);
}

// ---- getdents64 ----------------------------------------------------------------------------

TEST_P(DirTest, GetdentsListsEveryNameOnce) {
  File("file");
  Dir("dir");
  Link("file", "link");
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  UniqueFd fd(OpenDir());
  std::vector<Dirent> ents = ReadDirents(fd.get());
  EXPECT_EQ(Names(ents),
            (std::multiset<std::string>{".", "..", "file", "dir", "link", "fifo"}));
}

TEST_P(DirTest, GetdentsDirentTypes) {
  File("file");
  Dir("dir");
  Link("file", "link");
  Link("nowhere", "dangling");
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  UniqueFd fd(OpenDir());
  std::map<std::string, int> types;
  for (const Dirent& e : ReadDirents(fd.get())) types[e.name] = e.type;
  EXPECT_EQ(types["."], DT_DIR);
  EXPECT_EQ(types[".."], DT_DIR);
  EXPECT_EQ(types["file"], DT_REG);
  EXPECT_EQ(types["dir"], DT_DIR);
  EXPECT_EQ(types["link"], DT_LNK);
  EXPECT_EQ(types["dangling"], DT_LNK);
  EXPECT_EQ(types["fifo"], DT_FIFO);
}

TEST_P(DirTest, GetdentsInodeNumbersMatchLstat) {
  File("file");
  Dir("dir");
  Link("file", "link");
  UniqueFd fd(OpenDir());
  for (const Dirent& e : ReadDirents(fd.get())) {
    if (e.name == "..") {
      EXPECT_EQ(e.ino, Lstat(D() + "/..").st_ino);
    } else {
      EXPECT_EQ(e.ino, Lstat(P(e.name)).st_ino) << e.name;
    }
  }
}

TEST_P(DirTest, GetdentsManyEntriesWithSmallBuffer) {
  std::multiset<std::string> want = {".", ".."};
  for (int i = 0; i < 500; i++) {
    std::string name = "entry-" + std::to_string(i);
    int fd = open(P(name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << strerror(errno);
    close(fd);
    want.insert(name);
  }
  UniqueFd fd(OpenDir());
  int calls = 0;
  std::vector<Dirent> ents = ReadDirents(fd.get(), 256, &calls);
  EXPECT_EQ(Names(ents), want);
  EXPECT_GE(calls, 40);  // 256 bytes hold at most ~8 of these entries
  alignas(8) char buf[256];
  EXPECT_EQ(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), 0);  // stays at the end
  EXPECT_EQ(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), 0);
}

TEST_P(DirTest, GetdentsRewindWithLseek) {
  for (int i = 0; i < 20; i++) File("f" + std::to_string(i));
  UniqueFd fd(OpenDir());
  std::multiset<std::string> first = Names(ReadDirents(fd.get(), 512));
  EXPECT_EQ(first.size(), 22u);
  ASSERT_EQ(lseek(fd.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(Names(ReadDirents(fd.get(), 512)), first);
}

TEST_P(DirTest, GetdentsSeesChangesAfterRewind) {
  File("keep");
  File("remove");
  UniqueFd fd(OpenDir());
  EXPECT_EQ(Names(ReadDirents(fd.get())),
            (std::multiset<std::string>{".", "..", "keep", "remove"}));
  ASSERT_EQ(unlink(P("remove").c_str()), 0);
  File("added");
  Dir("added-dir");
  ASSERT_EQ(lseek(fd.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(Names(ReadDirents(fd.get())),
            (std::multiset<std::string>{".", "..", "keep", "added", "added-dir"}));
  ASSERT_EQ(rename(P("keep").c_str(), P("renamed").c_str()), 0);
  ASSERT_EQ(lseek(fd.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(Names(ReadDirents(fd.get())),
            (std::multiset<std::string>{".", "..", "renamed", "added", "added-dir"}));
}

TEST_P(DirTest, GetdentsSeekToReturnedOffset) {
  for (int i = 0; i < 10; i++) File("f" + std::to_string(i));
  UniqueFd fd(OpenDir());
  std::vector<Dirent> all = ReadDirents(fd.get());
  ASSERT_EQ(all.size(), 12u);
  // d_off of an entry is the position just after it: seeking there resumes with the next.
  for (size_t k : {size_t(0), size_t(4), size_t(10)}) {
    ASSERT_GE(lseek(fd.get(), all[k].off, SEEK_SET), 0) << strerror(errno);
    std::vector<Dirent> rest = ReadDirents(fd.get());
    ASSERT_EQ(rest.size(), all.size() - k - 1) << "after entry " << k;
    for (size_t i = 0; i < rest.size(); i++) EXPECT_EQ(rest[i].name, all[k + 1 + i].name);
  }
}

TEST_P(DirTest, GetdentsBufferTooSmallEINVAL) {
  File("a-file-with-a-long-name-that-needs-a-big-record");
  UniqueFd fd(OpenDir());
  alignas(8) char buf[4096];
  EXPECT_ERRNO(EINVAL, syscall(SYS_getdents64, fd.get(), buf, 1));
  EXPECT_ERRNO(EINVAL, syscall(SYS_getdents64, fd.get(), buf, 0));
  // The failed calls did not move the position: everything is still there.
  EXPECT_EQ(ReadDirents(fd.get()).size(), 3u);
  // A buffer that holds "." and ".." but not the long record: the short read comes first,
  // then EINVAL only when not even one entry fits.
  ASSERT_EQ(lseek(fd.get(), 0, SEEK_SET), 0);
  std::vector<Dirent> got;
  for (;;) {
    long n = syscall(SYS_getdents64, fd.get(), buf, 48);
    if (n <= 0) {
      EXPECT_EQ(n, -1);
      EXPECT_EQ(errno, EINVAL);
      break;
    }
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
      got.push_back({d->d_name, d->d_ino, d->d_off, d->d_type});
      off += d->d_reclen;
    }
  }
  EXPECT_LE(got.size(), 2u);
  EXPECT_EQ(ReadDirents(fd.get()).size(), 3u - got.size());
}

TEST_P(DirTest, GetdentsOnNonDirectory) {
  File("f");
  UniqueFd file(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  alignas(8) char buf[512];
  EXPECT_ERRNO(ENOTDIR, syscall(SYS_getdents64, file.get(), buf, sizeof buf));
  UniqueFd path(open(D().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_ERRNO(EBADF, syscall(SYS_getdents64, path.get(), buf, sizeof buf));
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  UniqueFd fifo(open(P("fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  EXPECT_ERRNO(ENOTDIR, syscall(SYS_getdents64, fifo.get(), buf, sizeof buf));
}

// ---- mknod and FIFOs ----------------------------------------------------------------------

TEST_P(DirTest, MknodFifo) {
  ScopedUmask um(022);
  ASSERT_EQ(mknod(P("fifo").c_str(), S_IFIFO | 0666, 0), 0) << strerror(errno);
  struct stat st = Lstat(P("fifo"));
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_size, 0);
  EXPECT_EQ(st.st_uid, geteuid());
}

TEST_P(DirTest, MknodTypeZeroMakesRegularFile) {
  ScopedUmask um(022);
  ASSERT_EQ(mknod(P("reg").c_str(), 0666, 0), 0) << strerror(errno);
  struct stat st = Lstat(P("reg"));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_size, 0);
  ASSERT_TRUE(WriteFile(P("reg"), "usable"));
  EXPECT_EQ(ReadPath(P("reg")), "usable");
}

TEST_P(DirTest, MknodatRegularFileWithDirfd) {
  Dir("d");
  UniqueFd dfd(OpenDir("d"));
  ASSERT_EQ(mknodat(dfd.get(), "r", S_IFREG | 0600, 0), 0) << strerror(errno);
  ASSERT_EQ(mknodat(dfd.get(), "p", S_IFIFO | 0600, 0), 0) << strerror(errno);
  EXPECT_TRUE(S_ISREG(Lstat(P("d/r")).st_mode));
  EXPECT_TRUE(S_ISFIFO(Lstat(P("d/p")).st_mode));
  EXPECT_EQ(Lstat(P("d/r")).st_mode & 07777, 0600u);
}

TEST_P(DirTest, MknodExistingNameEEXIST) {
  File("f", "kept");
  Link("nowhere", "dangling");
  EXPECT_ERRNO(EEXIST, mknod(P("f").c_str(), S_IFIFO | 0644, 0));
  EXPECT_ERRNO(EEXIST, mknod(P("f").c_str(), S_IFREG | 0644, 0));
  EXPECT_ERRNO(EEXIST, mknod(P("dangling").c_str(), S_IFREG | 0644, 0));
  EXPECT_ERRNO(EEXIST, mkfifo(P("f").c_str(), 0644));
  EXPECT_EQ(ReadPath(P("f")), "kept");
  EXPECT_FALSE(Exists(P("nowhere")));
}

TEST_P(DirTest, MknodBadTypes) {
  // Directories are made with mkdir (EPERM); symlinks and unknown types are EINVAL.
  EXPECT_ERRNO(EPERM, mknod(P("d").c_str(), S_IFDIR | 0755, 0));
  EXPECT_ERRNO(EINVAL, mknod(P("l").c_str(), S_IFLNK | 0777, 0));
  EXPECT_ERRNO(EINVAL, mknod(P("x").c_str(), 0070000 | 0644, 0));
  EXPECT_FALSE(Exists(P("d")));
  EXPECT_FALSE(Exists(P("l")));
}

TEST_P(DirTest, MknodCharDeviceNeedsCapMknod) {
  int r = mknod(P("null").c_str(), S_IFCHR | 0666, makedev(1, 3));
  if (HasCap(CAP_MKNOD)) {
    ASSERT_EQ(r, 0) << strerror(errno);
    struct stat st = Lstat(P("null"));
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
  } else {
    EXPECT_EQ(r, -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_FALSE(Exists(P("null")));
  }
}

TEST_P(DirTest, MknodSocket) {
  ASSERT_EQ(mknod(P("sock").c_str(), S_IFSOCK | 0644, 0), 0) << strerror(errno);
  EXPECT_TRUE(S_ISSOCK(Lstat(P("sock")).st_mode));
  // Opening a socket inode is ENXIO.
  EXPECT_ERRNO(ENXIO, open(P("sock").c_str(), O_RDONLY));
}

TEST_P(DirTest, FifoOpenReadNonblockSucceeds) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  UniqueFd fd(open(P("fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(fd.ok()) << strerror(errno);
  char c;
  EXPECT_EQ(read(fd.get(), &c, 1), 0);  // no writer: end of file
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST_P(DirTest, FifoOpenWriteNonblockWithoutReaderENXIO) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  EXPECT_ERRNO(ENXIO, open(P("fifo").c_str(), O_WRONLY | O_NONBLOCK));
  UniqueFd r(open(P("fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(r.ok());
  UniqueFd w(open(P("fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(w.ok()) << strerror(errno);
  EXPECT_EQ(write(w.get(), "hi", 2), 2);
  char buf[4];
  EXPECT_EQ(read(r.get(), buf, sizeof buf), 2);
}

TEST_P(DirTest, FifoOpenReadWriteDoesNotBlock) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0644), 0);
  UniqueFd fd(open(P("fifo").c_str(), O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(fd.ok()) << strerror(errno);
  EXPECT_EQ(write(fd.get(), "loop", 4), 4);
  char buf[8];
  EXPECT_EQ(read(fd.get(), buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "loop");
}

TEST_P(DirTest, FifoCarriesDataBetweenProcesses) {
  ASSERT_EQ(mkfifo(P("fifo").c_str(), 0600), 0);
  std::string path = P("fifo");
  // Both ends are opened by path with blocking opens, which wait for each other.
  pid_t pid = ForkChild([&] {
    int w = open(path.c_str(), O_WRONLY);
    CHILD_CHECK(w >= 0);
    std::string msg(100000, 'z');
    msg += "end";
    size_t off = 0;
    while (off < msg.size()) {
      ssize_t n = write(w, msg.data() + off, msg.size() - off);
      CHILD_CHECK(n > 0);
      off += n;
    }
    close(w);
    return 0;
  });
  ASSERT_GT(pid, 0);
  int r = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(r, 0) << strerror(errno);
  std::string got = ReadAll(r);  // until the writer closes
  close(r);
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_EQ(got.size(), 100003u);
  EXPECT_EQ(got.substr(got.size() - 4), "zend");
}

// ---- directory timestamps ------------------------------------------------------------------

// Sets the directory's times into the past and waits until its ctime is clearly old, so
// that any later change shows.
struct stat AgeDir(const std::string& path) {
  struct timespec old[2] = {{1000000, 0}, {1000000, 0}};
  if (utimensat(AT_FDCWD, path.c_str(), old, 0) != 0) ADD_FAILURE() << strerror(errno);
  struct stat st = Lstat(path);
  WaitPast(st.st_ctim);
  return st;
}

TEST_P(DirTest, DirTimesChangeWhenEntryAdded) {
  Dir("d");
  const char* ops[] = {"file", "dir", "link", "fifo", "hardlink"};
  File("other");
  for (const char* op : ops) {
    struct stat before = AgeDir(P("d"));
    std::string name = P(std::string("d/") + op);
    int r = strcmp(op, "hardlink") == 0 ? link(P("other").c_str(), name.c_str()) : Make(op, name);
    ASSERT_EQ(r, 0) << op << ": " << strerror(errno);
    struct stat after = Lstat(P("d"));
    EXPECT_GT(after.st_mtime, 1000000) << op;
    EXPECT_TRUE(Later(after.st_ctim, before.st_ctim)) << op;
  }
}

TEST_P(DirTest, DirTimesChangeWhenEntryRemoved) {
  Dir("d");
  File("d/file");
  Dir("d/dir");
  for (const char* name : {"file", "dir"}) {
    struct stat before = AgeDir(P("d"));
    std::string path = P(std::string("d/") + name);
    ASSERT_EQ(strcmp(name, "dir") == 0 ? rmdir(path.c_str()) : unlink(path.c_str()), 0);
    struct stat after = Lstat(P("d"));
    EXPECT_GT(after.st_mtime, 1000000) << name;
    EXPECT_TRUE(Later(after.st_ctim, before.st_ctim)) << name;
  }
}

TEST_P(DirTest, DirTimesChangeOnRenameInBothParents) {
  Dir("a");
  Dir("b");
  File("a/f");
  struct stat a0 = AgeDir(P("a"));
  struct stat b0 = AgeDir(P("b"));
  ASSERT_EQ(rename(P("a/f").c_str(), P("b/g").c_str()), 0);
  struct stat a1 = Lstat(P("a")), b1 = Lstat(P("b"));
  EXPECT_GT(a1.st_mtime, 1000000);
  EXPECT_GT(b1.st_mtime, 1000000);
  EXPECT_TRUE(Later(a1.st_ctim, a0.st_ctim));
  EXPECT_TRUE(Later(b1.st_ctim, b0.st_ctim));
}

TEST_P(DirTest, DirTimesUnchangedByWritingAnEntry) {
  Dir("d");
  File("d/f", "x");
  struct stat before = AgeDir(P("d"));
  ASSERT_TRUE(WriteFile(P("d/f"), "rewritten contents"));
  struct stat after = Lstat(P("d"));
  EXPECT_EQ(after.st_mtime, 1000000);
  EXPECT_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
  EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
}

INSTANTIATE_TEST_SUITE_P(FsDirs, DirTest, ::testing::ValuesIn(FsTestDirs()), FsDirName);

}  // namespace
}  // namespace conformance
