// The systrap platform: the application runs in the same stub processes as
// under ptrace (platform/ptrace/stub_process.h), but its threads are not
// traced while they run. Each stub thread has a seccomp filter that traps
// (SIGSYS) every system call not made from the stub's own code, and a
// handler in the stub code (stub.S) that saves the registers into the
// thread's message slot (platform/ptrace/sysmsg.h), wakes the Sentry with a
// futex and waits for it to write the registers to resume with. Faults and
// the interrupt signal take the same handler. Patched syscall sites enter
// the same slot through a fast path in the stub code, without a signal.
#pragma once

#include <memory>

#include "base/result.h"
#include "platform/platform.h"

namespace stockade::platform::systrap {

// `memory_file_fd` is the Sentry's memory file; it is not closed.
// `patch_syscalls`: offer the fast path to patched syscall sites
// (Platform::SyscallPatchEntry); off with --systrap-no-patch.
Result<std::unique_ptr<Platform>> NewSystrapPlatform(int memory_file_fd, bool patch_syscalls = true);

}  // namespace stockade::platform::systrap
