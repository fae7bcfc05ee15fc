// GoferFs: a file system served by `stockade gofer` (the rootfs, or a bind
// mount): the Sentry never opens a host path itself. Metadata operations are
// requests to the gofer; a regular file's I/O goes through the host FD the
// gofer donates at open. Directories are listed by request, never donated.
//
// Ownership is the host's, as the gofer reports it: the Sentry's own view of a
// donated FD (fstat as nobody in its user namespace) would show unmapped
// owners, so files keep the owner the gofer reported.
//
// With `cache_walks` (a read-only rootfs, e.g. the memory overlay's lower
// layer) walks and listings are remembered: the Sentry changes nothing there,
// and the image is the container's alone, as runsc's exclusive file access
// assumes of the rootfs. Bind mounts, which the host may change, are asked
// every time.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>
#include <string>

#include "sentry/fsimpl/gofer/gofer_client.h"
#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::fsimpl {

class GoferFs : public vfs::Filesystem, public std::enable_shared_from_this<GoferFs> {
 public:
  GoferFs(std::shared_ptr<GoferClient> client, bool read_only, bool cache_walks = false)
      : client_(std::move(client)), read_only_(read_only), cache_walks_(read_only && cache_walks) {}

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
  // user.* attributes, kept on the host file; other namespaces EOPNOTSUPP.
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override;
  Status SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags) override;
  Result<std::vector<std::string>> ListXattr(const std::string& path) override;
  Status RemoveXattr(const std::string& path, const std::string& name) override;
  bool ReadOnly() const override { return read_only_; }

  Result<std::vector<vfs::Dirent>> ListDir(const std::string& path) override;
  // For the files opened on it.
  Status SetAttr(gofer::Request r);

 private:
  // One walk request; `path` is clean and absolute within the file system.
  Result<vfs::FsWalk> WalkWire(const std::string& path, size_t skip);
  Status Simple(gofer::Request r);

  // One walk's reply, as the gofer gave it (cached with cache_walks_).
  struct RawWalk {
    gofer::WalkReply reply;
    std::string target;
  };
  Result<RawWalk> WalkRaw(const std::string& path);
  Result<std::vector<vfs::Dirent>> ReadDirWire(const std::string& path);

  std::shared_ptr<GoferClient> client_;
  bool read_only_;
  bool cache_walks_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, RawWalk> walks_;
  std::unordered_map<std::string, std::vector<vfs::Dirent>> listings_;
};

}  // namespace stockade::sentry::fsimpl
