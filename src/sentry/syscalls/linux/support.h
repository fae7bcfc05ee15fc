// The support status of every amd64 system call, for docs/compatibility.md.
// "supported" and "unsupported" come from the handler table itself (a number
// with no handler returns ENOSYS); "partial" entries carry the note below.
#pragma once

#include <string>
#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/syscall_names.h"

namespace stockade::sentry::syscalls {

enum class Support { kSupported, kPartial, kUnsupported };

struct SyscallStatus {
  int nr;
  std::string name;
  Support support;
  std::string note;
};

// Every number the host's <asm/unistd_64.h> defines, with its status in `k`.
std::vector<SyscallStatus> SyscallTable(const kernel::Kernel& k);

// The markdown section generated from the table.
std::string RenderSupportMarkdown(const std::vector<SyscallStatus>& table);

}  // namespace stockade::sentry::syscalls
