// HostFs: a host directory the sandbox holds an FD of, walked with
// openat2(RESOLVE_IN_ROOT) beneath it, so no path (symlinks and ".." included)
// resolves outside it. Only the sandbox's private devpts instance is served
// this way (DevPts); the rootfs and bind mounts come from the gofer.
// The Sentry's own credentials apply on the host: it is root in a user
// namespace that maps only the host's nobody, so files owned by unmapped host
// users read as the overflow ID, which this layer reports as root.
#pragma once

#include "base/unique_fd.h"
#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::vfs {

class HostFs : public Filesystem, public std::enable_shared_from_this<HostFs> {
 public:
  HostFs(UniqueFd root, bool read_only) : root_(std::move(root)), read_only_(read_only) {}

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
  bool ReadOnly() const override { return read_only_; }

  // Reports host ownership as the container sees it (see the file comment).
  static void FixOwner(struct stat& st);

 private:
  // An O_PATH (or `flags`) FD for path, resolved inside the root.
  Result<UniqueFd> Resolve(const std::string& path, int flags, bool follow) const;
  // The parent directory's FD and the last component, for *at calls.
  Result<std::pair<UniqueFd, std::string>> Parent(const std::string& path) const;
  Status CheckWritable() const;

  UniqueFd root_;
  bool read_only_;
};

}  // namespace stockade::sentry::vfs
