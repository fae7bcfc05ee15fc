// ValidateSpec / ValidateProcess / ResolveRootfs: one test per rule, each asserting that the
// message names the offending field.
#include "oci/validate.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <string>

#include "oci/names.h"
#include "oci/parse.h"
#include "oci/test_util.h"

namespace stockade::oci {
namespace {

using ::testing::StartsWith;

// A small spec that passes, to be broken one field at a time.
constexpr const char* kValid = R"({
  "ociVersion": "1.0.2",
  "process": {"args": ["sh"], "cwd": "/", "env": ["PATH=/bin"],
              "capabilities": {"bounding": ["CAP_KILL"]},
              "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
  "root": {"path": "rootfs"},
  "hostname": "box",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                   {"type": "mount"}],
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"]
  }
})";

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = ParseSpec(kValid);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    spec_ = std::move(r).value();
  }

  // "OK" or the error message of validating spec_ after `mutate`.
  std::string Check(const std::function<void(Spec&)>& mutate = nullptr) {
    Spec s = spec_;
    if (mutate) mutate(s);
    Status st = ValidateSpec(s, bundle_.path());
    return st.ok() ? "OK" : st.error().ToString();
  }

  static Linux& L(Spec& s) { return *s.linux; }

  testing::TempBundle bundle_;
  Spec spec_;
};

TEST_F(ValidateTest, BaselinePasses) { EXPECT_EQ(Check(), "OK"); }

TEST_F(ValidateTest, OciVersion) {
  EXPECT_EQ(Check([](Spec& s) { s.oci_version = ""; }), "ociVersion: required");
  EXPECT_EQ(Check([](Spec& s) { s.oci_version = "2.0.0"; }),
            "ociVersion: version \"2.0.0\" is not supported (want 1.x)");
  EXPECT_EQ(Check([](Spec& s) { s.oci_version = "10.0"; }),
            "ociVersion: version \"10.0\" is not supported (want 1.x)");
  EXPECT_EQ(Check([](Spec& s) { s.oci_version = "v1"; }),
            "ociVersion: \"v1\" is not a version number");
  EXPECT_EQ(Check([](Spec& s) { s.oci_version = "1.2.1-rc.1"; }), "OK");
  EXPECT_EQ(Check([](Spec& s) { s.oci_version = "1"; }), "OK");
}

TEST_F(ValidateTest, RootMustBeAnExistingDirectory) {
  EXPECT_EQ(Check([](Spec& s) { s.root.reset(); }), "root: required");
  EXPECT_EQ(Check([](Spec& s) { s.root->path = ""; }), "root.path: required");
  EXPECT_EQ(Check([](Spec& s) { s.root->path = "nope"; }),
            "root.path: \"" + bundle_.Sub("nope") + "\" does not exist");
  ASSERT_EQ(::close(::open(bundle_.Sub("file").c_str(), O_CREAT | O_WRONLY, 0644)), 0);
  EXPECT_EQ(Check([](Spec& s) { s.root->path = "file"; }),
            "root.path: \"" + bundle_.Sub("file") + "\" is not a directory");
  // Absolute paths are taken as they are, not joined to the bundle.
  EXPECT_EQ(Check([&](Spec& s) { s.root->path = bundle_.rootfs(); }), "OK");
  EXPECT_EQ(Check([](Spec& s) { s.root->path = "/nonexistent-rootfs"; }),
            "root.path: \"/nonexistent-rootfs\" does not exist");
}

TEST_F(ValidateTest, RelativeRootIsResolvedAgainstTheBundleNotTheCwd) {
  std::array<char, 4096> cwd{};
  ASSERT_NE(getcwd(cwd.data(), cwd.size()), nullptr);
  ASSERT_EQ(chdir("/"), 0);
  const std::string verdict = Check();
  ASSERT_EQ(chdir(cwd.data()), 0);
  EXPECT_EQ(verdict, "OK");
}

