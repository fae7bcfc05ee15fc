// amd64 system call numbers and names (from the host's <asm/unistd_64.h>).
#pragma once

#include <cstdint>
#include <span>

namespace stockade::sentry::kernel {

struct SyscallName {
  int nr;
  const char* name;
};

std::span<const SyscallName> SyscallNames();
// The name of `nr`, or nullptr if no such system call exists.
const char* NameOfSyscall(uint64_t nr);

}  // namespace stockade::sentry::kernel
