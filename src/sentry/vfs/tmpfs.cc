#include "sentry/vfs/tmpfs.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace stockade::sentry::vfs {

// What a TmpFs's files hold, against its size= limit (0: none). Inodes keep
// it, so a file that outlives its last name and the file system's other
// users still gives its bytes back when it goes.
struct TmpUsage {
  std::atomic<uint64_t> used{0};
  uint64_t limit = 0;
};

struct TmpInode {
  ~TmpInode() {
    if (usage) usage->used -= Footprint();
  }
  // The bytes it counts against the limit: its data, or more if reserved.
  uint64_t Footprint() const { return std::max<uint64_t>(data.size(), allocated); }

  std::shared_ptr<TmpUsage> usage;
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  nlink_t nlink = 1;
  uint64_t ino = 0;
  dev_t rdev = 0;
  struct timespec atime {}, mtime {}, ctime {};
  std::string data;                                         // regular file
  uint64_t allocated = 0;  // bytes fallocate(KEEP_SIZE) reserved, counted in st_blocks
  std::map<std::string, std::shared_ptr<TmpInode>> children;  // directory
  std::weak_ptr<TmpInode> parent;                           // directory
  std::string target;                                       // symlink
  DeviceOpener device;                                      // device node
  std::map<std::string, std::string> xattrs;                // name -> value
};

namespace {

struct timespec Now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

uint8_t DirentType(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFDIR: return 4;
    case S_IFREG: return 8;
    case S_IFLNK: return 10;
    case S_IFCHR: return 2;
    case S_IFBLK: return 6;
    case S_IFIFO: return 1;
    case S_IFSOCK: return 12;
  }
  return 0;
}

// Gives n `size` bytes of data and `allocated` reserved, if the file
// system's size limit allows the growth (ENOSPC otherwise, changing nothing).
Status ResizeLocked(TmpInode& n, uint64_t size, uint64_t allocated) {
  uint64_t before = n.Footprint(), after = std::max(size, allocated);
  if (n.usage && after > before) {
    uint64_t used = n.usage->used.load();
    if (n.usage->limit && after - before > n.usage->limit - std::min(used, n.usage->limit)) {
      return Error(ENOSPC, "");
    }
  }
  n.data.resize(size);
  n.allocated = allocated;
  if (n.usage) n.usage->used += after - before;  // wraps correctly when it shrinks
  return Ok();
}

// truncate(2): blocks reserved beyond the new size are freed with the data.
Status TruncateLocked(TmpInode& n, uint64_t len) {
  TRY(ResizeLocked(n, len, std::min(n.allocated, len)));
  n.mtime = n.ctime = Now();
  return Ok();
}

// An open regular file or directory of a TmpFs.

class TmpFile : public File, public mm::Mappable {
 public:
  TmpFile(std::shared_ptr<TmpFs> fs, std::shared_ptr<TmpInode> n, int flags)
      : File(flags), fs_(std::move(fs)), n_(std::move(n)) {}

