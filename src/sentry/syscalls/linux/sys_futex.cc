// futex(2): wait/wake/requeue with bitsets, private and shared.
#include <linux/futex.h>
#include <sys/syscall.h>

#include "abi/linux/errno.h"
#include "sentry/syscalls/linux/sys_common.h"

namespace stockade::sentry::syscalls {
namespace {

Result<kernel::FutexKey> KeyFor(Task& t, uint64_t addr, bool priv) {
  if (addr & 3) return Error(EINVAL, "");
  if (priv) return kernel::FutexKey{reinterpret_cast<uintptr_t>(t.mm.get()), addr};
  ASSIGN_OR_RETURN(uint64_t off, t.memory().FileOffsetOf(addr));
  return kernel::FutexKey{0, off};
}

// FUTEX_WAKE_OP's operation on the second word, and its comparison.
Result<bool> ApplyWakeOp(Task& t, uint64_t addr2, uint32_t encoded) {
  int op = (encoded >> 28) & 7;
  int cmp = (encoded >> 24) & 15;
  int32_t oparg = static_cast<int32_t>(encoded << 8) >> 20;  // sign-extended 12 bits
  int32_t cmparg = static_cast<int32_t>(encoded << 20) >> 20;
  if ((encoded >> 28) & 8) {  // FUTEX_OP_OPARG_SHIFT
    if (oparg < 0 || oparg > 31) oparg &= 31;
    oparg = 1 << oparg;
  }
  if (addr2 & 3) return Error(EINVAL, "");
  uint32_t old;
  TRY(t.memory().CopyIn(addr2, &old, 4));
  uint32_t v;
  switch (op) {
    case FUTEX_OP_SET: v = static_cast<uint32_t>(oparg); break;
    case FUTEX_OP_ADD: v = old + static_cast<uint32_t>(oparg); break;
    case FUTEX_OP_OR: v = old | static_cast<uint32_t>(oparg); break;
    case FUTEX_OP_ANDN: v = old & ~static_cast<uint32_t>(oparg); break;
    case FUTEX_OP_XOR: v = old ^ static_cast<uint32_t>(oparg); break;
    default: return Error(ENOSYS, "");
  }
  TRY(t.memory().CopyOut(addr2, &v, 4));
  int32_t o = static_cast<int32_t>(old);
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: return o == cmparg;
    case FUTEX_OP_CMP_NE: return o != cmparg;
    case FUTEX_OP_CMP_LT: return o < cmparg;
    case FUTEX_OP_CMP_LE: return o <= cmparg;
    case FUTEX_OP_CMP_GT: return o > cmparg;
    case FUTEX_OP_CMP_GE: return o >= cmparg;
  }
  return Error(ENOSYS, "");
}

// Priority-inheritance futexes, without the priority part (the Sentry does
// not schedule): the word holds the owner's TID and FUTEX_WAITERS; waiters
// sleep on the word and retry when the owner unlocks.
int64_t LockPi(Task& t, uint64_t addr, bool priv, bool try_only, const vfs::Deadline& deadline) {
  if (addr & 3) return -EINVAL;
  auto& futexes = t.kernel->futexes;
  while (true) {
    uint32_t word;
    SYS_TRY(t.memory().CopyIn(addr, &word, 4));
    uint32_t owner = word & FUTEX_TID_MASK;
    if (owner == static_cast<uint32_t>(t.tid)) return -EDEADLK;
    if (owner == 0) {
      uint32_t mine = static_cast<uint32_t>(t.tid) | (word & FUTEX_WAITERS);
      SYS_TRY(t.memory().CopyOut(addr, &mine, 4));
      return 0;
    }
    if (try_only) return -EAGAIN;
    {
      std::lock_guard<std::mutex> l(t.kernel->mu);
      if (!t.kernel->TaskByTidLocked(static_cast<int>(owner)) && !(word & FUTEX_OWNER_DIED)) return -ESRCH;
    }
    uint32_t marked = word | FUTEX_WAITERS;
    if (marked != word) SYS_TRY(t.memory().CopyOut(addr, &marked, 4));
    SYS_ASSIGN(auto key, KeyFor(t, addr, priv));
    int64_t r = futexes.Wait(t, key, addr, marked, FUTEX_BITSET_MATCH_ANY, deadline);
    if (r == -ETIMEDOUT || r == -abi::kERESTARTSYS) return r == -abi::kERESTARTSYS ? -EINTR : r;
    if (r < 0 && r != -EAGAIN) return r;
  }
}

int64_t UnlockPi(Task& t, uint64_t addr, bool priv) {
  if (addr & 3) return -EINVAL;
  uint32_t word;
  SYS_TRY(t.memory().CopyIn(addr, &word, 4));
  if ((word & FUTEX_TID_MASK) != static_cast<uint32_t>(t.tid)) return -EPERM;
  uint32_t zero = 0;
  SYS_TRY(t.memory().CopyOut(addr, &zero, 4));
  if (word & FUTEX_WAITERS) {
    SYS_ASSIGN(auto key, KeyFor(t, addr, priv));
    t.kernel->futexes.Wake(key, 1, FUTEX_BITSET_MATCH_ANY);
  }
  return 0;
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
    case FUTEX_WAKE_OP: {
      SYS_ASSIGN(auto k1, KeyFor(t, addr, priv));
      SYS_ASSIGN(auto k2, KeyFor(t, a[4], priv));
      SYS_ASSIGN(bool wake2, ApplyWakeOp(t, a[4], static_cast<uint32_t>(a[5])));
      int n = futexes.Wake(k1, static_cast<int>(std::min<uint32_t>(val, INT32_MAX)), FUTEX_BITSET_MATCH_ANY);
      if (wake2) n += futexes.Wake(k2, static_cast<int>(std::min<uint64_t>(a[3] & 0xffffffff, INT32_MAX)), FUTEX_BITSET_MATCH_ANY);
      return n;
    }
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: {
      vfs::Deadline deadline;
      if (cmd != FUTEX_TRYLOCK_PI && a[3]) {
        struct timespec ts;
        SYS_TRY(t.memory().CopyIn(a[3], &ts, sizeof ts));
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -EINVAL;
        // LOCK_PI's timeout is absolute on CLOCK_REALTIME (LOCK_PI2: MONOTONIC unless REALTIME).
        bool rt = cmd == FUTEX_LOCK_PI || realtime;
        int64_t abs = ts.tv_sec * 1000000000ll + ts.tv_nsec;
        int64_t now = kernel::NowNs(rt ? CLOCK_REALTIME : CLOCK_MONOTONIC);
        deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(std::max<int64_t>(0, abs - now));
      }
      return LockPi(t, addr, priv, cmd == FUTEX_TRYLOCK_PI, deadline);
    }
    case FUTEX_UNLOCK_PI:
      return UnlockPi(t, addr, priv);
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI:
      return -ENOSYS;
    default:
      return -ENOSYS;
  }
}

}  // namespace

void RegisterFutexSyscalls(Kernel& k) { k.SetSyscall(SYS_futex, Futex); }

}  // namespace stockade::sentry::syscalls
