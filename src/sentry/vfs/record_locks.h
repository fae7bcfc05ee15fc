// POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK) and their open-file-
// description variants (F_OFD_*), on byte ranges of a file identified by its
// device and inode. A POSIX lock's owner is the FD table it was taken through
// (Linux's files_struct): closing any FD of the file in that table, or the
// table going away, releases them. An OFD lock's owner is the open file
// description. As with flock, locks taken by host processes are not seen.
//
// Lock order: RecordLockTable::mu_ is a leaf (waiting happens outside it).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "base/result.h"
#include "sentry/mm/mappable.h"
#include "sentry/vfs/waiter.h"

namespace stockade::sentry::vfs {

class RecordLockTable {
 public:
  static RecordLockTable& Get();

  using Key = mm::FileId;
  struct Lock {
    const void* owner;
    bool ofd;
    int type;        // F_RDLCK or F_WRLCK
    uint64_t start;  // first byte
    uint64_t end;    // last byte (UINT64_MAX: to the end of any file)
    int pid;         // for F_GETLK (-1 for OFD locks)
  };

  // Sets (F_RDLCK/F_WRLCK) or clears (F_UNLCK) [start, end] for `owner`,
  // replacing what it held there. A conflicting lock of another owner
  // fails with EAGAIN, or with `wait` blocks (ERESTARTSYS if interrupted).
  Status Set(Key key, const Lock& want, bool wait, Waiter& w);
  // The first lock of another owner that conflicts with `want`.
  std::optional<Lock> Test(Key key, const Lock& want);
  // Drops `owner`'s locks on one file, or on every file.
  void Release(Key key, const void* owner);
  void ReleaseAll(const void* owner);

 private:
  static bool Conflicts(const Lock& a, const Lock& b);
  // Removes owner's coverage of [start, end] from `locks`, splitting as needed.
  static bool Subtract(std::vector<Lock>& locks, const void* owner, uint64_t start, uint64_t end);

  std::mutex mu_;
  std::map<Key, std::vector<Lock>> files_;
  WaitQueue changed_;  // notified whenever locks go away
};

}  // namespace stockade::sentry::vfs
