#include "sentry/kernel/path_ops.h"

#include <fcntl.h>

#include "sentry/kernel/tty_ops.h"

namespace stockade::sentry::kernel {

Result<std::shared_ptr<vfs::File>> FileFor(Task& t, int fd) {
  auto f = t.fds->Get(fd);
  if (!f) return Error(EBADF, "");
  return f;
}

Result<std::string> CopyInPath(Task& t, uint64_t addr) {
  auto s = t.memory().CopyInString(addr, PATH_MAX);
  if (!s.ok()) return s.error();
  return s;
}

Result<std::string> AbsolutePath(Task& t, int dirfd, const std::string& path, bool allow_empty) {
  if (path.empty() && !allow_empty) return Error(ENOENT, "");
  if (!path.empty() && path[0] == '/') return vfs::CleanPath("/", path);
  std::string base;
  if (dirfd == AT_FDCWD) {
    std::lock_guard<std::mutex> l(t.fs->mu);
    base = t.fs->cwd;
  } else {
    ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
    if (path.empty()) return f->path;
    ASSIGN_OR_RETURN(struct stat st, f->Stat());
    if (!S_ISDIR(st.st_mode)) return Error(ENOTDIR, "");
    base = f->path;
  }
  return vfs::CleanPath(base, path);
}

std::pair<std::shared_ptr<vfs::Filesystem>, std::string> ResolveMount(Task& t, const std::string& abs) {
  return t.kernel->mounts().Resolve(abs);
}

Result<std::shared_ptr<vfs::File>> OpenAt(Task& t, int dirfd, const std::string& path, int flags, mode_t mode) {
  ASSIGN_OR_RETURN(std::string abs, AbsolutePath(t, dirfd, path));
  auto [fs, rel] = ResolveMount(t, abs);
  if (!fs) return Error(ENOENT, "");
  vfs::OpenRequest req;
  req.flags = flags;
  {
    std::lock_guard<std::mutex> l(t.fs->mu);
    req.mode = mode & ~t.fs->umask;
  }
  req.uid = t.creds().fsuid;
  req.gid = t.creds().fsgid;
  ASSIGN_OR_RETURN(auto f, fs->Open(rel, req));
  if (dynamic_cast<vfs::ControllingTtyRef*>(f.get())) {
    ASSIGN_OR_RETURN(f, OpenControllingTty(t, flags));
  }
  if (!fs->NamesOpenedFiles()) f->path = abs;
  return f;
}

Result<struct stat> StatAt(Task& t, int dirfd, const std::string& path, bool follow, bool allow_empty) {
  if (path.empty() && allow_empty) {
    if (dirfd == AT_FDCWD) return StatAt(t, dirfd, ".", follow, false);
    ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
    return f->Stat();
  }
  ASSIGN_OR_RETURN(std::string abs, AbsolutePath(t, dirfd, path));
  auto [fs, rel] = ResolveMount(t, abs);
  if (!fs) return Error(ENOENT, "");
  // A trailing slash demands a directory.
  ASSIGN_OR_RETURN(struct stat st, fs->Stat(rel, follow || path.back() == '/'));
  if (path.back() == '/' && !S_ISDIR(st.st_mode)) return Error(ENOTDIR, "");
  return st;
}

}  // namespace stockade::sentry::kernel
