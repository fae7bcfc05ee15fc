#include "sentry/fsimpl/overlay/overlay_fs.h"

#include <dirent.h>
#include <linux/fs.h>

#include <vector>

#include "sentry/vfs/listed_dir_file.h"

namespace stockade::sentry::fsimpl {
namespace {

constexpr long kOverlayMagic = 0x794c7630;  // OVERLAYFS_SUPER_MAGIC
// Upper-only directories report their TmpFs inode number with this bit set,
// so that it cannot collide with a lower directory's.
constexpr ino_t kUpperOnlyIno = 1ull << 62;
constexpr int kMaxSymlinks = 40;

bool AtOrBelow(const std::string& p, const std::string& dir) {
  if (dir == "/") return true;
  return p == dir || (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/');
}

template <typename Container>
void EraseAtOrBelow(Container& c, const std::string& dir) {
  std::erase_if(c, [&](const auto& e) {
    if constexpr (std::is_same_v<std::decay_t<decltype(e)>, std::string>) {
      return AtOrBelow(e, dir);
    } else {
      return AtOrBelow(e.first, dir);
    }
  });
}


}  // namespace

Result<std::shared_ptr<OverlayFs>> OverlayFs::Create(std::shared_ptr<vfs::Filesystem> upper,
                                                     std::shared_ptr<vfs::Filesystem> lower, dev_t dev) {
  auto fs = std::shared_ptr<OverlayFs>(new OverlayFs(std::move(upper), std::move(lower), dev));
  // The upper layer's root stands for the lower one's from the start: it takes
  // its attributes, as a copy-up would.
  ASSIGN_OR_RETURN(struct stat root, fs->lower_->Stat("/", false));
  TRY(fs->upper_->Chmod("/", root.st_mode & 07777, false));
  TRY(fs->upper_->Chown("/", root.st_uid, root.st_gid, false));
  const struct timespec times[2] = {root.st_atim, root.st_mtim};
  TRY(fs->upper_->Utimens("/", times, false));
  fs->lower_dir_ino_["/"] = root.st_ino;
  return fs;
}

bool OverlayFs::LowerHiddenLocked(const std::string& path) const {
  if (whiteouts_.empty() && opaque_.empty()) return false;
  if (whiteouts_.count(path)) return true;
  std::string p = path;
  while (p != "/") {
    p = vfs::SplitPath(p).first;
    if (whiteouts_.count(p) || opaque_.count(p)) return true;
  }
  return false;
}

bool OverlayFs::LowerVisibleLocked(const std::string& path) {
  return !LowerHiddenLocked(path) && lower_->Stat(path, false).ok();
}

Result<OverlayFs::Entry> OverlayFs::LookupLocked(const std::string& path) {
  auto up = upper_->Stat(path, false);
  if (up.ok()) return Entry{Layer::kUpper, *up};
  if (up.error().code() != ENOENT && up.error().code() != ENOTDIR) return up.error();
  if (LowerHiddenLocked(path)) return Error(ENOENT, "");
  ASSIGN_OR_RETURN(struct stat st, lower_->Stat(path, false));
  return Entry{Layer::kLower, st};
}

struct stat OverlayFs::PresentLocked(const std::string& path, const Entry& e) {
  struct stat st = e.st;
  if (!S_ISDIR(st.st_mode)) return st;
  st.st_dev = dev_;
  if (e.layer == Layer::kUpper) {
    auto it = lower_dir_ino_.find(path);
    st.st_ino = it != lower_dir_ino_.end() ? it->second : (st.st_ino | kUpperOnlyIno);
  }
  return st;
}

Result<std::string> OverlayFs::FollowLocked(const std::string& path, bool follow) {
  std::string p = path;
  for (int i = 0; follow && i <= kMaxSymlinks; ++i) {
    auto e = LookupLocked(p);
    if (!e.ok() || !S_ISLNK(e->st.st_mode)) return p;
    ASSIGN_OR_RETURN(std::string target,
                     (e->layer == Layer::kUpper ? upper_ : lower_)->ReadLink(p));
    p = vfs::CleanPath(vfs::SplitPath(p).first, target);
  }
  if (!follow) return p;
  return Error(ELOOP, "");
}

Status OverlayFs::CopyUpLocked(const std::string& path) {
  if (upper_->Stat(path, false).ok()) return Ok();
  if (path != "/") TRY(CopyUpLocked(vfs::SplitPath(path).first));
  ASSIGN_OR_RETURN(struct stat st, lower_->Stat(path, false));
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
      TRY(upper_->Mkdir(path, st.st_mode & 07777, st.st_uid, st.st_gid));
      lower_dir_ino_[path] = st.st_ino;
      break;
    case S_IFREG:
      TRY(CopyUpDataLocked(path, st));
      break;
    case S_IFLNK: {
      ASSIGN_OR_RETURN(std::string target, lower_->ReadLink(path));
      TRY(upper_->Symlink(target, path, st.st_uid, st.st_gid));
      break;
    }
    default:
      // FIFOs and sockets; the memory layer holds no device nodes (EPERM).
      TRY(upper_->Mknod(path, st.st_mode, st.st_rdev, st.st_uid, st.st_gid));
  }
  if (!S_ISLNK(st.st_mode)) TRY(upper_->Chmod(path, st.st_mode & 07777, false));
  // Extended attributes come along, as overlayfs copies them up.
  if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    auto names = lower_->ListXattr(path);
    for (const auto& name : names.ok() ? *names : std::vector<std::string>{}) {
      ASSIGN_OR_RETURN(std::string value, lower_->GetXattr(path, name));
      TRY(upper_->SetXattr(path, name, value, 0));
    }
  }
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  return upper_->Utimens(path, times, false);
}

