// Formatting of --strace lines (names and decoded arguments).
#pragma once

#include <string>

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

std::string FormatSyscallEntry(Task& t, uint64_t nr, const SyscallArgs& a);
std::string FormatSyscallExit(Task& t, uint64_t nr, const SyscallArgs& a, int64_t ret);

}  // namespace stockade::sentry::kernel
