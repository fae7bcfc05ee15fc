// DefaultSpec: it must parse and validate, match runc's example, and its seccomp profile must
// actually work when loaded into a real process.
#include "oci/default_spec.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <set>
#include <string>

#include "oci/parse.h"
#include "oci/test_util.h"
#include "oci/validate.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

namespace stockade::oci {
namespace {

using nlohmann::json;

// Syscall names allowed unconditionally by the profile.
std::set<std::string> UnconditionallyAllowed(const json& profile) {
  std::set<std::string> out;
  for (const auto& rule : profile["syscalls"]) {
    if (rule["action"] != "SCMP_ACT_ALLOW" || rule.contains("args")) continue;
    for (const auto& n : rule["names"]) out.insert(n.get<std::string>());
  }
  return out;
}

TEST(DefaultSpec, ParsesAndValidatesInABundle) {
  testing::TempBundle bundle;
  bundle.WriteConfig(DefaultSpec(false).dump(1, '\t'));
  auto spec = LoadSpec(bundle.path());
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  Status st = ValidateSpec(*spec, bundle.path());
  EXPECT_TRUE(st.ok()) << st.error().ToString();

  EXPECT_EQ(spec->oci_version, kDefaultSpecVersion);
  EXPECT_TRUE(spec->process->terminal);
  EXPECT_EQ(spec->process->args, std::vector<std::string>{"sh"});
  EXPECT_EQ(
      spec->process->env,
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "TERM=xterm"}));
  EXPECT_EQ(spec->process->cwd, "/");
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  EXPECT_EQ(spec->process->capabilities->bounding, caps);
  EXPECT_EQ(spec->process->capabilities->effective, caps);
  EXPECT_EQ(spec->process->capabilities->permitted, caps);
  EXPECT_TRUE(spec->process->capabilities->ambient.empty());
  EXPECT_EQ(spec->process->rlimits.at(0).type, "RLIMIT_NOFILE");
  EXPECT_EQ(spec->process->rlimits.at(0).hard, 1024u);
  EXPECT_TRUE(spec->process->no_new_privileges);
  EXPECT_EQ(spec->root->path, "rootfs");
  EXPECT_TRUE(spec->root->readonly);
  EXPECT_EQ(spec->hostname, "stockade");
  std::vector<std::string> destinations;
  for (const auto& m : spec->mounts) destinations.push_back(m.destination);
  EXPECT_EQ(destinations, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm",
                                                    "/dev/mqueue", "/sys", "/sys/fs/cgroup"}));
  for (const char* ns : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    EXPECT_NE(spec->FindNamespace(ns), nullptr) << ns;
  }
  EXPECT_EQ(spec->FindNamespace("user"), nullptr);
  ASSERT_EQ(spec->linux->resources->devices.size(), 1u);
  EXPECT_FALSE(spec->linux->resources->devices[0].allow);
  EXPECT_THAT(spec->linux->masked_paths, ::testing::Contains("/proc/kcore"));
  EXPECT_THAT(spec->linux->readonly_paths, ::testing::Contains("/proc/sysrq-trigger"));
  ASSERT_TRUE(spec->linux->seccomp);
  EXPECT_EQ(spec->linux->seccomp->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(spec->linux->seccomp->default_errno_ret, 1u);
  EXPECT_EQ(spec->linux->seccomp->architectures,
            (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
}

TEST(DefaultSpec, RootlessFollowsRuncSpecRootless) {
  testing::TempBundle bundle;
  json doc = DefaultSpec(true, 1234, 5678);
  bundle.WriteConfig(doc.dump());
  auto spec = LoadSpec(bundle.path());
  ASSERT_TRUE(spec.ok()) << spec.error().ToString();
  Status st = ValidateSpec(*spec, bundle.path());
  EXPECT_TRUE(st.ok()) << st.error().ToString();

  EXPECT_NE(spec->FindNamespace("user"), nullptr);
  EXPECT_EQ(spec->FindNamespace("network"), nullptr);
  EXPECT_NE(spec->FindNamespace("pid"), nullptr);
  ASSERT_EQ(spec->linux->uid_mappings.size(), 1u);
  EXPECT_EQ(spec->linux->uid_mappings[0].container_id, 0u);
  EXPECT_EQ(spec->linux->uid_mappings[0].host_id, 1234u);
  EXPECT_EQ(spec->linux->uid_mappings[0].size, 1u);
  EXPECT_EQ(spec->linux->gid_mappings.at(0).host_id, 5678u);
  EXPECT_FALSE(spec->linux->resources);
  for (const auto& m : spec->mounts) {
    for (const auto& o : m.options) {
      EXPECT_FALSE(o.rfind("gid=", 0) == 0 || o.rfind("uid=", 0) == 0) << m.destination << " " << o;
    }
    if (m.destination == "/sys") {
      EXPECT_EQ(m.type, "none");
      EXPECT_EQ(m.source, "/sys");
      EXPECT_EQ(m.options.at(0), "rbind");
    }
  }
  // The no-argument form maps the caller.
  json mine = DefaultSpec(true);
  EXPECT_EQ(mine["linux"]["uidMappings"][0]["hostID"], geteuid());
  EXPECT_EQ(mine["linux"]["gidMappings"][0]["hostID"], getegid());
  EXPECT_FALSE(DefaultSpec(false)["linux"].contains("uidMappings"));
}

TEST(DefaultSeccompProfile, BlocksDangerousSyscallsAndKeepsEssentialOnes) {
  const json profile = DefaultSeccompProfile();
  const auto allowed = UnconditionallyAllowed(profile);
  for (const char* blocked : {"add_key",
                              "bpf",
                              "clone",
                              "clone3",
                              "keyctl",
                              "request_key",
                              "mount",
                              "umount2",
                              "pivot_root",
                              "ptrace",
                              "process_vm_readv",
                              "process_vm_writev",
                              "kexec_load",
                              "kexec_file_load",
                              "init_module",
                              "finit_module",
                              "delete_module",
                              "perf_event_open",
                              "userfaultfd",
                              "unshare",
                              "setns",
                              "open_by_handle_at",
                              "io_uring_setup",
                              "io_uring_enter",
                              "io_uring_register",
                              "iopl",
                              "ioperm",
                              "swapon",
                              "swapoff",
                              "reboot",
                              "syslog",
                              "acct",
                              "lookup_dcookie",
                              "quotactl",
                              "personality",
                              "vm86",
                              "vm86old",
                              "name_to_handle_at",
                              "fsopen",
                              "move_mount",
                              "open_tree",
                              "chroot",
                              "settimeofday",
                              "clock_settime",
                              "sethostname"}) {
    EXPECT_EQ(allowed.count(blocked), 0u) << blocked << " is allowed unconditionally";
  }
  for (const char* needed :
       {"read",          "write",  "openat",          "close",    "mmap",         "mprotect",
        "brk",           "execve", "exit_group",      "futex",    "rt_sigreturn", "arch_prctl",
        "clock_gettime", "wait4",  "mknod",           "rseq",     "getrandom",    "socketpair",
        "epoll_pwait",   "statx",  "set_robust_list", "prlimit64"}) {
    EXPECT_EQ(allowed.count(needed), 1u) << needed << " is missing";
  }
  // No name appears twice in the allowlist (a sign of a copy-paste slip in the table).
  size_t total = 0;
  for (const auto& rule : profile["syscalls"]) {
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) total += rule["names"].size();
  }
  EXPECT_EQ(total, allowed.size());

  bool saw_clone = false;
  bool saw_clone3 = false;
  for (const auto& rule : profile["syscalls"]) {
    if (rule["names"] == json::array({"clone"})) {
      saw_clone = true;
      EXPECT_EQ(rule["action"], "SCMP_ACT_ALLOW");
      EXPECT_EQ(rule["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
      EXPECT_EQ(rule["args"][0]["value"], 0x7E020000u);
      EXPECT_EQ(rule["args"][0]["valueTwo"], 0u);
    }
    if (rule["names"] == json::array({"clone3"})) {
      saw_clone3 = true;
      EXPECT_EQ(rule["action"], "SCMP_ACT_ERRNO");
      EXPECT_EQ(rule["errnoRet"], ENOSYS);
    }
  }
  EXPECT_TRUE(saw_clone);
  EXPECT_TRUE(saw_clone3);
}

// Builds a libseccomp filter from an OCI seccomp object: a minimal version of what the native
// backend does, enough to run the default profile for real.
scmp_filter_ctx BuildFilter(const json& profile) {
  auto action = [](const json& rule, const char* errno_key) -> uint32_t {
    const std::string a = rule.value("action", rule.value("defaultAction", ""));
    if (a == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (a == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(rule.value(errno_key, 1u));
    ADD_FAILURE() << "unexpected action " << a;
    return SCMP_ACT_KILL_PROCESS;
  };
  scmp_filter_ctx ctx = seccomp_init(action(profile, "defaultErrnoRet"));
  for (const auto& arch : profile["architectures"]) {
    std::string name = arch.get<std::string>().substr(strlen("SCMP_ARCH_"));
    for (char& c : name) c = static_cast<char>(tolower(c));
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    EXPECT_NE(token, 0u) << name;
    int rc = seccomp_arch_add(ctx, token);
    EXPECT_TRUE(rc == 0 || rc == -EEXIST) << name << ": " << rc;
  }
  for (const auto& rule : profile["syscalls"]) {
    std::vector<scmp_arg_cmp> args;
    for (const auto& a : rule.value("args", json::array())) {
      const std::string op = a["op"];
      scmp_compare cmp = op == "SCMP_CMP_EQ"          ? SCMP_CMP_EQ
                         : op == "SCMP_CMP_NE"        ? SCMP_CMP_NE
                         : op == "SCMP_CMP_MASKED_EQ" ? SCMP_CMP_MASKED_EQ
                                                      : _SCMP_CMP_MIN;
      EXPECT_NE(cmp, _SCMP_CMP_MIN) << op;
      args.push_back({a["index"].get<unsigned>(), cmp, a["value"].get<uint64_t>(),
                      a.value("valueTwo", uint64_t{0})});
    }
    for (const auto& name : rule["names"]) {
      int nr = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // Not on this architecture; runc skips it too.
      // Pseudo-syscalls (socketcall & co. on x86_64) may be refused for some arches; runc
      // ignores those failures the same way.
      (void)seccomp_rule_add_array(ctx, action(rule, "errnoRet"), nr,
                                   static_cast<unsigned>(args.size()), args.data());
    }
  }
  return ctx;
}

// Runs in the filtered child: returns 0 when every expectation holds, else the failing step.
int ProbeFilteredProcess() {
  int step = 0;
  auto expect_errno = [&](long rc, int want) {
    ++step;
    return rc == -1 && errno == want;
  };
  if (!(++step, syscall(SYS_getpid) > 0)) return step;                        // 1
  if (!expect_errno(unshare(CLONE_NEWUSER), EPERM)) return step;              // 2
  if (!expect_errno(syscall(SYS_clone3, nullptr, 0), ENOSYS)) return step;    // 3
  if (!expect_errno(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM)) return step;  // 4
  if (!expect_errno(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM)) return step;    // 5
  ++step;                                                                     // 6
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) return step;
  close(s);
  if (!(++step, personality(0xffffffff) != -1)) return step;            // 7
  if (!expect_errno(personality(PER_BSD), EPERM)) return step;          // 8
  long child = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);  // 9
  if (child == 0) _exit(0);
  if (!expect_errno(child, EPERM)) return step;
  ++step;                // 10
  pid_t plain = fork();  // clone without namespace flags must still work.
  if (plain == 0) _exit(0);
  if (plain < 0 || waitpid(plain, nullptr, 0) != plain) return step;
  if (!expect_errno(syscall(SYS_io_uring_setup, 1, nullptr), EPERM)) return step;      // 11
  if (!expect_errno(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), EPERM)) return step;  // 12
  if (!expect_errno(syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, nullptr), EPERM)) {
    return step;  // 13
  }
  ++step;  // 14
  // A dynamically linked program runs under the profile from exec to exit.
  pid_t ls = fork();
  if (ls == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl("/bin/ls", "ls", "-l", "/proc/self/", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (ls < 0 || waitpid(ls, &status, 0) != ls || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return step;
  }
  return 0;
}

TEST(DefaultSeccompProfile, WorksWhenLoadedIntoARealProcess) {
  scmp_filter_ctx ctx = BuildFilter(DefaultSeccompProfile());
  ASSERT_NE(ctx, nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    if (seccomp_load(ctx) != 0) _exit(101);
    _exit(ProbeFilteredProcess());
  }
  seccomp_release(ctx);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "probe step " << WEXITSTATUS(status) << " failed (see ProbeFilteredProcess)";
}

}  // namespace
}  // namespace stockade::oci
