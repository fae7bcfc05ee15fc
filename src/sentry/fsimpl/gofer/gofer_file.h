// The files GoferFs opens: a regular file over its donated host FD, and a
// node (a directory, or anything opened with O_PATH) served by requests.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/vfs/host_file.h"
#include "sentry/vfs/listed_dir_file.h"

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
  std::shared_ptr<GoferFs> fs_;
  std::string rel_;  // as opened: a later rename elsewhere is not tracked
  std::mutex mu_;
  uid_t uid_;
  gid_t gid_;
};

class GoferNodeFile : public vfs::ListedDirFile {
 public:
  GoferNodeFile(std::shared_ptr<GoferFs> fs, std::string rel, int flags)
      : ListedDirFile(flags), fs_(std::move(fs)), rel_(std::move(rel)) {}
  Result<struct stat> Stat() override { return fs_->Stat(rel_, false); }
  Result<struct statfs> StatFs() override { return fs_->StatFs(); }
  Status Chmod(mode_t mode) override { return fs_->Chmod(rel_, mode, false); }
  Status Chown(uid_t uid, gid_t gid) override { return fs_->Chown(rel_, uid, gid, false); }

 protected:
  Result<std::vector<vfs::Dirent>> List() override { return fs_->ReadDir(rel_); }

 private:
  std::shared_ptr<GoferFs> fs_;
  std::string rel_;
};

}  // namespace stockade::sentry::fsimpl
