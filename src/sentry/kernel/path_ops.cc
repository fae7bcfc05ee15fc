#include "sentry/kernel/path_ops.h"

#include <fcntl.h>
#include <linux/openat2.h>

#include <deque>

#include "sentry/kernel/tty_ops.h"
#include "sentry/vfs/named_pipe.h"

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

namespace {

constexpr int kMaxSymlinks = 40;  // MAXSYMLINKS

// The directory a relative path starts from: the cwd or dirfd.
Result<std::shared_ptr<vfs::File>> BaseDir(Task& t, int dirfd) {
  if (dirfd == AT_FDCWD) return Cwd(t);
  ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
  ASSIGN_OR_RETURN(struct stat st, f->Stat());
  if (!S_ISDIR(st.st_mode)) return Error(ENOTDIR, "");
  if (!f->HasMountPath()) return Error(ENOENT, "");
  return f;
}

// A walk that ends at an open file rather than at a path.
Result<Walked> AtFile(std::shared_ptr<vfs::File> f) {
  Walked w;
  ASSIGN_OR_RETURN(w.st, f->Stat());
  w.exists = true;
  w.file = std::move(f);
  return w;
}

// The mount point of `abs`, given `rel`, its path inside the mount (a tail of
// abs, "/" at the mount point itself).
std::string MountPointOf(const std::string& abs, const std::string& rel) {
  std::string point = rel == "/" ? abs : abs.substr(0, abs.size() - rel.size());
  return point.empty() ? "/" : point;
}

}  // namespace

std::shared_ptr<vfs::File> Cwd(Task& t) {
  std::lock_guard<std::mutex> l(t.fs->mu);
  return t.fs->cwd;
}

