#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "abi/linux/errno.h"
#include "sentry/vfs/filesystem.h"
#include "sentry/vfs/pipe.h"
#include "sentry/vfs/tmpfs.h"

namespace stockade::sentry::vfs {
namespace {

// A waiter that blocks on a condition variable; Notify wakes it.
class TestWaiter : public Waiter {
 public:
  void Notify() override {
    std::lock_guard<std::mutex> l(mu);
    woken = true;
    cv.notify_all();
  }
  BlockResult Block(const Deadline& d, int, short) override {
    std::unique_lock<std::mutex> l(mu);
    if (interrupt) return BlockResult::kInterrupted;
    if (d) {
      if (!cv.wait_until(l, *d, [&] { return woken || interrupt; })) return BlockResult::kTimedOut;
    } else {
      cv.wait(l, [&] { return woken || interrupt; });
    }
    woken = false;
    return interrupt ? BlockResult::kInterrupted : BlockResult::kWoken;
  }
  bool Interrupted() override { return interrupt; }
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  std::atomic<bool> interrupt{false};
};

TEST(CleanPath, ResolvesDotsAndJoins) {
  EXPECT_EQ(CleanPath("/", "a/./b/../c//"), "/a/c");
  EXPECT_EQ(CleanPath("/x/y", "../z"), "/x/z");
  EXPECT_EQ(CleanPath("/x", "/../../etc"), "/etc");
  EXPECT_EQ(CleanPath("/", ".."), "/");
  EXPECT_EQ(SplitPath("/a/b").first, "/a");
  EXPECT_EQ(SplitPath("/a/b").second, "b");
  EXPECT_EQ(SplitPath("/a").first, "/");
}

TEST(MountTable, LongestPrefixWins) {
  MountTable t;
  auto root = std::make_shared<TmpFs>(1);
  auto tmp = std::make_shared<TmpFs>(2);
  t.Add("/", root);
  t.Add("/tmp", tmp);
  EXPECT_EQ(t.Resolve("/tmp/x").first, tmp);
  EXPECT_EQ(t.Resolve("/tmp/x").second, "/x");
  EXPECT_EQ(t.Resolve("/tmp").second, "/");
  EXPECT_EQ(t.Resolve("/tmpx").first, root);
  EXPECT_TRUE(t.IsMountPoint("/tmp"));
}

TEST(TmpfsOptions, ModeAndSizeAreReadOthersIgnored) {
  auto o = ParseTmpfsOptions({"nosuid", "mode=1777", "size=64k", "nr_inodes=5", "ptmxmode=0666"});
  ASSERT_TRUE(o.ok()) << o.error().ToString();
  EXPECT_EQ(o->mode, std::optional<mode_t>(01777));
  EXPECT_EQ(o->size_limit, 64u << 10);

  o = ParseTmpfsOptions({"nosuid", "nodev"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->mode, std::nullopt);
  EXPECT_EQ(o->size_limit, 0u);

  // Sizes as Linux's memparse() reads them.
  for (const auto& [option, bytes] : std::vector<std::pair<std::string, uint64_t>>{
           {"size=8192", 8192}, {"size=2M", 2u << 20}, {"size=3g", 3ull << 30}, {"size=1t", 1ull << 40},
           {"size=0x1000", 4096}, {"size=010k", 8u << 10}, {"size=0", 0}}) {
    o = ParseTmpfsOptions({option});
    ASSERT_TRUE(o.ok()) << option;
    EXPECT_EQ(o->size_limit, bytes) << option;
  }
  o = ParseTmpfsOptions({"size=100%"});
  ASSERT_TRUE(o.ok());
  EXPECT_GT(o->size_limit, 0u);
  // The last mode wins, and keeps its permission bits only.
  o = ParseTmpfsOptions({"mode=0700", "mode=170755"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->mode, std::optional<mode_t>(0755));
}

TEST(TmpfsOptions, MalformedModeOrSizeIsEinval) {
  for (const char* option : {"mode", "mode=", "mode=0789", "mode=rwx", "mode=-1", "mode=0755x",
                             "mode=77777777777", "size", "size=", "size=k", "size=-1", "size= 1", "size=1x",
                             "size=1kb", "size=08", "size=0x", "size=99999999999999999999", "size=17179869184g"}) {
    auto o = ParseTmpfsOptions({"nosuid", option});
    ASSERT_FALSE(o.ok()) << option;
    EXPECT_EQ(o.error().code(), EINVAL) << option;
  }
}

TEST(TmpfsOptions, SplitMountOptionsDropsEmptyOnes) {
  EXPECT_EQ(SplitMountOptions("mode=1777,size=64k"), (std::vector<std::string>{"mode=1777", "size=64k"}));
  EXPECT_EQ(SplitMountOptions(",size=1m,,nosuid,"), (std::vector<std::string>{"size=1m", "nosuid"}));
  EXPECT_EQ(SplitMountOptions(""), std::vector<std::string>{});
}

TEST(TmpFs, SizeLimitRefusesGrowthAndGivesBytesBackWithTheFile) {
  auto fs = std::make_shared<TmpFs>(4);
  fs->SetSizeLimit(8192);
  TestWaiter w;
  OpenRequest req;
  req.flags = O_CREAT | O_RDWR;
  req.mode = 0644;
  std::string page(4096, 'x');
  {
    auto f = fs->Open("/a", req);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Write(w, page.data(), page.size()).ok());
    ASSERT_TRUE((*f)->Write(w, page.data(), page.size()).ok());
    auto full = (*f)->Write(w, "y", 1);
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.error().code(), ENOSPC);
    EXPECT_EQ(fs->StatFs()->f_bfree, 0u);
    EXPECT_EQ((*f)->Allocate(0, 0, 16384).error().code(), ENOSPC);
    ASSERT_TRUE(fs->Unlink("/a").ok());
    // Still open: its bytes still count.
    auto g = fs->Open("/b", req);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ((*g)->Write(w, "y", 1).error().code(), ENOSPC);
  }
  // Closed and unlinked: they are back.
  auto g = fs->Open("/b", req);
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE((*g)->Write(w, page.data(), page.size()).ok());
  EXPECT_EQ(fs->StatFs()->f_blocks, 2u);
  EXPECT_EQ(fs->StatFs()->f_bfree, 1u);
  ASSERT_TRUE((*g)->Truncate(0).ok());
  EXPECT_EQ(fs->StatFs()->f_bfree, 2u);
}

TEST(TmpFs, CreateWriteReadRenameUnlink) {
  auto fs = std::make_shared<TmpFs>(3);
  TestWaiter w;
  ASSERT_TRUE(fs->Mkdir("/d", 0755, 0, 0).ok());
  EXPECT_EQ(fs->Mkdir("/d", 0755, 0, 0).error().code(), EEXIST);
  OpenRequest req;
  req.flags = O_CREAT | O_RDWR;
  req.mode = 0644;
  auto f = fs->Open("/d/f", req);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Write(w, "hello", 5).ok());
  ASSERT_TRUE((*f)->Seek(0, SEEK_SET).ok());
  char buf[8] = {};
  ASSERT_EQ(*(*f)->Read(w, buf, 8), 5u);
  EXPECT_STREQ(buf, "hello");
  req.flags = O_CREAT | O_EXCL | O_RDWR;
  EXPECT_EQ(fs->Open("/d/f", req).error().code(), EEXIST);
  ASSERT_TRUE(fs->Rename("/d/f", "/g", 0).ok());
  EXPECT_EQ(fs->Stat("/d/f", true).error().code(), ENOENT);
  EXPECT_EQ(fs->Stat("/g", true)->st_size, 5);
  EXPECT_EQ(fs->Rmdir("/g").error().code(), ENOTDIR);
  EXPECT_EQ(fs->Unlink("/d").error().code(), EISDIR);
  ASSERT_TRUE(fs->Symlink("g", "/l", 0, 0).ok());
  EXPECT_EQ(*fs->ReadLink("/l"), "g");
  EXPECT_TRUE(S_ISREG(fs->Stat("/l", true)->st_mode));
  EXPECT_TRUE(S_ISLNK(fs->Stat("/l", false)->st_mode));
  ASSERT_TRUE(fs->Unlink("/g").ok());
  EXPECT_EQ(fs->Stat("/l", true).error().code(), ENOENT);
  auto dir = fs->Open("/d", OpenRequest{O_RDONLY | O_DIRECTORY});
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ((*dir)->ReadDir()->size(), 2u);  // . and ..
  ASSERT_TRUE(fs->Rmdir("/d").ok());
}

TEST(Pipe, DataEofAndEpipe) {
  auto [r, w] = NewPipe(0);
  TestWaiter tw;
  ASSERT_EQ(*w->Write(tw, "abc", 3), 3u);
  char buf[8];
  ASSERT_EQ(*r->Read(tw, buf, 8), 3u);
  w.reset();
  ASSERT_EQ(*r->Read(tw, buf, 8), 0u);  // EOF: no writers left
  auto [r2, w2] = NewPipe(O_NONBLOCK);
  EXPECT_EQ(r2->Read(tw, buf, 8).error().code(), EAGAIN);
  r2.reset();
  EXPECT_EQ(w2->Write(tw, "x", 1).error().code(), EPIPE);
}

TEST(Pipe, BlockedReaderIsWokenByWriterAndByInterrupt) {
  auto [r, w] = NewPipe(0);
  TestWaiter reader, writer;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (void)w->Write(writer, "z", 1);
  });
  char c = 0;
  auto n = r->Read(reader, &c, 1);
  t.join();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(c, 'z');
  reader.interrupt = true;
  EXPECT_EQ(r->Read(reader, &c, 1).error().code(), abi::kERESTARTSYS);
}

TEST(Pipe, SmallWritesAreAtomicWhenFull) {
  auto [r, w] = NewPipe(O_NONBLOCK);
  TestWaiter tw;
  std::string big(Pipe::kDefaultCapacity - 10, 'x');
  ASSERT_EQ(*w->Write(tw, big.data(), big.size()), big.size());
  std::string small(100, 'y');
  EXPECT_EQ(w->Write(tw, small.data(), small.size()).error().code(), EAGAIN);
}

}  // namespace
}  // namespace stockade::sentry::vfs
