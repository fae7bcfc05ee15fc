#include "sentry/kernel/path_ops.h"

#include <fcntl.h>

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

// The resolved directory a relative path starts from.
Result<std::string> BaseDir(Task& t, int dirfd) {
  if (dirfd == AT_FDCWD) {
    std::lock_guard<std::mutex> l(t.fs->mu);
    return t.fs->cwd;
  }
  ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
  ASSIGN_OR_RETURN(struct stat st, f->Stat());
  if (!S_ISDIR(st.st_mode)) return Error(ENOTDIR, "");
  return f->path;
}

}  // namespace

Result<Walked> WalkPath(Task& t, int dirfd, const std::string& path, bool follow_last, bool allow_empty) {
  if (path.empty() && !allow_empty) return Error(ENOENT, "");
  Walked w;
  std::string cur;
  if (!path.empty() && path[0] == '/') {
    cur = "/";
  } else if (path.empty() && dirfd != AT_FDCWD) {
    // The file itself, whatever it is (AT_EMPTY_PATH).
    ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
    if (!f->HasMountPath()) return Error(ENOENT, "");  // e.g. a pipe's "pipe:[N]"
    cur = f->path;
  } else {
    ASSIGN_OR_RETURN(cur, BaseDir(t, dirfd));
  }
  // A trailing slash (or "/." and the like) makes the last component a directory, followed.
  std::vector<std::string> comps = vfs::PathComponents(path);
  bool want_dir = !path.empty() && (path.back() == '/' || comps.empty() || comps.back() == "." || comps.back() == "..");
  if (want_dir) follow_last = true;
  std::deque<std::string> todo(std::make_move_iterator(comps.begin()), std::make_move_iterator(comps.end()));
  auto& mounts = t.kernel->mounts();
  bool known = false;  // whether w.st is cur's
  int links = 0;
  while (!todo.empty()) {
    if (todo.front() == "." || todo.front() == "..") {
      if (known && !S_ISDIR(w.st.st_mode)) return Error(ENOTDIR, "");
      if (todo.front() == "..") cur = vfs::SplitPath(cur).first;
      todo.pop_front();
      known = false;
      continue;
    }
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
        if (final_link && (!follow_last || fs->NamesOpenedFiles())) {
          // Not followed; or a procfs "magic" link, which the file system
          // itself follows to the open file it stands for.
          cur = std::move(link);
          if (follow_last) {
            auto [lfs, lrel] = mounts.Resolve(cur);
            ASSIGN_OR_RETURN(w.st, lfs->Stat(lrel, true));
          } else {
            w.st = r.st;
          }
          known = true;
          break;
        }
        if (++links > kMaxSymlinks) return Error(ELOOP, "");
        if (r.target.empty()) return Error(ENOENT, "");
        for (size_t i = run.size(); i-- > r.walked + 1;) todo.push_front(run[i]);
        auto parts = vfs::PathComponents(r.target);
        // A target ending in "/" must be a directory: keep that through a "." step.
        if (r.target.back() == '/' && !parts.empty() && (r.walked + 1 != run.size() || last)) {
          todo.insert(todo.begin(), ".");
        }
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_front(*it);
        cur = r.target[0] == '/' ? "/" : std::move(reached);
        known = false;
        break;
      }
      case ENOTDIR:
        return Error(ENOTDIR, "");
      default:
        return Error(EIO, "");
    }
  }
  auto [fs, rel] = mounts.Resolve(cur);
  if (!fs) return Error(ENOENT, "");
  if (!known) {
    ASSIGN_OR_RETURN(vfs::FsWalk r, fs->Walk(rel, {}));
    w.st = r.st;
  }
  if (want_dir && !S_ISDIR(w.st.st_mode)) return Error(ENOTDIR, "");
  w.abs = std::move(cur);
  w.fs = fs;
  w.rel = rel;
  w.exists = true;
  return w;
}

Result<std::string> AbsolutePath(Task& t, int dirfd, const std::string& path, bool allow_empty) {
  if (path.empty() && !allow_empty) return Error(ENOENT, "");
  if (path.empty() && dirfd != AT_FDCWD) {
    ASSIGN_OR_RETURN(auto f, FileFor(t, dirfd));
    return f->path;
  }
  ASSIGN_OR_RETURN(Walked w, WalkPath(t, dirfd, path, false, allow_empty));
  return w.abs;
}

std::pair<std::shared_ptr<vfs::Filesystem>, std::string> ResolveMount(Task& t, const std::string& abs) {
  return t.kernel->mounts().Resolve(abs);
}

Result<std::shared_ptr<vfs::File>> OpenAt(Task& t, int dirfd, const std::string& path, int flags, mode_t mode) {
  ASSIGN_OR_RETURN(Walked w, WalkPath(t, dirfd, path, !(flags & O_NOFOLLOW)));
  if (!w.fs) return Error(ENOENT, "");
  if (w.exists && S_ISLNK(w.st.st_mode) && (flags & O_NOFOLLOW)) {
    // A final symlink not followed: only O_PATH opens it; O_DIRECTORY's
    // ENOTDIR comes before O_NOFOLLOW's ELOOP.
    if (flags & O_DIRECTORY) return Error(ENOTDIR, "");
    if (!(flags & O_PATH)) return Error(ELOOP, "");
  }
  if (w.exists && !(flags & O_PATH)) {
    // FIFOs and sockets are the Sentry's own objects whatever file system
    // holds their names (the gofer never opens them).
    if (S_ISFIFO(w.st.st_mode)) {
      ASSIGN_OR_RETURN(auto f, vfs::OpenNamedPipe(t, w.st, flags));
      f->path = w.abs;
      return f;
    }
    if (S_ISSOCK(w.st.st_mode)) return Error(ENXIO, "");
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
  if (!w.fs->NamesOpenedFiles()) f->path = w.abs;
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