TEST_F(ValidateTest, Process) {
  EXPECT_EQ(Check([](Spec& s) { s.process.reset(); }), "process: required");
  EXPECT_EQ(Check([](Spec& s) { s.process->args.clear(); }), "process.args: must not be empty");
  EXPECT_EQ(Check([](Spec& s) { s.process->args.push_back(std::string("a\0b", 3)); }),
            "process.args[1]: contains a NUL byte");
  EXPECT_EQ(Check([](Spec& s) { s.process->cwd = ""; }), "process.cwd: required");
  EXPECT_EQ(Check([](Spec& s) { s.process->cwd = "tmp"; }),
            "process.cwd: \"tmp\" is not an absolute path");
  EXPECT_EQ(Check([](Spec& s) { s.process->command_line = "cmd.exe"; }),
            "process.commandLine: not supported on Linux");
  EXPECT_EQ(Check([](Spec& s) { s.process->oom_score_adj = 1001; }),
            "process.oomScoreAdj: must be in [-1000, 1000], got 1001");
  EXPECT_EQ(Check([](Spec& s) { s.process->oom_score_adj = -1000; }), "OK");
}

TEST_F(ValidateTest, Env) {
  EXPECT_EQ(Check([](Spec& s) { s.process->env.push_back("NOEQUALS"); }),
            "process.env[1]: \"NOEQUALS\" is not of the form KEY=value");
  EXPECT_EQ(Check([](Spec& s) { s.process->env.push_back("=x"); }),
            "process.env[1]: \"=x\" has an empty variable name");
  EXPECT_EQ(Check([](Spec& s) { s.process->env.push_back(std::string("A=\0", 3)); }),
            "process.env[1]: contains a NUL byte");
  EXPECT_EQ(Check([](Spec& s) { s.process->env.push_back("EMPTY="); }), "OK");
}

TEST_F(ValidateTest, CapabilitiesMustBeKnown) {
  EXPECT_EQ(Check([](Spec& s) { s.process->capabilities->bounding.push_back("CAP_FOO"); }),
            "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"");
  EXPECT_EQ(Check([](Spec& s) {
              s.process->capabilities->ambient = {"CAP_KILL", "kill"};
            }),
            "process.capabilities.ambient[1]: unknown capability \"kill\"");
  EXPECT_EQ(Check([](Spec& s) { s.process->capabilities->effective = {"CAP_LAST_CAP"}; }),
            "process.capabilities.effective[0]: unknown capability \"CAP_LAST_CAP\"");
  EXPECT_EQ(Check([](Spec& s) { s.process->capabilities->permitted = KnownCapabilities(); }), "OK");
  EXPECT_EQ(KnownCapabilities().size(), 41u);
  EXPECT_EQ(CapabilityNumber("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(CapabilityNumber("CAP_CHECKPOINT_RESTORE"), 40);
}

TEST_F(ValidateTest, Rlimits) {
  EXPECT_EQ(Check([](Spec& s) { s.process->rlimits[0].type = "RLIMIT_FOO"; }),
            "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  EXPECT_EQ(Check([](Spec& s) { s.process->rlimits[0].type = ""; }),
            "process.rlimits[0].type: required");
  EXPECT_EQ(Check([](Spec& s) { s.process->rlimits[0].soft = 2048; }),
            "process.rlimits[0]: soft limit 2048 exceeds hard limit 1024");
  EXPECT_EQ(Check([](Spec& s) { s.process->rlimits.push_back(s.process->rlimits[0]); }),
            "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  EXPECT_EQ(Check([](Spec& s) {
              for (const auto& name : KnownRlimits()) s.process->rlimits.push_back({name, 1, 1});
              s.process->rlimits.erase(s.process->rlimits.begin());
            }),
            "OK");
}

TEST_F(ValidateTest, HostnameNeedsUtsNamespace) {
  auto drop_uts = [](Spec& s) {
    std::erase_if(s.linux->namespaces, [](const Namespace& n) { return n.type == "uts"; });
  };
  EXPECT_EQ(Check(drop_uts), "hostname: unable to set hostname without a private UTS namespace");
  EXPECT_EQ(Check([&](Spec& s) {
              drop_uts(s);
              s.hostname = "";
              s.domainname = "example.org";
            }),
            "domainname: unable to set domainname without a private UTS namespace");
  EXPECT_EQ(Check([&](Spec& s) {
              drop_uts(s);
              s.hostname = "";
            }),
            "OK");
  // Joining a pod's UTS namespace still allows setting the name, as in runc.
  EXPECT_EQ(Check([](Spec& s) { s.linux->namespaces[3].path = "/proc/self/ns/uts"; }), "OK");
  EXPECT_EQ(Check([](Spec& s) { s.linux.reset(); }),
            "hostname: unable to set hostname without a private UTS namespace");
}

TEST_F(ValidateTest, MountDestinations) {
  EXPECT_EQ(Check([](Spec& s) {
              s.mounts.push_back({"", "tmpfs", "tmpfs", {}});
            }),
            "mounts[1].destination: required");
  // ParseSpec makes relative destinations absolute; a hand-built spec must too.
  EXPECT_EQ(Check([](Spec& s) {
              s.mounts.push_back({"tmp", "tmpfs", "tmpfs", {}});
            }),
            "mounts[1].destination: \"tmp\" is not an absolute path");
  EXPECT_EQ(Check([](Spec& s) {
              s.mounts.push_back({"/tmp", "tmpfs", "tmpfs", {"ro", ""}});
            }),
            "mounts[1].options[1]: empty mount option");
}

TEST_F(ValidateTest, Hooks) {
  EXPECT_EQ(Check([](Spec& s) {
              s.hooks.create_runtime.push_back({"hook", {}, {}, {}});
            }),
            "hooks.createRuntime[0].path: \"hook\" is not an absolute path");
  EXPECT_EQ(Check([](Spec& s) {
              s.hooks.prestart.push_back({"", {}, {}, {}});
            }),
            "hooks.prestart[0].path: required");
  EXPECT_EQ(Check([](Spec& s) {
              s.hooks.poststop.push_back({"/bin/true", {}, {}, 5});
              s.hooks.poststop.push_back({"/bin/true", {}, {}, 0});
            }),
            "hooks.poststop[1].timeout: must be greater than zero, got 0");
  EXPECT_EQ(Check([](Spec& s) {
              s.hooks.start_container.push_back({"/bin/true", {}, {}, -3});
            }),
            "hooks.startContainer[0].timeout: must be greater than zero, got -3");
  EXPECT_EQ(Check([](Spec& s) {
              s.hooks.create_container.push_back({"x/y", {}, {}, {}});
            }),
            "hooks.createContainer[0].path: \"x/y\" is not an absolute path");
  EXPECT_EQ(Check([](Spec& s) {
              s.hooks.poststart.push_back({"rel", {}, {}, {}});
            }),
            "hooks.poststart[0].path: \"rel\" is not an absolute path");
}

TEST_F(ValidateTest, Namespaces) {
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"foo", ""});
            }),
            "linux.namespaces[5].type: unknown namespace type \"foo\"");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"pid", ""});
            }),
            "linux.namespaces[5].type: duplicate namespace \"pid\"");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"", ""});
            }),
            "linux.namespaces[5].type: required");
  EXPECT_EQ(Check([&](Spec& s) { L(s).namespaces[1].path = "netns/x"; }),
            "linux.namespaces[1].path: \"netns/x\" is not an absolute path");
  EXPECT_EQ(Check([&](Spec& s) { L(s).namespaces.push_back({"cgroup", ""}); }), "OK");
}

