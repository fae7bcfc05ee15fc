// Credentials and process attributes of the container process (runc's finalizeNamespace and the
// parts of standard_init around it). Runs after FinishRootfs, single-threaded.
#pragma once

#include <functional>
#include <vector>

#include "base/result.h"
#include "boot/native/seccomp.h"
#include "oci/spec.h"

namespace stockade::native {

struct ProcessOptions {
  // linux.seccomp, or null. Loaded by ApplyProcess when noNewPrivileges is false (loading then
  // needs CAP_SYS_ADMIN, so it must happen before the capability drop), otherwise by ExecProcess
  // right before execve, so the profile constrains as few runtime syscalls as possible.
  const oci::Seccomp* seccomp = nullptr;
  // The same filter compiled ahead of time (see seccomp.h); used instead of building it here.
  const CompiledSeccomp* compiled_seccomp = nullptr;
  // Receives the SCMP_ACT_NOTIFY listener FD (see LoadSeccomp).
  SeccompNotifyHandler on_seccomp_notify;
  // ExecProcess calls this after resolving the executable and before loading a late seccomp
  // filter and execve: the supervisor waits for `start` here. Its syscalls are therefore not
  // subject to a noNewPrivileges profile.
  std::function<Status()> before_exec;
  // FDs 3 .. 3+preserve_fds-1 are passed to the container (runc --preserve-fds, LISTEN_FDS).
  int preserve_fds = 0;
  // Other FDs ExecProcess must not close (e.g. the supervisor's error pipe); they are made
  // close-on-exec instead. Every other FD is closed before execve (CVE-2024-21626).
  std::vector<int> keep_fds;
};

// In runc's order:
//   oom_score_adj, rlimits, umask (0022 when unset, as runc), no_new_privs,
//   seccomp (only without noNewPrivileges),
//   chdir(cwd) as root (retried after the uid change on EACCES, so a directory only the
//   container user can enter works, runc's behaviour),
//   bounding set, PR_SET_KEEPCAPS, stdio ownership, setgroups (skipped where the user namespace
//   denies it), setresgid, setresuid, check that cwd is inside the root, capabilities
//   (effective/permitted/inheritable, then ambient), restore the parent-death signal.
// process.capabilities absent leaves capabilities untouched (runc >= 1.2).
Status ApplyProcess(const oci::Process& p, const ProcessOptions& opts);

// Loads the seccomp filter of `opts` (compiled or not); no-op without one.
Status InstallSeccomp(const ProcessOptions& opts);

}  // namespace stockade::native
