#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "base/io.h"
#include "oci/parse.h"
#include "runtime/container_id.h"
#include "runtime/cri.h"
#include "runtime/gofer.h"
#include "runtime/sandbox.h"
#include "runtime/store.h"
#include "urpc/client.h"
#include "urpc/unix_socket.h"

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

namespace stockade::runtime {
namespace {

std::string ProcField(pid_t pid, const std::string& key) {
  auto status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  if (!status.ok()) return "";
  size_t p = status->find(key + ":");
  if (p == std::string::npos) return "";
  size_t e = status->find('\n', p);
  return status->substr(p + key.size() + 1, e - p - key.size() - 1);
}

std::string NsLink(pid_t pid, const char* ns) {
  char buf[64] = {};
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// The Sentry platforms' sandbox isolation, run on its own: nobody in a new user namespace,
// new mount/IPC/UTS/PID namespaces, an empty chroot, and still answering its control socket.
TEST_F(TempRoot, SentrySandboxRunsAsNobodyInAnEmptyChroot) {
  if (!CanSetIds()) GTEST_SKIP() << "needs CAP_SETUID and CAP_SETGID";
  LaunchRequest req;
  req.exe = STOCKADE_BIN;
  req.config.id = "iso";
  req.config.platform = "ptrace";
  req.config.network = "none";
  req.config.userns_nobody = true;
  req.config.chroot_empty = true;
  // A container that is created but never started: the sandbox comes up with
  // its kernel and waits for StartRoot. The rootfs is an empty directory.
  req.config.spec = {{"ociVersion", "1.0.2"},
                     {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}}},
                     {"root", {{"path", "rootfs"}}}};
  std::string rootfs = root_ + "/rootfs";
  ASSERT_EQ(mkdir(rootfs.c_str(), 0755), 0);
  auto spec = oci::ParseSpec(req.config.spec.dump());
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  auto gofer = LaunchGofer(*spec, rootfs, root_, true, nullptr, STOCKADE_BIN);
  ASSERT_TRUE(gofer.ok()) << gofer.error().ToString();
  ASSERT_TRUE(AwaitGofer(*gofer).ok());
  req.config.gofer_mounts = gofer->mounts;
  req.gofer = std::move(gofer->sentry_ends);
  // The gofer: confined before it serves (its own seccomp filter, no new
  // privileges, chrooted into the rootfs, only file capabilities).
  EXPECT_EQ(ProcField(gofer->pid, "Seccomp"), "\t2");
  EXPECT_EQ(ProcField(gofer->pid, "NoNewPrivs"), "\t1");
  EXPECT_EQ(ProcField(gofer->pid, "CapEff"), "\t000000000000001f");
  EXPECT_EQ(ProcField(gofer->pid, "CapBnd"), "\t000000000000001f");
  // Nobody, in a user namespace of its own: those capabilities are its namespace's.
  EXPECT_EQ(ProcField(gofer->pid, "Uid"), "\t65534\t65534\t65534\t65534");
  EXPECT_EQ(ProcField(gofer->pid, "Gid"), "\t65534\t65534\t65534\t65534");
  EXPECT_NE(NsLink(gofer->pid, "user"), NsLink(getpid(), "user"));
  char groot[PATH_MAX] = {};
  ASSERT_GT(readlink(("/proc/" + std::to_string(gofer->pid) + "/root").c_str(), groot, sizeof groot - 1), 0);
  EXPECT_EQ(std::string(groot), rootfs);
  std::string sock = root_ + "/sandbox.sock";
  auto listener = urpc::ListenUnix(sock);
  ASSERT_TRUE(listener.ok());
  req.control_socket = std::move(listener).value();
  auto sb = LaunchSandbox(req, 10000);
  ASSERT_TRUE(sb.ok()) << sb.error().ToString();

  EXPECT_EQ(ProcField(sb->pid, "Uid"), "\t65534\t65534\t65534\t65534");
  EXPECT_EQ(ProcField(sb->pid, "Gid"), "\t65534\t65534\t65534\t65534");
  for (const char* ns : {"user", "mnt", "ipc", "uts", "net"}) {
    EXPECT_NE(NsLink(sb->pid, ns), NsLink(getpid(), ns)) << ns;
  }
  // Its root is an empty directory, not ours.
  std::string root = "/proc/" + std::to_string(sb->pid) + "/root/";
  DIR* d = opendir(root.c_str());
  ASSERT_NE(d, nullptr);
  int entries = 0;
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++entries;
  }
  closedir(d);
  EXPECT_EQ(entries, 0);

  auto client = urpc::Client::Connect(sock, 5000);
  ASSERT_TRUE(client.ok());
  auto reply = client->Call("containerManager.ContainerRuntimeState", {{"CID", "iso"}});
  ASSERT_TRUE(reply.ok()) << reply.error().ToString();
  EXPECT_EQ(reply->result.value("State", ""), "created");
  auto stacks = client->Call("debug.Stacks", nlohmann::json::object());
  ASSERT_TRUE(stacks.ok());
  EXPECT_NE(stacks->result.get<std::string>().find("thread "), std::string::npos);

  kill(sb->pid, SIGTERM);
  EXPECT_TRUE(WaitGone(sb->pid, sb->start_time, 5000));
  // With the sandbox gone, the gofer's sockets close and it exits.
  int status = 0;
  EXPECT_EQ(waitpid(gofer->pid, &status, 0), gofer->pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace stockade::runtime
