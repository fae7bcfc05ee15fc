// The OCI runtime-spec model (1.0 to 1.2), as plain data. Parsing and validation live in
// parse.h/validate.h; this header is the contract every consumer (CLI, boot, native) reads.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stockade::oci {

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  uint64_t hard = 0;
  uint64_t soft = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;  // "CAP_CHOWN"
};

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
  std::string username;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::optional<std::string> command_line;  // Windows only; rejected on Linux.
  std::vector<std::string> env;              // "KEY=value"
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  std::optional<int> oom_score_adj;
  std::string selinux_label;
  // runtime-spec 1.2 additions, kept raw until a backend applies them.
  nlohmann::json io_priority;        // {"class", "priority"}
  nlohmann::json scheduler;          // {"policy", "nice", ...}
  nlohmann::json exec_cpu_affinity;  // {"initial", "final"}
};

struct Root {
  std::string path;  // As written; may be relative to the bundle.
  bool readonly = false;
};

struct Mount {
  std::string destination;  // Absolute after ParseSpec (runc treats relative ones as under "/").
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds, > 0
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Namespace {
  std::string type;  // pid, network, mount, ipc, uts, user, cgroup, time
  std::string path;  // Join this one when set; otherwise create a new one.
};

struct Device {  // linux.devices: nodes to create in the container's /dev.
  std::string type;  // c, b, u, p
  std::string path;
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct DeviceCgroupRule {
  bool allow = false;
  std::string type = "a";  // a, c, b
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // rwm
};

struct MemoryResources {
  std::optional<int64_t> limit;
  std::optional<int64_t> reservation;
  std::optional<int64_t> swap;
  std::optional<int64_t> kernel;
  std::optional<int64_t> kernel_tcp;
  std::optional<uint64_t> swappiness;
  std::optional<bool> disable_oom_killer;
  std::optional<bool> use_hierarchy;
  std::optional<bool> check_before_update;  // runtime-spec 1.2
};

struct CpuResources {
  std::optional<uint64_t> shares;
  std::optional<int64_t> quota;
  std::optional<uint64_t> period;
  std::optional<int64_t> realtime_runtime;
  std::optional<uint64_t> realtime_period;
  std::string cpus;
  std::string mems;
  std::optional<int64_t> idle;
  std::optional<uint64_t> burst;  // runtime-spec 1.2
};

struct PidsResources {
  int64_t limit = 0;  // <= 0 means unlimited.
};

struct Resources {
  std::vector<DeviceCgroupRule> devices;
  std::optional<MemoryResources> memory;
  std::optional<CpuResources> cpu;
  std::optional<PidsResources> pids;
  nlohmann::json block_io;       // Kept raw: applied when the controller exists.
  nlohmann::json hugepage_limits;
  nlohmann::json network;
  std::map<std::string, std::string> unified;  // cgroup v2 key -> value
  nlohmann::json rdma;                         // Kept raw, like block_io.
};

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_EQ ...
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_ALLOW ...
  std::optional<uint32_t> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  // SCMP_ARCH_X86_64 ...
  std::vector<std::string> flags;          // SECCOMP_FILTER_FLAG_*
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
};

struct Linux {
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::optional<Resources> resources;
  std::string cgroups_path;
  std::vector<Namespace> namespaces;
  std::vector<Device> devices;
  std::optional<Seccomp> seccomp;
  std::string rootfs_propagation;  // shared, slave, private, unbindable, rshared, ...
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::string mount_label;
  nlohmann::json personality;
  nlohmann::json intel_rdt;
  nlohmann::json time_offsets;  // runtime-spec 1.2: {"monotonic": {...}, "boottime": {...}}
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;  // Required for create; optional in the schema.
  std::optional<Root> root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  std::optional<Linux> linux;
  nlohmann::json raw;  // The document as parsed, for passing on unchanged.

  // Convenience: the namespace entry of `type`, or nullptr.
  const Namespace* FindNamespace(const std::string& type) const {
    if (!linux) return nullptr;
    for (const auto& ns : linux->namespaces) {
      if (ns.type == type) return &ns;
    }
    return nullptr;
  }
};

}  // namespace stockade::oci
