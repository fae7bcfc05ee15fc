// OverlayFs over two TmpFs layers: what the container sees follows Linux
// overlayfs, and the lower layer never changes.
#include "sentry/fsimpl/overlay/overlay_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>

#include <algorithm>

#include "sentry/vfs/tmpfs.h"

namespace stockade::sentry::fsimpl {
namespace {

using vfs::OpenRequest;
using vfs::TmpFs;

class OverlayFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lower_ = std::make_shared<TmpFs>(makedev(0, 100), 0755);
    ASSERT_TRUE(lower_->Mkdir("/etc", 0755, 0, 0).ok());
    Put(*lower_, "/etc/conf", "abc", 0640, 5, 6);
    ASSERT_TRUE(lower_->Mkdir("/d", 0755, 0, 0).ok());
    Put(*lower_, "/d/a", "a", 0644, 0, 0);
    Put(*lower_, "/d/b", "b", 0644, 0, 0);
    ASSERT_TRUE(lower_->Mkdir("/d/sub", 0700, 0, 0).ok());
    Put(*lower_, "/d/sub/deep", "deep", 0644, 0, 0);
    ASSERT_TRUE(lower_->Symlink("../etc/conf", "/d/link", 0, 0).ok());
    ASSERT_TRUE(lower_->Chmod("/", 0711, false).ok());
    auto upper = std::make_shared<TmpFs>(makedev(0, 101), 01777);
    auto fs = OverlayFs::Create(upper, lower_, makedev(0, 102));
    ASSERT_TRUE(fs.ok()) << fs.error().ToString();
    fs_ = *fs;
  }

  static void Put(vfs::Filesystem& fs, const std::string& path, const std::string& data, mode_t mode, uid_t uid,
                  gid_t gid) {
    auto f = fs.Open(path, OpenRequest{O_WRONLY | O_CREAT | O_TRUNC, mode, uid, gid});
    ASSERT_TRUE(f.ok()) << path << ": " << f.error().ToString();
    ASSERT_TRUE((*f)->PWrite(data.data(), data.size(), 0).ok());
  }
  static std::string Get(vfs::Filesystem& fs, const std::string& path) {
    auto f = fs.Open(path, OpenRequest{O_RDONLY});
    if (!f.ok()) return "<" + std::string(strerror(f.error().code())) + ">";
    std::string buf(4096, '\0');
    auto n = (*f)->PRead(buf.data(), buf.size(), 0);
    if (!n.ok()) return "<read error>";
    buf.resize(*n);
    return buf;
  }
  std::vector<std::string> List(const std::string& path) {
    auto f = fs_->Open(path, OpenRequest{O_RDONLY | O_DIRECTORY});
    if (!f.ok()) return {"<" + std::string(strerror(f.error().code())) + ">"};
    auto entries = (*f)->ReadDir();
    if (!entries.ok()) return {"<readdir error>"};
    std::vector<std::string> names;
    for (const auto& e : *entries) {
      if (e.name != "." && e.name != "..") names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  int StatErr(const std::string& path) {
    auto st = fs_->Stat(path, false);
    return st.ok() ? 0 : st.error().code();
  }

  std::shared_ptr<TmpFs> lower_;
  std::shared_ptr<OverlayFs> fs_;
};

TEST_F(OverlayFsTest, RootTakesTheLowerRootsAttributes) {
  auto st = fs_->Stat("/", false);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->st_mode & 07777, 0711u);
  EXPECT_EQ(st->st_dev, makedev(0, 102));
}

TEST_F(OverlayFsTest, WritingCopiesUpAndLeavesTheLowerFileAlone) {
  auto f = fs_->Open("/etc/conf", OpenRequest{O_RDWR});
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  ASSERT_TRUE((*f)->PWrite("X", 1, 0).ok());
  EXPECT_EQ(Get(*fs_, "/etc/conf"), "Xbc");
  EXPECT_EQ(Get(*lower_, "/etc/conf"), "abc");
  auto st = fs_->Stat("/etc/conf", false);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->st_mode & 07777, 0640u);
  EXPECT_EQ(st->st_uid, 5u);
  EXPECT_EQ(st->st_gid, 6u);
}

TEST_F(OverlayFsTest, TruncatingOpenAndAttributesCopyUp) {
  ASSERT_TRUE(fs_->Open("/d/a", OpenRequest{O_WRONLY | O_TRUNC}).ok());
  EXPECT_EQ(Get(*fs_, "/d/a"), "");
  EXPECT_EQ(Get(*lower_, "/d/a"), "a");
  ASSERT_TRUE(fs_->Chmod("/d/b", 0600, false).ok());
  ASSERT_TRUE(fs_->Chown("/d/b", 7, 8, false).ok());
  auto st = fs_->Stat("/d/b", false);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->st_mode & 07777, 0600u);
  EXPECT_EQ(st->st_uid, 7u);
  EXPECT_EQ(lower_->Stat("/d/b", false)->st_mode & 07777, 0644u);
  EXPECT_EQ(Get(*fs_, "/d/b"), "b");
}

TEST_F(OverlayFsTest, UnlinkLeavesAWhiteoutAndTheNameCanComeBack) {
  ASSERT_TRUE(fs_->Unlink("/d/a").ok());
  EXPECT_EQ(StatErr("/d/a"), ENOENT);
  EXPECT_EQ(List("/d"), (std::vector<std::string>{"b", "link", "sub"}));
  EXPECT_EQ(Get(*lower_, "/d/a"), "a");
  EXPECT_EQ(fs_->Unlink("/d/a").error().code(), ENOENT);
  Put(*fs_, "/d/a", "new", 0644, 0, 0);
  EXPECT_EQ(Get(*fs_, "/d/a"), "new");
  EXPECT_EQ(List("/d"), (std::vector<std::string>{"a", "b", "link", "sub"}));
}

