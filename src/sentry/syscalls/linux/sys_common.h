// Helpers shared by the syscall handlers.
#pragma once

#include <cerrno>

#include "base/result.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/path_ops.h"

namespace stockade::sentry::syscalls {

using kernel::Kernel;
using kernel::SyscallArgs;
using kernel::Task;

// access_ok: [addr, addr+len) lies below TASK_SIZE_MAX (4-level paging), as
// Linux checks a user buffer before it waits or copies anything.
inline constexpr uint64_t kTaskSize = 0x7ffffffff000ull;
inline bool AccessOk(uint64_t addr, uint64_t len) { return len <= kTaskSize && addr <= kTaskSize - len; }

// -errno of a failed Result (EFAULT etc.), for `return Err(r);`.
inline int64_t Err(const Error& e) { return -static_cast<int64_t>(e.code() ? e.code() : EIO); }

// RETURN_IF_ERROR-like: binds a Result's value or returns -errno.
#define SYS_ASSIGN(lhs, expr)                                        \
  auto STOCKADE_CONCAT(_sr_, __LINE__) = (expr);                     \
  if (!STOCKADE_CONCAT(_sr_, __LINE__).ok())                         \
    return ::stockade::sentry::syscalls::Err(STOCKADE_CONCAT(_sr_, __LINE__).error()); \
  lhs = std::move(STOCKADE_CONCAT(_sr_, __LINE__)).value()

#define SYS_TRY(expr)                                                \
  do {                                                               \
    auto _st = (expr);                                               \
    if (!_st.ok()) return ::stockade::sentry::syscalls::Err(_st.error()); \
  } while (0)

}  // namespace stockade::sentry::syscalls
