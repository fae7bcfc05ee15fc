// Isolation of the sandbox process itself on the Sentry platforms, per runsc's sandbox.go:
// nobody in new user/mount/IPC/UTS/PID namespaces (made by the launcher, which writes the ID
// maps), then here an empty, read-only chroot, no capabilities and no_new_privs (the
// seccomp allowlist follows once the platform exists: sandbox_seccomp.h). On `native` the sandbox
// supervises host-kernel containers and keeps what that needs, so it skips this.
#pragma once

#include "base/result.h"
#include "boot/api/api.h"

namespace stockade::boot {

// Applies the isolation the config asks for, in the calling (single-threaded) process.
// *devpts_dir receives a directory FD of a devpts instance private to the sandbox (the
// Sentry's terminals), or stays -1. It is the only directory the sandbox holds.
Status IsolateSandbox(const boot_api::BootConfig& cfg, int* devpts_dir);

}  // namespace stockade::boot
