// EnterRootfs: switching the process's root to the prepared rootfs.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "base/io.h"
#include "boot/native/mountinfo.h"
#include "boot/native/mounts.h"
#include "boot/native/rootfs.h"
#include "boot/native/safe_path.h"

namespace stockade::native {
namespace {

// pivot_root(".", ".") stacks the old root on top of the new one at "/"; after that our cwd is
// the old root, which we detach. No directory needs to exist in the rootfs for this (LXC's trick,
// used by runc).
Status PivotRoot(int new_root) {
  UniqueFd old_root(::open("/", O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!old_root.valid()) return Error::FromErrno("opening the old root");
  if (::fchdir(new_root) != 0) return Error::FromErrno("chdir to the rootfs");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error::FromErrno("pivot_root");
  // The kernel leaves cwd at the old root today, but makes no promise; be explicit.
  if (::fchdir(old_root.get()) != 0) return Error::FromErrno("chdir to the old root");
  // rslave, not rprivate, so the unmount below cannot propagate to the host while the host can
  // still unmount things we would otherwise pin (runc).
  TRY(DoMount("", ".", "", MS_SLAVE | MS_REC, "", "old root"));
  if (::umount2(".", MNT_DETACH) != 0) return Error::FromErrno("unmounting the old root");
  if (::chdir("/") != 0) return Error::FromErrno("chdir to the new root");
  return Ok();
}

// runc --no-pivot. chroot leaves the host's mounts reachable in this mount namespace, and the
// kernel allows a new procfs/sysfs mount if a full one is visible anywhere in the namespace; so
// first get rid of (or cover) every full proc/sysfs mount outside the rootfs.
Status MoveRoot(const std::string& rootfs) {
  ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ReadMountInfo());
  for (const auto& m : mounts) {
    if (m.root != "/" || (m.fstype != "proc" && m.fstype != "sysfs")) continue;
    if (IsLexicallyInRoot(rootfs, m.mount_point)) continue;
    const char* p = m.mount_point.c_str();
    if (::mount("", p, nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
      // An earlier detach removed a parent of this mount.
      if (errno == ENOENT) continue;
      return Error::FromErrno("making " + m.mount_point + " rslave");
    }
    if (::umount2(p, MNT_DETACH) != 0) {
      if (errno != EINVAL && errno != EPERM) return Error::FromErrno("unmounting " + m.mount_point);
      // Locked mounts (user namespace) cannot be unmounted; cover them.
      TRY(DoMount("tmpfs", m.mount_point, "tmpfs", 0, ""));
    }
  }
  TRY(DoMount(rootfs, "/", "", MS_MOVE, ""));
  if (::chroot(".") != 0) return Error::FromErrno("chroot");
  if (::chdir("/") != 0) return Error::FromErrno("chdir to the new root");
  return Ok();
}

}  // namespace

Status EnterRootfs(const std::string& rootfs, bool no_pivot) {
  char real[PATH_MAX];
  if (::realpath(rootfs.c_str(), real) == nullptr) {
    return Error::FromErrno("resolving rootfs \"" + rootfs + "\"");
  }
  UniqueFd root(::open(real, O_DIRECTORY | O_PATH | O_CLOEXEC));
  if (!root.valid()) return Error::FromErrno("opening rootfs \"" + rootfs + "\"");
  if (::fchdir(root.get()) != 0) return Error::FromErrno("chdir to rootfs \"" + rootfs + "\"");
  Status st = no_pivot ? MoveRoot(real) : PivotRoot(root.get());
  if (!st.ok()) return st.error().Wrap("error jailing process inside rootfs");
  return Ok();
}

}  // namespace stockade::native