TEST_F(ValidateTest, UserNamespaceMappings) {
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).uid_mappings.push_back({0, 1000, 1});
            }),
            "linux.uidMappings: user namespace mappings specified, but linux.namespaces has no "
            "user namespace");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).gid_mappings.push_back({0, 1000, 1});
            }),
            "linux.gidMappings: user namespace mappings specified, but linux.namespaces has no "
            "user namespace");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"user", ""});
            }),
            "linux.uidMappings: required when creating a user namespace");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"user", ""});
              L(s).uid_mappings.push_back({0, 1000, 1});
            }),
            "linux.gidMappings: required when creating a user namespace");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"user", ""});
              L(s).uid_mappings.push_back({0, 1000, 1});
              L(s).gid_mappings.push_back({0, 1000, 0});
            }),
            "linux.gidMappings[0].size: must be greater than zero");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"user", ""});
              L(s).uid_mappings.push_back({0, 4294967295u, 2});
              L(s).gid_mappings.push_back({0, 1000, 1});
            }),
            "linux.uidMappings[0]: ID range overflows 32 bits");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).namespaces.push_back({"user", ""});
              L(s).uid_mappings.push_back({0, 100000, 65536});
              L(s).gid_mappings.push_back({0, 100000, 65536});
            }),
            "OK");
  // A joined user namespace brings its own mappings.
  EXPECT_EQ(Check([&](Spec& s) { L(s).namespaces.push_back({"user", "/proc/1/ns/user"}); }), "OK");
}