Result<Walked> WalkPath(Task& t, int dirfd, const std::string& path, bool follow_last, bool allow_empty,
                        uint64_t resolve) {
  if (path.empty() && !allow_empty) return Error(ENOENT, "");
  const bool beneath = resolve & RESOLVE_BENEATH, in_root = resolve & RESOLVE_IN_ROOT;
  Walked w;
  std::string cur;
  // A removed start directory: names in it are gone (ENOENT), ".." still
  // leads to where it was, and "." is the directory itself.
  std::shared_ptr<vfs::File> removed_base;
  if (!path.empty() && path[0] == '/' && !in_root) {
    if (beneath) return Error(EXDEV, "");
    cur = "/";
  } else if (path.empty() && dirfd != AT_FDCWD) {
    // The file itself, whatever it is (AT_EMPTY_PATH).
    ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
    if (!f->HasMountPath() || f->Removed()) return AtFile(std::move(f));
    cur = f->MountPath();
  } else {
    ASSIGN_OR_RETURN(auto base, BaseDir(t, dirfd));
    cur = base->MountPath();
    if (base->Removed()) removed_base = std::move(base);
  }
  // A trailing slash (or "/." and the like) makes the last component a directory, followed.
  std::vector<std::string> comps = vfs::PathComponents(path);
  bool want_dir = !path.empty() && (path.back() == '/' || comps.empty() || comps.back() == "." || comps.back() == "..");
  if (want_dir) follow_last = true;
  std::deque<std::string> todo(std::make_move_iterator(comps.begin()), std::make_move_iterator(comps.end()));
  auto& mounts = t.kernel->mounts();
  // openat2's scope: RESOLVE_BENEATH keeps the walk below its start (EXDEV
  // otherwise), RESOLVE_IN_ROOT makes the start its root ("/" and ".."
  // stop there), RESOLVE_NO_XDEV keeps it in the start's mount.
  const std::string scope_root = cur;
  auto mount_of = [&mounts](const std::string& abs) { return MountPointOf(abs, mounts.Resolve(abs).second); };
  const std::string start_mount = (resolve & RESOLVE_NO_XDEV) ? mount_of(cur) : std::string();
  auto left_mount = [&] { return (resolve & RESOLVE_NO_XDEV) && mount_of(cur) != start_mount; };
  bool known = false;  // whether w.st is cur's
  int links = 0;
  while (!todo.empty()) {
    if (todo.front() == "." || todo.front() == "..") {
      if (known && !S_ISDIR(w.st.st_mode)) return Error(ENOTDIR, "");
      if (todo.front() == "..") {
        if ((beneath || in_root) && cur == scope_root) {
          if (beneath) return Error(EXDEV, "");
        } else {
          cur = vfs::SplitPath(cur).first;
        }
        if (left_mount()) return Error(EXDEV, "");
        removed_base.reset();
      }
      todo.pop_front();
      known = false;
      continue;
    }
    if (removed_base) return Error(ENOENT, "");
    // The longest run of plain names that stays inside one mount; a mount
    // point entered is a step of its own (its root exists by definition).
    std::vector<std::string> run;
    std::string end = cur;
    while (!todo.empty() && todo.front() != "." && todo.front() != "..") {
      std::string next = vfs::JoinPath(end, todo.front());
      if (mounts.IsMountPoint(next)) break;
      run.push_back(todo.front());
      todo.pop_front();
      end = std::move(next);
    }
    if (run.empty()) {
      if (known && !S_ISDIR(w.st.st_mode)) return Error(ENOTDIR, "");
      if (resolve & RESOLVE_NO_XDEV) return Error(EXDEV, "");  // a mount point entered
      cur = vfs::JoinPath(cur, todo.front());
      todo.pop_front();
      known = false;
      continue;
    }
    auto [fs, rel] = mounts.Resolve(cur);
    if (!fs) return Error(ENOENT, "");
    ASSIGN_OR_RETURN(vfs::FsWalk r, fs->Walk(rel, run));
    std::string reached = cur;
    for (size_t i = 0; i < r.walked && i < run.size(); ++i) reached = vfs::JoinPath(reached, run[i]);
    bool last = todo.empty();
    switch (r.stop) {
      case 0:
        cur = std::move(reached);
        w.st = r.st;
        known = true;
        break;
      case ENOENT: {
        if (r.walked + 1 != run.size() || !last) return Error(ENOENT, "");
        w.abs = vfs::JoinPath(reached, run.back());
        auto m = mounts.Resolve(w.abs);
        w.fs = m.first;
        w.rel = m.second;
        w.exists = false;
        return w;
      }
      case ELOOP: {
        if (r.walked >= run.size()) return Error(EIO, "");
        bool final_link = r.walked + 1 == run.size() && last;
        std::string link = vfs::JoinPath(reached, run[r.walked]);
        if (final_link && !follow_last) {
          cur = std::move(link);
          w.st = r.st;
          known = true;
          break;
        }
        if (++links > kMaxSymlinks || (resolve & RESOLVE_NO_SYMLINKS)) return Error(ELOOP, "");
        for (size_t i = run.size(); i-- > r.walked + 1;) todo.push_front(run[i]);
        if (auto target = fs->MagicLink(mounts.Resolve(link).second)) {
          if (resolve & RESOLVE_NO_MAGICLINKS) return Error(ELOOP, "");
          if (beneath || in_root) return Error(EXDEV, "");  // a jump out of scope, maybe
          // A procfs magic link leads to the file itself, not to a path
          // read from it: to its current name, or (removed or nameless)
          // to the open file, which has nothing below it.
          if (target->HasMountPath() && !target->Removed()) {
            cur = target->MountPath();
            if (left_mount()) return Error(EXDEV, "");
            known = false;
            break;
          }
          if (!todo.empty()) return Error(target->HasMountPath() ? ENOENT : ENOTDIR, "");
          return AtFile(std::move(target));
        }
        if (r.target.empty()) return Error(ENOENT, "");
        auto parts = vfs::PathComponents(r.target);
        // A target ending in "/" must be a directory: keep that through a "." step.
        if (r.target.back() == '/' && !parts.empty() && (r.walked + 1 != run.size() || last)) {
          todo.insert(todo.begin(), ".");
        }
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_front(*it);
        if (r.target[0] != '/') {
          cur = std::move(reached);
        } else if (beneath) {
          return Error(EXDEV, "");
        } else {
          cur = in_root ? scope_root : "/";
          if (left_mount()) return Error(EXDEV, "");
        }
        known = false;
        break;
      }
      case ENOTDIR:
        return Error(ENOTDIR, "");
      default:
        return Error(EIO, "");
    }
  }
  if (removed_base) return AtFile(std::move(removed_base));
  auto [fs, rel] = mounts.Resolve(cur);
  if (!fs) return Error(ENOENT, "");
  if (!known) {
    // Not Walk(rel, {}): rel may end in a symlink (AT_EMPTY_PATH on an
    // O_PATH FD of one, a magic link's target).
    ASSIGN_OR_RETURN(w.st, fs->Stat(rel, false));
  }
  if (want_dir && !S_ISDIR(w.st.st_mode)) return Error(ENOTDIR, "");
  w.abs = std::move(cur);
  w.fs = fs;
  w.rel = rel;
  w.exists = true;
  return w;
}

