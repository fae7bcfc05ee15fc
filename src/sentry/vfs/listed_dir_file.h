// ListedDirFile: an open directory whose listing comes whole from its file
// system (a gofer request, the overlay's merge). getdents walks the listing
// by index (File::dir_pos), so it is taken afresh only when a pass starts over
// at position 0: one pass over a large directory costs one listing.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sentry/vfs/file.h"
#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::vfs {

class ListedDirFile : public File {
 public:
  using File::File;
  Result<std::vector<Dirent>> ReadDir() final {
    std::lock_guard<std::mutex> l(list_mu_);
    if (!listed_ || dir_pos == 0) {
      ASSIGN_OR_RETURN(listing_, List());
      listed_ = true;
    }
    return listing_;
  }
  Result<size_t> Read(Waiter&, void*, size_t) override { return Error(EISDIR, ""); }
  Result<size_t> PRead(void*, size_t, uint64_t) override { return Error(EISDIR, ""); }

 protected:
  // The whole listing, "." and ".." first.
  virtual Result<std::vector<Dirent>> List() = 0;

 private:
  std::mutex list_mu_;
  std::vector<Dirent> listing_;
  bool listed_ = false;
};

// A directory (or an O_PATH node) of a file system that answers by path:
// attributes, listing and mode changes are asked of the file system, by the
// path the file was opened by (a later rename is not tracked).
class PathDirFile : public ListedDirFile {
 public:
  PathDirFile(std::shared_ptr<Filesystem> fs, std::string rel, int flags)
      : ListedDirFile(flags), fs_(std::move(fs)), rel_(std::move(rel)) {}
  Result<struct stat> Stat() override { return fs_->Stat(rel_, false); }
  Result<struct statfs> StatFs() override { return fs_->StatFs(); }
  Status Chmod(mode_t mode) override { return fs_->Chmod(rel_, mode, false); }
  Status Chown(uid_t uid, gid_t gid) override { return fs_->Chown(rel_, uid, gid, false); }

 protected:
  Result<std::vector<Dirent>> List() override { return fs_->ListDir(rel_); }

 private:
  std::shared_ptr<Filesystem> fs_;
  std::string rel_;
};

}  // namespace stockade::sentry::vfs