TEST_F(ValidateTest, Sysctls) {
  auto with = [&](const std::string& key, const std::function<void(Spec&)>& more = nullptr) {
    return Check([&](Spec& s) {
      L(s).sysctl[key] = "1";
      if (more) more(s);
    });
  };
  auto drop = [](const char* type) {
    return [type](Spec& s) {
      std::erase_if(s.linux->namespaces, [type](const Namespace& n) { return n.type == type; });
    };
  };
  EXPECT_EQ(with("kernel.shmmax"), "OK");
  EXPECT_EQ(with("kernel.shm_rmid_forced"), "OK");
  EXPECT_EQ(with("kernel.msgmnb"), "OK");
  EXPECT_EQ(with("kernel.sem"), "OK");
  EXPECT_EQ(with("fs.mqueue.msg_max"), "OK");
  EXPECT_EQ(with("kernel.shmmax", drop("ipc")),
            "linux.sysctl[\"kernel.shmmax\"]: sysctl \"kernel.shmmax\" is not allowed in the "
            "host's IPC namespace");
  EXPECT_EQ(with("fs.mqueue.msg_max", drop("ipc")),
            "linux.sysctl[\"fs.mqueue.msg_max\"]: sysctl \"fs.mqueue.msg_max\" is not allowed in "
            "the host's IPC namespace");
  EXPECT_EQ(with("net.ipv4.ip_forward"), "OK");
  EXPECT_EQ(with("net/ipv4/ip_forward"), "OK");  // sysctl(8)'s slash form.
  EXPECT_EQ(with("net.ipv4.ip_forward", drop("network")),
            "linux.sysctl[\"net.ipv4.ip_forward\"]: sysctl \"net.ipv4.ip_forward\" is not allowed "
            "in the host's network namespace");
  // Joining our own network namespace by path is still the host's.
  EXPECT_EQ(with("net.core.somaxconn",
                 [](Spec& s) { s.linux->namespaces[1].path = "/proc/self/ns/net"; }),
            "linux.sysctl[\"net.core.somaxconn\"]: sysctl \"net.core.somaxconn\" is not allowed "
            "in the host's network namespace");
  EXPECT_THAT(with("net.core.somaxconn",
                   [](Spec& s) { s.linux->namespaces[1].path = "/nonexistent/netns"; }),
              StartsWith("linux.sysctl[\"net.core.somaxconn\"]: network namespace path "
                         "\"/nonexistent/netns\": ENOENT"));
  EXPECT_EQ(with("kernel.domainname"), "OK");
  EXPECT_EQ(with("kernel.domainname",
                 [&](Spec& s) {
                   drop("uts")(s);
                   s.hostname.clear();
                 }),
            "linux.sysctl[\"kernel.domainname\"]: sysctl \"kernel.domainname\" is not in a "
            "separate kernel namespace");
  EXPECT_EQ(with("kernel.hostname"),
            "linux.sysctl[\"kernel.hostname\"]: sysctl \"kernel.hostname\" is not allowed: it "
            "conflicts with the \"hostname\" field");
  EXPECT_EQ(with("kernel.panic"),
            "linux.sysctl[\"kernel.panic\"]: sysctl \"kernel.panic\" is not in a separate kernel "
            "namespace");
  EXPECT_EQ(with("vm.overcommit_memory"),
            "linux.sysctl[\"vm.overcommit_memory\"]: sysctl \"vm.overcommit_memory\" is not in a "
            "separate kernel namespace");
  // A prefix match would be a hole: kernel.shm_next_id-like keys are not on runc's list.
  EXPECT_EQ(with("kernel.shmmaxfoo"),
            "linux.sysctl[\"kernel.shmmaxfoo\"]: sysctl \"kernel.shmmaxfoo\" is not in a separate "
            "kernel namespace");
}

TEST_F(ValidateTest, MaskedAndReadonlyPaths) {
  EXPECT_EQ(Check([&](Spec& s) { L(s).masked_paths.push_back("proc/kcore"); }),
            "linux.maskedPaths[1]: \"proc/kcore\" is not an absolute path");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).readonly_paths = {"/proc/bus", "sys"};
            }),
            "linux.readonlyPaths[1]: \"sys\" is not an absolute path");
  EXPECT_EQ(Check([&](Spec& s) {
              std::erase_if(L(s).namespaces, [](const Namespace& n) { return n.type == "mount"; });
            }),
            "linux.maskedPaths: unable to restrict paths without a private mount namespace");
}