  Result<size_t> Read(Waiter&, void* buf, size_t len) override {
    if (!readable()) return Error(EBADF, "");
    std::lock_guard<std::mutex> pl(pos_mu);
    ASSIGN_OR_RETURN(size_t n, PRead(buf, len, pos_));
    pos_ += n;
    return n;
  }
  Result<size_t> Write(Waiter&, const void* buf, size_t len) override {
    if (!writable()) return Error(EBADF, "");
    std::lock_guard<std::mutex> pl(pos_mu);
    if (S_ISDIR(n_->mode)) return Error(EISDIR, "");
    // The end found and the write made under one lock: appends through
    // other descriptions cannot land in between.
    std::lock_guard<std::mutex> l(fs_->mu());
    if (flags() & O_APPEND) pos_ = n_->data.size();
    ASSIGN_OR_RETURN(size_t n, PWriteLocked(buf, len, pos_));
    pos_ += n;
    return n;
  }
  Result<size_t> PRead(void* buf, size_t len, uint64_t off) override {
    if (S_ISDIR(n_->mode)) return Error(EISDIR, "");
    std::lock_guard<std::mutex> l(fs_->mu());
    if (off >= n_->data.size()) return size_t{0};
    size_t n = std::min<size_t>(len, n_->data.size() - off);
    memcpy(buf, n_->data.data() + off, n);
    return n;
  }
  Result<size_t> PWrite(const void* buf, size_t len, uint64_t off) override {
    if (S_ISDIR(n_->mode)) return Error(EISDIR, "");
    std::lock_guard<std::mutex> l(fs_->mu());
    return PWriteLocked(buf, len, off);
  }
  // fs_->mu() is held.
  Result<size_t> PWriteLocked(const void* buf, size_t len, uint64_t off) {
    if (len == 0) return size_t{0};  // an empty write changes nothing
    if (off + len < off || off + len > (1ull << 34)) return Error(EFBIG, "");
    if (n_->data.size() < off + len) TRY(ResizeLocked(*n_, off + len, n_->allocated));
    memcpy(n_->data.data() + off, buf, len);
    n_->mtime = n_->ctime = Now();
    return len;
  }
  Result<int64_t> Seek(int64_t off, int whence) override {
    std::lock_guard<std::mutex> pl(pos_mu);
    int64_t base = 0;
    if (whence == SEEK_CUR) base = static_cast<int64_t>(pos_);
    else if (whence == SEEK_END) {
      std::lock_guard<std::mutex> l(fs_->mu());
      base = static_cast<int64_t>(S_ISDIR(n_->mode) ? 0 : n_->data.size());
    } else if (whence != SEEK_SET) return Error(EINVAL, "");
    if (off + base < 0) return Error(EINVAL, "");
    pos_ = static_cast<uint64_t>(off + base);
    if (S_ISDIR(n_->mode)) dir_pos = pos_;
    return static_cast<int64_t>(pos_);
  }
  Result<struct stat> Stat() override {
    std::lock_guard<std::mutex> l(fs_->mu());
    return fs_->StatLocked(*n_);
  }
  Result<struct statfs> StatFs() override { return fs_->StatFs(); }
  Result<std::vector<Dirent>> ReadDir() override {
    if (!S_ISDIR(n_->mode)) return Error(ENOTDIR, "");
    std::lock_guard<std::mutex> l(fs_->mu());
    std::vector<Dirent> out;
    out.push_back({n_->ino, 4, "."});
    auto parent = n_->parent.lock();
    out.push_back({parent ? parent->ino : n_->ino, 4, ".."});
    for (const auto& [name, c] : n_->children) out.push_back({c->ino, DirentType(c->mode), name});
    return out;
  }
  Status Truncate(uint64_t len) override {
    if (!S_ISREG(n_->mode)) return Error(EINVAL, "");
    std::lock_guard<std::mutex> l(fs_->mu());
    return TruncateLocked(*n_, len);
  }
  // The file holds every byte in memory: allocating is growing (or, with
  // KEEP_SIZE, only counted), and punching a hole zeroes the range in place.
  Status Allocate(int mode, uint64_t off, uint64_t len) override {
    std::lock_guard<std::mutex> l(fs_->mu());
    uint64_t end = off + len, size = n_->data.size();
    switch (mode) {
      case 0:
        if (end > size) TRY(ResizeLocked(*n_, end, n_->allocated));
        break;
      case FALLOC_FL_KEEP_SIZE:
        return ResizeLocked(*n_, size, std::max(n_->allocated, end));
      case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE:
        if (off < size) std::fill(n_->data.begin() + off, n_->data.begin() + std::min(end, size), '\0');
        break;
      default:
        return Error(EOPNOTSUPP, "");
    }
    n_->mtime = n_->ctime = Now();
    return Ok();
  }
  Status Sync() override { return Ok(); }  // the data is in memory already
  Status Chmod(mode_t mode) override {
    std::lock_guard<std::mutex> l(fs_->mu());
    n_->mode = (n_->mode & S_IFMT) | (mode & 07777);
    return Ok();
  }
  Status Chown(uid_t uid, gid_t gid) override {
    std::lock_guard<std::mutex> l(fs_->mu());
    if (uid != static_cast<uid_t>(-1)) n_->uid = uid;
    if (gid != static_cast<gid_t>(-1)) n_->gid = gid;
    return Ok();
  }
  short Readiness(short events) override { return events & (POLLIN_ | POLLOUT_); }

