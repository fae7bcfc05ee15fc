// The container's /dev: device nodes, /dev/ptmx, the /proc/self/fd symlinks and the console.
// All paths are resolved inside the rootfs with safe_path.h (before pivot_root).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::native {

// runc: /dev is populated unless the spec bind-mounts something onto /dev.
bool NeedsSetupDev(const oci::Spec& spec);

// runc's default nodes (null, zero, full, tty, urandom, random; 0666 root:root) followed by
// linux.devices. A spec entry replaces the default with the same path. Pure.
std::vector<oci::Device> DevicesToCreate(const oci::Spec& spec);

// Creates each node: mknod, or (in a user namespace, or when mknod is denied) an empty file
// with the host's node of the same path bind-mounted on it. /dev/ptmx is skipped (SetupPtmx).
Status CreateDevices(int root_fd, const std::vector<oci::Device>& devices);

// /dev/ptmx -> pts/ptmx, so the container's devpts instance is used.
Status SetupPtmx(int root_fd);

// /dev/fd, /dev/std{in,out,err} -> /proc/self/fd/..., and /dev/core -> /proc/kcore when the
// host kernel has /proc/kcore.
Status SetupDevSymlinks(int root_fd);

// Creates /dev/console (an empty 0666 file) and bind-mounts `console` (a pty replica path,
// e.g. "/proc/self/fd/5" or "/dev/pts/3") onto it.
Status MountConsole(int root_fd, const std::string& console);

// True when this process is in a user namespace other than the initial one.
bool RunningInUserNamespace();

}  // namespace stockade::native