TEST_F(ValidateTest, Devices) {
  auto add = [&](Device d) { return Check([&](Spec& s) { L(s).devices.push_back(d); }); };
  EXPECT_EQ(add({"c", "/dev/fuse", 10, 229, 0666, 0, 0}), "OK");
  EXPECT_EQ(add({"p", "/dev/fifo", 0, 0, {}, {}, {}}), "OK");
  EXPECT_EQ(add({"x", "/dev/fuse", 10, 229, {}, {}, {}}),
            "linux.devices[0].type: unknown device type \"x\" (want c, b, u or p)");
  EXPECT_EQ(add({"c", "", 1, 3, {}, {}, {}}), "linux.devices[0].path: required");
  EXPECT_EQ(add({"c", "dev/null", 1, 3, {}, {}, {}}),
            "linux.devices[0].path: \"dev/null\" is not an absolute path");
  EXPECT_EQ(add({"b", "/etc/sda", 8, 0, {}, {}, {}}),
            "linux.devices[0].path: \"/etc/sda\" is not under /dev");
  EXPECT_EQ(add({"c", "/dev/../etc/null", 1, 3, {}, {}, {}}),
            "linux.devices[0].path: \"/dev/../etc/null\" is not under /dev");
  EXPECT_EQ(add({"c", "/dev", 1, 3, {}, {}, {}}),
            "linux.devices[0].path: \"/dev\" is not under /dev");
}

TEST_F(ValidateTest, CgroupDeviceRulesAndMemory) {
  auto res = [&](const std::function<void(Resources&)>& f) {
    return Check([&](Spec& s) {
      L(s).resources.emplace();
      f(*L(s).resources);
    });
  };
  EXPECT_EQ(res([](Resources& r) { r.devices.push_back({false, "", {}, {}, "rwm"}); }), "OK");
  EXPECT_EQ(res([](Resources& r) {
              r.devices.push_back({true, "x", {}, {}, "rwm"});
            }),
            "linux.resources.devices[0].type: unknown device type \"x\" (want a, c or b)");
  EXPECT_EQ(res([](Resources& r) {
              r.devices.push_back({true, "c", 1, 3, "rwx"});
            }),
            "linux.resources.devices[0].access: \"rwx\" has access other than r, w and m");
  auto mem = [&](std::optional<int64_t> limit, std::optional<int64_t> swap) {
    return res([&](Resources& r) {
      r.memory.emplace();
      r.memory->limit = limit;
      r.memory->swap = swap;
    });
  };
  EXPECT_EQ(mem(1 << 20, 2 << 20), "OK");
  EXPECT_EQ(mem(1 << 20, -1), "OK");
  EXPECT_EQ(mem(-1, {}), "OK");
  EXPECT_EQ(mem({}, 1 << 20),
            "linux.resources.memory.swap: unable to set swap limit without memory limit");
  EXPECT_EQ(mem(2 << 20, 1 << 20),
            "linux.resources.memory.swap: memory+swap limit 1048576 is less than memory limit "
            "2097152");
  EXPECT_EQ(mem(-5, 1 << 20), "linux.resources.memory.limit: invalid memory value -5");
}

TEST_F(ValidateTest, Seccomp) {
  auto sc = [&](const std::function<void(Seccomp&)>& f) {
    return Check([&](Spec& s) {
      Seccomp seccomp;
      seccomp.default_action = "SCMP_ACT_ERRNO";
      seccomp.architectures = {"SCMP_ARCH_X86_64"};
      seccomp.syscalls.push_back({{"getpid"}, "SCMP_ACT_ALLOW", {}, {{0, 1, 0, "SCMP_CMP_EQ"}}});
      f(seccomp);
      L(s).seccomp = seccomp;
    });
  };
  EXPECT_EQ(sc([](Seccomp&) {}), "OK");
  EXPECT_EQ(sc([](Seccomp& s) { s.default_action = ""; }), "linux.seccomp.defaultAction: required");
  EXPECT_EQ(sc([](Seccomp& s) { s.default_action = "SCMP_ACT_DENY"; }),
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_DENY\"");
  EXPECT_EQ(sc([](Seccomp& s) { s.default_action = "SCMP_ACT_NOTIFY"; }),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  EXPECT_EQ(sc([](Seccomp& s) { s.architectures.push_back("SCMP_ARCH_Z80"); }),
            "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"");
  EXPECT_EQ(sc([](Seccomp& s) {
              s.flags = {"SECCOMP_FILTER_FLAG_TSYNC", "FLAG_X"};
            }),
            "linux.seccomp.flags[1]: unknown flag \"FLAG_X\"");
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].action = "ALLOW"; }),
            "linux.seccomp.syscalls[0].action: unknown action \"ALLOW\"");
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].action = ""; }),
            "linux.seccomp.syscalls[0].action: required");
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].names.clear(); }),
            "linux.seccomp.syscalls[0].names: must not be empty");
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].args[0].op = "SCMP_CMP_MAYBE"; }),
            "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_MAYBE\"");
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].args[0].index = 6; }),
            "linux.seccomp.syscalls[0].args[0].index: must be less than 6, got 6");
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].action = "SCMP_ACT_NOTIFY"; }),
            "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath "
            "to be set");
  EXPECT_EQ(sc([](Seccomp& s) {
              s.syscalls[0].action = "SCMP_ACT_NOTIFY";
              s.listener_path = "/run/seccomp.sock";
            }),
            "OK");
  // Unknown syscall names are not an error: they differ per architecture and runc skips them.
  EXPECT_EQ(sc([](Seccomp& s) { s.syscalls[0].names = {"not_a_syscall"}; }), "OK");
}

