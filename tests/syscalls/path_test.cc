// Path resolution: absolute and relative paths, dirfds and AT_FDCWD, "." and "..", repeated
// and trailing slashes, empty paths and AT_EMPTY_PATH, ENAMETOOLONG, symlinks (chains, loops,
// the 40-link limit, O_NOFOLLOW, O_PATH, AT_SYMLINK_NOFOLLOW), openat2 RESOLVE_* flags, the
// working directory, /proc/self magic links, and crossing mount points with "..".
// File-system cases run in every directory of FsTestDirs(), each in a fresh ScratchDir.
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include "test_util.h"

namespace conformance {
namespace {

// ---- helpers -------------------------------------------------------------------------------

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : "<" + std::string(strerror(errno)) + ">";
}

std::string Getcwd() {
  char buf[PATH_MAX];
  long n = syscall(SYS_getcwd, buf, sizeof buf);
  return n < 0 ? "<" + std::string(strerror(errno)) + ">" : std::string(buf);
}

// Identity (device and inode) of a path; "" if it cannot be stat'ed.
std::string Id(const std::string& path, bool follow = true) {
  struct stat st;
  int r = follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st);
  if (r != 0) return "<" + std::string(strerror(errno)) + ">";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string FdId(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return "<" + std::string(strerror(errno)) + ">";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

mode_t TypeOf(const std::string& path, bool follow = true) {
  struct stat st;
  int r = follow ? stat(path.c_str(), &st) : lstat(path.c_str(), &st);
  return r == 0 ? (st.st_mode & S_IFMT) : 0;
}

long Openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
             uint64_t mode = 0) {
  struct open_how how = {};
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
}

// A fresh scratch directory under each FsTestDirs() entry.
class PathTest : public FsFixture {};

// ---- absolute, relative, dirfd -------------------------------------------------------------

TEST_P(PathTest, AbsolutePathThroughSeveralDirectories) {
  Dir("a");
  Dir("a/b");
  Dir("a/b/c");
  File("a/b/c/f", "deep");
  ASSERT_EQ(P("a/b/c/f")[0], '/');
  EXPECT_EQ(ReadPath(P("a/b/c/f")), "deep");
  EXPECT_ERRNO(ENOENT, open(P("a/b/x/f").c_str(), O_RDONLY));
}

TEST_P(PathTest, RelativePathResolvesAgainstCwd) {
  CwdRestorer restore;
  Dir("sub");
  File("sub/f", "rel");
  ASSERT_EQ(chdir(D().c_str()), 0);
  EXPECT_EQ(ReadPath("sub/f"), "rel");
  ASSERT_TRUE(WriteFile("created", "x"));
  EXPECT_EQ(ReadPath(P("created")), "x");
  ASSERT_EQ(chdir("sub"), 0);
  EXPECT_EQ(ReadPath("f"), "rel");
  EXPECT_ERRNO(ENOENT, open("sub/f", O_RDONLY));  // now relative to sub
}

TEST_P(PathTest, OpenatResolvesRelativeToDirfd) {
  Dir("sub");
  File("sub/f", "in sub");
  File("top", "at top");
  UniqueFd dfd(OpenDir("sub"));
  ASSERT_TRUE(dfd.ok());
  EXPECT_EQ(ReadFd(openat(dfd.get(), "f", O_RDONLY | O_CLOEXEC)), "in sub");
  EXPECT_EQ(ReadFd(openat(dfd.get(), "../top", O_RDONLY | O_CLOEXEC)), "at top");
  EXPECT_ERRNO(ENOENT, openat(dfd.get(), "top", O_RDONLY));
}

TEST_P(PathTest, AtFdcwdFollowsChdirAndFchdir) {
  CwdRestorer restore;
  Dir("a");
  Dir("b");
  File("a/f", "A");
  ASSERT_EQ(chdir(P("a").c_str()), 0);
  EXPECT_EQ(ReadFd(openat(AT_FDCWD, "f", O_RDONLY | O_CLOEXEC)), "A");
  UniqueFd b(OpenDir("b"));
  ASSERT_EQ(fchdir(b.get()), 0);
  EXPECT_ERRNO(ENOENT, openat(AT_FDCWD, "f", O_RDONLY));
  EXPECT_EQ(ReadFd(openat(AT_FDCWD, "../a/f", O_RDONLY | O_CLOEXEC)), "A");
}

TEST_P(PathTest, AbsolutePathIgnoresNonDirectoryDirfd) {
  File("f", "abs");
  UniqueFd file(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(ReadFd(openat(file.get(), P("f").c_str(), O_RDONLY | O_CLOEXEC)), "abs");
  struct stat st;
  EXPECT_EQ(fstatat(file.get(), D().c_str(), &st, 0), 0);
  EXPECT_ERRNO(ENOTDIR, openat(file.get(), "f", O_RDONLY));
  EXPECT_ERRNO(ENOTDIR, fstatat(file.get(), "f", &st, 0));
  EXPECT_ERRNO(ENOTDIR, mkdirat(file.get(), "d", 0755));
}

TEST_P(PathTest, OPathDirectoryFdServesAsDirfd) {
  Dir("sub");
  File("sub/f", "via O_PATH");
  UniqueFd dfd(open(P("sub").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dfd.ok());
  EXPECT_EQ(ReadFd(openat(dfd.get(), "f", O_RDONLY | O_CLOEXEC)), "via O_PATH");
  EXPECT_EQ(mkdirat(dfd.get(), "made", 0755), 0);
  EXPECT_EQ(TypeOf(P("sub/made")), (mode_t)S_IFDIR);
  struct stat st;
  EXPECT_EQ(fstatat(dfd.get(), "f", &st, 0), 0);
  EXPECT_EQ(st.st_size, 10);
}

// ---- "." and ".." ----------------------------------------------------------------------------

TEST_P(PathTest, DotComponentsAreNoOps) {
  Dir("sub");
  File("sub/f", "dot");
  EXPECT_EQ(ReadPath(D() + "/./sub/./f"), "dot");
  EXPECT_EQ(Id(P("sub/.")), Id(P("sub")));
  EXPECT_EQ(Id(P(".")), Id(D()));
  UniqueFd dfd(OpenDir("sub"));
  UniqueFd self(openat(dfd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(FdId(self.get()), Id(P("sub")));
}

TEST_P(PathTest, DotDotReturnsToParent) {
  Dir("a");
  Dir("a/b");
  File("f", "top");
  EXPECT_EQ(Id(P("a/..")), Id(D()));
  EXPECT_EQ(Id(P("a/b/../..")), Id(D()));
  EXPECT_EQ(ReadPath(P("a/b/../../f")), "top");
  UniqueFd b(OpenDir("a/b"));
  UniqueFd up(openat(b.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(FdId(up.get()), Id(P("a")));
}

TEST_P(PathTest, DotDotOfScratchDirIsTheFsTestDir) {
  EXPECT_EQ(Id(D() + "/.."), Id(GetParam()));
  // And one more level up is the parent of the test directory (for the top-level
  // directories used here, "/").
  std::string param = GetParam();
  std::string parent = param.substr(0, param.rfind('/'));
  if (parent.empty()) parent = "/";
  EXPECT_EQ(Id(D() + "/../.."), Id(parent));
}

TEST_P(PathTest, DotAndDotDotAfterFileENOTDIR) {
  File("f");
  EXPECT_ERRNO(ENOTDIR, open(P("f/.").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOTDIR, open(P("f/..").c_str(), O_RDONLY));
  struct stat st;
  EXPECT_ERRNO(ENOTDIR, stat(P("f/../f").c_str(), &st));
}

TEST_P(PathTest, DotDotIsNotLexical) {
  // "missing/.." is not simplified away: the missing component fails the walk.
  File("f", "x");
  struct stat st;
  EXPECT_ERRNO(ENOENT, stat(P("missing/..").c_str(), &st));
  EXPECT_ERRNO(ENOENT, open(P("missing/../f").c_str(), O_RDONLY));
}

TEST_P(PathTest, DotDotAfterSymlinkGoesToTargetsParent) {
  Dir("a");
  Dir("a/b");
  File("a/x", "in a");
  File("x", "at top");
  Link("a/b", "l");
  // "l/.." is the parent of a/b, which is a, not the directory holding the link.
  EXPECT_EQ(ReadPath(P("l/../x")), "in a");
  EXPECT_EQ(Id(P("l/..")), Id(P("a")));
}

TEST(Path, DotDotAtRootStaysAtRoot) {
  EXPECT_EQ(Id("/.."), Id("/"));
  EXPECT_EQ(Id("/../../.."), Id("/"));
  EXPECT_EQ(ReadPath("/../../etc/passwd").rfind("root:", 0), 0u);
  UniqueFd root(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd up(openat(root.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(FdId(up.get()), Id("/"));
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(chdir("/") == 0);
    CHILD_CHECK(chdir("../..") == 0);
    CHILD_CHECK(Getcwd() == "/");
    return 0;
  });
}

// ---- slashes ---------------------------------------------------------------------------

TEST(Path, LeadingAndRepeatedSlashesAtRoot) {
  EXPECT_EQ(Id("//"), Id("/"));
  EXPECT_EQ(Id("///"), Id("/"));
  EXPECT_EQ(ReadPath("///etc//passwd").rfind("root:", 0), 0u);
}

TEST_P(PathTest, RepeatedSlashesCollapse) {
  Dir("a");
  Dir("a/b");
  File("a/b/f", "slashes");
  EXPECT_EQ(ReadPath(D() + "//a///b////f"), "slashes");
  EXPECT_EQ(Id(D() + "//a//"), Id(P("a")));
  UniqueFd dfd(OpenDir());
  EXPECT_EQ(ReadFd(openat(dfd.get(), "a//b//f", O_RDONLY | O_CLOEXEC)), "slashes");
}

TEST_P(PathTest, TrailingSlashOnFileENOTDIR) {
  File("f", "x");
  struct stat st;
  EXPECT_ERRNO(ENOTDIR, open(P("f/").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOTDIR, open(P("f//").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOTDIR, stat(P("f/").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, lstat(P("f/").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, access(P("f/").c_str(), F_OK));
  EXPECT_ERRNO(ENOTDIR, truncate(P("f/").c_str(), 0));
  EXPECT_EQ(ReadPath(P("f")), "x");
}

TEST_P(PathTest, TrailingSlashOnDirectoryAccepted) {
  Dir("d");
  File("d/f");
  EXPECT_EQ(Id(P("d/")), Id(P("d")));
  EXPECT_EQ(Id(P("d//")), Id(P("d")));
  UniqueFd fd(open(P("d/").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.ok()) << strerror(errno);
  EXPECT_EQ(FdId(fd.get()), Id(P("d")));
  EXPECT_EQ(access(P("d/").c_str(), F_OK), 0);
}

TEST_P(PathTest, TrailingSlashOnMissingName) {
  struct stat st;
  EXPECT_ERRNO(ENOENT, stat(P("missing/").c_str(), &st));
  EXPECT_ERRNO(ENOENT, open(P("missing/").c_str(), O_RDONLY));
  // Creating a regular file with a trailing slash is refused, and nothing is created.
  EXPECT_ERRNO(EISDIR, open(P("missing/").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, access(P("missing").c_str(), F_OK));
}

TEST_P(PathTest, TrailingSlashFollowsSymlinkToDirectory) {
  Dir("d");
  Link("d", "ld");
  EXPECT_EQ(TypeOf(P("ld"), false), (mode_t)S_IFLNK);
  // A trailing slash forces the final symlink to be followed, even for lstat and O_NOFOLLOW.
  EXPECT_EQ(TypeOf(P("ld/"), false), (mode_t)S_IFDIR);
  EXPECT_EQ(Id(P("ld/"), false), Id(P("d")));
  UniqueFd fd(open(P("ld/").c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  ASSERT_TRUE(fd.ok()) << strerror(errno);
  EXPECT_EQ(FdId(fd.get()), Id(P("d")));
}

TEST_P(PathTest, TrailingSlashOnSymlinkToFileENOTDIR) {
  File("f");
  Link("f", "lf");
  struct stat st;
  EXPECT_ERRNO(ENOTDIR, stat(P("lf/").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, lstat(P("lf/").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, open(P("lf/").c_str(), O_RDONLY));
}

// ---- empty paths and AT_EMPTY_PATH ---------------------------------------------------------

TEST_P(PathTest, EmptyPathENOENT) {
  CwdRestorer restore;
  ASSERT_EQ(chdir(D().c_str()), 0);
  struct stat st;
  char buf[16];
  UniqueFd dfd(OpenDir());
  EXPECT_ERRNO(ENOENT, stat("", &st));
  EXPECT_ERRNO(ENOENT, lstat("", &st));
  EXPECT_ERRNO(ENOENT, open("", O_RDONLY));
  EXPECT_ERRNO(ENOENT, openat(dfd.get(), "", O_RDONLY));
  EXPECT_ERRNO(ENOENT, open("", O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, mkdir("", 0755));
  EXPECT_ERRNO(ENOENT, rmdir(""));
  EXPECT_ERRNO(ENOENT, unlink(""));
  EXPECT_ERRNO(ENOENT, chdir(""));
  EXPECT_ERRNO(ENOENT, access("", F_OK));
  EXPECT_ERRNO(ENOENT, readlink("", buf, sizeof buf));
  EXPECT_ERRNO(ENOENT, symlink("target", ""));
  EXPECT_ERRNO(ENOENT, rename("", "x"));
  EXPECT_ERRNO(ENOENT, mknod("", S_IFIFO | 0644, 0));
  EXPECT_ERRNO(ENOENT, fstatat(dfd.get(), "", &st, 0));
}

TEST_P(PathTest, AtEmptyPathOnFileAndOPathFds) {
  File("f", "12345");
  struct stat want, st;
  ASSERT_EQ(stat(P("f").c_str(), &want), 0);
  UniqueFd fd(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_EQ(fstatat(fd.get(), "", &st, AT_EMPTY_PATH), 0);
  EXPECT_EQ(st.st_ino, want.st_ino);
  EXPECT_EQ(st.st_size, 5);
  UniqueFd path(open(P("f").c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(path.ok());
  ASSERT_EQ(fstatat(path.get(), "", &st, AT_EMPTY_PATH), 0);
  EXPECT_EQ(st.st_ino, want.st_ino);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  // fchownat(AT_EMPTY_PATH) to the current owner is allowed without privilege.
  EXPECT_EQ(fchownat(path.get(), "", want.st_uid, want.st_gid, AT_EMPTY_PATH), 0);
  EXPECT_ERRNO(ENOENT, fchownat(path.get(), "", want.st_uid, want.st_gid, 0));
}

TEST_P(PathTest, AtEmptyPathWithAtFdcwdIsTheCwd) {
  CwdRestorer restore;
  ASSERT_EQ(chdir(D().c_str()), 0);
  struct stat st;
  ASSERT_EQ(fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino), Id(D()));
}

TEST_P(PathTest, AtEmptyPathOnOPathSymlinkFd) {
  Link("some/target", "l");
  UniqueFd fd(open(P("l").c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  ASSERT_TRUE(fd.ok()) << strerror(errno);
  struct stat st;
  ASSERT_EQ(fstatat(fd.get(), "", &st, AT_EMPTY_PATH), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_size, 11);
  char buf[64];
  ssize_t n = readlinkat(fd.get(), "", buf, sizeof buf);
  ASSERT_EQ(n, 11) << strerror(errno);
  EXPECT_EQ(std::string(buf, n), "some/target");
}

TEST_P(PathTest, LinkatAtEmptyPath) {
  File("f", "flink");
  UniqueFd fd(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  // Since Linux 6.10 a descriptor opened under the caller's current credentials may be
  // linked without CAP_DAC_READ_SEARCH.
  ASSERT_EQ(linkat(fd.get(), "", AT_FDCWD, P("g").c_str(), AT_EMPTY_PATH), 0) << strerror(errno);
  EXPECT_EQ(Id(P("g")), Id(P("f")));
  EXPECT_EQ(ReadPath(P("g")), "flink");
  // Without AT_EMPTY_PATH, "" is ENOENT.
  EXPECT_ERRNO(ENOENT, linkat(fd.get(), "", AT_FDCWD, P("h").c_str(), 0));
  // A descriptor opened under other credentials needs the capability. A forked child has
  // credentials of its own; it drops CAP_DAC_READ_SEARCH (natively root has it), so the
  // inherited descriptor is refused, while one it opens itself is accepted.
  std::string file = P("f"), old_link = P("old"), new_link = P("new");
  int inherited = fd.get();
  EXPECT_CHILD_OK([&] {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    CHILD_CHECK(syscall(SYS_capget, &hdr, data) == 0);
    data[CAP_DAC_READ_SEARCH / 32].effective &= ~(1u << (CAP_DAC_READ_SEARCH % 32));
    CHILD_CHECK(syscall(SYS_capset, &hdr, data) == 0);
    CHILD_CHECK_ERRNO(linkat(inherited, "", AT_FDCWD, old_link.c_str(), AT_EMPTY_PATH), ENOENT);
    int own = open(file.c_str(), O_RDONLY);
    CHILD_CHECK(own >= 0);
    CHILD_CHECK(linkat(own, "", AT_FDCWD, new_link.c_str(), AT_EMPTY_PATH) == 0);
    return 0;
  });
  EXPECT_ERRNO(ENOENT, access(old_link.c_str(), F_OK));
  EXPECT_EQ(Id(new_link), Id(file));
}

TEST_P(PathTest, LinkatThroughProcSelfFd) {
  // The unprivileged way to link an open file: follow the /proc/self/fd magic link.
  File("f", "proc link");
  UniqueFd fd(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  std::string magic = "/proc/self/fd/" + std::to_string(fd.get());
  ASSERT_EQ(linkat(AT_FDCWD, magic.c_str(), AT_FDCWD, P("g").c_str(), AT_SYMLINK_FOLLOW), 0)
      << strerror(errno);
  EXPECT_EQ(Id(P("g")), Id(P("f")));
  EXPECT_EQ(ReadPath(P("g")), "proc link");
  struct stat st;
  ASSERT_EQ(stat(P("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 2u);
}

// ---- length limits ---------------------------------------------------------------------------

TEST_P(PathTest, ComponentOf255BytesOkAnd256ENAMETOOLONG) {
  std::string ok(255, 'a'), bad(256, 'b');
  ASSERT_TRUE(WriteFile(P(ok), "long")) << strerror(errno);
  EXPECT_EQ(ReadPath(P(ok)), "long");
  struct stat st;
  EXPECT_ERRNO(ENAMETOOLONG, stat(P(bad).c_str(), &st));
  EXPECT_ERRNO(ENAMETOOLONG, open(P(bad).c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENAMETOOLONG, mkdir(P(bad).c_str(), 0755));
  EXPECT_ERRNO(ENAMETOOLONG, symlink("x", P(bad).c_str()));
  // A too-long component in the middle is ENAMETOOLONG, not ENOENT.
  EXPECT_ERRNO(ENAMETOOLONG, stat(P(bad + "/x").c_str(), &st));
}

TEST_P(PathTest, PathOf4095BytesOkAnd4096ENAMETOOLONG) {
  File("f", "max");
  // Pad with slashes, which collapse, so only the length changes.
  std::string base = D() + "/";
  ASSERT_LT(base.size() + 1, 4095u);
  std::string fits = base + std::string(4095 - base.size() - 1, '/') + "f";
  ASSERT_EQ(fits.size(), 4095u);
  EXPECT_EQ(ReadPath(fits), "max");
  std::string over = base + std::string(4096 - base.size() - 1, '/') + "f";
  ASSERT_EQ(over.size(), 4096u);
  struct stat st;
  EXPECT_ERRNO(ENAMETOOLONG, stat(over.c_str(), &st));
  EXPECT_ERRNO(ENAMETOOLONG, open(over.c_str(), O_RDONLY));
}

TEST_P(PathTest, SymlinksMayBuildPathsLongerThanPathMax) {
  // PATH_MAX limits each string passed in, not the resolved path.
  Dir("d");
  File("d/f", "deep");
  std::string p = "d";
  for (int i = 0; i < 30; i++) {
    std::string l = "l" + std::to_string(i);
    Link(D() + "/" + std::string(120, '/') + "d", l);  // each link's target is ~150 bytes
    p += "/../" + l;
  }
  ASSERT_LT((D() + "/" + p).size(), 4096u);
  EXPECT_EQ(ReadPath(P(p + "/f")), "deep");
}

// ---- symlinks ----------------------------------------------------------------------------

TEST_P(PathTest, AbsoluteSymlink) {
  File("f", "target data");
  Link(P("f"), "abs");
  EXPECT_EQ(ReadPath(P("abs")), "target data");
  EXPECT_EQ(Readlink(P("abs")), P("f"));
  EXPECT_EQ(Id(P("abs")), Id(P("f")));
}

TEST_P(PathTest, RelativeSymlinkResolvesFromItsOwnDirectory) {
  CwdRestorer restore;
  Dir("sub");
  File("f", "top file");
  File("sub/f", "sub file");
  Link("../f", "sub/up");
  Link("f", "sub/same");
  ASSERT_EQ(chdir("/"), 0);  // the cwd plays no part
  EXPECT_EQ(ReadPath(P("sub/up")), "top file");
  EXPECT_EQ(ReadPath(P("sub/same")), "sub file");
}

TEST_P(PathTest, SymlinkChain) {
  File("f", "end of chain");
  Link("f", "c");
  Link("c", "b");
  Link(P("b"), "a");
  EXPECT_EQ(ReadPath(P("a")), "end of chain");
  EXPECT_EQ(Id(P("a")), Id(P("f")));
  EXPECT_EQ(Readlink(P("a")), P("b"));  // readlink reads one level only
}

TEST_P(PathTest, WalkThroughSymlinkToDirectory) {
  Dir("real");
  Dir("real/inner");
  File("real/inner/f", "through");
  Link("real", "ld");
  Link("ld/inner", "ld2");
  EXPECT_EQ(ReadPath(P("ld/inner/f")), "through");
  EXPECT_EQ(ReadPath(P("ld2/f")), "through");
  ASSERT_TRUE(WriteFile(P("ld/new"), "made via link"));
  EXPECT_EQ(ReadPath(P("real/new")), "made via link");
}

TEST_P(PathTest, SymlinkToDotDotAndRoot) {
  Dir("sub");
  File("f", "parent");
  Link("..", "sub/up");
  Link("/", "root");
  EXPECT_EQ(ReadPath(P("sub/up/f")), "parent");
  EXPECT_EQ(Id(P("sub/up")), Id(D()));
  EXPECT_EQ(Id(P("root")), Id("/"));
  EXPECT_EQ(ReadPath(P("root/etc/passwd")).rfind("root:", 0), 0u);
}

TEST_P(PathTest, DanglingSymlinkENOENT) {
  Link("nowhere", "dangling");
  struct stat st;
  EXPECT_ERRNO(ENOENT, stat(P("dangling").c_str(), &st));
  EXPECT_ERRNO(ENOENT, open(P("dangling").c_str(), O_RDONLY));
  EXPECT_ERRNO(ENOENT, stat(P("dangling/x").c_str(), &st));
  ASSERT_EQ(lstat(P("dangling").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Readlink(P("dangling")), "nowhere");
}

TEST_P(PathTest, CreateThroughDanglingSymlinkCreatesTarget) {
  Dir("sub");
  Link("target", "dangling");
  Link("t2", "sub/rel");
  int fd = open(P("dangling").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(write(fd, "made", 4), 4);
  close(fd);
  EXPECT_EQ(ReadPath(P("target")), "made");
  EXPECT_EQ(TypeOf(P("dangling"), false), (mode_t)S_IFLNK);
  // A relative target is created next to the link, not in the cwd.
  fd = open(P("sub/rel").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  EXPECT_EQ(TypeOf(P("sub/t2")), (mode_t)S_IFREG);
}

TEST_P(PathTest, CreateThroughSymlinkIntoMissingDirectoryENOENT) {
  Link("nodir/target", "l");
  EXPECT_ERRNO(ENOENT, open(P("l").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, access(P("nodir").c_str(), F_OK));
}

TEST_P(PathTest, CreateExclusiveOnSymlinkEEXIST) {
  File("f", "keep");
  Link("f", "live");
  Link("absent", "dangling");
  EXPECT_ERRNO(EEXIST, open(P("live").c_str(), O_CREAT | O_EXCL | O_WRONLY | O_TRUNC, 0644));
  EXPECT_EQ(ReadPath(P("f")), "keep");  // not truncated
  EXPECT_ERRNO(EEXIST, open(P("dangling").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, access(P("absent").c_str(), F_OK));  // not created
}

TEST_P(PathTest, CreateNoFollowOnSymlinkELOOP) {
  File("f", "keep");
  Link("f", "live");
  Link("absent", "dangling");
  EXPECT_ERRNO(ELOOP, open(P("live").c_str(), O_CREAT | O_NOFOLLOW | O_WRONLY, 0644));
  EXPECT_ERRNO(ELOOP, open(P("dangling").c_str(), O_CREAT | O_NOFOLLOW | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, access(P("absent").c_str(), F_OK));
}

TEST_P(PathTest, SymlinkLoopELOOP) {
  Link("b", "a");
  Link("a", "b");
  struct stat st;
  EXPECT_ERRNO(ELOOP, stat(P("a").c_str(), &st));
  EXPECT_ERRNO(ELOOP, open(P("b").c_str(), O_RDONLY));
  EXPECT_ERRNO(ELOOP, stat(P("a/x").c_str(), &st));
  EXPECT_ERRNO(ELOOP, open(P("a").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ELOOP, chdir(P("a").c_str()));
  ASSERT_EQ(lstat(P("a").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_P(PathTest, FortySymlinksResolveFortyOneELOOP) {
  File("f", "end");
  Link("f", "l1");
  for (int i = 2; i <= 41; i++) {
    Link("l" + std::to_string(i - 1), "l" + std::to_string(i));
  }
  EXPECT_EQ(ReadPath(P("l40")), "end");  // 40 links followed
  struct stat st;
  EXPECT_ERRNO(ELOOP, stat(P("l41").c_str(), &st));
  EXPECT_ERRNO(ELOOP, open(P("l41").c_str(), O_RDONLY));
  EXPECT_EQ(lstat(P("l41").c_str(), &st), 0);
}

TEST_P(PathTest, SymlinkLimitCountsTheWholeLookup) {
  // l1 -> ".", l(i) -> l(i-1): "l20/l20" follows 40 links in total, "l21/l21" 42.
  File("f", "counted");
  Link(".", "l1");
  for (int i = 2; i <= 21; i++) {
    Link("l" + std::to_string(i - 1), "l" + std::to_string(i));
  }
  EXPECT_EQ(ReadPath(P("l20/l20/f")), "counted");
  EXPECT_ERRNO(ELOOP, open(P("l21/l21/f").c_str(), O_RDONLY));
  EXPECT_EQ(ReadPath(P("l21/f")), "counted");
}

TEST_P(PathTest, ONofollowOnFinalSymlinkELOOP) {
  Dir("d");
  File("d/f", "inner");
  File("f", "x");
  Link("f", "lf");
  Link("d", "ld");
  EXPECT_ERRNO(ELOOP, open(P("lf").c_str(), O_RDONLY | O_NOFOLLOW));
  EXPECT_ERRNO(ELOOP, open(P("ld").c_str(), O_RDONLY | O_NOFOLLOW));
  // Only the final component is affected.
  EXPECT_EQ(ReadPath(P("ld/f"), O_NOFOLLOW), "inner");
  EXPECT_EQ(ReadPath(P("f"), O_NOFOLLOW), "x");
}

TEST_P(PathTest, ONofollowOPathOpensTheLinkItself) {
  File("f", "x");
  Link("f", "lf");
  Link("self", "self");  // a loop: still openable as a link
  for (const char* name : {"lf", "self"}) {
    UniqueFd fd(open(P(name).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    ASSERT_TRUE(fd.ok()) << name << ": " << strerror(errno);
    struct stat st;
    ASSERT_EQ(fstat(fd.get(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << name;
    EXPECT_EQ(FdId(fd.get()), Id(P(name), false));
    char c;
    EXPECT_ERRNO(EBADF, read(fd.get(), &c, 1));
  }
}

TEST_P(PathTest, OPathWithoutNoFollowOpensTheTarget) {
  File("f", "x");
  Link("f", "lf");
  UniqueFd fd(open(P("lf").c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(FdId(fd.get()), Id(P("f")));
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST_P(PathTest, ODirectoryThroughSymlinks) {
  Dir("d");
  File("f");
  Link("d", "ld");
  Link("f", "lf");
  UniqueFd fd(open(P("ld").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(fd.ok()) << strerror(errno);
  EXPECT_ERRNO(ENOTDIR, open(P("lf").c_str(), O_RDONLY | O_DIRECTORY));
  // With O_NOFOLLOW the final object is the link, which is not a directory.
  EXPECT_ERRNO(ENOTDIR, open(P("ld").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
}

TEST_P(PathTest, CreateWithODirectoryEINVAL) {
  // Since Linux 6.4, O_CREAT|O_DIRECTORY is rejected outright.
  EXPECT_ERRNO(EINVAL, open(P("new").c_str(), O_CREAT | O_DIRECTORY | O_RDONLY, 0755));
  EXPECT_ERRNO(ENOENT, access(P("new").c_str(), F_OK));
}

TEST_P(PathTest, CreateOnExistingDirectoryEISDIR) {
  Dir("d");
  EXPECT_ERRNO(EISDIR, open(P("d").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(EISDIR, open(P("d").c_str(), O_CREAT | O_RDWR, 0644));
  // Even for reading: O_CREAT on an existing directory is refused.
  EXPECT_ERRNO(EISDIR, open(P("d").c_str(), O_CREAT | O_RDONLY, 0644));
  EXPECT_TRUE(S_ISDIR(TypeOf(P("d"))));
}

TEST_P(PathTest, LstatVersusStatOnSymlinkToDirectory) {
  Dir("d");
  Link("d", "ld");
  struct stat l, s, d;
  ASSERT_EQ(lstat(P("ld").c_str(), &l), 0);
  ASSERT_EQ(stat(P("ld").c_str(), &s), 0);
  ASSERT_EQ(stat(P("d").c_str(), &d), 0);
  EXPECT_TRUE(S_ISLNK(l.st_mode));
  EXPECT_EQ(l.st_size, 1);
  EXPECT_EQ(l.st_mode & 0777, 0777u);  // symlink permissions are always 0777
  EXPECT_TRUE(S_ISDIR(s.st_mode));
  EXPECT_EQ(s.st_ino, d.st_ino);
  EXPECT_NE(l.st_ino, d.st_ino);
}

TEST_P(PathTest, LstatFollowsIntermediateSymlinks) {
  Dir("d");
  File("d/f");
  Link("f", "d/lf");
  Link("d", "ld");
  struct stat st;
  ASSERT_EQ(lstat(P("ld/lf").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Id(P("ld/lf"), false), Id(P("d/lf"), false));
  EXPECT_EQ(Readlink(P("ld/lf")), "f");
}

TEST_P(PathTest, ReadlinkOnNonSymlinkEINVAL) {
  File("f");
  Dir("d");
  char buf[64];
  EXPECT_ERRNO(EINVAL, readlink(P("f").c_str(), buf, sizeof buf));
  EXPECT_ERRNO(EINVAL, readlink(P("d").c_str(), buf, sizeof buf));
  UniqueFd dfd(OpenDir());
  EXPECT_ERRNO(EINVAL, readlinkat(dfd.get(), "d", buf, sizeof buf));
  EXPECT_ERRNO(ENOENT, readlinkat(dfd.get(), "missing", buf, sizeof buf));
}

TEST_P(PathTest, ReadlinkatTruncatesWithoutNul) {
  Link("0123456789abcdef", "l");
  UniqueFd dfd(OpenDir());
  char buf[32];
  memset(buf, '#', sizeof buf);
  EXPECT_EQ(readlinkat(dfd.get(), "l", buf, 5), 5);
  EXPECT_EQ(std::string(buf, 6), "01234#");
  memset(buf, '#', sizeof buf);
  EXPECT_EQ(readlinkat(dfd.get(), "l", buf, 16), 16);  // exactly fits: still no NUL
  EXPECT_EQ(std::string(buf, 17), "0123456789abcdef#");
}

TEST_P(PathTest, ReadlinkFollowsIntermediateSymlinks) {
  Dir("d");
  Link("inner-target", "d/l");
  Link("d", "ld");
  EXPECT_EQ(Readlink(P("ld/l")), "inner-target");
  EXPECT_EQ(Readlink(P("ld")), "d");
  char buf[8];
  EXPECT_ERRNO(EINVAL, readlink(P("ld/").c_str(), buf, sizeof buf));  // "ld/" is the dir
}

TEST_P(PathTest, FstatatSymlinkNoFollowOnDanglingLink) {
  Link("missing", "dangling");
  UniqueFd dfd(OpenDir());
  struct stat st;
  EXPECT_ERRNO(ENOENT, fstatat(dfd.get(), "dangling", &st, 0));
  ASSERT_EQ(fstatat(dfd.get(), "dangling", &st, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_size, 7);
  EXPECT_ERRNO(EINVAL, fstatat(dfd.get(), "dangling", &st, AT_REMOVEDIR));
}

TEST_P(PathTest, FchownatSymlinkNoFollow) {
  File("f");
  Link("missing", "dangling");
  Link("f", "lf");
  UniqueFd dfd(OpenDir());
  EXPECT_ERRNO(ENOENT, fchownat(dfd.get(), "dangling", getuid(), getgid(), 0));
  EXPECT_EQ(fchownat(dfd.get(), "dangling", getuid(), getgid(), AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_ERRNO(EINVAL, fchownat(dfd.get(), "lf", getuid(), getgid(), AT_REMOVEDIR));
  if (HasCap(CAP_CHOWN)) {
    // With the privilege to give files away, the link itself changes owner, not its target.
    ASSERT_EQ(fchownat(dfd.get(), "lf", 1234, 5678, AT_SYMLINK_NOFOLLOW), 0);
    struct stat l, t;
    ASSERT_EQ(lstat(P("lf").c_str(), &l), 0);
    ASSERT_EQ(stat(P("f").c_str(), &t), 0);
    EXPECT_EQ(l.st_uid, 1234u);
    EXPECT_EQ(l.st_gid, 5678u);
    EXPECT_EQ(t.st_uid, getuid());
  } else {
    EXPECT_ERRNO(EPERM, fchownat(dfd.get(), "lf", 1234, 5678, AT_SYMLINK_NOFOLLOW));
  }
}

TEST_P(PathTest, UtimensatSymlinkNoFollowSetsTheLinksTimes) {
  File("f");
  Link("f", "lf");
  UniqueFd dfd(OpenDir());
  struct timespec ts[2] = {{1000000, 0}, {2000000, 0}};
  ASSERT_EQ(utimensat(dfd.get(), "lf", ts, AT_SYMLINK_NOFOLLOW), 0) << strerror(errno);
  struct stat l, t;
  ASSERT_EQ(lstat(P("lf").c_str(), &l), 0);
  ASSERT_EQ(stat(P("f").c_str(), &t), 0);
  EXPECT_EQ(l.st_mtime, 2000000);
  EXPECT_EQ(l.st_atime, 1000000);
  EXPECT_NE(t.st_mtime, 2000000);
  struct timespec ts2[2] = {{3000000, 0}, {4000000, 0}};
  ASSERT_EQ(utimensat(dfd.get(), "lf", ts2, 0), 0);
  ASSERT_EQ(lstat(P("lf").c_str(), &l), 0);
  ASSERT_EQ(stat(P("f").c_str(), &t), 0);
  EXPECT_EQ(t.st_mtime, 4000000);
  EXPECT_EQ(l.st_mtime, 2000000);
  EXPECT_ERRNO(EINVAL, utimensat(dfd.get(), "lf", ts, AT_REMOVEDIR));
}

TEST_P(PathTest, FaccessatSymlinkNoFollow) {
  Link("missing", "dangling");
  UniqueFd dfd(OpenDir());
  EXPECT_ERRNO(ENOENT, syscall(SYS_faccessat2, dfd.get(), "dangling", F_OK, 0));
  EXPECT_EQ(syscall(SYS_faccessat2, dfd.get(), "dangling", F_OK, AT_SYMLINK_NOFOLLOW), 0)
      << strerror(errno);
}

TEST_P(PathTest, MiddleComponentIsFileENOTDIR) {
  File("f");
  Link("f", "lf");
  struct stat st;
  EXPECT_ERRNO(ENOTDIR, stat(P("f/x").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, stat(P("f/x/y").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, stat(P("lf/x").c_str(), &st));
  EXPECT_ERRNO(ENOTDIR, open(P("f/x").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOTDIR, mkdir(P("f/x").c_str(), 0755));
  EXPECT_ERRNO(ENOTDIR, unlink(P("f/x").c_str()));
  EXPECT_ERRNO(ENOTDIR, symlink("t", P("lf/x").c_str()));
}

TEST_P(PathTest, MissingMiddleComponentENOENT) {
  struct stat st;
  EXPECT_ERRNO(ENOENT, stat(P("no/x").c_str(), &st));
  EXPECT_ERRNO(ENOENT, open(P("no/x").c_str(), O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, mkdir(P("no/x").c_str(), 0755));
  EXPECT_ERRNO(ENOENT, symlink("t", P("no/x").c_str()));
  EXPECT_ERRNO(ENOENT, mknod(P("no/x").c_str(), S_IFIFO | 0644, 0));
}

// ---- working directory -------------------------------------------------------------------

TEST_P(PathTest, ChdirThroughSymlinkGetcwdShowsTarget) {
  CwdRestorer restore;
  Dir("real");
  Dir("real/inner");
  Link("real/inner", "ld");
  std::string real = RealPath(P("real/inner"));
  ASSERT_EQ(chdir(P("ld").c_str()), 0);
  EXPECT_EQ(Getcwd(), real);
  // ".." is the physical parent, not the directory holding the link.
  ASSERT_EQ(chdir(".."), 0);
  EXPECT_EQ(Getcwd(), RealPath(P("real")));
}

TEST_P(PathTest, ChdirToSymlinkToFileENOTDIR) {
  CwdRestorer restore;
  File("f");
  Link("f", "lf");
  Link("gone", "dangling");
  EXPECT_ERRNO(ENOTDIR, chdir(P("lf").c_str()));
  EXPECT_ERRNO(ENOENT, chdir(P("dangling").c_str()));
}

TEST_P(PathTest, FchdirToOPathDirectory) {
  CwdRestorer restore;
  Dir("d");
  File("d/f", "opath cwd");
  UniqueFd fd(open(P("d").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(fchdir(fd.get()), 0) << strerror(errno);
  EXPECT_EQ(ReadPath("f"), "opath cwd");
  EXPECT_EQ(Getcwd(), RealPath(P("d")));
}

TEST_P(PathTest, CwdFollowsRenameOfItsDirectory) {
  CwdRestorer restore;
  Dir("old");
  File("old/f", "moved");
  ASSERT_EQ(chdir(P("old").c_str()), 0);
  ASSERT_EQ(rename(P("old").c_str(), P("new").c_str()), 0);
  EXPECT_EQ(Getcwd(), RealPath(P("new")));
  EXPECT_EQ(ReadPath("f"), "moved");
}

TEST_P(PathTest, GetcwdAfterRmdirOfCwdENOENT) {
  CwdRestorer restore;
  Dir("doomed");
  ASSERT_EQ(chdir(P("doomed").c_str()), 0);
  ASSERT_EQ(rmdir(P("doomed").c_str()), 0);
  char buf[PATH_MAX];
  EXPECT_ERRNO(ENOENT, syscall(SYS_getcwd, buf, sizeof buf));
  // The directory is still there for the process, but empty and unlinked.
  struct stat st;
  ASSERT_EQ(stat(".", &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_ERRNO(ENOENT, open("new", O_CREAT | O_WRONLY, 0644));
  EXPECT_ERRNO(ENOENT, mkdir("newdir", 0755));
}

// ---- /proc/self magic links ----------------------------------------------------------------

TEST_P(PathTest, ProcSelfFdOpensANewDescription) {
  UniqueFd fd(open(P("f").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644));
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(write(fd.get(), "abcdef", 6), 6);
  ASSERT_EQ(lseek(fd.get(), 2, SEEK_SET), 2);
  UniqueFd again(open(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(again.ok()) << strerror(errno);
  EXPECT_EQ(FdId(again.get()), FdId(fd.get()));
  // Its own offset and access mode, unlike dup().
  EXPECT_EQ(lseek(again.get(), 0, SEEK_CUR), 0);
  EXPECT_EQ(fcntl(again.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(ReadAll(again.get()), "abcdef");
  EXPECT_EQ(lseek(fd.get(), 0, SEEK_CUR), 2);
  char c;
  EXPECT_ERRNO(EBADF, write(again.get(), &c, 1));
}

TEST_P(PathTest, ProcSelfFdReopensAnUnlinkedFile) {
  File("f", "unlinked");
  UniqueFd fd(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  ASSERT_EQ(unlink(P("f").c_str()), 0);
  std::string magic = "/proc/self/fd/" + std::to_string(fd.get());
  EXPECT_EQ(ReadPath(magic), "unlinked");
  EXPECT_EQ(Readlink(magic), RealPath(D()) + "/f (deleted)");
}

TEST_P(PathTest, ProcSelfFdReadlinkTracksRename) {
  File("a");
  UniqueFd fd(open(P("a").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.ok());
  std::string magic = "/proc/self/fd/" + std::to_string(fd.get());
  EXPECT_EQ(Readlink(magic), RealPath(P("a")));
  Dir("sub");
  ASSERT_EQ(rename(P("a").c_str(), P("sub/b").c_str()), 0);
  EXPECT_EQ(Readlink(magic), RealPath(P("sub/b")));
}

TEST_P(PathTest, ProcSelfFdOfDirectoryAsPathPrefix) {
  Dir("d");
  File("d/f", "under fd");
  UniqueFd dfd(OpenDir("d"));
  std::string magic = "/proc/self/fd/" + std::to_string(dfd.get());
  EXPECT_EQ(ReadPath(magic + "/f"), "under fd");
  EXPECT_EQ(Id(magic + "/.."), Id(D()));
  ASSERT_TRUE(WriteFile(magic + "/g", "created"));
  EXPECT_EQ(ReadPath(P("d/g")), "created");
}

TEST_P(PathTest, ProcSelfCwdAsPathPrefix) {
  CwdRestorer restore;
  File("f", "cwd file");
  ASSERT_EQ(chdir(D().c_str()), 0);
  EXPECT_EQ(Readlink("/proc/self/cwd"), RealPath(D()));
  EXPECT_EQ(ReadPath("/proc/self/cwd/f"), "cwd file");
  EXPECT_EQ(Id("/proc/self/cwd"), Id(D()));
}

// ---- mount points ----------------------------------------------------------------------------

TEST(Path, DotDotOutOfProcIsRoot) {
  struct stat root, proc;
  ASSERT_EQ(stat("/", &root), 0);
  ASSERT_EQ(stat("/proc", &proc), 0);
  EXPECT_NE(root.st_dev, proc.st_dev);  // /proc is a different file system
  EXPECT_EQ(Id("/proc/.."), Id("/"));
  EXPECT_EQ(Id("/proc/self/.."), Id("/proc"));
  EXPECT_EQ(Id("/proc/self/../.."), Id("/"));
  EXPECT_EQ(ReadPath("/proc/../etc/passwd").rfind("root:", 0), 0u);
  UniqueFd proc_fd(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd up(openat(proc_fd.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(FdId(up.get()), Id("/"));
}

TEST(Path, ChdirIntoProcAndBackOut) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(chdir("/proc/self") == 0);
    CHILD_CHECK(Getcwd() == "/proc/" + std::to_string(getpid()));
    CHILD_CHECK(chdir("../..") == 0);
    CHILD_CHECK(Getcwd() == "/");
    CHILD_CHECK(chdir("proc") == 0);
    CHILD_CHECK(chdir("..") == 0);
    CHILD_CHECK(Id(".") == Id("/"));
    return 0;
  });
}

TEST_P(PathTest, DotDotCrossesBackOverTheTestDirsMount) {
  // In the sandbox /tmp and /conformance-bind are mount points; natively /tmp may not be.
  // Either way ".." of the test directory is its parent in the mount tree.
  std::string param = GetParam();
  std::string parent = param.substr(0, param.rfind('/'));
  if (parent.empty()) parent = "/";
  EXPECT_EQ(Id(param + "/.."), Id(parent));
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(chdir(D().c_str()) == 0);
    CHILD_CHECK(chdir("../..") == 0);
    CHILD_CHECK(Getcwd() == RealPath(parent));
    return 0;
  });
}

// ---- openat2 ---------------------------------------------------------------------------

TEST_P(PathTest, Openat2OpensAndCreatesLikeOpenat) {
  ScopedUmask um(022);
  File("f", "openat2");
  UniqueFd dfd(OpenDir());
  long fd = Openat2(dfd.get(), "f", O_RDONLY | O_CLOEXEC, 0);
  ASSERT_GE(fd, 0) << strerror(errno);
  EXPECT_EQ(ReadFd(fd), "openat2");
  fd = Openat2(dfd.get(), "new", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0, 0666);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  struct stat st;
  ASSERT_EQ(stat(P("new").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_ERRNO(EEXIST, Openat2(dfd.get(), "new", O_CREAT | O_EXCL | O_WRONLY, 0, 0644));
}

TEST(Openat2, StructSizeChecks) {
  struct {
    struct open_how how;
    uint64_t extra;
  } big = {};
  big.how.flags = O_RDONLY | O_CLOEXEC;
  // Smaller than the first version: EINVAL.
  EXPECT_ERRNO(EINVAL, syscall(SYS_openat2, AT_FDCWD, "/", &big, 0));
  EXPECT_ERRNO(EINVAL, syscall(SYS_openat2, AT_FDCWD, "/", &big, sizeof big.how - 1));
  // Larger with zeroed trailing bytes: accepted.
  long fd = syscall(SYS_openat2, AT_FDCWD, "/", &big, sizeof big);
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
  // Larger with a nonzero trailing byte: E2BIG.
  big.extra = 1;
  EXPECT_ERRNO(E2BIG, syscall(SYS_openat2, AT_FDCWD, "/", &big, sizeof big));
  // Larger than a page: E2BIG.
  std::vector<char> page(8192, 0);
  memcpy(page.data(), &big.how, sizeof big.how);
  EXPECT_ERRNO(E2BIG, syscall(SYS_openat2, AT_FDCWD, "/", page.data(), 4097));
  EXPECT_ERRNO(EFAULT, syscall(SYS_openat2, AT_FDCWD, "/", BadPointer(), sizeof big.how));
}

TEST(Openat2, RejectsWhatOpenatIgnores) {
  // Unknown open flags, unknown resolve bits, a mode without O_CREAT, a mode with bits
  // beyond 07777, O_PATH with flags it does not allow, and BENEATH together with IN_ROOT.
  EXPECT_ERRNO(EINVAL, Openat2(AT_FDCWD, "/", O_RDONLY | (1ULL << 40), 0));
  EXPECT_ERRNO(EINVAL, Openat2(AT_FDCWD, "/", O_RDONLY, 1ULL << 20));
  EXPECT_ERRNO(EINVAL, Openat2(AT_FDCWD, "/", O_RDONLY, 0, 0644));
  EXPECT_ERRNO(EINVAL, Openat2(AT_FDCWD, "/tmp/x", O_CREAT | O_WRONLY, 0, 010644));
  EXPECT_ERRNO(EINVAL, Openat2(AT_FDCWD, "/", O_PATH | O_RDWR, 0));
  EXPECT_ERRNO(EINVAL, Openat2(AT_FDCWD, "/", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  // openat silently drops the same unknown bits.
  int fd = syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_CLOEXEC | 0x40000000);
  EXPECT_GE(fd, 0);
  if (fd >= 0) close(fd);
}

TEST_P(PathTest, Openat2ResolveBeneath) {
  Dir("root");
  Dir("root/sub");
  File("root/f", "inside");
  File("outside", "outside");
  Link("../f", "root/sub/up");        // stays inside
  Link("../outside", "root/escape");  // leaves
  Link(P("root/f"), "root/abs");      // absolute
  UniqueFd dfd(OpenDir("root"));
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "sub/../f", O_RDONLY | O_CLOEXEC, RESOLVE_BENEATH)),
            "inside");
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "sub/up", O_RDONLY | O_CLOEXEC, RESOLVE_BENEATH)),
            "inside");
  EXPECT_ERRNO(EXDEV, Openat2(dfd.get(), "../outside", O_RDONLY, RESOLVE_BENEATH));
  EXPECT_ERRNO(EXDEV, Openat2(dfd.get(), "escape", O_RDONLY, RESOLVE_BENEATH));
  EXPECT_ERRNO(EXDEV, Openat2(dfd.get(), "abs", O_RDONLY, RESOLVE_BENEATH));
  EXPECT_ERRNO(EXDEV, Openat2(dfd.get(), P("root/f"), O_RDONLY, RESOLVE_BENEATH));
  // Without the flag the same paths resolve.
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "escape", O_RDONLY | O_CLOEXEC, 0)), "outside");
}

TEST_P(PathTest, Openat2ResolveInRoot) {
  Dir("root");
  Dir("root/sub");
  File("root/f", "root's f");
  File("f", "real f");
  Link("/f", "root/abs");        // absolute: relative to the dirfd
  Link("../../../f", "root/sub/up");  // ".." stops at the dirfd
  UniqueFd dfd(OpenDir("root"));
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "abs", O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT)),
            "root's f");
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "sub/up", O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT)),
            "root's f");
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "../../f", O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT)),
            "root's f");
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "/f", O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT)),
            "root's f");
  // Without the flag, "/f" is the real root's (absent) /f and "../f" the scratch dir's f.
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "../f", O_RDONLY | O_CLOEXEC, 0)), "real f");
}

TEST_P(PathTest, Openat2ResolveNoSymlinks) {
  Dir("d");
  File("d/f", "plain");
  Link("d", "ld");
  Link("d/f", "lf");
  UniqueFd dfd(OpenDir());
  EXPECT_EQ(ReadFd(Openat2(dfd.get(), "d/f", O_RDONLY | O_CLOEXEC, RESOLVE_NO_SYMLINKS)),
            "plain");
  EXPECT_ERRNO(ELOOP, Openat2(dfd.get(), "ld/f", O_RDONLY, RESOLVE_NO_SYMLINKS));
  EXPECT_ERRNO(ELOOP, Openat2(dfd.get(), "lf", O_RDONLY, RESOLVE_NO_SYMLINKS));
  // A trailing symlink may still be opened as itself with O_PATH|O_NOFOLLOW.
  long fd = Openat2(dfd.get(), "lf", O_PATH | O_NOFOLLOW | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
  ASSERT_GE(fd, 0) << strerror(errno);
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  close(fd);
}

TEST_P(PathTest, Openat2ResolveNoMagiclinks) {
  File("f", "magic");
  Link("f", "lf");
  UniqueFd fd(open(P("f").c_str(), O_RDONLY | O_CLOEXEC));
  std::string magic = "/proc/self/fd/" + std::to_string(fd.get());
  EXPECT_EQ(ReadFd(Openat2(AT_FDCWD, magic, O_RDONLY | O_CLOEXEC, 0)), "magic");
  EXPECT_ERRNO(ELOOP, Openat2(AT_FDCWD, magic, O_RDONLY, RESOLVE_NO_MAGICLINKS));
  // Ordinary symlinks, and /proc/self itself (not a magic link), are fine.
  EXPECT_EQ(ReadFd(Openat2(AT_FDCWD, P("lf"), O_RDONLY | O_CLOEXEC, RESOLVE_NO_MAGICLINKS)),
            "magic");
  long st = Openat2(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
  EXPECT_GE(st, 0) << strerror(errno);
  if (st >= 0) close(st);
}

TEST(Openat2, ResolveNoXdev) {
  UniqueFd root(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  UniqueFd proc(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  // Down into another mount, up out of one, and an absolute jump: all EXDEV.
  EXPECT_ERRNO(EXDEV, Openat2(root.get(), "proc/self/status", O_RDONLY, RESOLVE_NO_XDEV));
  EXPECT_ERRNO(EXDEV, Openat2(proc.get(), "..", O_RDONLY, RESOLVE_NO_XDEV));
  EXPECT_ERRNO(EXDEV, Openat2(AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_XDEV));
  // Within one file system it resolves.
  long fd = Openat2(proc.get(), "self/status", O_RDONLY | O_CLOEXEC, RESOLVE_NO_XDEV);
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
  fd = Openat2(root.get(), "etc/passwd", O_RDONLY | O_CLOEXEC, RESOLVE_NO_XDEV);
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
}

INSTANTIATE_TEST_SUITE_P(FsDirs, PathTest, ::testing::ValuesIn(FsTestDirs()), FsDirName);

}  // namespace
}  // namespace conformance
