// OverlayFs: a writable file system made of a read-only lower layer (the
// gofer-served rootfs) and an upper layer held in the Sentry's memory (a
// TmpFs), as `--overlay=memory` (runsc's default) has it. The image on the host
// never changes: the lower layer is served read-only by the gofer, and every
// change lands in the upper layer.
//
// The rules are Linux overlayfs's (Documentation/filesystems/overlayfs.rst):
//  - a name is looked up in the upper layer first, then in the lower one
//    unless a whiteout or an opaque directory above it hides the lower one;
//  - changing a lower file first copies it up (data, mode, owner, times),
//    its parent directories first;
//  - removing a name that exists below leaves a whiteout; a directory made
//    over a whiteout is opaque (nothing of the lower one shows through);
//  - a directory that exists below cannot be renamed (EXDEV, as without
//    redirect_dir; mv then copies);
//  - a directory lists the union of both layers, less whiteouts;
//  - directories report the overlay's device, other files their layer's.
//
// Whiteouts and opaque marks are kept here, not as nodes in the upper layer.
// Invariant: each lies below a directory that exists in the upper layer (the
// parent is copied up first), so a walk below a directory the upper layer
// lacks goes to the lower layer in one request.
//
// Lock order: OverlayFs::mu_, then the layers' own locks (TmpFs::mu_, the
// gofer client's). mu_ is held across copy-up, so that no two copy up at once.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::fsimpl {

class OverlayFs : public vfs::Filesystem, public std::enable_shared_from_this<OverlayFs> {
 public:
  // `upper` starts empty; its root takes the lower root's attributes. `dev`
  // is what directories report as st_dev.
  static Result<std::shared_ptr<OverlayFs>> Create(std::shared_ptr<vfs::Filesystem> upper,
                                                   std::shared_ptr<vfs::Filesystem> lower, dev_t dev);

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
  bool InMemory() const override { return true; }  // what changes is copied up
  // Read from the layer that holds the file; changes copy it up first.
  Result<std::string> GetXattr(const std::string& path, const std::string& name) override;
  Status SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags) override;
  Result<std::vector<std::string>> ListXattr(const std::string& path) override;
  Status RemoveXattr(const std::string& path, const std::string& name) override;

  // The merged listing of a directory (its files are vfs::PathDirFile).
  Result<std::vector<vfs::Dirent>> ListDir(const std::string& path) override;

 private:
  enum class Layer { kUpper, kLower };
  struct Entry {
    Layer layer;
    struct stat st;  // as the layer reports it
  };

  Result<Entry> LookupLocked(const std::string& path);
  // Resolves symlinks at the end of `path` inside this file system (for the
  // `follow` forms); the kernel's walk has resolved everything before it.
  Result<std::string> FollowLocked(const std::string& path, bool follow);
  // Whether a whiteout at `path` or above, or an opaque directory above it,
  // hides the lower layer's `path`.
  bool LowerHiddenLocked(const std::string& path) const;
  bool LowerVisibleLocked(const std::string& path);
  struct stat PresentLocked(const std::string& path, const Entry& e);
  Status CopyUpLocked(const std::string& path);
  Status CopyUpDataLocked(const std::string& path, const struct stat& st);
  // Makes the parent of `path` exist in the upper layer and clears a
  // whiteout at `path`; true if there was one.
  Result<bool> PrepareCreateLocked(const std::string& path);
  Result<bool> EmptyLocked(const std::string& path);
  Result<std::vector<vfs::Dirent>> ReadDirLocked(const std::string& path);
  // Moves the whiteouts and opaque marks at and below `from` to `to`.
  void MoveMarksLocked(const std::string& from, const std::string& to);

  OverlayFs(std::shared_ptr<vfs::Filesystem> upper, std::shared_ptr<vfs::Filesystem> lower, dev_t dev)
      : upper_(std::move(upper)), lower_(std::move(lower)), dev_(dev) {}

  std::mutex mu_;
  std::shared_ptr<vfs::Filesystem> upper_;
  std::shared_ptr<vfs::Filesystem> lower_;
  dev_t dev_;
  std::set<std::string> whiteouts_;
  std::set<std::string> opaque_;
  // Copied-up directories keep the inode number they had below, so that a
  // walk's (dev, ino) of a directory does not change under it.
  std::map<std::string, ino_t> lower_dir_ino_;
};

}  // namespace stockade::sentry::fsimpl
