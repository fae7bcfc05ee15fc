// Rootfs setup end to end, in forked children with their own mount/UTS/IPC namespaces.
#include "boot/native/rootfs.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>

#include "boot/native/devices.h"
#include "boot/native/docker_seccomp_profile_testdata.h"
#include "boot/native/exec.h"
#include "boot/native/native_test_util.h"
#include "boot/native/process_setup.h"
#include "boot/native/sysctl.h"

namespace stockade::native {
namespace {

using testing::ChildResult;
using testing::OutputField;
using testing::Fail;
using ::testing::HasSubstr;
using testing::RunInChild;
using testing::TempDir;

constexpr int kNamespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;

oci::Mount M(const std::string& dest, const std::string& type, const std::string& source,
             std::vector<std::string> options) {
  return oci::Mount{dest, type, source, std::move(options)};
}

// The mounts a typical `runc spec` / Docker config has.
std::vector<oci::Mount> StandardMounts() {
  return {
      M("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      M("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      M("/dev/pts", "devpts", "devpts",
        {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      M("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      M("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      M("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      M("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
}

// Runs the whole sequence the supervisor runs, ending in execve.
int SetupAndExec(const oci::Spec& spec, const std::string& rootfs, const ProcessOptions& po) {
  if (auto st = PrepareRootfs(spec, rootfs, {}); !st.ok()) return Fail(st.error());
  if (auto st = EnterRootfs(rootfs, false); !st.ok()) return Fail(st.error());
  if (auto st = FinishRootfs(spec); !st.ok()) return Fail(st.error());
  if (auto st = ApplyProcess(*spec.process, po); !st.ok()) return Fail(st.error());
  return Fail(ExecProcess(*spec.process, po).error());
}

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(getuid(), 0u) << "these tests need root";
    rootfs_ = tmp_.Sub("rootfs");
    ASSERT_TRUE(testing::BuildBusyboxRootfs(rootfs_));
  }
  TempDir tmp_;
  std::string rootfs_;
};

TEST_F(RootfsTest, FullSetupThenExec) {
  const std::string data = tmp_.Sub("hostdata");
  ASSERT_TRUE(MkdirAll(data).ok());
  ASSERT_TRUE(WriteFileAtomic(data + "/hello", "from-host").ok());

  oci::Spec spec;
  spec.root = oci::Root{rootfs_, true};
  spec.hostname = "stockade-test";
  spec.domainname = "example.org";
  spec.mounts = StandardMounts();
  spec.mounts.push_back(M("/data", "bind", data, {"rbind", "ro", "nosuid"}));
  spec.mounts.push_back(M("/rotmp", "tmpfs", "tmpfs", {"ro"}));
  spec.mounts.push_back(M("/tmp", "tmpfs", "tmpfs", {"nosuid"}));
  spec.linux.emplace();
  spec.linux->masked_paths = {"/proc/kcore", "/proc/timer_list", "/proc/irq", "/nonexistent"};
  spec.linux->readonly_paths = {"/proc/sys", "/proc/missing"};
  spec.linux->sysctl = {{"kernel.msgmax", "4242"}};
  spec.process.emplace();
  spec.process->cwd = "/work";
  spec.process->env = {"PATH=/bin"};
  spec.process->args = {"sh", "-c", R"sh(
t() { n=$1; shift; if "$@" >/dev/null 2>&1; then echo "$n=yes"; else echo "$n=no"; fi; }
t null test -c /dev/null
t zero test -c /dev/zero
t full test -c /dev/full
t random test -c /dev/random
t urandom test -c /dev/urandom
t tty test -c /dev/tty
t devpts test -c /dev/pts/ptmx
t shm test -d /dev/shm
t mqueue test -d /dev/mqueue
echo "ptmx=$(readlink /dev/ptmx)"
echo "fd=$(readlink /dev/fd)"
echo "stderr=$(readlink /dev/stderr)"
echo "hello=$(cat /data/hello)"
echo "robind=$(touch /data/new 2>&1)"
echo "roroot=$(touch /newfile 2>&1)"
echo "rotmp=$(touch /rotmp/x 2>&1)"
t tmpwrite touch /tmp/x
echo "tmpmode=$(stat -c %a /tmp)"
echo "hostname=$(hostname)"
echo "domain=$(cat /proc/sys/kernel/domainname)"
echo "msgmax=$(cat /proc/sys/kernel/msgmax)"
echo "rosys=$( (echo foo > /proc/sys/kernel/hostname) 2>&1)"
echo "timer_list=$(wc -c < /proc/timer_list)"
echo "irq=$(ls -A /proc/irq | wc -l)"
echo "sysro=$(touch /sys/x 2>&1)"
echo "cgroupro=$(mkdir /sys/fs/cgroup/memory/stockade-test-$$ 2>&1; rmdir /sys/fs/cgroup/memory/stockade-test-$$ 2>/dev/null)"
echo "pwd=$(pwd)"
echo "usr=$(ls /usr 2>&1)"
echo "home=$HOME"
)sh"};

  ChildResult r = RunInChild(kNamespaces, [&] { return SetupAndExec(spec, rootfs_, {}); });
  const std::string& out = r.output;
  ASSERT_TRUE(r.Exited(0)) << out;
  for (const char* dev : {"null", "zero", "full", "random", "urandom", "tty", "devpts", "shm",
                          "mqueue", "tmpwrite"}) {
    EXPECT_EQ(OutputField(out, dev), "yes") << dev << "\n" << out;
  }
  EXPECT_EQ(OutputField(out, "ptmx"), "pts/ptmx");
  EXPECT_EQ(OutputField(out, "fd"), "/proc/self/fd");
  EXPECT_EQ(OutputField(out, "stderr"), "/proc/self/fd/2");
  EXPECT_EQ(OutputField(out, "hello"), "from-host");
  EXPECT_THAT(OutputField(out, "robind"), HasSubstr("Read-only file system"));
  EXPECT_THAT(OutputField(out, "roroot"), HasSubstr("Read-only file system"));
  EXPECT_THAT(OutputField(out, "rotmp"), HasSubstr("Read-only file system"));
  EXPECT_EQ(OutputField(out, "tmpmode"), "1777");  // The covered directory's mode carries over.
  EXPECT_EQ(OutputField(out, "hostname"), "stockade-test");
  EXPECT_EQ(OutputField(out, "domain"), "example.org");
  EXPECT_EQ(OutputField(out, "msgmax"), "4242");
  EXPECT_THAT(OutputField(out, "rosys"), HasSubstr("Read-only file system"));
  EXPECT_EQ(OutputField(out, "timer_list"), "0");
  EXPECT_EQ(OutputField(out, "irq"), "0");
  EXPECT_THAT(OutputField(out, "sysro"), HasSubstr("Read-only file system"));
  EXPECT_THAT(OutputField(out, "cgroupro"), HasSubstr("Read-only file system"));
  EXPECT_EQ(OutputField(out, "pwd"), "/work");
  EXPECT_THAT(OutputField(out, "usr"), HasSubstr("No such file"));
  EXPECT_EQ(OutputField(out, "home"), "/root");
  // The masks hide something that is really there.
  auto timer = ReadFile("/proc/timer_list");
  ASSERT_TRUE(timer.ok());
  EXPECT_GT(timer->size(), 0u);
  EXPECT_TRUE(PathExists("/proc/irq/0") || PathExists("/proc/irq/1") || PathExists("/proc/irq/24"));
}

// The container user, capabilities, rlimits, no_new_privs and seccomp, seen by the program.
TEST_F(RootfsTest, CredentialsSurviveExec) {
  oci::Spec spec;
  spec.root = oci::Root{rootfs_, false};
  spec.mounts = StandardMounts();
  spec.linux.emplace();
  spec.linux->seccomp.emplace();
  spec.linux->seccomp->default_action = "SCMP_ACT_ALLOW";
  spec.linux->seccomp->syscalls.push_back({{"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EPERM, {}});
  spec.process.emplace();
  spec.process->user.uid = 1000;
  spec.process->user.gid = 1000;
  spec.process->user.additional_gids = {10, 20};
  spec.process->no_new_privileges = true;
  spec.process->rlimits = {{"RLIMIT_NOFILE", 64, 64}};
  spec.process->capabilities =
      oci::Capabilities{{"CAP_KILL"}, {"CAP_KILL"}, {"CAP_KILL"}, {"CAP_KILL"}, {"CAP_KILL"}};
  spec.process->env = {"PATH=/bin", "HOME=", "A=1", "A=2"};
  spec.process->args = {"sh", "-c", R"sh(
echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status | tr -d '\t' | tr ':' '='
echo "nofile=$(ulimit -n)"
echo "mkdir=$(mkdir /tmp/d 2>&1)"
echo "home=$HOME a=$A"
)sh"};
  ProcessOptions po;
  po.seccomp = &*spec.linux->seccomp;
  ChildResult r = RunInChild(kNamespaces, [&] { return SetupAndExec(spec, rootfs_, po); });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_THAT(r.output, HasSubstr("uid=1000 gid=1000 groups=1000 10 20"));
  EXPECT_EQ(OutputField(r.output, "CapEff"), "0000000000000020") << r.output;
  EXPECT_EQ(OutputField(r.output, "CapBnd"), "0000000000000020") << r.output;
  EXPECT_EQ(OutputField(r.output, "CapAmb"), "0000000000000020") << r.output;
  EXPECT_EQ(OutputField(r.output, "NoNewPrivs"), "1") << r.output;
  EXPECT_EQ(OutputField(r.output, "nofile"), "64");
  EXPECT_THAT(OutputField(r.output, "mkdir"), HasSubstr("Operation not permitted"));
  EXPECT_EQ(OutputField(r.output, "home"), "/home/user a=2");
}

TEST_F(RootfsTest, SymlinkedMountTargetsLandInsideRootfs) {
  const std::string data = tmp_.Sub("hostfile");
  ASSERT_TRUE(WriteFileAtomic(data, "bound").ok());
  ASSERT_EQ(symlink("/etc", (rootfs_ + "/evil").c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../../../etc/ssl", (rootfs_ + "/evil2").c_str()), 0);
  ASSERT_EQ(symlink("/etc/hostname", (rootfs_ + "/evilfile").c_str()), 0);
  oci::Spec spec;
  spec.mounts = {
      M("/evil", "tmpfs", "tmpfs", {}),
      M("/evil2", "tmpfs", "tmpfs", {}),
      M("/evilfile", "bind", data, {"bind", "ro"}),
  };
  // Keep /dev setup out of the way: a bind-mounted /dev disables it.
  spec.mounts.push_back(M("/dev", "bind", "/dev", {"rbind"}));

  ChildResult r = RunInChild(kNamespaces, [&] {
    struct stat before;
    if (stat("/etc/hostname", &before) != 0) before = {};
    if (auto st = PrepareRootfs(spec, rootfs_, {}); !st.ok()) return Fail(st.error());
    auto fstype = [](const std::string& p) {
      struct statfs s;
      return statfs(p.c_str(), &s) == 0 ? static_cast<long>(s.f_type) : -1L;
    };
    struct stat after;
    if (stat("/etc/hostname", &after) != 0) after = {};
    printf("host_etc_tmpfs=%d\n", fstype("/etc") == TMPFS_MAGIC);
    printf("host_ssl_tmpfs=%d\n", fstype("/etc/ssl") == TMPFS_MAGIC);
    printf("rootfs_etc_tmpfs=%d\n", fstype(rootfs_ + "/etc") == TMPFS_MAGIC);
    printf("rootfs_ssl_tmpfs=%d\n", fstype(rootfs_ + "/etc/ssl") == TMPFS_MAGIC);
    printf("host_hostname_same=%d\n",
           before.st_ino == after.st_ino && before.st_dev == after.st_dev);
    auto bound = ReadFile(rootfs_ + "/etc/hostname");
    printf("rootfs_hostname=%s\n", bound.ok() ? bound->c_str() : "<error>");
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "host_etc_tmpfs"), "0");
  EXPECT_EQ(OutputField(r.output, "host_ssl_tmpfs"), "0");
  EXPECT_EQ(OutputField(r.output, "rootfs_etc_tmpfs"), "1");
  EXPECT_EQ(OutputField(r.output, "rootfs_ssl_tmpfs"), "1");
  EXPECT_EQ(OutputField(r.output, "host_hostname_same"), "1");
  EXPECT_EQ(OutputField(r.output, "rootfs_hostname"), "bound");
}

// What `docker run` asks for by default: root with Docker's capability set, the default seccomp
// profile, and no no_new_privs, so the filter is loaded early and everything the runtime does
// afterwards (setgroups, capset, execve...) must get through it.
TEST_F(RootfsTest, DockerDefaults) {
  oci::Spec spec;
  spec.root = oci::Root{rootfs_, false};
  spec.mounts = StandardMounts();
  spec.linux.emplace();
  spec.linux->seccomp = testing::DockerDefaultProfile();
  spec.process.emplace();
  const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  spec.process->capabilities = oci::Capabilities{caps, caps, {}, caps, {}};
  spec.process->env = {"PATH=/bin"};
  spec.process->args = {"sh", "-c", R"sh(
echo "sub=$(echo forked)"
grep -E '^(CapEff|Seccomp|NoNewPrivs)' /proc/self/status | tr -d '\t' | tr ':' '='
echo "hostname=$(hostname new 2>&1)"
)sh"};
  ProcessOptions po;
  po.seccomp = &*spec.linux->seccomp;
  ChildResult r = RunInChild(kNamespaces, [&] { return SetupAndExec(spec, rootfs_, po); });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "sub"), "forked");  // fork works through the clone rule.
  EXPECT_EQ(OutputField(r.output, "CapEff"), "00000000a80425fb");
  EXPECT_EQ(OutputField(r.output, "Seccomp"), "2");
  EXPECT_EQ(OutputField(r.output, "NoNewPrivs"), "0");
  EXPECT_THAT(OutputField(r.output, "hostname"), HasSubstr("not permitted"));
}

// As the supervisor runs us for rootless-style containers: in a user namespace (ids mapped 1:1)
// with its own pid namespace but the host's network namespace. mknod is refused there (device
// nodes are bind-mounted from the host), sysfs cannot be mounted (the host's /sys is bind-
// mounted read-only instead), and mounts inherited from the host have locked flags.
TEST_F(RootfsTest, UserNamespaceFallbacks) {
  const std::string data = tmp_.Sub("hostdata");
  ASSERT_TRUE(MkdirAll(data).ok());
  ASSERT_TRUE(WriteFileAtomic(data + "/hello", "from-host").ok());
  oci::Spec spec;
  spec.root = oci::Root{rootfs_, true};
  spec.hostname = "userns";
  spec.mounts = StandardMounts();
  spec.mounts.push_back(M("/data", "bind", data, {"rbind", "ro", "nosuid", "nodev"}));
  spec.linux.emplace();
  spec.linux->masked_paths = {"/proc/timer_list", "/proc/irq"};
  spec.linux->readonly_paths = {"/proc/sys"};
  spec.process.emplace();
  spec.process->user.uid = 1000;
  spec.process->user.gid = 1000;
  spec.process->user.additional_gids = {5};
  spec.process->env = {"PATH=/bin"};
  spec.process->args = {"sh", "-c", R"sh(
t() { n=$1; shift; if "$@" >/dev/null 2>&1; then echo "$n=yes"; else echo "$n=no"; fi; }
t null test -c /dev/null
t urandom test -c /dev/urandom
t devpts test -c /dev/pts/ptmx
t sysfs test -d /sys/kernel
echo "sysro=$(touch /sys/x 2>&1)"
echo "hello=$(cat /data/hello)"
echo "robind=$(touch /data/new 2>&1)"
echo "roroot=$(touch /newfile 2>&1)"
echo "timer_list=$(wc -c < /proc/timer_list)"
echo "pid=$$"
echo "hostname=$(hostname)"
echo "id=$(id -u) $(id -G)"
)sh"};
  ChildResult r = RunInChild(kNamespaces | CLONE_NEWUSER | CLONE_NEWPID,
                             [&] { return SetupAndExec(spec, rootfs_, {}); });
  const std::string& out = r.output;
  ASSERT_TRUE(r.Exited(0)) << out;
  for (const char* k : {"null", "urandom", "devpts", "sysfs"}) EXPECT_EQ(OutputField(out, k), "yes") << k;
  EXPECT_THAT(OutputField(out, "sysro"), HasSubstr("Read-only file system"));
  EXPECT_EQ(OutputField(out, "hello"), "from-host");
  EXPECT_THAT(OutputField(out, "robind"), HasSubstr("Read-only file system"));
  EXPECT_THAT(OutputField(out, "roroot"), HasSubstr("Read-only file system"));
  EXPECT_EQ(OutputField(out, "timer_list"), "0");
  EXPECT_EQ(OutputField(out, "pid"), "1");
  EXPECT_EQ(OutputField(out, "hostname"), "userns");
  EXPECT_EQ(OutputField(out, "id"), "1000 1000 5");
}

// Runs PrepareRootfs with `mounts` in a child and returns its error text ("" on success).
std::string PrepareError(const std::string& rootfs, std::vector<oci::Mount> mounts) {
  oci::Spec spec;
  spec.mounts = std::move(mounts);
  spec.mounts.push_back(M("/dev", "bind", "/dev", {"rbind"}));
  ChildResult r = RunInChild(kNamespaces, [&] {
    auto st = PrepareRootfs(spec, rootfs, {});
    return st.ok() ? 0 : Fail(st.error());
  });
  return r.output;
}

TEST_F(RootfsTest, ProcMountPolicy) {
  ASSERT_EQ(symlink("/proc/sys", (rootfs_ + "/proclink").c_str()), 0);
  EXPECT_THAT(
      PrepareError(rootfs_, {M("/proc", "proc", "proc", {}), M("/proclink", "tmpfs", "tmpfs", {})}),
      HasSubstr("\"/proc/sys\" cannot be mounted because it is inside /proc"));
  EXPECT_THAT(PrepareError(rootfs_, {M("/proc", "bind", tmp_.path(), {"rbind"})}),
              HasSubstr("\"/proc\" cannot be mounted because it is not of type proc"));
  // A bind of a real procfs over /proc is allowed.
  EXPECT_EQ(PrepareError(rootfs_, {M("/proc", "bind", "/proc", {"rbind"})}), "");
}

TEST_F(RootfsTest, ProcMustBeAnOrdinaryDirectory) {
  ASSERT_EQ(rmdir((rootfs_ + "/proc").c_str()), 0);
  ASSERT_EQ(symlink("tmp", (rootfs_ + "/proc").c_str()), 0);
  EXPECT_THAT(PrepareError(rootfs_, {M("/proc", "proc", "proc", {})}),
              HasSubstr("filesystem \"proc\" must be mounted on ordinary directory"));
}

TEST_F(RootfsTest, MountErrorsNameTheMount) {
  EXPECT_THAT(PrepareError(rootfs_, {M("/x", "nosuchfs", "none", {})}),
              HasSubstr("error mounting \"none\" to rootfs at \"/x\""));
  EXPECT_THAT(PrepareError(rootfs_, {M("/x", "bind", tmp_.Sub("missing"), {"bind"})}),
              HasSubstr("ENOENT"));
  EXPECT_THAT(PrepareError(rootfs_, {M("/", "tmpfs", "tmpfs", {})}),
              HasSubstr("is the top of the rootfs"));
  EXPECT_THAT(PrepareError(rootfs_, {M("/..", "proc", "proc", {})}),
              HasSubstr("is the top of the rootfs"));
}

TEST_F(RootfsTest, DevicesAndConsole) {
  oci::Spec spec;
  spec.mounts = {M("/dev", "tmpfs", "tmpfs", {"mode=755"})};
  spec.linux.emplace();
  spec.linux->devices = {
      {"c", "/dev/null", 1, 3, 0600, 0, 0},  // Replaces the 0666 default.
      {"c", "/dev/sub/mynull", 1, 3, 0640, 12, 34},
      {"p", "/dev/myfifo", 0, 0, 0600, std::nullopt, std::nullopt},
  };
  ChildResult r = RunInChild(kNamespaces, [&] {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return 2;
    int replica = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (replica < 0) return 3;
    RootfsOptions opts;
    opts.console_fd = replica;
    if (auto st = PrepareRootfs(spec, rootfs_, opts); !st.ok()) return Fail(st.error());
    auto show = [&](const char* name) {
      struct stat st;
      if (lstat((rootfs_ + name).c_str(), &st) != 0) {
        printf("%s=missing\n", name);
        return;
      }
      printf("%s=%c %o %u:%u %u:%u\n", name,
             S_ISCHR(st.st_mode)    ? 'c'
             : S_ISFIFO(st.st_mode) ? 'p'
             : S_ISLNK(st.st_mode)  ? 'l'
                                    : '?',
             st.st_mode & 07777, major(st.st_rdev), minor(st.st_rdev), st.st_uid, st.st_gid);
    };
    for (const char* n : {"/dev/null", "/dev/zero", "/dev/tty", "/dev/sub/mynull", "/dev/myfifo",
                          "/dev/ptmx", "/dev/core"}) {
      show(n);
    }
    struct stat con, rep;
    fstat(replica, &rep);
    printf("console_is_pty=%d\n", stat((rootfs_ + "/dev/console").c_str(), &con) == 0 &&
                                      S_ISCHR(con.st_mode) && con.st_rdev == rep.st_rdev);
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "/dev/null"), "c 600 1:3 0:0");
  EXPECT_EQ(OutputField(r.output, "/dev/zero"), "c 666 1:5 0:0");
  EXPECT_EQ(OutputField(r.output, "/dev/tty"), "c 666 5:0 0:0");
  EXPECT_EQ(OutputField(r.output, "/dev/sub/mynull"), "c 640 1:3 12:34");
  EXPECT_THAT(OutputField(r.output, "/dev/myfifo"), ::testing::StartsWith("p 600 "));
  EXPECT_THAT(OutputField(r.output, "/dev/ptmx"), ::testing::StartsWith("l "));
  EXPECT_EQ(OutputField(r.output, "/dev/core") != "missing", PathExists("/proc/kcore"));
  EXPECT_EQ(OutputField(r.output, "console_is_pty"), "1");
}

TEST_F(RootfsTest, NoPivotMovesRootAndHidesHostProc) {
  ChildResult r = RunInChild(kNamespaces, [&] {
    oci::Spec spec;
    spec.mounts = {M("/dev", "bind", "/dev", {"rbind"})};
    if (auto st = PrepareRootfs(spec, rootfs_, {}); !st.ok()) return Fail(st.error());
    if (auto st = EnterRootfs(rootfs_, true); !st.ok()) return Fail(st.error());
    printf("busybox=%d\n", access("/bin/busybox", X_OK) == 0);
    printf("usr=%d\n", access("/usr", F_OK) == 0);
    printf("proc_self=%d\n", access("/proc/self", F_OK) == 0);
    char cwd[256];
    printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "<error>");
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "busybox"), "1");
  EXPECT_EQ(OutputField(r.output, "usr"), "0");
  EXPECT_EQ(OutputField(r.output, "proc_self"), "0");
  EXPECT_EQ(OutputField(r.output, "cwd"), "/");
}

TEST(DevicesTest, DefaultsAndOverrides) {
  oci::Spec spec;
  EXPECT_EQ(DevicesToCreate(spec).size(), 6u);
  spec.linux.emplace();
  spec.linux->devices = {{"c", "/dev/tty", 5, 0, 0620, 0, 5}, {"b", "/dev/sda", 8, 0, {}, {}, {}}};
  auto devs = DevicesToCreate(spec);
  ASSERT_EQ(devs.size(), 7u);
  int tty = 0;
  for (const auto& d : devs) tty += d.path == "/dev/tty";
  EXPECT_EQ(tty, 1);
  EXPECT_EQ(devs[5].path, "/dev/tty");
  EXPECT_EQ(devs[5].file_mode, 0620u);
  EXPECT_EQ(devs[6].path, "/dev/sda");

  EXPECT_TRUE(NeedsSetupDev(spec));
  spec.mounts = {M("/dev", "tmpfs", "tmpfs", {})};
  EXPECT_TRUE(NeedsSetupDev(spec));
  spec.mounts = {M("/dev/", "none", "/dev", {"rbind"})};
  EXPECT_FALSE(NeedsSetupDev(spec));
}

TEST(SysctlTest, Paths) {
  EXPECT_EQ(*SysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(*SysctlPath("net/ipv4/conf/eth0.100/forwarding"),
            "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
  for (const char* bad : {"", "net..x", ".net", "net.", "../../etc/passwd", "a/../../b", "a//b"}) {
    EXPECT_FALSE(SysctlPath(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace stockade::native