  Result<std::shared_ptr<mm::Mappable>> Mappable() override {
    if (!S_ISREG(n_->mode)) return Error(ENODEV, "");
    return std::shared_ptr<mm::Mappable>(std::static_pointer_cast<TmpFile>(shared_from_this()));
  }
  // mm::Mappable: private mappings copy these bytes, shared ones write back.
  Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) override { return PRead(buf, len, off); }
  Result<size_t> WriteAt(uint64_t off, const void* buf, size_t len) override { return PWrite(buf, len, off); }
  Result<uint64_t> Size() override {
    std::lock_guard<std::mutex> l(fs_->mu());
    return static_cast<uint64_t>(n_->data.size());
  }
  std::string MapsName() const override { return DisplayName(); }
  dev_t MapsDev() const override { return fs_->dev(); }
  ino_t MapsIno() const override { return n_->ino; }

 private:
  std::shared_ptr<TmpFs> fs_;
  std::shared_ptr<TmpInode> n_;
  uint64_t pos_ = 0;
};

class NullFile : public File {
 public:
  explicit NullFile(int flags) : File(flags) {}
  Result<size_t> Read(Waiter&, void*, size_t) override { return size_t{0}; }
  Result<size_t> Write(Waiter&, const void*, size_t len) override { return len; }
  Result<size_t> PRead(void*, size_t, uint64_t) override { return size_t{0}; }
  Result<size_t> PWrite(const void*, size_t len, uint64_t) override { return len; }
  Result<int64_t> Seek(int64_t, int) override { return int64_t{0}; }
  Result<struct stat> Stat() override {
    struct stat st {};
    st.st_mode = S_IFCHR | 0666;
    st.st_rdev = makedev(1, 3);
    st.st_nlink = 1;
    st.st_blksize = 4096;
    return st;
  }
};

class ZeroFile : public NullFile {
 public:
  ZeroFile(int flags, bool full) : NullFile(flags), full_(full) {}
  Result<size_t> Read(Waiter&, void* buf, size_t len) override {
    memset(buf, 0, len);
    return len;
  }
  Result<size_t> PRead(void* buf, size_t len, uint64_t) override {
    memset(buf, 0, len);
    return len;
  }
  Result<size_t> Write(Waiter&, const void*, size_t len) override {
    if (full_) return Error(ENOSPC, "");
    return len;
  }
  Result<struct stat> Stat() override {
    auto st = NullFile::Stat();
    st->st_rdev = makedev(1, full_ ? 7 : 5);
    return st;
  }

 private:
  bool full_;
};

class RandomFile : public NullFile {
 public:
  using NullFile::NullFile;
  Result<size_t> Read(Waiter&, void* buf, size_t len) override {
    size_t done = 0;
    while (done < len) {
      ssize_t n = getrandom(static_cast<char*>(buf) + done, len - done, 0);
      if (n < 0) return Error(errno, "");
      done += static_cast<size_t>(n);
    }
    return len;
  }
  Result<struct stat> Stat() override {
    auto st = NullFile::Stat();
    st->st_rdev = makedev(1, 9);
    return st;
  }
};

}  // namespace

std::shared_ptr<File> NewNullFile(int flags) { return std::make_shared<NullFile>(flags); }
std::shared_ptr<File> NewZeroFile(int flags, bool full) { return std::make_shared<ZeroFile>(flags, full); }
std::shared_ptr<File> NewRandomFile(int flags) { return std::make_shared<RandomFile>(flags); }

TmpFs::TmpFs(dev_t dev, mode_t root_mode, long magic)
    : dev_(dev), magic_(magic), usage_(std::make_shared<TmpUsage>()) {
  root_ = NewInodeLocked(S_IFDIR | root_mode, 0, 0);
  root_->nlink = 2;
}

std::shared_ptr<TmpInode> TmpFs::NewInodeLocked(mode_t mode, uid_t uid, gid_t gid) {
  auto n = std::make_shared<TmpInode>();
  n->usage = usage_;
  n->mode = mode;
  n->uid = uid;
  n->gid = gid;
  n->ino = next_ino_++;
  n->atime = n->mtime = n->ctime = Now();
  return n;
}

struct stat TmpFs::StatLocked(const TmpInode& n) const {
  struct stat st {};
  st.st_dev = dev_;
  st.st_ino = n.ino;
  st.st_mode = n.mode;
  st.st_nlink = n.nlink;
  st.st_uid = n.uid;
  st.st_gid = n.gid;
  st.st_rdev = n.rdev;
  st.st_size = S_ISREG(n.mode) ? static_cast<off_t>(n.data.size())
               : S_ISLNK(n.mode) ? static_cast<off_t>(n.target.size())
               : S_ISDIR(n.mode) ? static_cast<off_t>(40 + 20 * n.children.size()) : 0;
  st.st_blksize = 4096;
  uint64_t used = std::max<uint64_t>(static_cast<uint64_t>(st.st_size), S_ISREG(n.mode) ? n.allocated : 0);
  st.st_blocks = static_cast<blkcnt_t>((used + 511) / 512);
  st.st_atim = n.atime;
  st.st_mtim = n.mtime;
  st.st_ctim = n.ctime;
  return st;
}

