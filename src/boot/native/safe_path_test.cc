// Resolution inside a root must never leave it, whatever the symlinks say.
#include "boot/native/safe_path.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/native/native_test_util.h"

namespace stockade::native {
namespace {

using testing::TempDir;

class SafePathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    root_ = tmp_.Sub("root");
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    root_fd_ = UniqueFd(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
    // A name that certainly does not exist on the host.
    probe_ = "stockade-safe-path-" + std::to_string(getpid());
  }
  void TearDown() override {
    // Belt and braces: if resolution ever escaped, don't leave litter in the host's /etc.
    rmdir(("/etc/" + probe_).c_str());
  }
  bool IsDir(const std::string& p) {
    struct stat st;
    return lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  TempDir tmp_;
  std::string root_;
  UniqueFd root_fd_;
  std::string probe_;
};

TEST_F(SafePathTest, AbsoluteSymlinkStaysInRoot) {
  ASSERT_EQ(symlink("/etc", (root_ + "/etc_link").c_str()), 0);
  auto r = MkdirAllInRoot(root_fd_.get(), "/etc_link/" + probe_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->path, "/etc/" + probe_);
  EXPECT_TRUE(r->created);
  EXPECT_TRUE(IsDir(root_ + "/etc/" + probe_));
  EXPECT_FALSE(IsDir("/etc/" + probe_));
  auto real = FdPath(r->fd.get());
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(*real, root_ + "/etc/" + probe_);
}

TEST_F(SafePathTest, RelativeDotDotSymlinkStaysInRoot) {
  ASSERT_EQ(mkdir((root_ + "/a").c_str(), 0755), 0);
  ASSERT_EQ(symlink("../../../../../../../../etc", (root_ + "/a/up").c_str()), 0);
  auto r = MkdirAllInRoot(root_fd_.get(), "a/up/" + probe_);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->path, "/etc/" + probe_);
  EXPECT_FALSE(IsDir("/etc/" + probe_));
}

TEST_F(SafePathTest, DotDotNeverClimbsAboveRoot) {
  auto r = ResolveInRoot(root_fd_.get(), "/../../../..");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->path, "/");
  struct stat a, b;
  ASSERT_EQ(fstat(r->fd.get(), &a), 0);
  ASSERT_EQ(stat(root_.c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(SafePathTest, DanglingSymlinkTargetIsCreatedInRoot) {
  ASSERT_EQ(symlink("/nonexistent/dir", (root_ + "/dangle").c_str()), 0);
  auto r = MkdirAllInRoot(root_fd_.get(), "/dangle/sub");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->path, "/nonexistent/dir/sub");
  EXPECT_TRUE(IsDir(root_ + "/nonexistent/dir/sub"));
}

TEST_F(SafePathTest, SymlinkLoop) {
  ASSERT_EQ(symlink("l2", (root_ + "/l1").c_str()), 0);
  ASSERT_EQ(symlink("l1", (root_ + "/l2").c_str()), 0);
  auto r = ResolveInRoot(root_fd_.get(), "/l1/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ELOOP);
}

TEST_F(SafePathTest, FileInTheMiddle) {
  ASSERT_TRUE(WriteFileAtomic(root_ + "/file", "x").ok());
  auto r = MkdirAllInRoot(root_fd_.get(), "/file/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOTDIR);
}

TEST_F(SafePathTest, MissingWithoutCreate) {
  auto r = ResolveInRoot(root_fd_.get(), "/nope/deeper");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_FALSE(IsDir(root_ + "/nope"));
}

TEST_F(SafePathTest, NofollowLast) {
  ASSERT_EQ(mkdir((root_ + "/dir").c_str(), 0755), 0);
  ASSERT_EQ(symlink("dir", (root_ + "/link").c_str()), 0);
  auto r = ResolveInRoot(root_fd_.get(), "/link", {.nofollow_last = true});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ELOOP);
  // Symlinks before the last component are still followed (inside the root).
  ASSERT_EQ(mkdir((root_ + "/dir/sub").c_str(), 0755), 0);
  auto s = ResolveInRoot(root_fd_.get(), "/link/sub", {.nofollow_last = true});
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->path, "/dir/sub");
}

TEST_F(SafePathTest, CreateFile) {
  auto r = ResolveInRoot(root_fd_.get(), "/x/y/file", {.create = CreateMode::kFile});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->created);
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/x/y/file").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(IsDir(root_ + "/x/y"));
  auto again = ResolveInRoot(root_fd_.get(), "/x/y/file", {.create = CreateMode::kFile});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
}

TEST_F(SafePathTest, MkdirParent) {
  ASSERT_EQ(symlink("/real", (root_ + "/dev").c_str()), 0);
  auto r = MkdirParentInRoot(root_fd_.get(), "/dev/null");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->first.path, "/real");
  EXPECT_EQ(r->second, "null");
  EXPECT_FALSE(MkdirParentInRoot(root_fd_.get(), "/").ok());
}

TEST(CleanPathTest, Table) {
  EXPECT_EQ(CleanPath(""), "/");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("proc"), "/proc");
  EXPECT_EQ(CleanPath("//dev//./pts/"), "/dev/pts");
  EXPECT_EQ(CleanPath("/a/b/../../../c"), "/c");
  EXPECT_TRUE(IsLexicallyInRoot("/r", "/r"));
  EXPECT_TRUE(IsLexicallyInRoot("/r", "/r/x"));
  EXPECT_FALSE(IsLexicallyInRoot("/r", "/rx"));
  EXPECT_FALSE(IsLexicallyInRoot("/r", "/"));
  EXPECT_TRUE(IsLexicallyInRoot("/", "/anything"));
}

}  // namespace
}  // namespace stockade::native