TEST_F(OverlayFsTest, ListingMergesBothLayers) {
  Put(*fs_, "/d/c", "c", 0644, 0, 0);
  ASSERT_TRUE(fs_->Mkdir("/d/newdir", 0755, 0, 0).ok());
  EXPECT_EQ(List("/d"), (std::vector<std::string>{"a", "b", "c", "link", "newdir", "sub"}));
  EXPECT_EQ(List("/"), (std::vector<std::string>{"d", "etc"}));
  EXPECT_EQ(lower_->Stat("/d/c", false).error().code(), ENOENT);
}

TEST_F(OverlayFsTest, ADirectoryRemadeOverALowerOneIsOpaque) {
  EXPECT_EQ(fs_->Rmdir("/d/sub").error().code(), ENOTEMPTY);
  ASSERT_TRUE(fs_->Unlink("/d/sub/deep").ok());
  ASSERT_TRUE(fs_->Rmdir("/d/sub").ok());
  EXPECT_EQ(StatErr("/d/sub"), ENOENT);
  ASSERT_TRUE(fs_->Mkdir("/d/sub", 0755, 0, 0).ok());
  EXPECT_EQ(List("/d/sub"), std::vector<std::string>{});
  EXPECT_EQ(StatErr("/d/sub/deep"), ENOENT);
  EXPECT_EQ(Get(*lower_, "/d/sub/deep"), "deep");
}

TEST_F(OverlayFsTest, RenamesFollowOverlayfsRules) {
  // A directory with lower contents cannot move (mv then copies).
  EXPECT_EQ(fs_->Rename("/d", "/e", 0).error().code(), EXDEV);
  // A lower file moves: its old name is whited out.
  ASSERT_TRUE(fs_->Rename("/d/a", "/etc/a", 0).ok());
  EXPECT_EQ(StatErr("/d/a"), ENOENT);
  EXPECT_EQ(Get(*fs_, "/etc/a"), "a");
  EXPECT_EQ(Get(*lower_, "/d/a"), "a");
  // NOREPLACE and EXCHANGE see the merged view.
  EXPECT_EQ(fs_->Rename("/d/b", "/etc/conf", RENAME_NOREPLACE).error().code(), EEXIST);
  ASSERT_TRUE(fs_->Rename("/d/b", "/etc/conf", RENAME_EXCHANGE).ok());
  EXPECT_EQ(Get(*fs_, "/d/b"), "abc");
  EXPECT_EQ(Get(*fs_, "/etc/conf"), "b");
  // A directory made in the container moves, with what is in it.
  ASSERT_TRUE(fs_->Mkdir("/new", 0755, 0, 0).ok());
  Put(*fs_, "/new/f", "f", 0644, 0, 0);
  ASSERT_TRUE(fs_->Rename("/new", "/moved", 0).ok());
  EXPECT_EQ(Get(*fs_, "/moved/f"), "f");
  EXPECT_EQ(StatErr("/new"), ENOENT);
}

TEST_F(OverlayFsTest, ADirectoryMovedOverAnEmptiedLowerOneHidesItsContents) {
  ASSERT_TRUE(fs_->Unlink("/d/sub/deep").ok());
  ASSERT_TRUE(fs_->Mkdir("/n", 0755, 0, 0).ok());
  ASSERT_TRUE(fs_->Rename("/n", "/d/sub", 0).ok());
  EXPECT_EQ(List("/d/sub"), std::vector<std::string>{});
  EXPECT_EQ(StatErr("/d/sub/deep"), ENOENT);
}

TEST_F(OverlayFsTest, WalkSeesWhiteoutsSymlinksAndTheLowerLayer) {
  auto w = fs_->Walk("/", {"d", "sub", "deep"});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->walked, 3u);
  EXPECT_EQ(w->stop, 0);
  EXPECT_TRUE(S_ISREG(w->st.st_mode));
  w = fs_->Walk("/", {"d", "link", "x"});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->walked, 1u);
  EXPECT_EQ(w->stop, ELOOP);
  EXPECT_EQ(w->target, "../etc/conf");
  ASSERT_TRUE(fs_->Unlink("/d/sub/deep").ok());
  w = fs_->Walk("/", {"d", "sub", "deep"});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->walked, 2u);
  EXPECT_EQ(w->stop, ENOENT);
  // Directories report the overlay's device and keep their inode across copy-up.
  auto before = fs_->Stat("/d", false);
  Put(*fs_, "/d/new", "n", 0644, 0, 0);
  auto after = fs_->Stat("/d", false);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(after->st_dev, makedev(0, 102));
  EXPECT_EQ(before->st_ino, after->st_ino);
}

TEST_F(OverlayFsTest, HardLinksAndSymlinksAreMadeInTheUpperLayer) {
  ASSERT_TRUE(fs_->Link("/d/a", "/d/a2").ok());
  EXPECT_EQ(Get(*fs_, "/d/a2"), "a");
  EXPECT_EQ(fs_->Link("/d/a", "/d/b").error().code(), EEXIST);
  ASSERT_TRUE(fs_->Symlink("/etc/conf", "/d/abs", 0, 0).ok());
  EXPECT_EQ(*fs_->ReadLink("/d/abs"), "/etc/conf");
  EXPECT_EQ(*fs_->ReadLink("/d/link"), "../etc/conf");
  EXPECT_EQ(lower_->Stat("/d/a2", false).error().code(), ENOENT);
  EXPECT_EQ(fs_->Mkdir("/d", 0755, 0, 0).error().code(), EEXIST);
}

}  // namespace
}  // namespace stockade::sentry::fsimpl