Result<std::shared_ptr<TmpInode>> TmpFs::LookupLocked(const std::string& path, bool follow, int depth) const {
  if (depth > 40) return Error(ELOOP, "");
  auto comps = PathComponents(path);
  auto cur = root_;
  std::string walked;
  for (size_t i = 0; i < comps.size(); i++) {
    if (!S_ISDIR(cur->mode)) return Error(ENOTDIR, "");
    auto it = cur->children.find(comps[i]);
    if (it == cur->children.end()) return Error(ENOENT, "");
    auto next = it->second;
    bool last = i + 1 == comps.size();
    if (S_ISLNK(next->mode) && (!last || follow)) {
      // Targets resolve inside this file system.
      std::string rest;
      for (size_t j = i + 1; j < comps.size(); j++) rest += "/" + comps[j];
      std::string target = CleanPath(walked.empty() ? "/" : walked, next->target) + rest;
      return LookupLocked(target, follow, depth + 1);
    }
    walked += "/" + comps[i];
    cur = next;
  }
  return cur;
}

Result<std::pair<std::shared_ptr<TmpInode>, std::string>> TmpFs::ParentLocked(const std::string& path) const {
  auto [dir, name] = SplitPath(path);
  if (name.empty()) return Error(EBUSY, "");
  ASSIGN_OR_RETURN(auto d, LookupLocked(dir, true));
  if (!S_ISDIR(d->mode)) return Error(ENOTDIR, "");
  return std::make_pair(d, name);
}

Result<std::shared_ptr<File>> TmpFs::Open(const std::string& path, const OpenRequest& req) {
  std::shared_ptr<TmpInode> n;
  {
    std::lock_guard<std::mutex> l(mu_);
    bool follow = !(req.flags & O_NOFOLLOW);
    auto found = LookupLocked(path, follow);
    if (found.ok()) {
      if ((req.flags & O_CREAT) && (req.flags & O_EXCL)) return Error(EEXIST, "");
      n = *found;
    } else if (found.error().code() == ENOENT && (req.flags & O_CREAT)) {
      ASSIGN_OR_RETURN(auto p, ParentLocked(path));
      // O_CREAT|O_EXCL never follows a final symlink: a dangling one exists.
      if ((req.flags & O_EXCL) && p.first->children.count(p.second)) return Error(EEXIST, "");
      if (p.first->children.count(p.second)) {
        // A dangling symlink as the last component: Linux creates its target;
        // we keep to this file system and refuse.
        return Error(ENOENT, "");
      }
      n = NewInodeLocked(S_IFREG | (req.mode & 07777), req.uid, req.gid);
      p.first->children[p.second] = n;
      p.first->mtime = p.first->ctime = n->ctime;
    } else {
      return found.error();
    }
    if ((req.flags & O_DIRECTORY) && !S_ISDIR(n->mode)) return Error(ENOTDIR, "");
    // O_PATH|O_NOFOLLOW opens a symlink itself; anything else stops at it.
    if (S_ISLNK(n->mode) && !((req.flags & O_PATH) && (req.flags & O_NOFOLLOW))) return Error(ELOOP, "");
    if (S_ISDIR(n->mode) && (req.flags & O_ACCMODE) != O_RDONLY) return Error(EISDIR, "");
    // O_TRUNC truncates whatever the access mode (the caller checked write
    // permission), as Linux does.
    if (S_ISREG(n->mode) && (req.flags & O_TRUNC) && !(req.flags & O_PATH) && !n->data.empty()) {
      n->data.clear();
      n->mtime = n->ctime = Now();
    }
  }
  std::shared_ptr<File> f;
  if (S_ISCHR(n->mode) && n->device && !(req.flags & O_PATH)) {
    ASSIGN_OR_RETURN(f, n->device(req.flags));
  } else {
    f = std::make_shared<TmpFile>(shared_from_this(), n, req.flags);
  }
  return f;
}