Status OverlayFs::CopyUpDataLocked(const std::string& path, const struct stat& st) {
  vfs::OpenRequest create{O_WRONLY | O_CREAT | O_EXCL, st.st_mode & 07777, st.st_uid, st.st_gid};
  ASSIGN_OR_RETURN(auto out, upper_->Open(path, create));
  auto copy = [&]() -> Status {
    ASSIGN_OR_RETURN(auto in, lower_->Open(path, vfs::OpenRequest{O_RDONLY}));
    std::vector<char> buf(1 << 20);
    uint64_t off = 0;
    for (;;) {
      ASSIGN_OR_RETURN(size_t n, in->PRead(buf.data(), buf.size(), off));
      if (n == 0) return Ok();
      for (size_t done = 0; done < n;) {
        ASSIGN_OR_RETURN(size_t w, out->PWrite(buf.data() + done, n - done, off + done));
        done += w;
      }
      off += n;
    }
  };
  Status st_copy = copy();
  if (!st_copy.ok()) (void)upper_->Unlink(path);  // no half copy stays behind
  return st_copy;
}

Result<bool> OverlayFs::PrepareCreateLocked(const std::string& path) {
  TRY(CopyUpLocked(vfs::SplitPath(path).first));
  return whiteouts_.erase(path) > 0;
}

Result<std::vector<vfs::Dirent>> OverlayFs::ReadDirLocked(const std::string& path) {
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  if (!S_ISDIR(e.st.st_mode)) return Error(ENOTDIR, "");
  struct stat self = PresentLocked(path, e);
  ino_t parent_ino = self.st_ino;
  if (path != "/") {
    const std::string parent = vfs::SplitPath(path).first;
    if (auto pe = LookupLocked(parent); pe.ok()) parent_ino = PresentLocked(parent, *pe).st_ino;
  }
  std::vector<vfs::Dirent> out{{self.st_ino, DT_DIR, "."}, {parent_ino, DT_DIR, ".."}};
  std::set<std::string> seen;
  auto list = [&](vfs::Filesystem& layer) -> Result<std::vector<vfs::Dirent>> {
    ASSIGN_OR_RETURN(auto f, layer.Open(path, vfs::OpenRequest{O_RDONLY | O_DIRECTORY}));
    return f->ReadDir();
  };
  if (e.layer == Layer::kUpper) {
    ASSIGN_OR_RETURN(auto entries, list(*upper_));
    for (auto& d : entries) {
      if (d.name == "." || d.name == "..") continue;
      seen.insert(d.name);
      if (d.type == DT_DIR) {
        // As Stat presents it: the lower inode number it was copied up from,
        // or the marked upper one.
        auto it = lower_dir_ino_.find(vfs::JoinPath(path, d.name));
        d.ino = it != lower_dir_ino_.end() ? it->second : (d.ino | kUpperOnlyIno);
      }
      out.push_back(std::move(d));
    }
    if (opaque_.count(path) || LowerHiddenLocked(path)) return out;
  }
  auto entries = list(*lower_);
  if (!entries.ok()) {
    int code = entries.error().code();
    if (e.layer == Layer::kUpper && (code == ENOENT || code == ENOTDIR || code == ELOOP)) return out;
    return entries.error();
  }
  for (auto& d : *entries) {
    if (d.name == "." || d.name == ".." || seen.count(d.name) || whiteouts_.count(vfs::JoinPath(path, d.name))) continue;
    out.push_back(std::move(d));
  }
  return out;
}

