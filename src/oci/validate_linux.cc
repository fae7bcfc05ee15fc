// Checks of the "linux" section: namespaces and ID mappings, device nodes, cgroup device rules
// and memory limits, masked/read-only paths, propagation, personality and Intel RDT.
#include <unistd.h>

#include <array>
#include <set>

#include "oci/clean_path.h"
#include "oci/json_fields.h"
#include "oci/names.h"
#include "oci/validate_internal.h"

namespace stockade::oci::internal {
namespace {

// A namespace type the kernel must support before we try to create or join one, and the file
// whose presence proves it (the same probes runc makes).
struct KernelProbe {
  const char* type;
  const char* file;
  const char* what;
};
constexpr auto kKernelProbes = std::to_array<KernelProbe>({
    {"user", "/proc/self/ns/user", "user namespaces are not enabled in the kernel"},
    {"cgroup", "/proc/self/ns/cgroup", "cgroup namespaces are not enabled in the kernel"},
    {"time", "/proc/self/timens_offsets", "time namespaces are not enabled in the kernel"},
});

Status ValidateNamespaces(const std::vector<Namespace>& namespaces, const std::string& path) {
  std::set<std::string> seen;
  for (size_t i = 0; i < namespaces.size(); ++i) {
    const std::string at = Index(path, i);
    const Namespace& ns = namespaces[i];
    if (ns.type.empty()) return Required(Child(at, "type"));
    if (!Contains(KnownNamespaceTypes(), ns.type)) {
      return FieldError(Child(at, "type"), "unknown namespace type " + Quote(ns.type));
    }
    if (!seen.insert(ns.type).second) {
      return FieldError(Child(at, "type"), "duplicate namespace " + Quote(ns.type));
    }
    if (!ns.path.empty() && !IsAbsolutePath(ns.path)) {
      return NotAbsolute(Child(at, "path"), ns.path);
    }
    for (const auto& probe : kKernelProbes) {
      if (ns.type == probe.type && ::access(probe.file, F_OK) != 0) {
        return FieldError(at, probe.what);
      }
    }
  }
  return Ok();
}

Status ValidateMappingList(const std::vector<IdMapping>& maps, const std::string& path) {
  for (size_t i = 0; i < maps.size(); ++i) {
    const IdMapping& m = maps[i];
    if (m.size == 0) return FieldError(Child(Index(path, i), "size"), "must be greater than zero");
    // The kernel refuses ranges that wrap past 2^32 - 1 on either side.
    const uint64_t limit = uint64_t{1} << 32;
    if (uint64_t{m.container_id} + m.size > limit || uint64_t{m.host_id} + m.size > limit) {
      return FieldError(Index(path, i), "ID range overflows 32 bits");
    }
  }
  return Ok();
}

// runc's rules: mappings without a user namespace are an error; a new user namespace needs
// both mappings; a joined one (with a path) already has its own.
Status ValidateIdMappings(const Spec& spec, const std::string& path) {
  const Linux& l = *spec.linux;
  const Namespace* userns = spec.FindNamespace("user");
  if (userns == nullptr) {
    if (!l.uid_mappings.empty() || !l.gid_mappings.empty()) {
      return FieldError(Child(path, l.uid_mappings.empty() ? "gidMappings" : "uidMappings"),
                        "user namespace mappings specified, but linux.namespaces has no user "
                        "namespace");
    }
    return Ok();
  }
  if (userns->path.empty()) {
    if (l.uid_mappings.empty()) {
      return FieldError(Child(path, "uidMappings"), "required when creating a user namespace");
    }
    if (l.gid_mappings.empty()) {
      return FieldError(Child(path, "gidMappings"), "required when creating a user namespace");
    }
  }
  TRY(ValidateMappingList(l.uid_mappings, Child(path, "uidMappings")));
  TRY(ValidateMappingList(l.gid_mappings, Child(path, "gidMappings")));
  return Ok();
}

Status ValidateDevices(const std::vector<Device>& devices, const std::string& path) {
  for (size_t i = 0; i < devices.size(); ++i) {
    const std::string at = Index(path, i);
    const Device& d = devices[i];
    if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p") {
      return FieldError(Child(at, "type"),
                        "unknown device type " + Quote(d.type) + " (want c, b, u or p)");
    }
    if (d.path.empty()) return Required(Child(at, "path"));
    if (!IsAbsolutePath(d.path)) return NotAbsolute(Child(at, "path"), d.path);
    // Device nodes belong in the container's /dev; anywhere else a node would be a way to
    // plant host devices in unexpected places of the rootfs.
    if (CleanPath(d.path).rfind("/dev/", 0) != 0) {
      return FieldError(Child(at, "path"), Quote(d.path) + " is not under /dev");
    }
  }
  return Ok();
}

Status ValidateDeviceRules(const std::vector<DeviceCgroupRule>& rules, const std::string& path) {
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string at = Index(path, i);
    const DeviceCgroupRule& r = rules[i];
    // Go's zero value "" means "a" (all), as in runc.
    if (!r.type.empty() && r.type != "a" && r.type != "c" && r.type != "b") {
      return FieldError(Child(at, "type"),
                        "unknown device type " + Quote(r.type) + " (want a, c or b)");
    }
    for (char c : r.access) {
      if (c != 'r' && c != 'w' && c != 'm') {
        return FieldError(Child(at, "access"),
                          Quote(r.access) + " has access other than r, w and m");
      }
    }
  }
  return Ok();
}