Result<struct stat> TmpFs::Stat(const std::string& path, bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, follow));
  return StatLocked(*n);
}

Result<std::string> TmpFs::ReadLink(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, false));
  if (!S_ISLNK(n->mode)) return Error(EINVAL, "");
  return n->target;
}

Status TmpFs::Mkdir(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto p, ParentLocked(path));
  if (p.first->children.count(p.second)) return Error(EEXIST, "");
  // A directory made in a set-group-ID directory takes its group and the bit.
  if (p.first->mode & S_ISGID) {
    gid = p.first->gid;
    mode |= S_ISGID;
  }
  auto n = NewInodeLocked(S_IFDIR | (mode & 07777), uid, gid);
  n->nlink = 2;
  n->parent = p.first;
  p.first->children[p.second] = n;
  p.first->nlink++;
  p.first->mtime = p.first->ctime = n->ctime;
  return Ok();
}

Status TmpFs::Mknod(const std::string& path, mode_t mode, dev_t dev, uid_t uid, gid_t gid) {
  if (!S_ISFIFO(mode) && !S_ISREG(mode) && !S_ISSOCK(mode) && (mode & S_IFMT) != 0) return Error(EPERM, "");
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto p, ParentLocked(path));
  if (p.first->children.count(p.second)) return Error(EEXIST, "");
  if ((mode & S_IFMT) == 0) mode |= S_IFREG;
  auto n = NewInodeLocked(mode, uid, gid);
  n->rdev = dev;
  p.first->children[p.second] = n;
  p.first->mtime = p.first->ctime = n->ctime;
  return Ok();
}

Status TmpFs::AddDevice(const std::string& path, mode_t mode, dev_t rdev, DeviceOpener open) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto p, ParentLocked(path));
  auto n = NewInodeLocked(S_IFCHR | (mode & 07777), 0, 0);
  n->rdev = rdev;
  n->device = std::move(open);
  p.first->children[p.second] = n;
  return Ok();
}

Status TmpFs::Unlink(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto p, ParentLocked(path));
  auto it = p.first->children.find(p.second);
  if (it == p.first->children.end()) return Error(ENOENT, "");
  if (S_ISDIR(it->second->mode)) return Error(EISDIR, "");
  it->second->nlink--;
  p.first->children.erase(it);
  p.first->mtime = p.first->ctime = Now();
  return Ok();
}

Status TmpFs::Rmdir(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (path == "/") return Error(EBUSY, "");
  ASSIGN_OR_RETURN(auto p, ParentLocked(path));
  if (p.second == ".") return Error(EINVAL, "");
  auto it = p.first->children.find(p.second);
  if (it == p.first->children.end()) return Error(ENOENT, "");
  if (!S_ISDIR(it->second->mode)) return Error(ENOTDIR, "");
  if (!it->second->children.empty()) return Error(ENOTEMPTY, "");
  it->second->nlink = 0;  // what an open FD of it now reports
  p.first->children.erase(it);
  p.first->nlink--;
  p.first->mtime = p.first->ctime = Now();
  return Ok();
}

