// ApplyProcess in forked children: credentials, capabilities, rlimits, no_new_privs, ordering.
#include "boot/native/process_setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "boot/native/capabilities.h"
#include "boot/native/native_test_util.h"
#include "boot/native/rlimits.h"

namespace stockade::native {
namespace {

using testing::ChildResult;
using testing::OutputField;
using testing::Fail;
using ::testing::HasSubstr;
using testing::RunInChild;
using testing::StatusField;

// Applies `p` in a child, then prints the /proc/self/status fields we check plus `extra()`.
ChildResult ApplyAndReport(
    const oci::Process& p, const ProcessOptions& opts = {},
    const std::function<void()>& extra = [] {}) {
  return RunInChild(0, [&] {
    if (auto st = ApplyProcess(p, opts); !st.ok()) return Fail(st.error());
    auto status = ReadFile("/proc/self/status");
    if (!status.ok()) return Fail(status.error());
    for (const char* k :
         {"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs"}) {
      printf("%s=%s\n", k, StatusField(*status, k).c_str());
    }
    extra();
    return 0;
  });
}

oci::Capabilities Only(const std::string& cap, bool ambient = false) {
  oci::Capabilities c;
  c.bounding = c.effective = c.permitted = c.inheritable = {cap};
  if (ambient) c.ambient = {cap};
  return c;
}

class ProcessSetupTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(getuid(), 0u) << "these tests need root"; }
};