Result<bool> OverlayFs::EmptyLocked(const std::string& path) {
  ASSIGN_OR_RETURN(auto entries, ReadDirLocked(path));
  return entries.size() <= 2;
}

void OverlayFs::MoveMarksLocked(const std::string& from, const std::string& to) {
  for (auto* marks : {&whiteouts_, &opaque_}) {
    std::vector<std::string> moved;
    for (auto it = marks->begin(); it != marks->end();) {
      if (AtOrBelow(*it, from)) {
        moved.push_back(to + it->substr(from.size()));
        it = marks->erase(it);
      } else {
        ++it;
      }
    }
    marks->insert(moved.begin(), moved.end());
  }
}

Result<vfs::FsWalk> OverlayFs::Walk(const std::string& dir, const std::vector<std::string>& comps) {
  std::lock_guard<std::mutex> l(mu_);
  vfs::FsWalk w;
  ASSIGN_OR_RETURN(Entry e, LookupLocked(dir));
  w.st = PresentLocked(dir, e);
  std::string path = dir;
  for (size_t i = 0; i < comps.size(); ++i) {
    if (!S_ISDIR(w.st.st_mode)) {
      w.stop = ENOTDIR;
      return w;
    }
    if (e.layer == Layer::kLower) {
      // Nothing at or below a directory the upper layer lacks is in it or
      // hidden (see the invariant): the lower layer walks the rest at once.
      std::vector<std::string> rest(comps.begin() + static_cast<long>(i), comps.end());
      ASSIGN_OR_RETURN(vfs::FsWalk lw, lower_->Walk(path, rest));
      w.walked += lw.walked;
      w.stop = lw.stop;
      w.target = std::move(lw.target);
      w.st = lw.st;
      if (S_ISDIR(w.st.st_mode)) w.st.st_dev = dev_;
      return w;
    }
    std::string next = vfs::JoinPath(path, comps[i]);
    auto ne = LookupLocked(next);
    if (!ne.ok()) {
      if (ne.error().code() != ENOENT) return ne.error();
      w.stop = ENOENT;
      return w;
    }
    e = *ne;
    w.st = PresentLocked(next, e);
    if (S_ISLNK(e.st.st_mode)) {
      w.stop = ELOOP;
      ASSIGN_OR_RETURN(w.target, (e.layer == Layer::kUpper ? upper_ : lower_)->ReadLink(next));
      return w;
    }
    w.walked = i + 1;
    path = std::move(next);
  }
  return w;
}

Result<std::shared_ptr<vfs::File>> OverlayFs::Open(const std::string& path, const vfs::OpenRequest& req) {
  std::lock_guard<std::mutex> l(mu_);
  auto e = LookupLocked(path);
  if (!e.ok()) {
    if (e.error().code() != ENOENT || !(req.flags & O_CREAT)) return e.error();
    TRY(PrepareCreateLocked(path));
    return upper_->Open(path, req);
  }
  if ((req.flags & O_CREAT) && (req.flags & O_EXCL)) return Error(EEXIST, "");
  const int acc = req.flags & O_ACCMODE;
  if (S_ISDIR(e->st.st_mode)) {
    if (acc != O_RDONLY && !(req.flags & O_PATH)) return Error(EISDIR, "");
    return std::shared_ptr<vfs::File>(std::make_shared<vfs::PathDirFile>(shared_from_this(), path, req.flags, e->st));
  }
  if (req.flags & O_DIRECTORY) return Error(ENOTDIR, "");
  bool writes = !(req.flags & O_PATH) && (acc != O_RDONLY || (req.flags & O_TRUNC));
  if (e->layer == Layer::kLower && writes && S_ISREG(e->st.st_mode)) {
    TRY(CopyUpLocked(path));
    return upper_->Open(path, req);
  }
  return (e->layer == Layer::kUpper ? upper_ : lower_)->Open(path, req);
}

