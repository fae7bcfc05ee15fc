#include "sentry/kernel/strace_format.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "base/error.h"
#include "sentry/kernel/syscall_names.h"

namespace stockade::sentry::kernel {

namespace {
std::string Name(uint64_t nr) {
  const char* n = NameOfSyscall(nr);
  return n ? n : "syscall_" + std::to_string(nr);
}
}  // namespace

// Names and raw arguments (path and buffer decoding is still to come).
std::string FormatSyscallEntry(Task&, uint64_t nr, const SyscallArgs& a) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ")",
           Name(nr).c_str(), a[0], a[1], a[2], a[3], a[4], a[5]);
  return buf;
}

std::string FormatSyscallExit(Task&, uint64_t nr, const SyscallArgs&, int64_t ret) {
  char buf[160];
  if (ret < 0 && ret > -4096) {
    snprintf(buf, sizeof buf, "%s = -1 %s", Name(nr).c_str(), ErrnoName(static_cast<int>(-ret)));
  } else {
    snprintf(buf, sizeof buf, "%s = %" PRId64 " (%#" PRIx64 ")", Name(nr).c_str(), ret, static_cast<uint64_t>(ret));
  }
  return buf;
}

}  // namespace stockade::sentry::kernel
