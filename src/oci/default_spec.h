// The starter config.json of `stockade spec`: runc's example spec (libcontainer/specconv),
// with hostname "stockade", the cgroup namespace always on, and Docker's default seccomp
// profile added.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace stockade::oci {

// The spec version we write and the newest we read.
// The newest runtime-spec version we read (features' ociVersionMax).
inline constexpr const char* kSpecVersion = "1.2.0";
// The version `stockade spec` writes: what runc 1.1 and podman write, so that bundles made
// here also run under runc and crun (crun 1.8 refuses newer versions).
inline constexpr const char* kDefaultSpecVersion = "1.0.2";

// `rootless` applies runc's `spec --rootless` changes for the calling user: a user namespace
// mapping container root to the caller's euid/egid, no network namespace (no host
// privileges to configure one), /sys bind-mounted instead of a new sysfs, no uid=/gid= mount
// options, and no cgroup resources.
nlohmann::json DefaultSpec(bool rootless);
// The same, mapping container root to `host_uid`/`host_gid` when rootless.
nlohmann::json DefaultSpec(bool rootless, uint32_t host_uid, uint32_t host_gid);

// The linux.seccomp object of DefaultSpec: Docker's default profile for x86 (x86_64, x86,
// x32), default action EPERM. See default_seccomp.cc for what it blocks and why.
nlohmann::json DefaultSeccompProfile();

}  // namespace stockade::oci
