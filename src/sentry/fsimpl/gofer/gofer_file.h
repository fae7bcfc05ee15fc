// The regular files GoferFs opens, over the host FD the gofer donates.
// Directories and O_PATH nodes are vfs::PathDirFile, served by requests.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/vfs/host_file.h"

namespace stockade::sentry::fsimpl {

class GoferFile : public vfs::HostFile {
 public:
  GoferFile(std::shared_ptr<GoferFs> fs, std::string rel, UniqueFd fd, int flags, const struct stat& st)
      : HostFile(std::move(fd), flags, false), fs_(std::move(fs)), rel_(std::move(rel)), uid_(st.st_uid),
        gid_(st.st_gid) {}
  Result<struct stat> Stat() override;
  Result<struct statfs> StatFs() override { return fs_->StatFs(); }
  Status Chmod(mode_t mode) override;
  Status Chown(uid_t uid, gid_t gid) override;

 private:
  // The path to ask the gofer by: the current one (File::FsPath follows
  // renames); the one opened by until the opener gives the file its place.
  std::string Rel() const { return dentry ? FsPath() : rel_; }

  std::shared_ptr<GoferFs> fs_;
  std::string rel_;
  std::mutex mu_;
  uid_t uid_;
  gid_t gid_;
};


}  // namespace stockade::sentry::fsimpl