Result<struct stat> OverlayFs::Stat(const std::string& path, bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(std::string p, FollowLocked(path, follow));
  ASSIGN_OR_RETURN(Entry e, LookupLocked(p));
  return PresentLocked(p, e);
}

Result<std::string> OverlayFs::ReadLink(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  if (!S_ISLNK(e.st.st_mode)) return Error(EINVAL, "");
  return (e.layer == Layer::kUpper ? upper_ : lower_)->ReadLink(path);
}

Status OverlayFs::Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> l(mu_);
  if (LookupLocked(path).ok()) return Error(EEXIST, "");
  ASSIGN_OR_RETURN(bool over_whiteout, PrepareCreateLocked(path));
  Status st = upper_->Mkdir(path, mode, uid, gid);
  if (!st.ok()) {
    if (over_whiteout) whiteouts_.insert(path);
    return st;
  }
  // Made where a lower entry was removed: none of the old one's children show.
  if (over_whiteout) opaque_.insert(path);
  return Ok();
}

Status OverlayFs::Mknod(const std::string& path, mode_t mode, dev_t dev, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> l(mu_);
  if (LookupLocked(path).ok()) return Error(EEXIST, "");
  ASSIGN_OR_RETURN(bool over_whiteout, PrepareCreateLocked(path));
  Status st = upper_->Mknod(path, mode, dev, uid, gid);
  if (!st.ok() && over_whiteout) whiteouts_.insert(path);
  return st;
}

Status OverlayFs::Symlink(const std::string& target, const std::string& path, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> l(mu_);
  if (LookupLocked(path).ok()) return Error(EEXIST, "");
  ASSIGN_OR_RETURN(bool over_whiteout, PrepareCreateLocked(path));
  Status st = upper_->Symlink(target, path, uid, gid);
  if (!st.ok() && over_whiteout) whiteouts_.insert(path);
  return st;
}

Status OverlayFs::Link(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry e, LookupLocked(from));
  if (S_ISDIR(e.st.st_mode)) return Error(EPERM, "");
  if (LookupLocked(to).ok()) return Error(EEXIST, "");
  TRY(CopyUpLocked(from));
  ASSIGN_OR_RETURN(bool over_whiteout, PrepareCreateLocked(to));
  Status st = upper_->Link(from, to);
  if (!st.ok() && over_whiteout) whiteouts_.insert(to);
  return st;
}

Status OverlayFs::Unlink(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  if (S_ISDIR(e.st.st_mode)) return Error(EISDIR, "");
  bool below = e.layer == Layer::kLower || LowerVisibleLocked(path);
  // The whiteout's parent first, so that a failed copy-up changes nothing.
  if (below) TRY(CopyUpLocked(vfs::SplitPath(path).first));
  if (e.layer == Layer::kUpper) TRY(upper_->Unlink(path));
  if (below) whiteouts_.insert(path);
  return Ok();
}

Status OverlayFs::Rmdir(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (path == "/") return Error(EBUSY, "");
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  if (!S_ISDIR(e.st.st_mode)) return Error(ENOTDIR, "");
  ASSIGN_OR_RETURN(bool empty, EmptyLocked(path));
  if (!empty) return Error(ENOTEMPTY, "");
  bool below = e.layer == Layer::kLower || LowerVisibleLocked(path);
  if (below) TRY(CopyUpLocked(vfs::SplitPath(path).first));
  // Merged-empty means the upper directory is empty too: its whiteouts are
  // marks here, not nodes.
  if (e.layer == Layer::kUpper) TRY(upper_->Rmdir(path));
  EraseAtOrBelow(whiteouts_, path);
  EraseAtOrBelow(opaque_, path);
  EraseAtOrBelow(lower_dir_ino_, path);
  if (below) whiteouts_.insert(path);
  return Ok();
}

