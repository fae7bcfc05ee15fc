#include "boot/native/masks.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include <set>

#include "boot/native/mounts.h"
#include "boot/native/safe_path.h"

namespace stockade::native {
namespace {

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

Status VerifyDevNull() {
  struct stat st;
  if (::stat("/dev/null", &st) != 0) return Error::FromErrno("stat /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    return Error(EINVAL, "container's /dev/null is not the null device");
  }
  return Ok();
}

Status MaskDir(const std::string& path) {
  // The smallest tmpfs possible; some kernels (Ubuntu 5.4) reject nr_inodes=1 (runc retries too).
  Status st = DoMount("tmpfs", path, "tmpfs", MS_RDONLY, "nr_blocks=1,nr_inodes=1");
  if (st.ok()) return st;
  return DoMount("tmpfs", path, "tmpfs", MS_RDONLY, "nr_blocks=1,nr_inodes=2");
}

}  // namespace

Status MaskPaths(const std::vector<std::string>& paths) {
  if (paths.empty()) return Ok();
  TRY_CTX(VerifyDevNull(), "masking paths");
  std::set<std::string> done;
  for (const auto& p : paths) {
    const std::string clean = CleanPath(p);
    if (!done.insert(clean).second) continue;
    struct stat st;
    if (::stat(clean.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return Error::FromErrno("masking " + Quote(p));
    }
    Status s = S_ISDIR(st.st_mode) ? MaskDir(clean) : DoMount("/dev/null", clean, "", MS_BIND, "");
    // The path may vanish between stat and mount (procfs entries of exiting tasks).
    if (!s.ok() && s.error().code() != ENOENT) return s.error().Wrap("masking " + Quote(p));
  }
  return Ok();
}

Status ReadonlyPaths(const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    const std::string clean = CleanPath(p);
    Status bind = DoMount(clean, clean, "", MS_BIND | MS_REC, "");
    if (!bind.ok()) {
      if (bind.error().code() == ENOENT) continue;
      return bind.error().Wrap("making " + Quote(p) + " read-only");
    }
    struct statfs sfs;
    if (::statfs(clean.c_str(), &sfs) != 0) return Error::FromErrno("statfs " + Quote(p));
    const unsigned long current = StatfsToMountFlags(sfs.f_flags);
    unsigned long flags =
        (current & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) | MS_BIND | MS_REMOUNT | MS_RDONLY;
    Status ro = DoMount(clean, clean, "", flags, "");
    if (!ro.ok() && ro.error().code() == EPERM) {
      // In a user namespace locked atime flags must be repeated too.
      flags |= current & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME | MS_NODIRATIME);
      ro = DoMount(clean, clean, "", flags, "");
    }
    if (!ro.ok()) return ro.error().Wrap("making " + Quote(p) + " read-only");
  }
  return Ok();
}

}  // namespace stockade::native
