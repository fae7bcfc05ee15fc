// Isolation of the sandbox process itself on the Sentry platforms, per runsc's sandbox.go:
// nobody in a new user namespace (when we may set IDs), new mount/IPC/UTS/PID namespaces,
// and an empty, read-only chroot. On `native` the sandbox only supervises, so it skips this.
#pragma once

#include "base/result.h"
#include "boot/api/api.h"

namespace stockade::boot {

// Applies the isolation the config asks for, in the calling (single-threaded) process.
Status IsolateSandbox(const boot_api::BootConfig& cfg);

}  // namespace stockade::boot
