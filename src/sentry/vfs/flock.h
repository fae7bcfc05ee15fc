// BSD file locks (flock(2)): shared or exclusive, held by an open file
// description (so dup'd and inherited FDs share them) on a file identified by
// its device and inode, and released when the description goes away.
// Within one sandbox they are exact; locks taken by other processes on the
// host are not seen (the rootfs is the container's own).
//
// Lock order: FlockTable::mu_ is a leaf (waiting happens outside it).
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <set>

#include "base/result.h"
#include "sentry/mm/mappable.h"
#include "sentry/vfs/waiter.h"

namespace stockade::sentry::vfs {

class FlockTable {
 public:
  static FlockTable& Get();

  using Key = mm::FileId;

  // LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB. A conflicting lock waits
  // (interruptibly: ERESTARTSYS) or fails with EWOULDBLOCK. Converting a held
  // lock first releases it, as Linux does.
  Status Lock(Key key, const void* owner, int op, Waiter& w);
  // Drops every lock `owner` holds (its description is being released).
  void ReleaseAll(const void* owner);

 private:
  struct Locks {
    std::set<const void*> shared;
    const void* exclusive = nullptr;
  };
  void UnlockLocked(Key key, const void* owner);

  std::mutex mu_;
  std::map<Key, Locks> locks_;
  WaitQueue released_;  // notified whenever a lock goes
};

}  // namespace stockade::sentry::vfs