TEST_F(ProcessSetupTest, UserAndCapabilities) {
  oci::Process p;
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.capabilities = Only("CAP_KILL");
  int pdeath = -1;
  ChildResult r = ApplyAndReport(p, {}, [&] {
    prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
    printf("pdeath=%d\n", pdeath);
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "Uid"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(OutputField(r.output, "Gid"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(OutputField(r.output, "Groups"), "");  // The runtime's own groups are dropped.
  EXPECT_EQ(OutputField(r.output, "CapEff"), "0000000000000020");
  EXPECT_EQ(OutputField(r.output, "CapPrm"), "0000000000000020");
  EXPECT_EQ(OutputField(r.output, "CapInh"), "0000000000000020");
  EXPECT_EQ(OutputField(r.output, "CapBnd"), "0000000000000020");
  EXPECT_EQ(OutputField(r.output, "CapAmb"), "0000000000000000");
  EXPECT_EQ(OutputField(r.output, "NoNewPrivs"), "0");
}

TEST_F(ProcessSetupTest, AmbientAndUnknownCapabilities) {
  oci::Process p;
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.capabilities = Only("CAP_NET_BIND_SERVICE", true);
  p.capabilities->effective.push_back("CAP_NOT_A_REAL_ONE");  // Ignored with a warning.
  ChildResult r = ApplyAndReport(p);
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "CapAmb"), "0000000000000400");
  EXPECT_EQ(OutputField(r.output, "CapEff"), "0000000000000400");
  EXPECT_THAT(r.output, HasSubstr("CAP_NOT_A_REAL_ONE"));
}

TEST_F(ProcessSetupTest, ParentDeathSignalSurvivesSetuid) {
  oci::Process p;
  p.user.uid = 1000;
  p.user.gid = 1000;
  ChildResult r = RunInChild(0, [&] {
    prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
    if (auto st = ApplyProcess(p, {}); !st.ok()) return Fail(st.error());
    int sig = 0;
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    printf("pdeath=%d\n", sig);
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "pdeath"), std::to_string(SIGUSR1));
}

TEST_F(ProcessSetupTest, GroupsUmaskOomAndNoNewPrivs) {
  oci::Process p;
  p.user.additional_gids = {10, 20};
  p.user.umask = 027;
  p.oom_score_adj = 500;
  p.no_new_privileges = true;
  ChildResult r = ApplyAndReport(p, {}, [] {
    mode_t old = umask(0);
    printf("umask=%o\n", old);
    auto oom = ReadFile("/proc/self/oom_score_adj");
    printf("oom=%s", oom.ok() ? oom->c_str() : "error\n");
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "Groups"), "10 20");
  EXPECT_EQ(OutputField(r.output, "umask"), "27");
  EXPECT_EQ(OutputField(r.output, "oom"), "500");
  EXPECT_EQ(OutputField(r.output, "NoNewPrivs"), "1");
  EXPECT_EQ(OutputField(r.output, "Uid"), "0\t0\t0\t0");
}

TEST_F(ProcessSetupTest, DefaultUmaskIsRuncs) {
  ChildResult r = RunInChild(0, [] {
    umask(0);
    if (auto st = ApplyProcess(oci::Process{}, {}); !st.ok()) return Fail(st.error());
    printf("umask=%o\n", umask(0));
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "umask"), "22");
}

TEST_F(ProcessSetupTest, Rlimits) {
  oci::Process p;
  p.rlimits = {{"RLIMIT_NOFILE", 200, 100}, {"RLIMIT_CORE", 0, 0}};
  ChildResult r = ApplyAndReport(p, {}, [] {
    struct rlimit n, c;
    getrlimit(RLIMIT_NOFILE, &n);
    getrlimit(RLIMIT_CORE, &c);
    printf("nofile=%llu/%llu\ncore=%llu/%llu\n", (unsigned long long)n.rlim_cur,
           (unsigned long long)n.rlim_max, (unsigned long long)c.rlim_cur,
           (unsigned long long)c.rlim_max);
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "nofile"), "100/200");
  EXPECT_EQ(OutputField(r.output, "core"), "0/0");
}

TEST_F(ProcessSetupTest, ErrorsNameWhatFailed) {
  // Above fs.nr_open: refused even with CAP_SYS_RESOURCE.
  oci::Process p;
  p.rlimits = {{"RLIMIT_NOFILE", 1ull << 40, 1ull << 40}};
  ChildResult r = RunInChild(0, [&] { return Fail(ApplyProcess(p, {}).error()); });
  EXPECT_THAT(r.output, HasSubstr("FAIL: setting rlimit RLIMIT_NOFILE: EPERM"));

  p.rlimits = {{"RLIMIT_BOGUS", 1, 1}};
  r = RunInChild(0, [&] { return Fail(ApplyProcess(p, {}).error()); });
  EXPECT_THAT(r.output, HasSubstr("unknown rlimit type \"RLIMIT_BOGUS\""));

  p.rlimits.clear();
  p.cwd = "/nonexistent-cwd";
  r = RunInChild(0, [&] { return Fail(ApplyProcess(p, {}).error()); });
  EXPECT_THAT(r.output,
              HasSubstr("chdir to cwd (\"/nonexistent-cwd\") set in config.json failed: ENOENT"));
}

// Without no_new_privs the filter can only be loaded while privileged, i.e. before setuid; with
// a filter loaded after setuid this would fail with EACCES.
TEST_F(ProcessSetupTest, SeccompWithoutNoNewPrivsIsLoadedBeforeDroppingPrivileges) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls.push_back({{"mkdir"}, "SCMP_ACT_ERRNO", EACCES, {}});
  oci::Process p;
  p.user.uid = 1000;
  p.user.gid = 1000;
  p.capabilities = Only("CAP_KILL");
  ProcessOptions opts;
  opts.seccomp = &s;
  ChildResult r = ApplyAndReport(p, opts, [] {
    long rc = syscall(SYS_mkdir, "/nonexistent/x", 0755);
    printf("mkdir=%ld/%s\n", rc, rc < 0 ? strerrorname_np(errno) : "");
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "mkdir"), "-1/EACCES");
  EXPECT_EQ(OutputField(r.output, "NoNewPrivs"), "0");
  EXPECT_EQ(OutputField(r.output, "Uid"), "1000\t1000\t1000\t1000");
}

// With no_new_privs, ApplyProcess leaves seccomp to ExecProcess (right before execve).
TEST_F(ProcessSetupTest, SeccompWithNoNewPrivsIsDeferred) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls.push_back({{"mkdir"}, "SCMP_ACT_ERRNO", EACCES, {}});
  oci::Process p;
  p.no_new_privileges = true;
  ProcessOptions opts;
  opts.seccomp = &s;
  ChildResult r = ApplyAndReport(p, opts, [] {
    long rc = syscall(SYS_mkdir, "/nonexistent/x", 0755);
    printf("mkdir=%ld/%s\n", rc, rc < 0 ? strerrorname_np(errno) : "");
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "mkdir"), "-1/ENOENT");
}

TEST(CapabilitiesTest, SpecNamesResolveToSets) {
  std::vector<std::string> ignored;
  oci::Capabilities c;
  c.bounding = {"CAP_KILL", "CAP_CHOWN", "CAP_BOGUS"};
  c.ambient = {"CAP_NET_RAW"};
  caps::CapabilitySets s = ResolveCapabilities(c, &ignored);
  EXPECT_EQ(s.bounding, 0x21u);
  EXPECT_EQ(s.ambient, uint64_t{1} << 13);
  EXPECT_EQ(s.effective, 0u);
  EXPECT_EQ(ignored, std::vector<std::string>{"CAP_BOGUS"});
}

TEST(RlimitsTest, Names) {
  EXPECT_EQ(*RlimitResource("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(*RlimitResource("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_FALSE(RlimitResource("NOFILE").ok());
}

}  // namespace
}  // namespace stockade::native
