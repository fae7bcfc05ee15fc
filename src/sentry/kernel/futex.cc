#include "sentry/kernel/futex.h"

#include "abi/linux/errno.h"
#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

int64_t Futexes::Wait(Task& t, const FutexKey& key, uint64_t addr, uint32_t val, uint32_t bitset,
                      const vfs::Deadline& deadline) {
  Waiter w{&t, bitset, false, key};
  {
    std::lock_guard<std::mutex> l(mu_);
    uint32_t cur;
    if (!t.memory().CopyIn(addr, &cur, sizeof cur).ok()) return -EFAULT;
    if (cur != val) return -EAGAIN;
    waiters_.emplace(key, &w);
  }
  while (true) {
    vfs::BlockResult r = t.Block(deadline);
    std::lock_guard<std::mutex> l(mu_);
    if (w.woken) return 0;
    if (r == vfs::BlockResult::kWoken) continue;
    for (auto it = waiters_.lower_bound(w.key); it != waiters_.end() && it->first == w.key; ++it) {
      if (it->second == &w) {
        waiters_.erase(it);
        break;
      }
    }
    return r == vfs::BlockResult::kTimedOut ? -ETIMEDOUT : -abi::kERESTARTSYS;
  }
}

int Futexes::Wake(const FutexKey& key, int n, uint32_t bitset) {
  std::lock_guard<std::mutex> l(mu_);
  int woken = 0;
  for (auto it = waiters_.lower_bound(key); it != waiters_.end() && it->first == key && woken < n;) {
    Waiter* w = it->second;
    if (!(w->bitset & bitset)) {
      ++it;
      continue;
    }
    it = waiters_.erase(it);
    w->woken = true;
    w->task->Notify();
    woken++;
  }
  return woken;
}

int64_t Futexes::Requeue(mm::MemoryManager& mm, const FutexKey& k1, uint64_t addr, const FutexKey& k2, int n1,
                         int n2, bool cmp, uint32_t cmp_val) {
  std::lock_guard<std::mutex> l(mu_);
  if (cmp) {
    uint32_t cur;
    if (!mm.CopyIn(addr, &cur, sizeof cur).ok()) return -EFAULT;
    if (cur != cmp_val) return -EAGAIN;
  }
  int woken = 0, moved = 0;
  for (auto it = waiters_.lower_bound(k1); it != waiters_.end() && it->first == k1;) {
    Waiter* w = it->second;
    if (woken < n1) {
      it = waiters_.erase(it);
      w->woken = true;
      w->task->Notify();
      woken++;
    } else if (moved < n2) {
      it = waiters_.erase(it);
      w->key = k2;
      waiters_.emplace(k2, w);
      moved++;
    } else {
      break;
    }
  }
  return woken + moved;
}

}  // namespace stockade::sentry::kernel
