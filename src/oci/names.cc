#include "oci/names.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>

namespace stockade::oci {

const std::vector<std::string>& KnownCapabilities() {
  // Index == capability number (linux/capability.h); CAP_LAST_CAP is 40 since Linux 5.9.
  static const auto* caps = new std::vector<std::string>{
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER",
      "CAP_FSETID",
      "CAP_KILL",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETPCAP",
      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",
      "CAP_NET_RAW",
      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",
      "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT",
      "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",
      "CAP_SYS_TTY_CONFIG",
      "CAP_MKNOD",
      "CAP_LEASE",
      "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",
      "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN",
      "CAP_SYSLOG",
      "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",
      "CAP_AUDIT_READ",
      "CAP_PERFMON",
      "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  return *caps;
}

std::optional<int> CapabilityNumber(std::string_view name) {
  const auto& caps = KnownCapabilities();
  auto it = std::find(caps.begin(), caps.end(), name);
  if (it == caps.end()) return std::nullopt;
  return static_cast<int>(it - caps.begin());
}

namespace {

struct RlimitName {
  const char* name;
  int resource;
};

// Every resource of setrlimit(2); the spec names them with their C constant names.
constexpr auto kRlimits = std::to_array<RlimitName>({
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
});

}  // namespace

const std::vector<std::string>& KnownRlimits() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& r : kRlimits) v->emplace_back(r.name);
    return v;
  }();
  return *names;
}

std::optional<int> RlimitNumber(std::string_view name) {
  for (const auto& r : kRlimits) {
    if (name == r.name) return r.resource;
  }
  return std::nullopt;
}

const std::vector<std::string>& KnownNamespaceTypes() {
  static const auto* v = new std::vector<std::string>{
      "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts",
  };
  return *v;
}

const std::vector<std::string>& KnownHookKinds() {
  static const auto* v = new std::vector<std::string>{
      "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
  };
  return *v;
}

const std::vector<std::string>& KnownSeccompActions() {
  static const auto* v = new std::vector<std::string>{
      "SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
      "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
      "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP",
  };
  return *v;
}

const std::vector<std::string>& KnownSeccompOperators() {
  static const auto* v = new std::vector<std::string>{
      "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
      "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ",
  };
  return *v;
}

const std::vector<std::string>& KnownSeccompArchitectures() {
  // The runtime-spec list; libseccomp 2.5 knows all of them.
  static const auto* v = new std::vector<std::string>{
      "SCMP_ARCH_AARCH64",     "SCMP_ARCH_ARM",       "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_MIPS",
      "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",      "SCMP_ARCH_MIPSEL64",
      "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",    "SCMP_ARCH_PPC",
      "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_RISCV64",     "SCMP_ARCH_S390",
      "SCMP_ARCH_S390X",       "SCMP_ARCH_X32",       "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",
  };
  return *v;
}

const std::vector<std::string>& KnownSeccompFlags() {
  static const auto* v = new std::vector<std::string>{
      "SECCOMP_FILTER_FLAG_TSYNC",
      "SECCOMP_FILTER_FLAG_LOG",
      "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
      "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  };
  return *v;
}

const std::vector<std::string>& KnownMountOptions() {
  // The options runc recognises by name; anything else is passed to the filesystem as data.
  static const auto* v = new std::vector<std::string>{
      "acl",          "async",       "atime",          "bind",
      "defaults",     "dev",         "diratime",       "dirsync",
      "exec",         "iversion",    "lazytime",       "loud",
      "mand",         "noacl",       "noatime",        "nodev",
      "nodiratime",   "noexec",      "noiversion",     "nolazytime",
      "nomand",       "norelatime",  "nostrictatime",  "nosuid",
      "nosymfollow",  "private",     "ratime",         "rbind",
      "rdev",         "rdiratime",   "relatime",       "remount",
      "rexec",        "rnoatime",    "rnodev",         "rnodiratime",
      "rnoexec",      "rnorelatime", "rnostrictatime", "rnosuid",
      "rnosymfollow", "ro",          "rprivate",       "rrelatime",
      "rro",          "rrw",         "rshared",        "rslave",
      "rstrictatime", "rsuid",       "rsymfollow",     "runbindable",
      "rw",           "shared",      "silent",         "slave",
      "strictatime",  "suid",        "symfollow",      "sync",
      "tmpcopyup",    "unbindable",
  };
  return *v;
}

const std::vector<std::string>& KnownRootfsPropagations() {
  static const auto* v = new std::vector<std::string>{
      "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
  };
  return *v;
}

bool Contains(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace stockade::oci
