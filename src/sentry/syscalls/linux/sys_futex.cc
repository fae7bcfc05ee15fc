// futex(2): wait/wake/requeue with bitsets, private and shared.
#include <linux/futex.h>
#include <sys/syscall.h>

#include "sentry/syscalls/linux/sys_common.h"

namespace stockade::sentry::syscalls {
namespace {

Result<kernel::FutexKey> KeyFor(Task& t, uint64_t addr, bool priv) {
  if (addr & 3) return Error(EINVAL, "");
  if (priv) return kernel::FutexKey{reinterpret_cast<uintptr_t>(t.mm.get()), addr};
  ASSIGN_OR_RETURN(uint64_t off, t.memory().FileOffsetOf(addr));
  return kernel::FutexKey{0, off};
}

int64_t Futex(Task& t, const SyscallArgs& a) {
  uint64_t addr = a[0];
  int op = static_cast<int>(a[1]);
  uint32_t val = static_cast<uint32_t>(a[2]);
  bool priv = op & FUTEX_PRIVATE_FLAG;
  bool realtime = op & FUTEX_CLOCK_REALTIME;
  int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
      cmd != FUTEX_LOCK_PI2) {
    return -ENOSYS;
  }
  auto& futexes = t.kernel->futexes;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
      uint32_t bitset = cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : static_cast<uint32_t>(a[5]);
      if (bitset == 0) return -EINVAL;
      vfs::Deadline deadline;
      if (a[3]) {
        struct timespec ts;
        SYS_TRY(t.memory().CopyIn(a[3], &ts, sizeof ts));
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -EINVAL;
        auto rel = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
        if (cmd == FUTEX_WAIT) {
          deadline = std::chrono::steady_clock::now() + rel;
        } else {
          // Absolute on CLOCK_MONOTONIC or, with FUTEX_CLOCK_REALTIME, CLOCK_REALTIME.
          int64_t now = kernel::NowNs(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
          int64_t abs = ts.tv_sec * 1000000000ll + ts.tv_nsec;
          deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(std::max<int64_t>(0, abs - now));
        }
      }
      SYS_ASSIGN(auto key, KeyFor(t, addr, priv));
      return futexes.Wait(t, key, addr, val, bitset, deadline);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : static_cast<uint32_t>(a[5]);
      if (bitset == 0) return -EINVAL;
      SYS_ASSIGN(auto key, KeyFor(t, addr, priv));
      return futexes.Wake(key, static_cast<int>(std::min<uint32_t>(val, INT32_MAX)), bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      if (static_cast<int32_t>(val) < 0 || static_cast<int32_t>(a[3]) < 0) return -EINVAL;
      SYS_ASSIGN(auto k1, KeyFor(t, addr, priv));
      SYS_ASSIGN(auto k2, KeyFor(t, a[4], priv));
      return futexes.Requeue(t.memory(), k1, addr, k2, static_cast<int>(val), static_cast<int>(a[3]),
                             cmd == FUTEX_CMP_REQUEUE, static_cast<uint32_t>(a[5]));
    }
    case FUTEX_WAKE_OP:
    case FUTEX_LOCK_PI:
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI:
    case FUTEX_LOCK_PI2:
      return -ENOSYS;
    default:
      return -ENOSYS;
  }
}

}  // namespace

void RegisterFutexSyscalls(Kernel& k) { k.SetSyscall(SYS_futex, Futex); }

}  // namespace stockade::sentry::syscalls
