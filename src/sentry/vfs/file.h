// File: an open file description, as the application's FDs refer to it.
// Implementations live next to their file systems (host_fs, tmpfs, pipe, ...).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/mm/mappable.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/waiter.h"

namespace stockade::sentry::vfs {

class Dentry;

struct Dirent {
  uint64_t ino;
  uint8_t type;  // DT_*
  std::string name;
};

class File : public std::enable_shared_from_this<File> {
 public:
  explicit File(int flags) : flags_(flags) {}
  virtual ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // O_ACCMODE bits plus the status flags (O_APPEND, O_NONBLOCK, ...).
  int flags() const { return flags_.load(); }
  // F_SETFL: only the status flags Linux lets change.
  void SetStatusFlags(int f) {
    constexpr int kMutable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
    flags_ = (flags_.load() & ~kMutable) | (f & kMutable);
  }
  bool readable() const { return (flags() & O_ACCMODE) != O_WRONLY && !(flags() & O_PATH); }
  bool writable() const { return (flags() & O_ACCMODE) != O_RDONLY && !(flags() & O_PATH); }

  // Reads and writes at (and advancing) the file position.
  virtual Result<size_t> Read(Waiter& w, void* buf, size_t len);
  virtual Result<size_t> Write(Waiter& w, const void* buf, size_t len);
  // At an explicit offset; ESPIPE for streams.
  virtual Result<size_t> PRead(void* buf, size_t len, uint64_t off);
  virtual Result<size_t> PWrite(const void* buf, size_t len, uint64_t off);
  virtual Result<int64_t> Seek(int64_t off, int whence);
  virtual Result<struct stat> Stat() = 0;
  virtual Result<struct statfs> StatFs();
  // All entries, "." and ".." included; getdents walks them with dir_pos.
  virtual Result<std::vector<Dirent>> ReadDir();
  virtual Status Truncate(uint64_t len);
  // fallocate(2) on a regular file, its arguments checked: mode 0 (allocate,
  // growing the file), FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | KEEP_SIZE.
  virtual Status Allocate(int mode, uint64_t off, uint64_t len) { return Error(EOPNOTSUPP, ""); }
  // fsync(2); EINVAL for files with no fsync operation (pipes, devices,
  // anonymous files), as Linux has it.
  virtual Status Sync() { return Error(EINVAL, ""); }
  virtual Status Chmod(mode_t mode);
  virtual Status Chown(uid_t uid, gid_t gid);
  // Terminal and FIONREAD-like requests; `arg` is an application address
  // copied through mm.
  virtual Result<int64_t> Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg);
  virtual Result<std::shared_ptr<mm::Mappable>> Mappable();
  // Readiness for poll: POLLIN/POLLOUT/POLLHUP...
  virtual short Readiness(short events) { return events & (POLLIN_ | POLLOUT_); }

  // How a waiter learns that Readiness may have changed (see ReadinessWait):
  //  - Pollable: the file has a poll operation of its own (epoll_ctl refuses
  //    the others with EPERM, as for regular files and /dev/null);
  //  - HostPollFd: a host FD whose own readiness is the file's, or -1;
  //  - ReadinessQueues: Sentry queues notified on every change;
  //  - ReadinessGeneration: changes whenever the file's state does (edge-
  //    triggered epoll reports a Sentry file again only after a change).
  virtual bool Pollable() const { return false; }
  virtual int HostPollFd() const { return -1; }
  virtual void ReadinessQueues(std::vector<WaitQueue*>* out) {}
  virtual uint64_t ReadinessGeneration() const { return 0; }

  // Where a file opened by path is in the mount tree (it follows renames,
  // and unlink or rmdir mark it removed), and the mount point of the file
  // system that holds it; set by the opener (kernel::OpenAt). Null for
  // pipes, sockets and anonymous files.
  std::shared_ptr<Dentry> dentry;
  std::string mount_point;
  // The name of a file with no place in the mount tree ("pipe:[N]",
  // "anon_inode:[eventpoll]"), or the one a file system that names its own
  // files gave it (Filesystem::NamesOpenedFiles).
  std::string name;

  // The opener's credentials (kernel::Credentials::serial), or 0.
  uint64_t opener_creds = 0;

  bool HasMountPath() const { return dentry != nullptr; }
  // Its current container path ("" when it has none; the last one once removed).
  std::string MountPath() const;
  // Its current path inside its file system ("/" is the mount's root).
  std::string FsPath() const;
  // What /proc/PID/fd/N and maps show: the path (with " (deleted)" once
  // removed), or else the name.
  std::string DisplayName() const;
  // Whether its name was removed (unlink, rmdir, a rename over it).
  bool Removed() const;
  uint64_t dir_pos = 0;
  std::mutex pos_mu;  // serializes read/write/seek on this description, as f_pos_lock
  // Set once a flock(2) or OFD record lock was taken through this
  // description, whose locks then go with it.
  std::atomic<bool> has_locks{false};

  static constexpr short POLLIN_ = 0x001;
  static constexpr short POLLOUT_ = 0x004;

 private:
  std::atomic<int> flags_;
};

}  // namespace stockade::sentry::vfs
