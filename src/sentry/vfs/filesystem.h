// Filesystem: operations on paths inside one mounted file system, and the
// mount table that picks the file system for a container path.
//
// Paths given to a Filesystem are absolute within it ("/" is its root) and
// already clean (no "." or ".." components, no repeated slashes).
#pragma once

#include <sys/stat.h>
#include <sys/statfs.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/vfs/file.h"

namespace stockade::sentry::vfs {

struct OpenRequest {
  int flags = O_RDONLY;
  mode_t mode = 0;  // for O_CREAT, umask already applied
  uid_t uid = 0;    // owner of a created file
  gid_t gid = 0;
};

// One step of a path walk inside a file system (see Filesystem::Walk).
struct FsWalk {
  size_t walked = 0;  // leading components that exist and are not symlinks
  int stop = 0;       // 0, or why the walk ended early: ENOENT, ELOOP (a symlink), ENOTDIR
  struct stat st {};  // the last walked component's (stop 0), the missing one's parent's
                      // (ENOENT), the symlink's own (ELOOP) or the non-directory's (ENOTDIR)
  std::string target;  // the symlink's target (ELOOP)
};

class Filesystem {
 public:
  // Walks `comps` below the directory `dir` (clean, in this file system)
  // without following any symlink: the kernel's path walk resolves links
  // itself, so that they can lead into other mounts. The default takes one
  // Stat per component; remote file systems do it in one round trip.
  virtual Result<FsWalk> Walk(const std::string& dir, const std::vector<std::string>& comps);
  virtual ~Filesystem() = default;
  virtual Result<std::shared_ptr<File>> Open(const std::string& path, const OpenRequest& req) = 0;
  virtual Result<struct stat> Stat(const std::string& path, bool follow) = 0;
  virtual Result<std::string> ReadLink(const std::string& path) = 0;
  virtual Status Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) = 0;
  virtual Status Mknod(const std::string& path, mode_t mode, dev_t dev, uid_t uid, gid_t gid) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  virtual Status Rmdir(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to, unsigned flags) = 0;
  virtual Status Symlink(const std::string& target, const std::string& path, uid_t uid, gid_t gid) = 0;
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  virtual Status Chmod(const std::string& path, mode_t mode, bool follow) = 0;
  virtual Status Chown(const std::string& path, uid_t uid, gid_t gid, bool follow) = 0;
  virtual Status Utimens(const std::string& path, const struct timespec times[2], bool follow) = 0;
  virtual Status Truncate(const std::string& path, uint64_t len) = 0;
  virtual Result<struct statfs> StatFs() = 0;
  // Extended attributes of `path` (not following a final symlink); `name`
  // carries its namespace ("user.x"). A file system that keeps none answers
  // EOPNOTSUPP, and lists none. XATTR_CREATE/XATTR_REPLACE in `flags`.
  virtual Result<std::string> GetXattr(const std::string& path, const std::string& name);
  virtual Status SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags);
  virtual Result<std::vector<std::string>> ListXattr(const std::string& path);
  virtual Status RemoveXattr(const std::string& path, const std::string& name);
  // The listing of a directory, "." and ".." first, for file systems whose
  // directories open as PathDirFile (listed by path: the gofer's, the
  // overlay); ENOTDIR for the others, whose directory files list themselves.
  virtual Result<std::vector<Dirent>> ListDir(const std::string& path);
  virtual bool ReadOnly() const { return false; }
  // Whether file data lives in the Sentry's memory (tmpfs, the overlay's
  // upper layer): sizes are then capped at what statfs advertises.
  virtual bool InMemory() const { return false; }
  // For a "magic" link (procfs's /proc/PID/cwd and fd/N): the open file it
  // stands for, which a path walk goes to instead of reading a target; null
  // for anything else.
  virtual std::shared_ptr<File> MagicLink(const std::string& path) { return nullptr; }
  // Whether Open names the files it returns itself (File::name: procfs names
  // /proc/self/x as /proc/PID/x); otherwise they are named by the path they
  // were opened by.
  virtual bool NamesOpenedFiles() const { return false; }
};

// One mount point and its file system.
struct Mount {
  std::string point;  // clean absolute container path
  std::shared_ptr<Filesystem> fs;
};

class MountTable {
 public:
  void Add(std::string point, std::shared_ptr<Filesystem> fs);
  // Drops the mount at `point` (clean, absolute); false if there is none.
  bool Remove(const std::string& point);
  // The file system holding `path` (clean, absolute) and the path inside it.
  // Mount points shadow what is under them, as Linux mounts do.
  std::pair<std::shared_ptr<Filesystem>, std::string> Resolve(const std::string& path) const;
  // Whether `path` is exactly a mount point (rename/rmdir across it: EBUSY/EXDEV).
  bool IsMountPoint(const std::string& path) const;
  std::vector<Mount> mounts() const;

 private:
  mutable std::mutex mu_;
  std::vector<Mount> mounts_;  // longest point first
};

// "/a/./b/../c//" -> "/a/c"; relative paths are joined to base first.
// ".." at the root stays at the root.
std::string CleanPath(const std::string& base, const std::string& path);
// A clean absolute directory and one name in it: ("/", "a") -> "/a".
std::string JoinPath(const std::string& dir, const std::string& name);
// The parent directory and last component of a clean absolute path.
std::pair<std::string, std::string> SplitPath(const std::string& clean);
// The non-empty components of a path: "/a//b/" -> {"a", "b"}.
std::vector<std::string> PathComponents(const std::string& path);

}  // namespace stockade::sentry::vfs
