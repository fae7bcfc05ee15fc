#include "boot/isolation.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "base/io.h"

namespace stockade::boot {
namespace {

// A devpts instance of our own for the container's terminals, kept only as a
// directory FD: mounted, opened and detached again, so it is in no directory
// of ours and no pty of the host's is reachable. -1 if devpts cannot be
// mounted here (terminals then fail with a clear error).
int OpenPrivateDevpts(const char* dir) {
  if (mount("devpts", dir, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0) return -1;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  umount2(dir, MNT_DETACH);
  return fd;
}

Status ChrootEmpty(int* devpts_dir) {
  // A private tmpfs, made read-only, is the whole visible filesystem.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    return Error::FromErrno("making mounts slave");
  }
  const char* dir = "/tmp";
  *devpts_dir = OpenPrivateDevpts(dir);
  if (mount("stockade-root", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0) {
    return Error::FromErrno("mounting sandbox root tmpfs");
  }
  if (mount(nullptr, dir, nullptr, MS_REMOUNT | MS_RDONLY | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return Error::FromErrno("making sandbox root read-only");
  }
  if (chdir(dir) != 0 || chroot(".") != 0 || chdir("/") != 0) return Error::FromErrno("chroot");
  return Ok();
}

// The Sentry needs no privilege once its root is in place: it emulates every
// privileged operation itself. Dropping them here, before the platform forks its stub
// factory, leaves the stubs none either. The bounding set goes first (it needs
// CAP_SETPCAP); without that capability (a rootless sandbox) it is already as small as
// it can be made.
Status DropAllCapabilities() {
  for (int c = 0; c <= CAP_LAST_CAP; ++c) {
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM) {
      return Error::FromErrno("dropping capability " + std::to_string(c) + " from the bounding set");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return Error::FromErrno("clearing ambient capabilities");
  }
  std::unique_ptr<struct _cap_struct, int (*)(void*)> none(cap_init(), cap_free);
  if (!none) return Error::FromErrno("cap_init");
  if (cap_set_proc(none.get()) != 0) return Error::FromErrno("dropping capabilities");
  return Ok();
}

}  // namespace

Status IsolateSandbox(const boot_api::BootConfig& cfg, int* devpts_dir) {
  // The namespaces (user as nobody, mount, IPC, UTS, PID, and net for --network=none) were
  // made by the launcher: it can write our ID maps, and only a process born into a PID
  // namespace can have threads there.
  if (!cfg.chroot_empty) return Ok();
  TRY(ChrootEmpty(devpts_dir));
  TRY(DropAllCapabilities());
  // Also what lets the sandbox load its seccomp filter without CAP_SYS_ADMIN.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::FromErrno("no_new_privs");
  return Ok();
}

}  // namespace stockade::boot
