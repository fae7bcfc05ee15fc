// Rootfs setup for the native platform, in three steps the supervisor calls in order, in the
// container's init child (single-threaded, in its own fresh mount namespace):
//
//   PrepareRootfs   mounts, /dev, console          (host paths still visible)
//     ... the supervisor runs prestart/createRuntime/createContainer hooks here ...
//   EnterRootfs     pivot_root (or MS_MOVE+chroot)
//   FinishRootfs    read-only remounts, hostname, sysctls, readonly/masked paths
//
// This split mirrors runc's prepareRootfs / pivotRoot / finalizeRootfs + standard_init.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::native {

struct RootfsOptions {
  // Relative bind-mount sources are resolved against this (runc runs in the bundle dir).
  // Empty means the current directory.
  std::string bundle_dir;
  // The console (pty replica) to bind-mount onto /dev/console. console_fd wins when >= 0; it is
  // mounted through /proc/self/fd/N so the pty need not be visible by path.
  int console_fd = -1;
  std::string console_path;
};

// `rootfs` is the absolute host path of the container's root. Must run in a fresh mount
// namespace (otherwise the propagation change below would reach the host's).
Status PrepareRootfs(const oci::Spec& spec, const std::string& rootfs, const RootfsOptions& opts);

// Makes `rootfs` the process's "/": pivot_root(".", ".") and a lazy unmount of the old root, or
// with no_pivot (runc --no-pivot) MS_MOVE onto "/" and chroot, after covering the host's
// proc/sysfs mounts so they cannot be reached through the leftover mount namespace.
Status EnterRootfs(const std::string& rootfs, bool no_pivot);

// Runs after EnterRootfs, inside the new root.
Status FinishRootfs(const oci::Spec& spec);

}  // namespace stockade::native
