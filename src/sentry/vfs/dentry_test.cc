#include "sentry/vfs/dentry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace stockade::sentry::vfs {
namespace {

TEST(Dentry, OneDentryPerHeldName) {
  DentryTree t;
  auto a = t.Intern("/a/b");
  EXPECT_EQ(a, t.Intern("/a/b"));
  EXPECT_EQ(a->Path(), "/a/b");
  EXPECT_EQ(t.Intern("/")->Path(), "/");
  EXPECT_FALSE(a->removed());
}

TEST(Dentry, RenameOfAnAncestorMovesWhatIsBelow) {
  DentryTree t;
  auto f = t.Intern("/d/sub/file");
  auto cwd = t.Intern("/d/sub");
  t.Renamed("/d", "/e/moved", false);
  EXPECT_EQ(f->Path(), "/e/moved/sub/file");
  EXPECT_EQ(cwd->Path(), "/e/moved/sub");
  EXPECT_EQ(t.Intern("/e/moved/sub/file"), f);
  EXPECT_NE(t.Intern("/d/sub/file"), f);  // the old name is free again
}

TEST(Dentry, RemovedNameKeepsItsLastPathForDisplay) {
  DentryTree t;
  auto f = t.Intern("/tmp/x");
  t.Removed("/tmp/x");
  EXPECT_TRUE(f->removed());
  EXPECT_EQ(f->DisplayName(), "/tmp/x (deleted)");
  auto again = t.Intern("/tmp/x");
  EXPECT_NE(again, f);
  EXPECT_FALSE(again->removed());
  // A later rename of the directory still shows where the removed file was.
  t.Renamed("/tmp", "/var", false);
  EXPECT_EQ(f->DisplayName(), "/var/x (deleted)");
  EXPECT_EQ(again->Path(), "/var/x");
}

TEST(Dentry, RenameOverAHeldNameRemovesIt) {
  DentryTree t;
  auto from = t.Intern("/a");
  auto victim = t.Intern("/b");
  t.Renamed("/a", "/b", false);
  EXPECT_EQ(from->Path(), "/b");
  EXPECT_TRUE(victim->removed());
  EXPECT_EQ(victim->DisplayName(), "/b (deleted)");
  EXPECT_EQ(t.Intern("/b"), from);
}

TEST(Dentry, ExchangeSwapsTheNames) {
  DentryTree t;
  auto a = t.Intern("/x/a");
  auto b = t.Intern("/y/b");
  t.Renamed("/x/a", "/y/b", true);
  EXPECT_EQ(a->Path(), "/y/b");
  EXPECT_EQ(b->Path(), "/x/a");
  EXPECT_FALSE(a->removed());
  EXPECT_FALSE(b->removed());
}

TEST(Dentry, NamesNoOneHoldsAreNotTracked) {
  DentryTree t;
  t.Intern("/gone/file");  // dropped at once
  t.Renamed("/gone", "/here", false);
  t.Removed("/here/file");
  auto fresh = t.Intern("/gone/file");
  EXPECT_EQ(fresh->Path(), "/gone/file");
  EXPECT_FALSE(fresh->removed());
}

TEST(Dentry, ConcurrentInternAndReleaseAgree) {
  DentryTree t;
  auto keep = t.Intern("/shared");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++) {
    threads.emplace_back([&t, i] {
      for (int n = 0; n < 2000; n++) {
        auto d = t.Intern("/shared/f" + std::to_string(n % 7));
        EXPECT_EQ(d->Path().rfind("/shared/", 0), 0u) << d->Path();  // or renamed meanwhile
        if (n % 100 == i) t.Renamed("/shared/f" + std::to_string(n % 7), "/shared/g", false);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(keep->Path(), "/shared");
}

}  // namespace
}  // namespace stockade::sentry::vfs
