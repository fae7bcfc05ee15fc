// Seccomp translation (pure) and behaviour (filters loaded in forked children).
#include "boot/native/seccomp.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>

#include "boot/native/native_test_util.h"

namespace stockade::native {
namespace {

using testing::ChildResult;
using testing::OutputField;
using testing::Fail;
using ::testing::HasSubstr;
using testing::RunInChild;
using testing::TempDir;

oci::SeccompSyscall Rule(std::vector<std::string> names, const std::string& action,
                         std::optional<uint32_t> errno_ret = std::nullopt,
                         std::vector<oci::SeccompArg> args = {}) {
  return oci::SeccompSyscall{std::move(names), action, errno_ret, std::move(args)};
}

oci::Seccomp AllowAllBut(std::vector<oci::SeccompSyscall> rules) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls = std::move(rules);
  return s;
}

// Loads `s` in a child (with no_new_privs, as an unprivileged runtime would) and runs `body`.
ChildResult LoadAndRun(const oci::Seccomp& s, const std::function<void()>& body) {
  return RunInChild(0, [&] {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (auto st = LoadSeccomp(s, nullptr); !st.ok()) return Fail(st.error());
    body();
    return 0;
  });
}

std::string Rc(long rc) {
  return rc < 0 ? std::string("-1/") + strerrorname_np(errno) : std::to_string(rc);
}

TEST(SeccompParseTest, Actions) {
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_ALLOW", {}), SCMP_ACT_ALLOW);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_KILL", {}), SCMP_ACT_KILL_THREAD);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_KILL_THREAD", {}), SCMP_ACT_KILL_THREAD);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_KILL_PROCESS", {}), SCMP_ACT_KILL_PROCESS);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_TRAP", {}), SCMP_ACT_TRAP);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_LOG", {}), SCMP_ACT_LOG);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_NOTIFY", {}), SCMP_ACT_NOTIFY);
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_ERRNO", {}), SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_ERRNO", 38u), SCMP_ACT_ERRNO(38));
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_TRACE", {}), SCMP_ACT_TRACE(EPERM));
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_TRACE", 7u), SCMP_ACT_TRACE(7));
  // errnoRet means nothing to the other actions.
  EXPECT_EQ(*ParseSeccompAction("SCMP_ACT_ALLOW", 5u), SCMP_ACT_ALLOW);
  auto bad = ParseSeccompAction("SCMP_ACT_EXPLODE", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid seccomp action \"SCMP_ACT_EXPLODE\"");
}

TEST(SeccompParseTest, OperatorsAndArchitectures) {
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_NE"), SCMP_CMP_NE);
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_LT"), SCMP_CMP_LT);
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_LE"), SCMP_CMP_LE);
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_EQ"), SCMP_CMP_EQ);
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_GE"), SCMP_CMP_GE);
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_GT"), SCMP_CMP_GT);
  EXPECT_EQ(*ParseSeccompOperator("SCMP_CMP_MASKED_EQ"), SCMP_CMP_MASKED_EQ);
  EXPECT_FALSE(ParseSeccompOperator("SCMP_CMP_ABOUT").ok());
  EXPECT_EQ(*ParseSeccompArch("SCMP_ARCH_X86_64"), SCMP_ARCH_X86_64);
  EXPECT_EQ(*ParseSeccompArch("SCMP_ARCH_X86"), SCMP_ARCH_X86);
  EXPECT_EQ(*ParseSeccompArch("SCMP_ARCH_X32"), SCMP_ARCH_X32);
  EXPECT_EQ(*ParseSeccompArch("SCMP_ARCH_AARCH64"), SCMP_ARCH_AARCH64);
  EXPECT_EQ(*ParseSeccompArch("SCMP_ARCH_MIPS64N32"), SCMP_ARCH_MIPS64N32);
  EXPECT_FALSE(ParseSeccompArch("SCMP_ARCH_Z80").ok());
  EXPECT_FALSE(ParseSeccompArch("x86_64").ok());
}

TEST(SeccompBuildTest, ExportsBpf) {
  oci::Seccomp s = AllowAllBut({Rule({"mkdir", "no_such_syscall_xyz"}, "SCMP_ACT_ERRNO")});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto f = BuildSeccompFilter(s);
  ASSERT_TRUE(f.ok()) << f.error().ToString();
  EXPECT_FALSE(f->uses_notify());
  auto bpf = f->ExportBpf();
  ASSERT_TRUE(bpf.ok()) << bpf.error().ToString();
  EXPECT_GT(bpf->size(), 0u);
  EXPECT_EQ(bpf->size() % 8, 0u);  // struct sock_filter is 8 bytes.
  // More rules, more instructions: the rule really is in the program.
  auto plain = BuildSeccompFilter(AllowAllBut({}));
  ASSERT_TRUE(plain.ok());
  EXPECT_LT(plain->ExportBpf()->size(), bpf->size());
}

