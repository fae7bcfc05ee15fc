#include "boot/isolation.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "base/io.h"
#include "caps/process_capabilities.h"

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

}  // namespace

Status IsolateSandbox(const boot_api::BootConfig& cfg, int* devpts_dir) {
  // The namespaces (user as nobody, mount, IPC, UTS, PID, and net for --network=none) were
  // made by the launcher: it can write our ID maps, and only a process born into a PID
  // namespace can have threads there.
  if (!cfg.chroot_empty) return Ok();
  TRY(ChrootEmpty(devpts_dir));
  // The Sentry needs no privilege once its root is in place: it emulates every privileged
  // operation itself. Dropped before the platform forks its stub factory, so the stubs have
  // none either. The bounding set goes first: emptying it needs CAP_SETPCAP.
  TRY(caps::DropBoundingSet(0));
  TRY(caps::ApplyCapabilities(caps::CapabilitySets{}));
  // Also what lets the sandbox load its seccomp filter without CAP_SYS_ADMIN.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::FromErrno("no_new_privs");
  return Ok();
}

}  // namespace stockade::boot
