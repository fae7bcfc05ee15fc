#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "base/io.h"
#include "runtime/container_id.h"
#include "runtime/cri.h"
#include "runtime/store.h"

namespace stockade::runtime {
namespace {

class TempRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockade-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(root_).ok()); }
  std::string root_;
};

TEST(ContainerId, AcceptsRuncIdsAndRejectsPathTricks) {
  for (const char* ok : {"a", "web-1", "x_y.z+1", "0123456789abcdef"}) {
    EXPECT_TRUE(ValidateContainerId(ok).ok()) << ok;
  }
  for (const char* bad : {"", ".", "..", "../x", "a/b", "a b", "x\n", "$(id)"}) {
    auto st = ValidateContainerId(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.error().message().find("container id"), std::string::npos);
  }
  EXPECT_FALSE(ValidateContainerId(std::string(1025, 'a')).ok());
}

TEST_F(TempRoot, CreateRejectsDuplicatesAndSaveRoundTrips) {
  Store store(root_);
  {
    auto c = store.Create("c1");
    ASSERT_TRUE(c.ok());
    c->state().bundle = "/b";
    c->state().status = kCreated;
    c->state().sandbox_id = "c1";
    ASSERT_TRUE(c->Save().ok());
  }
  auto dup = store.Create("c1");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), EEXIST);
  auto peek = store.Peek("c1");
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->bundle, "/b");
  EXPECT_EQ(peek->status, kCreated);
  EXPECT_EQ(store.List(), std::vector<std::string>{"c1"});
  auto missing = store.Open("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "container \"nope\" does not exist");
}

TEST_F(TempRoot, StateOfDeadProcessesReadsStopped) {
  Store store(root_);
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  auto c = store.Create("gone");
  ASSERT_TRUE(c.ok());
  c->state().status = kRunning;
  c->state().sandbox_pid = child;
  ASSERT_TRUE(c->Save().ok());
  EXPECT_EQ(EffectiveStatus(c->state()), kRunning);
  kill(child, SIGKILL);
  int st;
  waitpid(child, &st, 0);
  EXPECT_EQ(EffectiveStatus(*store.Peek("gone")), kStopped);
}

TEST_F(TempRoot, ConcurrentWritersNeverCorruptState) {
  Store store(root_);
  {
    auto c = store.Create("busy");
    ASSERT_TRUE(c.ok());
    c->state().annotations["n"] = "0";
    ASSERT_TRUE(c->Save().ok());
  }
  // Each process increments a counter under the lock; lost updates or torn files would show.
  constexpr int kProcs = 8, kRounds = 25;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t k = fork();
    if (k == 0) {
      Store s(root_);
      for (int i = 0; i < kRounds; ++i) {
        auto c = s.Open("busy");
        if (!c.ok()) _exit(1);
        int n = std::stoi(c->state().annotations["n"]);
        c->state().annotations["n"] = std::to_string(n + 1);
        if (!c->Save().ok()) _exit(2);
      }
      _exit(0);
    }
    kids.push_back(k);
  }
  // Readers without the lock always see a whole file.
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store.Peek("busy").ok());
  for (pid_t k : kids) {
    int st;
    waitpid(k, &st, 0);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  EXPECT_EQ(store.Peek("busy")->annotations["n"], std::to_string(kProcs * kRounds));
}

TEST(Cri, AnnotationsNameTheSandboxToJoin) {
  EXPECT_EQ(SandboxToJoin({{"io.kubernetes.cri.container-type", "container"},
                           {"io.kubernetes.cri.sandbox-id", "pod1"}}),
            "pod1");
  EXPECT_EQ(SandboxToJoin({{"io.kubernetes.cri-o.ContainerType", "container"},
                           {"io.kubernetes.cri-o.SandboxID", "pod2"}}),
            "pod2");
  EXPECT_FALSE(SandboxToJoin({{"io.kubernetes.cri.container-type", "sandbox"},
                              {"io.kubernetes.cri.sandbox-id", "pod1"}}));
  EXPECT_FALSE(SandboxToJoin({}));
}

}  // namespace
}  // namespace stockade::runtime