TEST(SeccompBuildTest, Rejections) {
  auto msg = [](const oci::Seccomp& s) {
    auto f = BuildSeccompFilter(s);
    return f.ok() ? std::string("ok") : f.error().message();
  };
  oci::Seccomp s = AllowAllBut({});
  s.default_action = "SCMP_ACT_NOTIFY";
  EXPECT_EQ(msg(s), "SCMP_ACT_NOTIFY cannot be used as default action");
  EXPECT_EQ(msg(AllowAllBut({Rule({"write"}, "SCMP_ACT_NOTIFY")})),
            "SCMP_ACT_NOTIFY cannot be used for the write syscall");
  EXPECT_EQ(msg(AllowAllBut({Rule({"mkdir"}, "SCMP_ACT_BOOM")})),
            "invalid seccomp action \"SCMP_ACT_BOOM\"");
  EXPECT_EQ(msg(AllowAllBut({Rule({""}, "SCMP_ACT_ERRNO")})),
            "empty string is not a valid syscall");
  EXPECT_EQ(msg(AllowAllBut({Rule({"read"}, "SCMP_ACT_ERRNO", {}, {{6, 0, 0, "SCMP_CMP_EQ"}})})),
            "seccomp argument index 6 out of range");
  s = AllowAllBut({});
  s.flags = {"SECCOMP_FILTER_FLAG_BOGUS"};
  EXPECT_EQ(msg(s), "seccomp flag \"SECCOMP_FILTER_FLAG_BOGUS\" is not known");
  s = AllowAllBut({});
  s.architectures = {"SCMP_ARCH_PDP11"};
  EXPECT_EQ(msg(s), "invalid seccomp architecture \"SCMP_ARCH_PDP11\"");
  EXPECT_FALSE(SeccompEnabled(oci::Seccomp{}));
}

TEST(SeccompLoadTest, ErrnoRuleBlocksOnlyItsSyscall) {
  TempDir tmp;
  const std::string a = tmp.Sub("a"), b = tmp.Sub("b");
  ChildResult r = LoadAndRun(AllowAllBut({Rule({"mkdir"}, "SCMP_ACT_ERRNO")}), [&] {
    printf("mkdir=%s\n", Rc(syscall(SYS_mkdir, a.c_str(), 0755)).c_str());
    printf("mkdirat=%s\n", Rc(syscall(SYS_mkdirat, AT_FDCWD, b.c_str(), 0755)).c_str());
    printf("getppid_ok=%d\n", syscall(SYS_getppid) > 0);
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "mkdir"), "-1/EPERM");
  EXPECT_EQ(OutputField(r.output, "mkdirat"), "0");
  EXPECT_EQ(OutputField(r.output, "getppid_ok"), "1");
  EXPECT_FALSE(PathExists(a));
  EXPECT_TRUE(PathExists(b));
}

