// GoferFs: a file system served by `stockade gofer` (the rootfs, or a bind
// mount): the Sentry never opens a host path itself. Metadata operations are
// requests to the gofer; a regular file's I/O goes through the host FD the
// gofer donates at open. Directories are listed by request, never donated.
//
// Ownership is the host's, as the gofer reports it: the Sentry's own view of a
// donated FD (fstat as nobody in its user namespace) would show unmapped
// owners, so files keep the owner the gofer reported.
#pragma once

#include <memory>
#include <string>

#include "sentry/fsimpl/gofer/gofer_client.h"
#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::fsimpl {

class GoferFs : public vfs::Filesystem, public std::enable_shared_from_this<GoferFs> {
 public:
  GoferFs(std::shared_ptr<GoferClient> client, bool read_only) : client_(std::move(client)), read_only_(read_only) {}

  Result<vfs::FsWalk> Walk(const std::string& dir, const std::vector<std::string>& comps) override;
  Result<std::shared_ptr<vfs::File>> Open(const std::string& path, const vfs::OpenRequest& req) override;
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

  // For the files opened on it.
  Result<std::vector<vfs::Dirent>> ReadDir(const std::string& path);
  Status SetAttr(gofer::Request r);

 private:
  // One walk request; `path` is clean and absolute within the file system.
  Result<vfs::FsWalk> WalkWire(const std::string& path, size_t skip);
  Status Simple(gofer::Request r);

  std::shared_ptr<GoferClient> client_;
  bool read_only_;
};

}  // namespace stockade::sentry::fsimpl
