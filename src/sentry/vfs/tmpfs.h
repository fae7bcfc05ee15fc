// TmpFs: a file system held in the Sentry's memory (the container's /tmp,
// and /dev's nodes). Symlinks are followed inside the file system only.
//
// Lock order: TmpFs::mu_ is taken alone; files opened on it take it per call.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::vfs {

struct TmpInode;
struct TmpUsage;
using DeviceOpener = std::function<Result<std::shared_ptr<File>>(int flags)>;

class TmpFs : public Filesystem, public std::enable_shared_from_this<TmpFs> {
 public:
  // `magic` is what statfs reports (TMPFS_MAGIC, or e.g. PROC_SUPER_MAGIC
  // for an empty stand-in).
  explicit TmpFs(dev_t dev, mode_t root_mode = 01777, long magic = 0x01021994);

  Result<std::shared_ptr<File>> Open(const std::string& path, const OpenRequest& req) override;
  Result<struct stat> Stat(const std::string& path, bool follow) override;
  Result<std::string> ReadLink(const std::string& path) override;
  Status Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) override;
  Status Mknod(const std::string& path, mode_t mode, dev_t dev, uid_t uid, gid_t gid) override;
  Status Unlink(const std::string& path) override;
  Status Rmdir(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to, unsigned flags) override;
  Status Symlink(const std::string& target, const std::string& path, uid_t uid, gid_t gid) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status Chmod(const std::string& path, mode_t mode, bool follow) override;
  Status Chown(const std::string& path, uid_t uid, gid_t gid, bool follow) override;
  Status Utimens(const std::string& path, const struct timespec times[2], bool follow) override;
  Status Truncate(const std::string& path, uint64_t len) override;
  Result<struct statfs> StatFs() override;
  bool InMemory() const override { return true; }
  // user.*, trusted.* and security.* attributes, as Linux's tmpfs keeps them.
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override;
  Status SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags) override;
  Result<std::vector<std::string>> ListXattr(const std::string& path) override;
  Status RemoveXattr(const std::string& path, const std::string& name) override;

  // Caps the bytes its files hold, as size= does (0: no limit): writes past
  // it fail with ENOSPC, and statfs reports it.
  void SetSizeLimit(uint64_t bytes);

  // A character device node whose opens are served by `open`.
  Status AddDevice(const std::string& path, mode_t mode, dev_t rdev, DeviceOpener open);

  std::mutex& mu() { return mu_; }
  dev_t dev() const { return dev_; }
  struct stat StatLocked(const TmpInode& n) const;

 private:
  Result<std::shared_ptr<TmpInode>> LookupLocked(const std::string& path, bool follow, int depth = 0) const;
  Result<std::pair<std::shared_ptr<TmpInode>, std::string>> ParentLocked(const std::string& path) const;
  std::shared_ptr<TmpInode> NewInodeLocked(mode_t mode, uid_t uid, gid_t gid);

  mutable std::mutex mu_;
  dev_t dev_;
  long magic_;
  uint64_t next_ino_ = 1;
  std::shared_ptr<TmpUsage> usage_;
  std::shared_ptr<TmpInode> root_;
};

// What a tmpfs mount's options ask of the Sentry's tmpfs.
struct TmpfsOptions {
  std::optional<mode_t> mode;  // "mode=OOOO": the root directory's permission bits
  uint64_t size_limit = 0;     // "size=N[k|m|g|t|p|e|%]", in bytes; 0: no limit
};

// Parses a tmpfs mount's options, one per element, the last of each kind winning. A
// malformed mode= or size= is EINVAL, as Linux's tmpfs has it; other options are ignored.
Result<TmpfsOptions> ParseTmpfsOptions(const std::vector<std::string>& options);

// mount(2)'s data, "a,b=c,...", as separate options (empty ones dropped, as Linux does).
std::vector<std::string> SplitMountOptions(const std::string& data);

// The devices of /dev that need no host access.
std::shared_ptr<File> NewNullFile(int flags);
std::shared_ptr<File> NewZeroFile(int flags, bool full);
std::shared_ptr<File> NewRandomFile(int flags);

}  // namespace stockade::sentry::vfs
