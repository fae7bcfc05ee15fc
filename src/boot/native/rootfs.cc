#include "boot/native/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <ctime>

#include "base/io.h"
#include "boot/native/devices.h"
#include "boot/native/masks.h"
#include "boot/native/mount_options.h"
#include "boot/native/mounts.h"
#include "boot/native/safe_path.h"
#include "boot/native/sysctl.h"

namespace stockade::native {
namespace {

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

Result<unsigned long> RootPropagation(const oci::Spec& spec) {
  if (!spec.linux || spec.linux->rootfs_propagation.empty()) return 0UL;
  return ParsePropagation(spec.linux->rootfs_propagation);
}

// pivot_root(2) fails if the new root's parent mount is shared, and a shared parent would also
// propagate our rootfs bind mount to the host. Walk up from the rootfs to the mount containing
// it (mount(2) says EINVAL for non-mountpoints) and make that one private (or slave).
Status MakeRootfsParentUnshared(const std::string& rootfs, unsigned long root_propagation) {
  const unsigned long flag = (root_propagation & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
  std::string path = rootfs;
  while (true) {
    if (::mount("", path.c_str(), nullptr, flag, nullptr) == 0) return Ok();
    if (errno != EINVAL || path == "/") {
      return Error::FromErrno("changing propagation of " + Quote(path) + " to " +
                              MountFlagsString(flag));
    }
    path = Dirname(path);
  }
}

// If stdio is the host's /dev/null, swap in the container's (runc: reOpenDevNull), so the
// process holds nothing from the host's /dev.
Status ReopenDevNull() {
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) return Error::FromErrno("opening the container's /dev/null");
  struct stat st;
  if (::fstat(null.get(), &st) != 0) return Error::FromErrno("stat /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    return Error(EINVAL, "container's /dev/null is not the null device");
  }
  for (int fd = 0; fd < 3; ++fd) {
    struct stat cur;
    if (::fstat(fd, &cur) != 0) continue;  // A closed stdio fd stays closed.
    if (S_ISCHR(cur.st_mode) && cur.st_rdev == makedev(1, 3) && ::dup3(null.get(), fd, 0) < 0) {
      return Error::FromErrno("reopening /dev/null as fd " + std::to_string(fd));
    }
  }
  return Ok();
}

// tmpfs and /dev were mounted writable so we could populate them; apply "ro" now. MS_BIND with
// MS_REMOUNT changes only the per-mount flags, which works in a user namespace too.
Status RemountDeferredReadonly(const oci::Spec& spec) {
  for (const auto& m : spec.mounts) {
    MountOptions o = ParseMountOptions(m.options);
    if ((o.flags & MS_RDONLY) == 0) continue;
    const bool bind = (o.flags & MS_BIND) != 0 || m.type == "bind";
    const std::string dest = CleanPath(m.destination);
    if ((bind || m.type != "tmpfs") && dest != "/dev") continue;
    const unsigned long flags = o.flags | MS_REMOUNT | MS_BIND | MS_RDONLY;
    Status st = Ok();
    for (int attempt = 0; attempt < 5; ++attempt) {
      st = DoMount("", dest, "", flags, "");
      if (st.ok() || st.error().code() != EBUSY) break;
      struct timespec ts = {0, 100L * 1000 * 1000};
      nanosleep(&ts, nullptr);
    }
    if (!st.ok()) return st.error().Wrap("remounting " + Quote(dest) + " read-only");
  }
  return Ok();
}

Status SetRootReadonly() {
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (::mount("", "/", nullptr, flags, nullptr) == 0) return Ok();
  // Locked flags (user namespace) must be repeated.
  struct statfs st;
  if (::statfs("/", &st) != 0) return Error::FromErrno("statfs /");
  flags |= StatfsToMountFlags(st.f_flags) & ~MS_STRICTATIME;
  return DoMount("", "/", "", flags, "");
}

}  // namespace

Status PrepareRootfs(const oci::Spec& spec, const std::string& rootfs, const RootfsOptions& opts) {
  ASSIGN_OR_RETURN(unsigned long root_propagation, RootPropagation(spec));
  char real[PATH_MAX];
  if (::realpath(rootfs.c_str(), real) == nullptr) {
    return Error::FromErrno("resolving rootfs " + Quote(rootfs));
  }
  const std::string root_real = real;

  // Nothing we mount from here on may propagate back to the host (runc: rslave by default, so
  // host unmounts still reach the container and don't pin host mounts).
  const unsigned long flag = root_propagation != 0 ? root_propagation : (MS_SLAVE | MS_REC);
  TRY_CTX(DoMount("", "/", "", flag, ""), "preparing rootfs");
  TRY_CTX(MakeRootfsParentUnshared(root_real, root_propagation), "preparing rootfs");
  // pivot_root needs the new root to be a mount point.
  TRY_CTX(DoMount(root_real, root_real, "bind", MS_BIND | MS_REC, ""), "preparing rootfs");

  UniqueFd root_fd(::open(root_real.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return Error::FromErrno("opening rootfs " + Quote(root_real));
  MountContext ctx;
  ctx.root_fd = root_fd.get();
  ASSIGN_OR_RETURN(ctx.root_path, FdPath(root_fd.get()));
  ctx.bundle_dir = opts.bundle_dir.empty() ? AbsPath(".") : opts.bundle_dir;

  for (const auto& m : spec.mounts) {
    TRY_CTX(MountToRootfs(ctx, m),
            "error mounting " + Quote(m.source) + " to rootfs at " + Quote(m.destination));
  }

  if (NeedsSetupDev(spec)) {
    TRY_CTX(CreateDevices(root_fd.get(), DevicesToCreate(spec)), "creating device nodes");
    TRY_CTX(SetupPtmx(root_fd.get()), "setting up /dev/ptmx");
    TRY_CTX(SetupDevSymlinks(root_fd.get()), "setting up /dev symlinks");
  }

  std::string console = opts.console_fd >= 0 ? ProcFdPath(opts.console_fd) : opts.console_path;
  if (!console.empty()) TRY_CTX(MountConsole(root_fd.get(), console), "setting up the console");
  return Ok();
}

Status FinishRootfs(const oci::Spec& spec) {
  // Shared/unbindable must be applied on the new "/" itself; private/slave were already handled
  // in PrepareRootfs, and applying shared earlier would have leaked into the host (runc).
  ASSIGN_OR_RETURN(unsigned long root_propagation, RootPropagation(spec));
  if (root_propagation != 0 && (root_propagation & (MS_PRIVATE | MS_SLAVE)) == 0) {
    TRY_CTX(DoMount("", "/", "", root_propagation, ""), "applying root propagation");
  }
  if (NeedsSetupDev(spec)) TRY(ReopenDevNull());
  // runc creates the cwd, before anything is made read-only.
  if (spec.process && !spec.process->cwd.empty()) {
    TRY_CTX(MkdirAll(CleanPath(spec.process->cwd), 0755), "creating cwd");
  }
  TRY(RemountDeferredReadonly(spec));
  if (spec.root && spec.root->readonly) TRY_CTX(SetRootReadonly(), "making rootfs read-only");

  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    return Error::FromErrno("sethostname " + Quote(spec.hostname));
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0) {
    return Error::FromErrno("setdomainname " + Quote(spec.domainname));
  }
  if (spec.linux) {
    TRY(WriteSysctls(spec.linux->sysctl));
    TRY(ReadonlyPaths(spec.linux->readonly_paths));
    TRY(MaskPaths(spec.linux->masked_paths));
  }
  return Ok();
}

}  // namespace stockade::native
