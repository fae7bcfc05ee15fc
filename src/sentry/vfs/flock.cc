#include "sentry/vfs/flock.h"

#include <sys/file.h>

#include "abi/linux/errno.h"

namespace stockade::sentry::vfs {

FlockTable& FlockTable::Get() {
  static FlockTable* table = new FlockTable();  // lives as long as the Sentry
  return *table;
}

void FlockTable::UnlockLocked(Key key, const void* owner) {
  auto it = locks_.find(key);
  if (it == locks_.end()) return;
  Locks& l = it->second;
  bool had = l.shared.erase(owner) > 0;
  if (l.exclusive == owner) {
    l.exclusive = nullptr;
    had = true;
  }
  if (l.shared.empty() && !l.exclusive) locks_.erase(it);
  if (had) released_.NotifyAll();
}

Status FlockTable::Lock(Key key, const void* owner, int op, Waiter& w) {
  bool nb = op & LOCK_NB;
  op &= ~LOCK_NB;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (op == LOCK_UN) {
      UnlockLocked(key, owner);
      return Ok();
    }
    auto it = locks_.find(key);
    if (it != locks_.end()) {
      Locks& l = it->second;
      // Already held in this mode: nothing to do.
      if ((op == LOCK_EX && l.exclusive == owner) || (op == LOCK_SH && l.shared.count(owner))) return Ok();
    }
    UnlockLocked(key, owner);  // a conversion starts by dropping the old lock
  }
  while (true) {
    WaitEntry entry(released_, &w);
    {
      std::lock_guard<std::mutex> g(mu_);
      Locks& l = locks_[key];
      bool free = op == LOCK_SH ? l.exclusive == nullptr : (l.exclusive == nullptr && l.shared.empty());
      if (free) {
        if (op == LOCK_SH) l.shared.insert(owner);
        else l.exclusive = owner;
        return Ok();
      }
      if (nb) return Error(EWOULDBLOCK, "");
    }
    if (w.Block(std::nullopt) == BlockResult::kInterrupted) return Error(abi::kERESTARTSYS, "");
  }
}

void FlockTable::ReleaseAll(const void* owner) {
  std::lock_guard<std::mutex> g(mu_);
  bool any = false;
  for (auto it = locks_.begin(); it != locks_.end();) {
    Locks& l = it->second;
    if (l.shared.erase(owner) || l.exclusive == owner) {
      any = true;
      if (l.exclusive == owner) l.exclusive = nullptr;
    }
    if (l.shared.empty() && !l.exclusive) it = locks_.erase(it);
    else ++it;
  }
  if (any) released_.NotifyAll();
}

}  // namespace stockade::sentry::vfs
