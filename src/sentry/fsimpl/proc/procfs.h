// ProcFs: the container's /proc, generated from the Sentry's kernel: one
// directory per process (stat, status, cmdline, environ, comm, maps, limits,
// mounts, fd/, and the cwd, exe and root links), `self`, and the system-wide
// files (cpuinfo, meminfo, uptime, loadavg, version, filesystems, mounts,
// sys/kernel/{hostname,ostype,osrelease}). Read-only.
//
// Which process `self` is depends on the caller (kernel::CurrentTask). The
// cwd, exe, root and fd/N links lead out of procfs: following them resolves
// the target in the calling task's view of the container, never on the host.
#pragma once

#include <functional>

#include "sentry/kernel/kernel.h"
#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::fsimpl {

class ProcFs : public vfs::Filesystem {
 public:
  explicit ProcFs(kernel::Kernel* k) : k_(k) {}

  Result<std::shared_ptr<vfs::File>> Open(const std::string& path, const vfs::OpenRequest& req) override;
  Result<struct stat> Stat(const std::string& path, bool follow) override;
  Result<std::string> ReadLink(const std::string& path) override;
  std::shared_ptr<vfs::File> MagicLink(const std::string& path) override;
  Status Mkdir(const std::string&, mode_t, uid_t, gid_t) override { return Error(EACCES, ""); }
  Status Mknod(const std::string&, mode_t, dev_t, uid_t, gid_t) override { return Error(EACCES, ""); }
  Status Unlink(const std::string&) override { return Error(EACCES, ""); }
  Status Rmdir(const std::string&) override { return Error(EACCES, ""); }
  Status Rename(const std::string&, const std::string&, unsigned) override { return Error(EACCES, ""); }
  Status Symlink(const std::string&, const std::string&, uid_t, gid_t) override { return Error(EACCES, ""); }
  Status Link(const std::string&, const std::string&) override { return Error(EACCES, ""); }
  Status Chmod(const std::string&, mode_t, bool) override { return Error(EPERM, ""); }
  Status Chown(const std::string&, uid_t, gid_t, bool) override { return Error(EPERM, ""); }
  Status Utimens(const std::string&, const struct timespec[2], bool) override { return Error(EPERM, ""); }
  Status Truncate(const std::string&, uint64_t) override { return Error(EACCES, ""); }
  Result<struct statfs> StatFs() override;
  // Its own files are named under /proc (where it is mounted); its links
  // return files named by the file system they lead to.
  bool NamesOpenedFiles() const override { return true; }

  // What a path names inside procfs.
  struct Node {
    enum Kind { kDir, kFile, kLink } kind = kDir;
    std::function<std::vector<std::string>()> entries;  // kDir
    std::function<std::string()> content;               // kFile
    std::string target;                                 // kLink
    bool leaves_procfs = false;  // a link whose target is a container path (cwd, exe, root, fd/N)
    std::shared_ptr<vfs::File> link_file;               // cwd and fd/N: the open file itself
    uid_t uid = 0;
    gid_t gid = 0;
    std::string path;  // inside procfs, for the inode number
  };

 private:
  // The node for `path`; `follow` resolves a final `self` (links inside
  // procfs are always followed when not last).
  Result<Node> Lookup(const std::string& path, bool follow) const;
  // /proc/<tgid>/<rest...>; a link leading out of procfs takes the rest of
  // the path to its target.
  Result<Node> ProcessNode(int tgid, const std::vector<std::string>& rest) const;
  struct stat StatOf(const Node& n) const;

  kernel::Kernel* k_;
};

}  // namespace stockade::sentry::fsimpl
