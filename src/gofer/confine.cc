#include "gofer/confine.h"

#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps/process_capabilities.h"
#include "seccomp/allowlist.h"

namespace stockade::gofer {
namespace {

// What serving files as root needs: ownership of created files, access
// whatever the files' modes, and chmod/utimes of files it does not own.
constexpr uint64_t kServingCaps = (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_DAC_OVERRIDE) |
                                  (uint64_t{1} << CAP_DAC_READ_SEARCH) | (uint64_t{1} << CAP_FOWNER) |
                                  (uint64_t{1} << CAP_FSETID);

// Root in the gofer's own user namespace (runtime/gofer.cc maps every ID onto itself)
// serves as nobody, keeping only the file capabilities; as anyone else it stays who it is.
Status BecomeNobody() {
  if (geteuid() != 0) return Ok();
  constexpr uid_t kNobody = 65534;
  constexpr gid_t kNogroup = 65534;
  // Keep the permitted set across the change of uid; ApplyCapabilities trims it afterwards.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::FromErrno("PR_SET_KEEPCAPS");
  if (setgroups(0, nullptr) != 0) return Error::FromErrno("dropping supplementary groups");
  if (setresgid(kNogroup, kNogroup, kNogroup) != 0) return Error::FromErrno("becoming group nogroup");
  if (setresuid(kNobody, kNobody, kNobody) != 0) return Error::FromErrno("becoming nobody");
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::FromErrno("clearing PR_SET_KEEPCAPS");
  return Ok();
}

}  // namespace

Status LoadSeccompAllowlist() {
  ASSIGN_OR_RETURN(auto allowlist, seccomp::SeccompAllowlist::Create(SCMP_ACT_KILL_PROCESS));
#include "seccomp/allowlist_macros.h"
#include "gofer/seccomp_allowlist.inc"
#include "seccomp/allowlist_macros_end.h"
  return allowlist.Load(/*all_threads=*/false);
}

Status Confine(const std::string& rootfs) {
  if (unshare(CLONE_NEWNS) != 0) return Error::FromErrno("unshare(CLONE_NEWNS)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) return Error::FromErrno("making mounts slave");
  if (chdir(rootfs.c_str()) != 0 || chroot(".") != 0 || chdir("/") != 0) {
    return Error::FromErrno("chroot into \"" + rootfs + "\"");
  }
  umask(0);
  // The bounding set needs CAP_SETPCAP, so it is trimmed before the change of uid.
  TRY(caps::DropBoundingSet(kServingCaps));
  TRY(BecomeNobody());
  TRY(caps::ApplyCapabilities({.effective = kServingCaps, .permitted = kServingCaps}));
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::FromErrno("no_new_privs");
  return LoadSeccompAllowlist();
}

}  // namespace stockade::gofer