Result<std::string> AbsolutePath(Task& t, int dirfd, const std::string& path, bool allow_empty) {
  ASSIGN_OR_RETURN(Walked w, WalkPath(t, dirfd, path, false, allow_empty));
  if (w.file) return Error(ENOENT, "");  // no path: removed, or never had one
  return w.abs;
}

std::pair<std::shared_ptr<vfs::Filesystem>, std::string> ResolveMount(Task& t, const std::string& abs) {
  return t.kernel->mounts().Resolve(abs);
}

void RecordOpen(Task& t, vfs::File& f, const Walked& w) {
  const std::string& name = w.fs->NamesOpenedFiles() && !f.name.empty() ? f.name : w.abs;
  f.dentry = t.kernel->dentries().Intern(name);
  f.opener_creds = t.creds().serial;
  f.mount_point = MountPointOf(w.abs, w.rel);
}

Result<std::shared_ptr<vfs::File>> OpenAt(Task& t, int dirfd, const std::string& path, int flags, mode_t mode) {
  ASSIGN_OR_RETURN(Walked w, WalkPath(t, dirfd, path, !(flags & O_NOFOLLOW)));
  return OpenWalked(t, w, flags, mode);
}

Result<std::shared_ptr<vfs::File>> OpenWalked(Task& t, const Walked& w, int flags, mode_t mode) {
  // A removed or nameless file reached through a magic link: the open
  // description itself (Linux would open a new one of the same file).
  if (w.file) return w.file;
  if (!w.fs) return Error(ENOENT, "");
  if (w.exists && S_ISLNK(w.st.st_mode)) {
    // A final symlink not followed (O_NOFOLLOW, or reached through a magic
    // link): only O_PATH opens it; O_DIRECTORY's ENOTDIR comes first.
    if (flags & O_DIRECTORY) return Error(ENOTDIR, "");
    if (!(flags & O_PATH)) return Error(ELOOP, "");
  }
  if (w.exists && !(flags & O_PATH)) {
    // FIFOs and sockets are the Sentry's own objects whatever file system
    // holds their names (the gofer never opens them).
    if (S_ISFIFO(w.st.st_mode)) {
      ASSIGN_OR_RETURN(auto f, vfs::OpenNamedPipe(t, w.st, flags));
      RecordOpen(t, *f, w);
      return f;
    }
    if (S_ISSOCK(w.st.st_mode)) return Error(ENXIO, "");
  }
  // A program some address space runs is not opened for writing (Linux's
  // deny_write_access on exec).
  if (w.exists && S_ISREG(w.st.st_mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) &&
      !(flags & O_PATH) && t.kernel->executing().Busy(w.st.st_dev, w.st.st_ino)) {
    return Error(ETXTBSY, "");
  }
  vfs::OpenRequest req;
  req.flags = flags;
  {
    std::lock_guard<std::mutex> l(t.fs->mu);
    req.mode = mode & ~t.fs->umask;
  }
  req.uid = t.creds().fsuid;
  req.gid = t.creds().fsgid;
  ASSIGN_OR_RETURN(auto f, w.fs->Open(w.rel, req));
  if (dynamic_cast<vfs::ControllingTtyRef*>(f.get())) {
    ASSIGN_OR_RETURN(f, OpenControllingTty(t, flags));
  }
  RecordOpen(t, *f, w);
  return f;
}

Result<struct stat> StatAt(Task& t, int dirfd, const std::string& path, bool follow, bool allow_empty) {
  if (path.empty() && allow_empty) {
    if (dirfd == AT_FDCWD) return StatAt(t, dirfd, ".", follow, false);
    ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
    return f->Stat();
  }
  ASSIGN_OR_RETURN(Walked w, WalkPath(t, dirfd, path, follow));
  if (!w.exists) return Error(ENOENT, "");
  return w.st;
}

}  // namespace stockade::sentry::kernel
