// Futexes. Keys: (address space, address) for FUTEX_PRIVATE_FLAG, else the
// memory-file offset of the word, so that processes sharing memory
// (MAP_SHARED) meet on the same key.
//
// Lock order: Futexes::mu_ -> MemoryManager::mu_ (the value is read under
// mu_ so a wake between the check and the sleep is never lost).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <mutex>

#include "sentry/vfs/waiter.h"

namespace stockade::sentry::mm {
class MemoryManager;
}

namespace stockade::sentry::kernel {

class Task;

struct FutexKey {
  uintptr_t space;  // MemoryManager* for private keys, 0 for shared
  uint64_t addr;    // address, or memory-file offset
  auto operator<=>(const FutexKey&) const = default;
};

class Futexes {
 public:
  // FUTEX_WAIT(_BITSET): -errno or 0.
  int64_t Wait(Task& t, const FutexKey& key, uint64_t addr, uint32_t val, uint32_t bitset,
               const vfs::Deadline& deadline);
  // FUTEX_WAKE(_BITSET): the number woken.
  int Wake(const FutexKey& key, int n, uint32_t bitset);
  // FUTEX_(CMP_)REQUEUE: wakes n1 and moves up to n2 to key2. With `cmp`,
  // fails with EAGAIN unless *addr == cmp_val.
  int64_t Requeue(mm::MemoryManager& mm, const FutexKey& k1, uint64_t addr, const FutexKey& k2, int n1, int n2,
                  bool cmp, uint32_t cmp_val);

 private:
  struct Waiter {
    Task* task;
    uint32_t bitset;
    bool woken = false;
    FutexKey key;
  };
  std::mutex mu_;
  std::multimap<FutexKey, Waiter*> waiters_;
};

}  // namespace stockade::sentry::kernel
