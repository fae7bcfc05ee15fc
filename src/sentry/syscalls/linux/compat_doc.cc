// stockade-compat-doc: prints the system-call section of docs/compatibility.md
// from the Sentry's syscall table.
#include <cstdio>

#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/linux/registry.h"
#include "sentry/syscalls/linux/support.h"

int main() {
  using namespace stockade::sentry;
  kernel::Kernel k{kernel::KernelConfig{}};
  syscalls::RegisterAllSyscalls(k);
  fputs(syscalls::RenderSupportMarkdown(syscalls::SyscallTable(k)).c_str(), stdout);
  return 0;
}