// The sanity checks runc makes when converting memory+swap to cgroup v2's swap-only value;
// cgroup v1 refuses the same combinations when they are written.
Status ValidateMemory(const MemoryResources& m, const std::string& path) {
  const int64_t swap = m.swap.value_or(0);
  const int64_t limit = m.limit.value_or(0);
  if (swap == 0 || swap == -1) return Ok();
  if (limit == 0 || limit == -1) {
    return FieldError(Child(path, "swap"), "unable to set swap limit without memory limit");
  }
  if (limit < 0) {
    return FieldError(Child(path, "limit"), "invalid memory value " + std::to_string(limit));
  }
  if (swap < limit) {
    return FieldError(Child(path, "swap"), "memory+swap limit " + std::to_string(swap) +
                                               " is less than memory limit " +
                                               std::to_string(limit));
  }
  return Ok();
}

Status ValidateResources(const Resources& r, const std::string& path) {
  TRY(ValidateDeviceRules(r.devices, Child(path, "devices")));
  if (r.memory) TRY(ValidateMemory(*r.memory, Child(path, "memory")));
  return Ok();
}

Status ValidatePathList(const std::vector<std::string>& paths, const std::string& path) {
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!IsAbsolutePath(paths[i])) return NotAbsolute(Index(path, i), paths[i]);
  }
  return Ok();
}

Status ValidatePersonality(const nlohmann::json& p, const std::string& path) {
  if (p.is_null()) return Ok();
  if (!p.is_object()) return TypeError(path, "object", p);
  auto domain = p.find("domain");
  if (domain == p.end() || domain->is_null()) return Required(Child(path, "domain"));
  ASSIGN_OR_RETURN(std::string d, AsString(*domain, Child(path, "domain")));
  if (d != "LINUX" && d != "LINUX32") {
    return FieldError(Child(path, "domain"),
                      "unknown domain " + Quote(d) + " (want LINUX or LINUX32)");
  }
  return Ok();
}

// runc uses closID as a directory name under /sys/fs/resctrl.
Status ValidateIntelRdt(const nlohmann::json& rdt, const std::string& path) {
  if (rdt.is_null()) return Ok();
  if (!rdt.is_object()) return TypeError(path, "object", rdt);
  auto clos = rdt.find("closID");
  if (clos == rdt.end() || clos->is_null()) return Ok();
  ASSIGN_OR_RETURN(std::string id, AsString(*clos, Child(path, "closID")));
  if (id == "." || id == ".." || id.find('/') != std::string::npos) {
    return FieldError(Child(path, "closID"), "invalid class of service " + Quote(id));
  }
  return Ok();
}

}  // namespace

Status ValidateLinuxAt(const Spec& spec, const std::string& path) {
  if (!spec.linux) return Ok();
  const Linux& l = *spec.linux;
  TRY(ValidateNamespaces(l.namespaces, Child(path, "namespaces")));
  TRY(ValidateIdMappings(spec, path));
  TRY(ValidateSysctlAt(spec, Child(path, "sysctl")));
  TRY(ValidateDevices(l.devices, Child(path, "devices")));
  if (l.resources) TRY(ValidateResources(*l.resources, Child(path, "resources")));
  if (l.seccomp) TRY(ValidateSeccompAt(*l.seccomp, Child(path, "seccomp")));
  TRY(ValidatePathList(l.masked_paths, Child(path, "maskedPaths")));
  TRY(ValidatePathList(l.readonly_paths, Child(path, "readonlyPaths")));
  if ((!l.masked_paths.empty() || !l.readonly_paths.empty()) &&
      spec.FindNamespace("mount") == nullptr) {
    return FieldError(Child(path, l.masked_paths.empty() ? "readonlyPaths" : "maskedPaths"),
                      "unable to restrict paths without a private mount namespace");
  }
  if (!l.rootfs_propagation.empty() && !Contains(KnownRootfsPropagations(), l.rootfs_propagation)) {
    return FieldError(Child(path, "rootfsPropagation"),
                      "unknown propagation " + Quote(l.rootfs_propagation));
  }
  TRY(ValidatePersonality(l.personality, Child(path, "personality")));
  TRY(ValidateIntelRdt(l.intel_rdt, Child(path, "intelRdt")));
  if (!l.time_offsets.is_null() && spec.FindNamespace("time") == nullptr) {
    return FieldError(Child(path, "timeOffsets"),
                      "time offsets specified, but linux.namespaces has no time namespace");
  }
  return Ok();
}

}  // namespace stockade::oci::internal