Status TmpFs::Rename(const std::string& from, const std::string& to, unsigned flags) {
  constexpr unsigned kNoReplace = 1, kExchange = 2;
  if (flags & ~(kNoReplace | kExchange)) return Error(EINVAL, "");
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto a, ParentLocked(from));
  ASSIGN_OR_RETURN(auto b, ParentLocked(to));
  auto src = a.first->children.find(a.second);
  if (src == a.first->children.end()) return Error(ENOENT, "");
  if (to.size() > from.size() && to.compare(0, from.size(), from) == 0 && to[from.size()] == '/') {
    return Error(EINVAL, "");  // into its own subtree
  }
  auto dst = b.first->children.find(b.second);
  if (flags & kExchange) {
    if (dst == b.first->children.end()) return Error(ENOENT, "");
    std::swap(src->second, dst->second);
    // Each directory now hangs under the other's old parent, whose link
    // count its ".." moves to.
    if (S_ISDIR(src->second->mode)) {
      src->second->parent = a.first;
      a.first->nlink++;
      b.first->nlink--;
    }
    if (S_ISDIR(dst->second->mode)) {
      dst->second->parent = b.first;
      b.first->nlink++;
      a.first->nlink--;
    }
    src->second->ctime = dst->second->ctime = Now();
    return Ok();
  }
  if (dst != b.first->children.end()) {
    if (flags & kNoReplace) return Error(EEXIST, "");
    // Two names of one file (hard links): nothing to do, as Linux.
    if (from == to || src->second == dst->second) return Ok();
    bool sdir = S_ISDIR(src->second->mode), ddir = S_ISDIR(dst->second->mode);
    if (sdir && !ddir) return Error(ENOTDIR, "");
    if (!sdir && ddir) return Error(EISDIR, "");
    if (ddir && !dst->second->children.empty()) return Error(ENOTEMPTY, "");
  }
  auto n = src->second;
  if (dst != b.first->children.end()) {
    // The replaced file loses this name; a replaced directory is gone, and
    // so is its ".." in the parent's count.
    if (S_ISDIR(dst->second->mode)) {
      dst->second->nlink = 0;
      b.first->nlink--;
    } else {
      dst->second->nlink--;
    }
  }
  a.first->children.erase(src);
  b.first->children[b.second] = n;
  if (S_ISDIR(n->mode) && a.first != b.first) {
    n->parent = b.first;
    a.first->nlink--;  // the moved directory's ".." now counts for its new parent
    b.first->nlink++;
  }
  n->ctime = a.first->mtime = a.first->ctime = b.first->mtime = b.first->ctime = Now();
  return Ok();
}

Status TmpFs::Symlink(const std::string& target, const std::string& path, uid_t uid, gid_t gid) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto p, ParentLocked(path));
  if (p.first->children.count(p.second)) return Error(EEXIST, "");
  auto n = NewInodeLocked(S_IFLNK | 0777, uid, gid);
  n->target = target;
  p.first->children[p.second] = n;
  p.first->mtime = p.first->ctime = n->ctime;
  return Ok();
}

Status TmpFs::Link(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(from, false));
  if (S_ISDIR(n->mode)) return Error(EPERM, "");
  ASSIGN_OR_RETURN(auto p, ParentLocked(to));
  if (p.first->children.count(p.second)) return Error(EEXIST, "");
  p.first->children[p.second] = n;
  n->nlink++;
  n->ctime = p.first->mtime = p.first->ctime = Now();
  return Ok();
}

Status TmpFs::Chmod(const std::string& path, mode_t mode, bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, follow));
  n->mode = (n->mode & S_IFMT) | (mode & 07777);
  n->ctime = Now();
  return Ok();
}

Status TmpFs::Chown(const std::string& path, uid_t uid, gid_t gid, bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, follow));
  if (uid != static_cast<uid_t>(-1)) n->uid = uid;
  if (gid != static_cast<gid_t>(-1)) n->gid = gid;
  n->ctime = Now();
  return Ok();
}

Status TmpFs::Utimens(const std::string& path, const struct timespec times[2], bool follow) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, follow));
  struct timespec now = Now();
  auto pick = [&](const struct timespec* t, struct timespec& dst) {
    if (!t || t->tv_nsec == UTIME_NOW) dst = now;
    else if (t->tv_nsec != UTIME_OMIT) dst = *t;
  };
  pick(times ? &times[0] : nullptr, n->atime);
  pick(times ? &times[1] : nullptr, n->mtime);
  n->ctime = now;
  return Ok();
}

Status TmpFs::Truncate(const std::string& path, uint64_t len) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, true));
  if (S_ISDIR(n->mode)) return Error(EISDIR, "");
  if (!S_ISREG(n->mode)) return Error(EINVAL, "");
  return TruncateLocked(*n, len);
}

void TmpFs::SetSizeLimit(uint64_t bytes) { usage_->limit = bytes; }

