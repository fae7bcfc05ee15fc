// The vocabulary of an allowlist .inc file (allowlist.h), for the one function
// that expands it. Include this right before the .inc, with a SeccompAllowlist
// named `allowlist` in scope in a function returning Status, and
// allowlist_macros_end.h right after.
#include "seccomp/allowlist.h"

// libseccomp's SCMP_Ax(op, datum) leaves the second datum out by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define ALLOW(name, reason) TRY(allowlist.Allow(#name));
#define ALLOW_IF(name, reason, ...) TRY(allowlist.Allow(#name, {__VA_ARGS__}));
#define DENY_ERRNO(name, err, reason) TRY(allowlist.DenyErrno(#name, err));
