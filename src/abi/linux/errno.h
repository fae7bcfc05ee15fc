// Linux's kernel-internal errnos for interrupted system calls. They never
// reach the application: the Sentry turns them into EINTR or a restart when
// it returns to user mode, as Linux's signal delivery does.
#pragma once

namespace stockade::abi {

inline constexpr int kERESTARTSYS = 512;            // restart if SA_RESTART, else EINTR
inline constexpr int kERESTARTNOINTR = 513;         // always restart
inline constexpr int kERESTARTNOHAND = 514;         // restart only if no handler ran
inline constexpr int kERESTART_RESTARTBLOCK = 516;  // restart through restart_syscall

inline bool IsRestartErrno(int e) {
  return e == kERESTARTSYS || e == kERESTARTNOINTR || e == kERESTARTNOHAND || e == kERESTART_RESTARTBLOCK;
}

}  // namespace stockade::abi