TEST(SeccompLoadTest, ArgumentComparisons) {
  oci::Seccomp s = AllowAllBut({
      // umask(0777) only.
      Rule({"umask"}, "SCMP_ACT_ERRNO", EACCES, {{0, 0777, 0, "SCMP_CMP_EQ"}}),
      // Two comparisons on one argument are ORed (runc): personality(1) or personality(2).
      Rule({"personality"}, "SCMP_ACT_ERRNO", ENOTTY,
           {{0, 0x1111, 0, "SCMP_CMP_EQ"}, {0, 0x2222, 0, "SCMP_CMP_EQ"}}),
      // Comparisons on different arguments are ANDed: kill(self, 0) only.
      Rule({"kill"}, "SCMP_ACT_ERRNO", EDOM,
           {{0, static_cast<uint64_t>(0), 0, "SCMP_CMP_GT"}, {1, 0, 0, "SCMP_CMP_EQ"}}),
      // MASKED_EQ: value is the mask, valueTwo the expected bits.
      Rule({"setpgid"}, "SCMP_ACT_ERRNO", EXDEV, {{1, 0xf0, 0x30, "SCMP_CMP_MASKED_EQ"}}),
  });
  ChildResult r = LoadAndRun(s, [] {
    printf("umask777=%s\n", Rc(syscall(SYS_umask, 0777)).c_str());
    printf("umask022_ok=%d\n", syscall(SYS_umask, 022) >= 0);
    // 0xffffffff queries the persona without changing it.
    printf("pers1=%s\n", Rc(syscall(SYS_personality, 0x1111)).c_str());
    printf("pers2=%s\n", Rc(syscall(SYS_personality, 0x2222)).c_str());
    printf("pers_query_ok=%d\n", syscall(SYS_personality, 0xffffffff) >= 0);
    printf("kill0=%s\n", Rc(syscall(SYS_kill, getpid(), 0)).c_str());
    printf("killwinch=%s\n", Rc(syscall(SYS_kill, getpid(), SIGWINCH)).c_str());
    printf("setpgid35=%s\n", Rc(syscall(SYS_setpgid, 0, 0x35)).c_str());
    printf("setpgid0=%s\n", Rc(syscall(SYS_setpgid, 0, 0)).c_str());
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "umask777"), "-1/EACCES");
  EXPECT_EQ(OutputField(r.output, "umask022_ok"), "1");
  EXPECT_EQ(OutputField(r.output, "pers1"), "-1/ENOTTY");
  EXPECT_EQ(OutputField(r.output, "pers2"), "-1/ENOTTY");
  EXPECT_EQ(OutputField(r.output, "pers_query_ok"), "1");
  EXPECT_EQ(OutputField(r.output, "kill0"), "-1/EDOM");
  EXPECT_EQ(OutputField(r.output, "killwinch"), "0");
  EXPECT_EQ(OutputField(r.output, "setpgid35"), "-1/EXDEV");
  EXPECT_EQ(OutputField(r.output, "setpgid0"), "0");
}

TEST(SeccompLoadTest, DefaultErrnoRet) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = ENOSYS;
  // Just what the child needs to report and exit.
  s.syscalls = {Rule({"write", "exit", "exit_group", "fstat", "newfstatat", "brk", "mmap", "munmap",
                      "rt_sigreturn"},
                     "SCMP_ACT_ALLOW")};
  ChildResult r = LoadAndRun(s, [] { printf("getppid=%s\n", Rc(syscall(SYS_getppid)).c_str()); });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "getppid"), "-1/ENOSYS");
}

TEST(SeccompLoadTest, KillAndTrap) {
  ChildResult kill = LoadAndRun(AllowAllBut({Rule({"getppid"}, "SCMP_ACT_KILL_PROCESS")}),
                                [] { syscall(SYS_getppid); });
  EXPECT_TRUE(kill.Signaled(SIGSYS)) << kill.output;
  ChildResult trap =
      LoadAndRun(AllowAllBut({Rule({"getppid"}, "SCMP_ACT_TRAP")}), [] { syscall(SYS_getppid); });
  EXPECT_TRUE(trap.Signaled(SIGSYS)) << trap.output;
  ChildResult log = LoadAndRun(AllowAllBut({Rule({"getppid"}, "SCMP_ACT_LOG")}),
                               [] { printf("ok=%d\n", syscall(SYS_getppid) > 0); });
  EXPECT_TRUE(log.Exited(0));
  EXPECT_EQ(OutputField(log.output, "ok"), "1");
}

// libseccomp sets no_new_privs on load unless told not to; the spec's flag must decide.
TEST(SeccompLoadTest, DoesNotSetNoNewPrivs) {
  ChildResult r = RunInChild(0, [] {
    if (auto st = LoadSeccomp(AllowAllBut({Rule({"mkdir"}, "SCMP_ACT_ERRNO")}), nullptr);
        !st.ok()) {
      return Fail(st.error());
    }
    printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "nnp"), "0");
}

TEST(SeccompLoadTest, Notify) {
  oci::Seccomp s = AllowAllBut({Rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  auto st = LoadSeccomp(s, nullptr);  // Refused before anything is loaded.
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "seccomp action SCMP_ACT_NOTIFY requires linux.seccomp.listenerPath");
  s.listener_path = "/run/agent.sock";
  st = LoadSeccomp(s, nullptr);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("no handler to pass the listener FD"));

  ChildResult r = RunInChild(0, [&] {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int got = -1;
    auto load = LoadSeccomp(s, [&](int fd) {
      got = fcntl(fd, F_GETFD) >= 0 ? fd : -2;
      return Ok();
    });
    if (!load.ok()) return Fail(load.error());
    printf("handler_fd_valid=%d\n", got >= 0);
    printf("closed_after=%d\n", got >= 0 && fcntl(got, F_GETFD) < 0);
    return 0;
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "handler_fd_valid"), "1");
  EXPECT_EQ(OutputField(r.output, "closed_after"), "1");
}

}  // namespace
}  // namespace stockade::native