namespace {

// mode=: octal digits only, in 32 bits, as Linux's tmpfs reads it; only the permission bits count.
std::optional<mode_t> ParseTmpfsMode(const std::string& value) {
  if (value.empty() || value.find_first_not_of("01234567") != std::string::npos) return std::nullopt;
  errno = 0;
  unsigned long long mode = strtoull(value.c_str(), nullptr, 8);
  if (errno == ERANGE || mode > UINT32_MAX) return std::nullopt;
  return static_cast<mode_t>(mode & 07777);
}

// size=: a number as Linux's memparse() reads it (decimal, 0x hex or 0 octal), then nothing, one
// binary multiplier (k, m, g, t, p, e, either case) or % of physical memory (capped at 100%,
// where Linux allows more).
std::optional<uint64_t> ParseTmpfsSize(const std::string& value) {
  if (value.empty() || !isdigit(static_cast<unsigned char>(value[0]))) return std::nullopt;
  errno = 0;
  char* rest = nullptr;
  unsigned long long size = strtoull(value.c_str(), &rest, 0);
  if (errno == ERANGE) return std::nullopt;
  std::string suffix = rest;
  if (suffix.empty()) return size;
  if (suffix == "%") {
    uint64_t ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    return ram / 100 * std::min<uint64_t>(size, 100);
  }
  static constexpr char kMultipliers[] = "kmgtpe";  // 2^10, 2^20, ...
  const char* multiplier = suffix.size() == 1 ? strchr(kMultipliers, tolower(suffix[0])) : nullptr;
  if (multiplier == nullptr) return std::nullopt;
  int shift = 10 * static_cast<int>(multiplier - kMultipliers + 1);
  if (size > (UINT64_MAX >> shift)) return std::nullopt;
  return size << shift;
}

}  // namespace

Result<TmpfsOptions> ParseTmpfsOptions(const std::vector<std::string>& options) {
  TmpfsOptions parsed;
  for (const std::string& option : options) {
    size_t eq = option.find('=');
    std::string key = option.substr(0, eq);
    if (key != "mode" && key != "size") continue;
    // A missing value is as malformed as an empty one.
    std::string value = eq == std::string::npos ? "" : option.substr(eq + 1);
    auto malformed = [&option] { return Error(EINVAL, "malformed tmpfs option \"" + option + "\""); };
    if (key == "mode") {
      parsed.mode = ParseTmpfsMode(value);
      if (!parsed.mode) return malformed();
    } else {
      std::optional<uint64_t> size = ParseTmpfsSize(value);
      if (!size) return malformed();
      parsed.size_limit = *size;
    }
  }
  return parsed;
}

std::vector<std::string> SplitMountOptions(const std::string& data) {
  std::vector<std::string> options;
  size_t start = 0;
  while (start <= data.size()) {
    size_t end = std::min(data.find(',', start), data.size());
    if (end > start) options.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return options;
}

Result<struct statfs> TmpFs::StatFs() {
  struct statfs s {};
  s.f_type = magic_;
  s.f_bsize = 4096;
  s.f_frsize = 4096;
  s.f_namelen = 255;
  s.f_blocks = s.f_bfree = s.f_bavail = 1 << 20;
  if (usage_->limit) {
    s.f_blocks = usage_->limit / 4096;
    s.f_bfree = s.f_bavail = (usage_->limit - std::min(usage_->used.load(), usage_->limit)) / 4096;
  }
  s.f_files = s.f_ffree = 1 << 20;
  return s;
}

namespace {

bool XattrNamespaceKept(const std::string& name) {
  return name.rfind("user.", 0) == 0 || name.rfind("trusted.", 0) == 0 || name.rfind("security.", 0) == 0;
}

}  // namespace

Result<std::string> TmpFs::GetXattr(const std::string& path, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, false));
  if (!XattrNamespaceKept(name)) return Error(EOPNOTSUPP, "");
  auto it = n->xattrs.find(name);
  if (it == n->xattrs.end()) return Error(ENODATA, "");
  return it->second;
}

Status TmpFs::SetXattr(const std::string& path, const std::string& name, const std::string& value, int flags) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, false));
  if (!XattrNamespaceKept(name)) return Error(EOPNOTSUPP, "");
  bool exists = n->xattrs.count(name) != 0;
  if ((flags & XATTR_CREATE) && exists) return Error(EEXIST, "");
  if ((flags & XATTR_REPLACE) && !exists) return Error(ENODATA, "");
  n->xattrs[name] = value;
  n->ctime = Now();
  return Ok();
}

Result<std::vector<std::string>> TmpFs::ListXattr(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, false));
  std::vector<std::string> names;
  for (const auto& [name, value] : n->xattrs) names.push_back(name);
  return names;
}

Status TmpFs::RemoveXattr(const std::string& path, const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  ASSIGN_OR_RETURN(auto n, LookupLocked(path, false));
  if (!XattrNamespaceKept(name)) return Error(EOPNOTSUPP, "");
  if (n->xattrs.erase(name) == 0) return Error(ENODATA, "");
  n->ctime = Now();
  return Ok();
}

}  // namespace stockade::sentry::vfs
