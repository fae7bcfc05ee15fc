// Installs every handler into the kernel's syscall table.
#pragma once

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::syscalls {

void RegisterAllSyscalls(kernel::Kernel& k);

void RegisterFileSyscalls(kernel::Kernel& k);
void RegisterPollSyscalls(kernel::Kernel& k);
void RegisterProcessSyscalls(kernel::Kernel& k);
void RegisterSignalSyscalls(kernel::Kernel& k);
void RegisterMemorySyscalls(kernel::Kernel& k);
void RegisterTimeSyscalls(kernel::Kernel& k);
void RegisterFutexSyscalls(kernel::Kernel& k);
void RegisterEventFileSyscalls(kernel::Kernel& k);
void RegisterXattrSyscalls(kernel::Kernel& k);

}  // namespace stockade::sentry::syscalls
