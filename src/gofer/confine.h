// The gofer's confinement, applied after it has opened every root and before
// it reads any request.
#pragma once

#include <string>

#include "base/result.h"

namespace stockade::gofer {

// A mount namespace of its own (nothing propagates back to the host), a
// chroot into `rootfs`, umask 0 (modes arrive with the application's umask
// applied), nobody (when it is root of the user namespace the CLI made for it),
// only the file capabilities it serves with, no new privileges and the seccomp
// allowlist (seccomp_allowlist.inc).
Status Confine(const std::string& rootfs);

// The allowlist as a loaded filter, alone (for tests: a process that calls
// anything else is killed).
Status LoadSeccompAllowlist();

}  // namespace stockade::gofer
