#include "oci/default_spec.h"

#include <unistd.h>

#include <string>

namespace stockade::oci {
namespace {

using nlohmann::json;

json Mount(const char* destination, const char* type, const char* source,
           std::initializer_list<const char*> options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}};
  if (options.size() > 0) {
    json opts = json::array();
    for (const char* o : options) opts.push_back(o);
    m["options"] = std::move(opts);
  }
  return m;
}

json DefaultCapabilities() {
  // runc's example: enough for a shell, nothing that reaches outside the container. runc
  // dropped ambient (and inheritable) capabilities from its example in 1.2.
  const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  return {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
}

json RootfulSpec() {
  json process = {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", DefaultCapabilities()},
      {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
      {"noNewPrivileges", true},
  };
  json mounts = json::array({
      Mount("/proc", "proc", "proc", {}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
  json namespaces = json::array();
  // runc adds the cgroup namespace only on cgroup v2 hosts; a cgroup namespace is harmless on
  // v1 too (kernel >= 4.6), and one spec for every host is simpler to reason about.
  for (const char* type : {"pid", "network", "ipc", "uts", "mount", "cgroup"}) {
    namespaces.push_back({{"type", type}});
  }
  json linux = {
      {"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
      {"namespaces", std::move(namespaces)},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
        "/sys/devices/virtual/tpm"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
      {"seccomp", DefaultSeccompProfile()},
  };
  return {
      {"ociVersion", kDefaultSpecVersion},
      {"process", std::move(process)},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "stockade"},
      {"mounts", std::move(mounts)},
      {"linux", std::move(linux)},
  };
}

// runc's specconv.ToRootless, step for step.
void ToRootless(json* spec, uint32_t host_uid, uint32_t host_gid) {
  json& linux = (*spec)["linux"];
  json namespaces = json::array();
  for (const auto& ns : linux["namespaces"]) {
    const auto& type = ns["type"];
    if (type != "network" && type != "user") namespaces.push_back(ns);
  }
  namespaces.push_back({{"type", "user"}});
  linux["namespaces"] = std::move(namespaces);
  linux["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", host_uid}, {"size", 1}}});
  linux["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", host_gid}, {"size", 1}}});

  json mounts = json::array();
  for (auto m : (*spec)["mounts"]) {
    if (m["destination"] == "/sys") {
      // A user namespace may not mount a new sysfs for a network namespace it does not own.
      mounts.push_back(Mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
      continue;
    }
    if (m.contains("options")) {
      // Only the mapped IDs exist inside; gid=5 would name an unmapped group.
      json options = json::array();
      for (const auto& o : m["options"]) {
        const std::string s = o.get<std::string>();
        if (s.rfind("uid=", 0) != 0 && s.rfind("gid=", 0) != 0) options.push_back(s);
      }
      m["options"] = std::move(options);
    }
    mounts.push_back(std::move(m));
  }
  (*spec)["mounts"] = std::move(mounts);
  // Unprivileged users usually cannot write the cgroup tree.
  linux.erase("resources");
}

}  // namespace

json DefaultSpec(bool rootless, uint32_t host_uid, uint32_t host_gid) {
  json spec = RootfulSpec();
  if (rootless) ToRootless(&spec, host_uid, host_gid);
  return spec;
}

json DefaultSpec(bool rootless) { return DefaultSpec(rootless, ::geteuid(), ::getegid()); }

}  // namespace stockade::oci