Status OverlayFs::Rename(const std::string& from, const std::string& to, unsigned flags) {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return Error(EINVAL, "");
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry ef, LookupLocked(from));
  auto et = LookupLocked(to);
  if (!et.ok() && et.error().code() != ENOENT) return et.error();
  const bool to_exists = et.ok();
  if (AtOrBelow(to, from) && to != from) return Error(EINVAL, "");
  if ((flags & RENAME_NOREPLACE) && to_exists) return Error(EEXIST, "");
  if ((flags & RENAME_EXCHANGE) && !to_exists) return Error(ENOENT, "");
  if (from == to) return Ok();
  const bool from_dir = S_ISDIR(ef.st.st_mode);
  const bool from_below = ef.layer == Layer::kLower || LowerVisibleLocked(from);
  // A directory with lower contents would have to move them all: as Linux
  // without redirect_dir, refuse, and `mv` copies instead.
  if (from_dir && from_below) return Error(EXDEV, "");
  bool to_below = false;
  if (to_exists) {
    const bool to_dir = S_ISDIR(et->st.st_mode);
    to_below = et->layer == Layer::kLower || LowerVisibleLocked(to);
    if (flags & RENAME_EXCHANGE) {
      if (to_dir && to_below) return Error(EXDEV, "");
    } else {
      if (from_dir && !to_dir) return Error(ENOTDIR, "");
      if (!from_dir && to_dir) return Error(EISDIR, "");
      if (to_dir) {
        ASSIGN_OR_RETURN(bool empty, EmptyLocked(to));
        if (!empty) return Error(ENOTEMPTY, "");
      }
    }
  }
  TRY(CopyUpLocked(from));
  TRY(CopyUpLocked(vfs::SplitPath(to).first));
  if (flags & RENAME_EXCHANGE) TRY(CopyUpLocked(to));
  TRY(upper_->Rename(from, to, flags));
  if (flags & RENAME_EXCHANGE) {
    const std::string parked = "\n";  // no path can hold it
    MoveMarksLocked(from, parked);
    MoveMarksLocked(to, from);
    MoveMarksLocked(parked, to);
    return Ok();
  }
  whiteouts_.erase(to);
  EraseAtOrBelow(opaque_, to);
  EraseAtOrBelow(whiteouts_, to);
  EraseAtOrBelow(lower_dir_ino_, to);
  MoveMarksLocked(from, to);
  // A directory moved over a lower one (or its whiteout) hides its contents.
  if (from_dir) opaque_.insert(to);
  if (from_below) whiteouts_.insert(from);
  return Ok();
}

Status OverlayFs::Chmod(const std::string& path, mode_t mode, bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(std::string p, FollowLocked(path, follow));
  TRY(LookupLocked(p));
  TRY(CopyUpLocked(p));
  return upper_->Chmod(p, mode, false);
}

Status OverlayFs::Chown(const std::string& path, uid_t uid, gid_t gid, bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(std::string p, FollowLocked(path, follow));
  TRY(LookupLocked(p));
  TRY(CopyUpLocked(p));
  return upper_->Chown(p, uid, gid, false);
}

Status OverlayFs::Utimens(const std::string& path, const struct timespec times[2], bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(std::string p, FollowLocked(path, follow));
  TRY(LookupLocked(p));
  TRY(CopyUpLocked(p));
  return upper_->Utimens(p, times, false);
}

Status OverlayFs::Truncate(const std::string& path, uint64_t len) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  if (S_ISDIR(e.st.st_mode)) return Error(EISDIR, "");
  TRY(CopyUpLocked(path));
  return upper_->Truncate(path, len);
}

Result<struct statfs> OverlayFs::StatFs() {
  ASSIGN_OR_RETURN(struct statfs sf, upper_->StatFs());
  sf.f_type = kOverlayMagic;
  return sf;
}

Result<std::string> OverlayFs::GetXattr(const std::string& path, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  return (e.layer == Layer::kUpper ? upper_ : lower_)->GetXattr(path, name);
}

Status OverlayFs::SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags) {
  std::lock_guard<std::mutex> l(mu_);
  TRY(LookupLocked(path));
  TRY(CopyUpLocked(path));
  return upper_->SetXattr(path, name, value, flags);
}

Result<std::vector<std::string>> OverlayFs::ListXattr(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(Entry e, LookupLocked(path));
  return (e.layer == Layer::kUpper ? upper_ : lower_)->ListXattr(path);
}

Status OverlayFs::RemoveXattr(const std::string& path, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  TRY(LookupLocked(path));
  TRY(CopyUpLocked(path));
  return upper_->RemoveXattr(path, name);
}

Result<std::vector<vfs::Dirent>> OverlayFs::ListDir(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  return ReadDirLocked(path);
}

}  // namespace stockade::sentry::fsimpl