TEST_F(ValidateTest, PropagationPersonalityRdtTimeOffsets) {
  EXPECT_EQ(Check([&](Spec& s) { L(s).rootfs_propagation = "rshared"; }), "OK");
  EXPECT_EQ(Check([&](Spec& s) { L(s).rootfs_propagation = "everywhere"; }),
            "linux.rootfsPropagation: unknown propagation \"everywhere\"");
  EXPECT_EQ(Check([&](Spec& s) { L(s).personality = {{"domain", "LINUX32"}}; }), "OK");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).personality = {{"domain", "BSD"}};
            }),
            "linux.personality.domain: unknown domain \"BSD\" (want LINUX or LINUX32)");
  EXPECT_EQ(Check([&](Spec& s) { L(s).personality = "LINUX"; }),
            "linux.personality: expected object, got string");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).intel_rdt = {{"closID", "../x"}};
            }),
            "linux.intelRdt.closID: invalid class of service \"../x\"");
  EXPECT_EQ(Check([&](Spec& s) {
              L(s).time_offsets = {{"monotonic", {{"secs", 1}}}};
            }),
            "linux.timeOffsets: time offsets specified, but linux.namespaces has no time "
            "namespace");
}

TEST(ValidateProcess, ExecProcessPathsAreRelative) {
  Process p;
  p.args = {"ps"};
  EXPECT_TRUE(ValidateProcess(p).ok());
  p.args.clear();
  EXPECT_EQ(ValidateProcess(p).error().ToString(), "args: must not be empty");
  p.args = {"ps"};
  p.cwd = "";
  EXPECT_EQ(ValidateProcess(p).error().ToString(), "cwd: required");
  p.cwd = "/";
  p.capabilities.emplace().bounding = {"CAP_NOPE"};
  EXPECT_EQ(ValidateProcess(p).error().ToString(),
            "capabilities.bounding[0]: unknown capability \"CAP_NOPE\"");
  p.capabilities.reset();
  p.rlimits = {{"RLIMIT_NPROC", 1, 2}};
  EXPECT_EQ(ValidateProcess(p).error().ToString(), "rlimits[0]: soft limit 2 exceeds hard limit 1");
  // A process.json without cwd parses to an empty cwd, which is refused (runc: "Cwd property
  // must not be empty").
  auto parsed = ParseProcess(R"({"args": ["sh"]})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(ValidateProcess(*parsed).error().ToString(), "cwd: required");
}

TEST(ResolveRootfs, JoinsRelativeToBundleAndCleans) {
  Spec s;
  EXPECT_EQ(ResolveRootfs(s, "/b"), "");
  s.root.emplace();
  s.root->path = "rootfs";
  EXPECT_EQ(ResolveRootfs(s, "/b"), "/b/rootfs");
  s.root->path = "./rootfs/";
  EXPECT_EQ(ResolveRootfs(s, "/b/"), "/b/rootfs");
  s.root->path = "../shared/rootfs";
  EXPECT_EQ(ResolveRootfs(s, "/b/c"), "/b/shared/rootfs");
  s.root->path = "/abs//root/.";
  EXPECT_EQ(ResolveRootfs(s, "/b"), "/abs/root");
  s.root->path = "rootfs";
  std::array<char, 4096> cwd{};
  ASSERT_NE(getcwd(cwd.data(), cwd.size()), nullptr);
  EXPECT_EQ(ResolveRootfs(s, "bundle"), std::string(cwd.data()) + "/bundle/rootfs");
}

}  // namespace
}  // namespace stockade::oci
