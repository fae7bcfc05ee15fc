#include "boot/isolation.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/io.h"

namespace stockade::boot {
namespace {

constexpr uid_t kNobody = 65534;

// Maps our (root) identity to nobody on the host: inside the new namespace we are uid 0 with
// capabilities over nothing the host owns.
Status EnterUserNamespaceAsNobody() {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  (void)uid;
  (void)gid;
  if (unshare(CLONE_NEWUSER) != 0) return Error::FromErrno("creating user namespace");
  // A process can write its own maps only for its own IDs unless privileged in the parent ns;
  // as root in the parent we may map host nobody.
  TRY(WriteExisting("/proc/self/setgroups", "deny"));
  TRY(WriteExisting("/proc/self/uid_map", "0 " + std::to_string(kNobody) + " 1\n"));
  TRY(WriteExisting("/proc/self/gid_map", "0 " + std::to_string(kNobody) + " 1\n"));
  return Ok();
}

Status ChrootEmpty() {
  // A private tmpfs, made read-only, is the whole visible filesystem.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    return Error::FromErrno("making mounts slave");
  }
  const char* dir = "/tmp";
  if (mount("stockade-root", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0) {
    return Error::FromErrno("mounting sandbox root tmpfs");
  }
  if (mount(nullptr, dir, nullptr, MS_REMOUNT | MS_RDONLY | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return Error::FromErrno("making sandbox root read-only");
  }
  if (chdir(dir) != 0 || chroot(".") != 0 || chdir("/") != 0) return Error::FromErrno("chroot");
  return Ok();
}

}  // namespace

Status IsolateSandbox(const boot_api::BootConfig& cfg) {
  if (cfg.userns_nobody) TRY(EnterUserNamespaceAsNobody());
  if (cfg.chroot_empty || cfg.userns_nobody) {
    int flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID;
    if (cfg.network == "none") flags |= CLONE_NEWNET;
    if (unshare(flags) != 0) return Error::FromErrno("creating sandbox namespaces");
  }
  if (cfg.chroot_empty) TRY(ChrootEmpty());
  return Ok();
}

}  // namespace stockade::boot
