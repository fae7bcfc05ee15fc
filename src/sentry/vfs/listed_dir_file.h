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
// file's current path (File::FsPath, which follows renames). Once the name
// is removed, stat shows the last attributes seen with no links, as for a
// removed directory on Linux (getdents is ENOENT then).
class PathDirFile : public ListedDirFile {
 public:
  // `st`: its attributes when opened.
  PathDirFile(std::shared_ptr<Filesystem> fs, std::string rel, int flags, const struct stat& st)
      : ListedDirFile(flags), fs_(std::move(fs)), rel_(std::move(rel)), last_(st) {}
  Result<struct stat> Stat() override {
    if (!Removed()) {
      auto st = fs_->Stat(Rel(), false);  // a gofer round trip: not under st_mu_
      if (st.ok()) {
        std::lock_guard<std::mutex> l(st_mu_);
        last_ = *st;
      }
      if (st.ok() || !Removed()) return st;
    }
    std::lock_guard<std::mutex> l(st_mu_);
    struct stat st = last_;
    st.st_nlink = 0;
    return st;
  }
  Result<struct statfs> StatFs() override { return fs_->StatFs(); }
  Status Sync() override { return Ok(); }  // the gofer's host writes are the host's to sync
  Status Chmod(mode_t mode) override { return Removed() ? Error(ENOENT, "") : fs_->Chmod(Rel(), mode, false); }
  Status Chown(uid_t uid, gid_t gid) override {
    return Removed() ? Error(ENOENT, "") : fs_->Chown(Rel(), uid, gid, false);
  }

 protected:
  Result<std::vector<Dirent>> List() override { return fs_->ListDir(Rel()); }

 private:
  std::string Rel() const { return dentry ? FsPath() : rel_; }

  std::shared_ptr<Filesystem> fs_;
  std::string rel_;  // until the opener gives the file its place
  std::mutex st_mu_;
  struct stat last_;  // the last attributes seen
};

}  // namespace stockade::sentry::vfs
