#include "sentry/syscalls/linux/registry.h"

namespace stockade::sentry::syscalls {

void RegisterAllSyscalls(kernel::Kernel& k) {
  RegisterFileSyscalls(k);
  RegisterPollSyscalls(k);
  RegisterProcessSyscalls(k);
  RegisterSignalSyscalls(k);
  RegisterMemorySyscalls(k);
  RegisterTimeSyscalls(k);
  RegisterFutexSyscalls(k);
  RegisterEventFileSyscalls(k);
  RegisterXattrSyscalls(k);
}

}  // namespace stockade::sentry::syscalls
