// --strace: one debug-log line per system call and one per result.
#include <cinttypes>

#include "base/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/strace_format.h"

namespace stockade::sentry::kernel {

void StraceEntry(Task& t, uint64_t nr, const SyscallArgs& a) {
  t.kernel->config().strace("[" + std::to_string(t.tid) + "] " + FormatSyscallEntry(t, nr, a));
}

void StraceExit(Task& t, uint64_t nr, const SyscallArgs& a, int64_t ret) {
  t.kernel->config().strace("[" + std::to_string(t.tid) + "] " + FormatSyscallExit(t, nr, a, ret));
}

}  // namespace stockade::sentry::kernel
