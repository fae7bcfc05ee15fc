// linux.sysctl: only sysctls that live in one of the container's own namespaces may be set,
// or the container would reconfigure the host. The rules are runc's.
#include <sys/stat.h>

#include <array>
#include <cerrno>

#include "oci/json_fields.h"
#include "oci/names.h"
#include "oci/validate_internal.h"

namespace stockade::oci::internal {
namespace {

// IPC-namespaced sysctls outside fs.mqueue.*; runc's list exactly.
constexpr std::array<const char*, 8> kIpcSysctls = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// sysctl(8) also accepts "/" as the separator ("net/ipv4/ip_forward"); then a "." inside a
// component (an interface name like "eno2.100") is literal. Normalise to the "." form.
std::string ToDotted(const std::string& key) {
  const size_t first = key.find_first_of("./");
  if (first == std::string::npos || key[first] == '.') return key;
  std::string out = key;
  for (char& c : out) {
    if (c == '.') {
      c = '/';
    } else if (c == '/') {
      c = '.';
    }
  }
  return out;
}

// Whether the container would stay in the caller's network namespace. runc compares the joined
// namespace with its own ("host" means "current" here, not "initial").
Result<bool> UsesHostNetwork(const Spec& spec) {
  const Namespace* net = spec.FindNamespace("network");
  if (net == nullptr) return true;
  if (net->path.empty()) return false;
  struct stat self;
  struct stat joined;
  if (::stat("/proc/self/ns/net", &self) != 0) return Error::FromErrno("stat /proc/self/ns/net");
  if (::stat(net->path.c_str(), &joined) != 0) {
    return Error::FromErrno("network namespace path " + Quote(net->path));
  }
  return self.st_dev == joined.st_dev && self.st_ino == joined.st_ino;
}

}  // namespace

Status ValidateSysctlAt(const Spec& spec, const std::string& path) {
  if (!spec.linux) return Ok();
  std::optional<bool> host_network;  // Probed once, on the first net.* key.
  for (const auto& [raw_key, value] : spec.linux->sysctl) {
    const std::string at = MapKey(path, raw_key);
    const std::string key = ToDotted(raw_key);
    bool ipc = StartsWith(key, "fs.mqueue.");
    for (const char* k : kIpcSysctls) ipc = ipc || key == k;
    if (ipc) {
      if (spec.FindNamespace("ipc") == nullptr) {
        return FieldError(at,
                          "sysctl " + Quote(key) + " is not allowed in the host's IPC namespace");
      }
      continue;
    }
    if (StartsWith(key, "net.")) {
      if (!host_network) {
        auto host = UsesHostNetwork(spec);
        if (!host.ok()) return host.error().Wrap(at);
        host_network = *host;
      }
      if (*host_network) {
        return FieldError(
            at, "sysctl " + Quote(key) + " is not allowed in the host's network namespace");
      }
      continue;
    }
    if (spec.FindNamespace("uts") != nullptr) {
      // domainname is namespaced and has no OCI field in 1.0; hostname has one, and two ways
      // of setting it would conflict.
      if (key == "kernel.domainname") continue;
      if (key == "kernel.hostname") {
        return FieldError(at,
                          "sysctl \"kernel.hostname\" is not allowed: it conflicts with the "
                          "\"hostname\" field");
      }
    }
    return FieldError(at, "sysctl " + Quote(key) + " is not in a separate kernel namespace");
  }
  return Ok();
}

}  // namespace stockade::oci::internal
