#include "gofer/confine.h"

#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "seccomp/allowlist.h"

namespace stockade::gofer {
namespace {

// What serving files as root needs: ownership of created files, access
// whatever the files' modes, and chmod/utimes of files it does not own.
constexpr cap_value_t kKeptCaps[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID};

// Needs CAP_SETPCAP, so it comes before the change of uid clears the effective set.
Status DropBoundingSet() {
  int last = CAP_LAST_CAP;
  for (int c = 0; c <= last; ++c) {
    bool keep = false;
    for (cap_value_t k : kKeptCaps) keep |= (k == c);
    if (!keep && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
      return Error::FromErrno("dropping capability " + std::to_string(c) + " from the bounding set");
    }
  }
  return Ok();
}

// Effective and permitted become exactly kKeptCaps; inheritable and ambient are empty.
Status KeepOnlyServingCapabilities() {
  std::unique_ptr<struct _cap_struct, int (*)(void*)> caps(cap_init(), cap_free);
  if (!caps) return Error::FromErrno("cap_init");
  int n = static_cast<int>(sizeof kKeptCaps / sizeof kKeptCaps[0]);
  if (cap_set_flag(caps.get(), CAP_EFFECTIVE, n, kKeptCaps, CAP_SET) != 0 ||
      cap_set_flag(caps.get(), CAP_PERMITTED, n, kKeptCaps, CAP_SET) != 0) {
    return Error::FromErrno("cap_set_flag");
  }
  if (cap_set_proc(caps.get()) != 0) return Error::FromErrno("dropping capabilities");
  return Ok();
}

// Root in the gofer's own user namespace (runtime/gofer.cc maps every ID onto itself)
// serves as nobody, keeping only the file capabilities; as anyone else it stays who it is.
Status BecomeNobody() {
  if (geteuid() != 0) return Ok();
  constexpr uid_t kNobody = 65534;
  constexpr gid_t kNogroup = 65534;
  // Keep the permitted set across the change of uid; DropCapabilities trims it afterwards.
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
  TRY(DropBoundingSet());
  TRY(BecomeNobody());
  TRY(KeepOnlyServingCapabilities());
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Error::FromErrno("no_new_privs");
  return LoadSeccompAllowlist();
}

}  // namespace stockade::gofer
