// The sandbox's own seccomp filter on the Sentry platforms (seccomp_allowlist.inc).
#pragma once

#include "base/result.h"

namespace stockade::boot {

// Loads the allowlist on every thread of the sandbox; anything else kills it.
// Call it once the platform exists (its stub factory must not inherit the
// filter) and before the Sentry reads anything from the gofer or the
// application. Needs no_new_privs (IsolateSandbox sets it).
Status LoadSandboxAllowlist();

}  // namespace stockade::boot
