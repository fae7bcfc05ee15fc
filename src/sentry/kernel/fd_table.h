// FdTable: the application's file descriptors. Shared between tasks cloned
// with CLONE_FILES; copied on fork.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "sentry/vfs/file.h"

namespace stockade::sentry::kernel {

class FdTable {
 public:
  FdTable() = default;
  ~FdTable();
  FdTable(const FdTable&) = delete;
  FdTable& operator=(const FdTable&) = delete;

  struct Entry {
    std::shared_ptr<vfs::File> file;
    bool cloexec = false;
  };

  // The lowest free FD >= min_fd below `limit` (RLIMIT_NOFILE): EMFILE if none.
  Result<int> Install(std::shared_ptr<vfs::File> f, bool cloexec, int min_fd, uint64_t limit);
  // dup2/dup3: replaces whatever was at `fd`; EBADF if fd >= limit.
  Status InstallAt(int fd, std::shared_ptr<vfs::File> f, bool cloexec, uint64_t limit);
  std::shared_ptr<vfs::File> Get(int fd, bool* cloexec = nullptr) const;
  Status SetCloexec(int fd, bool cloexec);
  // Removes and returns the file (its last reference may then close it,
  // outside our lock).
  Result<std::shared_ptr<vfs::File>> Remove(int fd);
  void CloseRange(unsigned first, unsigned last, bool cloexec_only);
  void CloseOnExec();
  std::shared_ptr<FdTable> Fork() const;
  std::vector<int> Fds() const;
  size_t Count() const;
  // A POSIX record lock was taken through this table: closing an FD then
  // drops the table's locks on that FD's file (Linux's locks_remove_posix).
  void NotePosixLock() { posix_locks_ = true; }

 private:
  // After FDs left the table: their files' POSIX locks of ours go.
  void Closed(const std::vector<std::shared_ptr<vfs::File>>& files);
  std::atomic<bool> posix_locks_{false};
  mutable std::mutex mu_;
  std::map<int, Entry> fds_;
};

}  // namespace stockade::sentry::kernel
