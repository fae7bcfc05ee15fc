#include "sentry/fsimpl/gofer/gofer_fs.h"

#include <fcntl.h>

#include <cstring>

// Requests are built with designated initializers; unnamed fields stay zero.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "sentry/fsimpl/gofer/gofer_file.h"
#include "sentry/vfs/listed_dir_file.h"

namespace stockade::sentry::fsimpl {
namespace {

// "/a/b" -> "a/b", "/" -> "": the protocol's paths are relative to the root.
std::string Wire(const std::string& path) {
  size_t i = 0;
  while (i < path.size() && path[i] == '/') ++i;
  return path.substr(i);
}

size_t Depth(const std::string& path) { return vfs::PathComponents(path).size(); }

// The open(2) flags the gofer takes; the rest are the Sentry's own business
// (close-on-exec, the controlling terminal, the kernel's O_LARGEFILE bit).
constexpr int kWireOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
                               O_SYNC | O_DIRECT | O_NOATIME | O_DIRECTORY;

template <typename T>
Result<T> Decode(const std::string& payload) {
  T v;
  if (payload.size() < sizeof v) return Error(EIO, "short reply from the gofer");
  std::memcpy(&v, payload.data(), sizeof v);
  return v;
}

}  // namespace

// Bounds the caches: a rootfs walked beyond this starts them afresh.
constexpr size_t kMaxCached = 1 << 16;

Result<GoferFs::RawWalk> GoferFs::WalkRaw(const std::string& path) {
  if (cache_walks_) {
    std::lock_guard<std::mutex> l(cache_mu_);
    if (auto it = walks_.find(path); it != walks_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto reply, client_->Call({.op = gofer::Op::kWalk, .path = Wire(path)}));
  ASSIGN_OR_RETURN(auto r, Decode<gofer::WalkReply>(reply.payload));
  RawWalk raw{r, r.stop == ELOOP ? reply.payload.substr(sizeof r) : std::string()};
  if (cache_walks_) {
    std::lock_guard<std::mutex> l(cache_mu_);
    if (walks_.size() >= kMaxCached) walks_.clear();
    walks_.emplace(path, raw);
  }
  return raw;
}

Result<vfs::FsWalk> GoferFs::WalkWire(const std::string& path, size_t skip) {
  ASSIGN_OR_RETURN(RawWalk raw, WalkRaw(path));
  const gofer::WalkReply& r = raw.reply;
  size_t total = Depth(path);
  if (r.walked > total || (r.stop != 0 && r.stop != ENOENT && r.stop != ELOOP && r.stop != ENOTDIR) ||
      (r.stop == 0 && r.walked != total) || (r.stop == ENOENT && r.walked >= total) ||
      (r.stop == ELOOP && r.walked >= total)) {
    return Error(EIO, "inconsistent walk reply from the gofer");
  }
  // The directory part was resolved before; a stop inside it means the tree
  // changed under us (a directory replaced by a symlink, or removed).
  if (r.walked < skip && r.stop != 0) return Error(r.stop == ENOTDIR ? ENOTDIR : ENOENT, "");
  vfs::FsWalk w;
  w.walked = r.walked - skip;
  w.stop = r.stop;
  w.st = gofer::FromWire(r.st);
  if (r.stop == ELOOP) w.target = std::move(raw.target);
  return w;
}

Result<vfs::FsWalk> GoferFs::Walk(const std::string& dir, const std::vector<std::string>& comps) {
  std::string path = dir;
  for (const auto& c : comps) {
    if (c.empty() || c == "." || c == ".." || c.find('/') != std::string::npos) return Error(EINVAL, "");
    path = vfs::JoinPath(path, c);
  }
  return WalkWire(path, Depth(dir));
}

Result<struct stat> GoferFs::Stat(const std::string& path, bool follow) {
  std::string cur = path;
  for (int links = 0; links <= 40; ++links) {
    ASSIGN_OR_RETURN(vfs::FsWalk w, WalkWire(cur, 0));
    size_t total = Depth(cur);
    if (w.stop == 0) return w.st;
    if (w.stop == ENOENT) return Error(ENOENT, "");
    if (w.stop == ENOTDIR) return Error(ENOTDIR, "");
    // A symlink: the kernel's walk resolves links across mounts before it
    // asks; only a link as the last component, asked to be followed, is
    // resolved here, within this file system.
    bool last = w.walked + 1 == total;
    if (last && !follow) return w.st;
    if (!last) return Error(ENOENT, "");
    if (w.target.empty()) return Error(ENOENT, "");
    cur = vfs::CleanPath(vfs::SplitPath(cur).first, w.target);
  }
  return Error(ELOOP, "");
}

Result<std::string> GoferFs::ReadLink(const std::string& path) {
  ASSIGN_OR_RETURN(vfs::FsWalk w, WalkWire(path, 0));
  if (w.stop == ELOOP && w.walked + 1 == Depth(path)) return w.target;
  if (w.stop == 0) return Error(EINVAL, "");
  return Error(w.stop == ENOTDIR ? ENOTDIR : ENOENT, "");
}

Result<std::shared_ptr<vfs::File>> GoferFs::Open(const std::string& path, const vfs::OpenRequest& req) {
  if (req.flags & O_PATH) {
    ASSIGN_OR_RETURN(struct stat st, Stat(path, false));
    if ((req.flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) return Error(ENOTDIR, "");
    return std::shared_ptr<vfs::File>(std::make_shared<vfs::PathDirFile>(shared_from_this(), path, req.flags, st));
  }
  gofer::Request r{.op = gofer::Op::kOpen};
  r.flags = static_cast<uint32_t>(req.flags & kWireOpenFlags);
  r.mode = req.mode;
  r.uid = req.uid;
  r.gid = req.gid;
  r.path = Wire(path);
  ASSIGN_OR_RETURN(auto reply, client_->Call(r));
  ASSIGN_OR_RETURN(auto ws, Decode<gofer::WireStat>(reply.payload));
  struct stat st = gofer::FromWire(ws);
  if (S_ISREG(st.st_mode)) {
    if (!reply.fd) return Error(EIO, "the gofer donated no FD for a regular file");
    return std::shared_ptr<vfs::File>(
        std::make_shared<GoferFile>(shared_from_this(), path, std::move(reply.fd), req.flags, st));
  }
  if (S_ISDIR(st.st_mode)) {
    return std::shared_ptr<vfs::File>(std::make_shared<vfs::PathDirFile>(shared_from_this(), path, req.flags, st));
  }
  // Device nodes in an image are not passed through to the host.
  return Error(EPERM, "");
}

Status GoferFs::Simple(gofer::Request r) {
  ASSIGN_OR_RETURN(auto reply, client_->Call(r));
  (void)reply;
  return Ok();
}

Status GoferFs::Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  return Simple({.op = gofer::Op::kMkdir, .mode = mode, .uid = uid, .gid = gid, .path = Wire(path)});
}

Status GoferFs::Mknod(const std::string& path, mode_t mode, dev_t dev, uid_t uid, gid_t gid) {
  return Simple({.op = gofer::Op::kMknod, .mode = mode, .uid = uid, .gid = gid, .path = Wire(path)});
}

Status GoferFs::Unlink(const std::string& path) { return Simple({.op = gofer::Op::kUnlink, .path = Wire(path)}); }

Status GoferFs::Rmdir(const std::string& path) {
  return Simple({.op = gofer::Op::kUnlink, .flags = AT_REMOVEDIR, .path = Wire(path)});
}

Status GoferFs::Rename(const std::string& from, const std::string& to, unsigned flags) {
  return Simple({.op = gofer::Op::kRename, .flags = flags, .path = Wire(from), .path2 = Wire(to)});
}

Status GoferFs::Symlink(const std::string& target, const std::string& path, uid_t uid, gid_t gid) {
  return Simple({.op = gofer::Op::kSymlink, .uid = uid, .gid = gid, .path = Wire(path), .path2 = target});
}

Status GoferFs::Link(const std::string& from, const std::string& to) {
  return Simple({.op = gofer::Op::kLink, .path = Wire(from), .path2 = Wire(to)});
}

Status GoferFs::SetAttr(gofer::Request r) {
  r.op = gofer::Op::kSetAttr;
  return Simple(std::move(r));
}

Status GoferFs::Chmod(const std::string& path, mode_t mode, bool follow) {
  return SetAttr({.flags = gofer::kSetMode, .mode = mode, .path = Wire(path)});
}

Status GoferFs::Chown(const std::string& path, uid_t uid, gid_t gid, bool follow) {
  uint32_t mask = (uid != static_cast<uid_t>(-1) ? gofer::kSetUid : 0) |
                  (gid != static_cast<gid_t>(-1) ? gofer::kSetGid : 0);
  if (mask == 0) return Ok();
  return SetAttr({.flags = mask, .uid = uid, .gid = gid, .path = Wire(path)});
}

Status GoferFs::Utimens(const std::string& path, const struct timespec times[2], bool follow) {
  gofer::Request r{.flags = gofer::kSetAtime | gofer::kSetMtime, .path = Wire(path)};
  auto wire_nsec = [](long nsec) -> int64_t {
    if (nsec == UTIME_NOW) return gofer::kTimeNow;
    if (nsec == UTIME_OMIT) return gofer::kTimeOmit;
    return nsec;
  };
  if (times) {
    r.atime_sec = times[0].tv_sec;
    r.atime_nsec = wire_nsec(times[0].tv_nsec);
    r.mtime_sec = times[1].tv_sec;
    r.mtime_nsec = wire_nsec(times[1].tv_nsec);
  } else {
    r.atime_nsec = r.mtime_nsec = gofer::kTimeNow;
  }
  return SetAttr(std::move(r));
}

Status GoferFs::Truncate(const std::string& path, uint64_t len) {
  return SetAttr({.flags = gofer::kSetSize, .size = len, .path = Wire(path)});
}

namespace {

// Only user.* attributes reach the host (the gofer refuses the others).
Status CheckUserXattr(const std::string& name) {
  if (name.rfind(gofer::kXattrUserPrefix, 0) != 0) return Error(EOPNOTSUPP, "");
  return Ok();
}

}  // namespace

Result<std::string> GoferFs::GetXattr(const std::string& path, const std::string& name) {
  TRY(CheckUserXattr(name));
  ASSIGN_OR_RETURN(auto reply, client_->Call({.op = gofer::Op::kGetXattr, .path = Wire(path), .path2 = name}));
  return std::move(reply.payload);
}

Status GoferFs::SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags) {
  TRY(CheckUserXattr(name));
  return Simple({.op = gofer::Op::kSetXattr,
                 .flags = static_cast<uint32_t>(flags),
                 .size = name.size(),
                 .path = Wire(path),
                 .path2 = name + value});
}

Result<std::vector<std::string>> GoferFs::ListXattr(const std::string& path) {
  ASSIGN_OR_RETURN(auto reply, client_->Call({.op = gofer::Op::kListXattr, .path = Wire(path)}));
  std::vector<std::string> names;
  const std::string& p = reply.payload;
  for (size_t pos = 0; pos < p.size();) {
    size_t end = p.find('\0', pos);
    if (end == std::string::npos) return Error(EIO, "unterminated attribute name from the gofer");
    names.push_back(p.substr(pos, end - pos));
    pos = end + 1;
  }
  return names;
}

Status GoferFs::RemoveXattr(const std::string& path, const std::string& name) {
  TRY(CheckUserXattr(name));
  return Simple({.op = gofer::Op::kRemoveXattr, .path = Wire(path), .path2 = name});
}

Result<struct statfs> GoferFs::StatFs() {
  ASSIGN_OR_RETURN(auto reply, client_->Call({.op = gofer::Op::kStatFs}));
  ASSIGN_OR_RETURN(auto w, Decode<gofer::WireStatFs>(reply.payload));
  return gofer::FromWire(w);
}

Result<std::vector<vfs::Dirent>> GoferFs::ListDir(const std::string& path) {
  if (!cache_walks_) return ReadDirWire(path);
  {
    std::lock_guard<std::mutex> l(cache_mu_);
    if (auto it = listings_.find(path); it != listings_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(auto listing, ReadDirWire(path));
  std::lock_guard<std::mutex> l(cache_mu_);
  if (listings_.size() >= kMaxCached) listings_.clear();
  listings_.emplace(path, listing);
  return listing;
}

Result<std::vector<vfs::Dirent>> GoferFs::ReadDirWire(const std::string& path) {
  std::vector<vfs::Dirent> out;
  uint64_t cookie = 0;
  while (true) {
    ASSIGN_OR_RETURN(auto reply, client_->Call({.op = gofer::Op::kReadDir, .size = cookie, .path = Wire(path)}));
    const std::string& p = reply.payload;
    if (p.empty()) break;
    for (size_t pos = 0; pos < p.size();) {
      gofer::WireDirent d;
      if (pos + sizeof d > p.size()) return Error(EIO, "short directory entry from the gofer");
      std::memcpy(&d, p.data() + pos, sizeof d);
      pos += sizeof d;
      if (d.name_len == 0 || d.name_len > gofer::kMaxName || pos + d.name_len > p.size()) {
        return Error(EIO, "bad directory entry from the gofer");
      }
      out.push_back({d.ino, d.type, p.substr(pos, d.name_len)});
      pos += d.name_len;
      cookie = d.off;
    }
    if (out.size() > (1u << 22)) return Error(EIO, "directory too large");
  }
  return out;
}

}  // namespace stockade::sentry::fsimpl
