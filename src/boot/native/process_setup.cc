#include "boot/native/process_setup.h"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>

#include "base/io.h"
#include "base/log.h"
#include "boot/native/capabilities.h"
#include "boot/native/rlimits.h"

namespace stockade::native {
namespace {

std::string Join(const std::vector<uint32_t>& v) {
  std::string out;
  for (uint32_t x : v) out += (out.empty() ? "" : " ") + std::to_string(x);
  return "[" + out + "]";
}

Status SetOomScoreAdj(int value) {
  auto st = WriteExisting("/proc/self/oom_score_adj", std::to_string(value));
  if (!st.ok())
    return Error(st.error().code(), "setting oom_score_adj to " + std::to_string(value));
  return Ok();
}

// The container user should own its terminal/pipes (runc: fixStdioPermissions). Failures that
// only mean "not ours to change" are ignored, as in runc.
Status FixStdioPermissions(uid_t uid) {
  for (int fd = 0; fd < 3; ++fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) continue;
    const bool dev_null = S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
    if (st.st_uid == uid || dev_null) continue;
    if (::fchown(fd, uid, static_cast<gid_t>(-1)) != 0 && errno != EPERM && errno != EROFS &&
        errno != EINVAL) {
      return Error::FromErrno("chown of stdio fd " + std::to_string(fd));
    }
  }
  return Ok();
}

// Since Linux 3.19 a user namespace may have setgroups(2) disabled ("deny" in
// /proc/self/setgroups). Unknown (no /proc in the container) counts as "maybe denied".
enum class Setgroups { kAllowed, kDenied, kUnknown };

Setgroups SetgroupsState() {
  auto s = ReadFile("/proc/self/setgroups");
  if (!s.ok()) return Setgroups::kUnknown;
  return s->rfind("deny", 0) == 0 ? Setgroups::kDenied : Setgroups::kAllowed;
}

Status SetupUser(const oci::User& u) {
  TRY(FixStdioPermissions(u.uid));
  // Called whenever allowed, even with no additional gids, to drop the runtime's own groups.
  const Setgroups state = SetgroupsState();
  bool denied = state == Setgroups::kDenied;
  if (!denied) {
    std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0) {
      if (errno != EPERM || state == Setgroups::kAllowed) {
        return Error::FromErrno("setgroups " + Join(u.additional_gids));
      }
      denied = true;
    }
  }
  if (denied && !u.additional_gids.empty()) {
    LOG_WARN("setgroups is denied in this user namespace; ignoring additional gids %s",
             Join(u.additional_gids).c_str());
  }
  if (::setresgid(u.gid, u.gid, u.gid) != 0) {
    if (errno == EINVAL) {
      return Error(EINVAL,
                   "cannot setgid to unmapped gid " + std::to_string(u.gid) + " in user namespace");
    }
    return Error::FromErrno("setresgid to " + std::to_string(u.gid));
  }
  if (::setresuid(u.uid, u.uid, u.uid) != 0) {
    if (errno == EINVAL) {
      return Error(EINVAL,
                   "cannot setuid to unmapped uid " + std::to_string(u.uid) + " in user namespace");
    }
    return Error::FromErrno("setresuid to " + std::to_string(u.uid));
  }
  return Ok();
}

// getcwd(2) reports "(unreachable)" (glibc: ENOENT) for a cwd outside our root: e.g. a cwd of
// "/proc/self/fd/N" naming a leaked host directory FD (CVE-2024-21626).
Status VerifyCwd() {
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) == nullptr) {
    if (errno == ENOENT) {
      return Error(EPERM,
                   "current working directory is outside of container mount namespace "
                   "root -- possible container breakout detected");
    }
    return Error::FromErrno("failed to verify if current working directory is safe");
  }
  if (buf[0] != '/') {
    return Error(EPERM,
                 "current working directory is not absolute -- possible container "
                 "breakout detected: cwd is \"" +
                     std::string(buf) + "\"");
  }
  return Ok();
}

Error ChdirError(const std::string& cwd) {
  return Error::FromErrno("chdir to cwd (\"" + cwd + "\") set in config.json failed");
}

}  // namespace

Status InstallSeccomp(const ProcessOptions& opts) {
  if (opts.seccomp == nullptr) return Ok();
  if (opts.compiled_seccomp != nullptr) {
    TRY_CTX(LoadCompiledSeccomp(*opts.compiled_seccomp), "unable to init seccomp");
    return Ok();
  }
  TRY_CTX(LoadSeccomp(*opts.seccomp, opts.on_seccomp_notify), "unable to init seccomp");
  return Ok();
}

Status ApplyProcess(const oci::Process& p, const ProcessOptions& opts) {
  if (p.oom_score_adj) TRY(SetOomScoreAdj(*p.oom_score_adj));
  TRY(ApplyRlimits(p.rlimits));
  ::umask(p.user.umask.value_or(022));
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error::FromErrno("prctl(PR_SET_NO_NEW_PRIVS)");
  }
  // setuid clears the parent-death signal; the supervisor relies on it.
  int pdeath = 0;
  if (::prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) != 0) return Error::FromErrno("PR_GET_PDEATHSIG");

  if (!p.no_new_privileges) TRY(InstallSeccomp(opts));

  bool chdir_later = false;
  if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) != 0) {
    if (errno != EACCES && errno != EPERM) return ChdirError(p.cwd);
    chdir_later = true;
  }

  caps::CapabilitySets sets;
  if (p.capabilities) {
    std::vector<std::string> ignored;
    sets = ResolveCapabilities(*p.capabilities, &ignored);
    if (!ignored.empty()) {
      std::string names;
      for (const auto& n : ignored) names += (names.empty() ? "" : " ") + n;
      LOG_WARN("ignoring unknown or unavailable capabilities: [%s]", names.c_str());
    }
    TRY_CTX(caps::DropBoundingSet(sets.bounding), "unable to apply bounding set");
  }
  // Keep the permitted set across setuid so the final sets can still be granted below.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::FromErrno("unable to set keep caps");
  TRY_CTX(SetupUser(p.user), "unable to setup user");
  if (chdir_later && ::chdir(p.cwd.c_str()) != 0) return ChdirError(p.cwd);
  TRY(VerifyCwd());
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
    return Error::FromErrno("unable to clear keep caps");
  }
  if (p.capabilities) TRY_CTX(caps::ApplyCapabilities(sets), "unable to apply caps");
  if (pdeath != 0 && ::prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) != 0) {
    return Error::FromErrno("can't restore pdeath signal");
  }
  return Ok();
}

}  // namespace stockade::native
