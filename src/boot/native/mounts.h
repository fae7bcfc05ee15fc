// Mounting the spec's mounts into the rootfs (before pivot_root), runc-compatible.
//
// Every destination is resolved with safe_path.h inside the rootfs and mounted through
// /proc/self/fd/N, so a symlink planted in the image (or swapped in during setup) can never make
// a mount land outside the rootfs.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::native {

struct MountContext {
  int root_fd = -1;        // O_PATH FD of the rootfs, after it was bind-mounted onto itself.
  std::string root_path;   // The rootfs as the kernel names it (readlink of root_fd).
  std::string bundle_dir;  // Relative bind sources are taken relative to this, as runc does.
};

// Mounts one spec entry. Read-only for tmpfs and /dev is deferred to FinishRootfs (runc: the
// runtime still has to create files there).
Status MountToRootfs(const MountContext& ctx, const oci::Mount& m);

// mount(2) with an error naming source, target, type and flags.
Status DoMount(const std::string& source, const std::string& target, const std::string& fstype,
               unsigned long flags, const std::string& data, const std::string& shown_target = "");

// runc's checkProcMount, on a destination already resolved inside the root (e.g. "/proc/sys"):
// only a procfs may cover /proc itself, and nothing may be mounted below /proc except the few
// files lxcfs emulates. Without this, a mount could hide /proc/self/attr or /proc/sys from the
// masks and the LSM, or fake them.
Status CheckProcMount(const std::string& dest_in_root, const std::string& type, bool is_bind,
                      bool source_is_procfs);

// statfs(2) f_flags (ST_*) -> MS_* flags, as runc's statfsToMountFlags.
unsigned long StatfsToMountFlags(unsigned long st_flags);

// True if /sys/fs/cgroup is a cgroup2 mount (unified hierarchy).
bool HostIsCgroup2Unified();

}  // namespace stockade::native
