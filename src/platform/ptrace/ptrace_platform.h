// The ptrace platform: application address spaces are stub processes traced
// with PTRACE_SYSEMU, so every system call of the application stops in the
// Sentry instead of reaching the host. The reference platform: simple and
// correct, not fast (see systrap for that).
#pragma once

#include <memory>

#include "base/result.h"
#include "platform/platform.h"

namespace stockade::platform::ptrace {

// `memory_file_fd` is the Sentry's memory file; it is not closed.
Result<std::unique_ptr<Platform>> NewPtracePlatform(int memory_file_fd);

}  // namespace stockade::platform::ptrace
