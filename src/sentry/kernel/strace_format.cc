#include "sentry/kernel/strace_format.h"

#include <cinttypes>
#include <cstdio>

namespace stockade::sentry::kernel {

// A plain rendering until the syscall table's decoder is wired in.
std::string FormatSyscallEntry(Task&, uint64_t nr, const SyscallArgs& a) {
  char buf[256];
  snprintf(buf, sizeof buf, "syscall %" PRIu64 "(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
           ", %#" PRIx64 ")", nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  return buf;
}

std::string FormatSyscallExit(Task&, uint64_t nr, const SyscallArgs&, int64_t ret) {
  char buf[128];
  snprintf(buf, sizeof buf, "syscall %" PRIu64 " = %" PRId64, nr, ret);
  return buf;
}

}  // namespace stockade::sentry::kernel
