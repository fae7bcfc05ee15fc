#include "gofer/server.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/limits.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

namespace stockade::gofer {
namespace {

Error Errno() { return Error(errno, ""); }

template <typename T>
void Append(std::string* out, const T& v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

std::string Join(const std::vector<std::string_view>& comps, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s.push_back('/');
    s.append(comps[i]);
  }
  return s;
}

// The open(2) flags a request may carry; the gofer adds its own safety flags.
constexpr int kAllowedOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
                                  O_SYNC | O_DIRECT | O_NOATIME | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW;

bool SameFile(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

Result<Server> Server::ForSource(const std::string& source, bool read_only) {
  UniqueFd fd(open(source.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) return Error::FromErrno("opening \"" + source + "\"");
  struct stat st;
  if (fstat(fd.get(), &st) < 0) return Error::FromErrno("stat \"" + source + "\"");
  if (S_ISDIR(st.st_mode)) return Server(std::move(fd), "", read_only);
  // A file: serve it through its directory, so that it can be reopened by name.
  size_t slash = source.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : source.substr(0, slash);
  std::string name = slash == std::string::npos ? source : source.substr(slash + 1);
  UniqueFd dfd(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) return Error::FromErrno("opening \"" + dir + "\"");
  struct stat again;
  if (fstatat(dfd.get(), name.c_str(), &again, AT_SYMLINK_NOFOLLOW) < 0 || !SameFile(st, again)) {
    return Error(ESTALE, "\"" + source + "\" changed while it was opened");
  }
  return Server(std::move(dfd), name, read_only);
}

Status Server::CheckWritable() const {
  if (read_only_) return Error(EROFS, "");
  return Ok();
}

Result<Server::Target> Server::Locate(const std::vector<std::string_view>& comps) const {
  Target t;
  if (!file_name_.empty()) {
    // A file root has no components below it.
    if (!comps.empty()) return Error(ENOTDIR, "");
    t.dir = root_.get();
    t.name = file_name_;
    return t;
  }
  if (comps.empty()) {
    t.dir = root_.get();
    return t;
  }
  t.name = std::string(comps.back());
  if (comps.size() == 1) {
    t.dir = root_.get();
    return t;
  }
  struct open_how how {};
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  std::string parent = Join(comps, comps.size() - 1);
  int fd = static_cast<int>(syscall(SYS_openat2, root_.get(), parent.c_str(), &how, sizeof how));
  if (fd < 0) return Errno();
  t.owned.reset(fd);
  t.dir = fd;
  return t;
}

Result<std::string> Server::Walk(const std::vector<std::string_view>& comps) {
  WalkReply r{};
  std::string target;
  struct stat st;
  UniqueFd cur;
  int curfd = root_.get();
  if (!file_name_.empty()) {
    if (fstatat(root_.get(), file_name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return Errno();
    if (!comps.empty()) r.stop = ENOTDIR;
  } else {
    if (fstat(root_.get(), &st) < 0) return Errno();
    for (size_t i = 0; i < comps.size(); ++i) {
      std::string name(comps[i]);
      UniqueFd fd(openat(curfd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
      if (!fd) {
        if (errno != ENOENT) return Errno();
        r.stop = ENOENT;
        break;
      }
      struct stat cst;
      if (fstat(fd.get(), &cst) < 0) return Errno();
      if (S_ISLNK(cst.st_mode)) {
        char buf[kMaxPath];
        ssize_t n = readlinkat(fd.get(), "", buf, sizeof buf);
        if (n < 0) return Errno();
        target.assign(buf, static_cast<size_t>(n));
        st = cst;
        r.stop = ELOOP;
        break;
      }
      st = cst;
      r.walked = static_cast<uint32_t>(i + 1);
      if (i + 1 < comps.size() && !S_ISDIR(cst.st_mode)) {
        r.stop = ENOTDIR;
        break;
      }
      cur = std::move(fd);
      curfd = cur.get();
    }
  }
  r.st = ToWire(st);
  std::string out;
  Append(&out, r);
  out.append(target);
  return out;
}

Result<std::string> Server::Open(const RequestHeader& h, const std::vector<std::string_view>& comps,
                                 UniqueFd* donated) {
  int flags = static_cast<int>(h.flags);
  if (flags & ~kAllowedOpenFlags) return Error(EINVAL, "");
  bool write = (flags & O_ACCMODE) != O_RDONLY;
  if ((flags & O_ACCMODE) == O_ACCMODE) return Error(EINVAL, "");
  ASSIGN_OR_RETURN(Target t, Locate(comps));
  std::string out;
  struct stat st;
  if (t.name.empty()) {  // the root directory
    if (fstat(t.dir, &st) < 0) return Errno();
    if ((flags & O_CREAT) && (flags & O_EXCL)) return Error(EEXIST, "");
    if (write || (flags & O_TRUNC)) return Error(EISDIR, "");
    Append(&out, ToWire(st));
    return out;
  }
  const int safe = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  for (int attempt = 0; attempt < 4; ++attempt) {
    UniqueFd probe(openat(t.dir, t.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!probe) {
      if (errno != ENOENT || !(flags & O_CREAT)) return Errno();
      if (flags & O_DIRECTORY) return Error(EISDIR, "");
      TRY(CheckWritable());
      struct stat dst;
      if (fstat(t.dir, &dst) < 0) return Errno();
      int fd = openat(t.dir, t.name.c_str(), (flags & ~(O_DIRECTORY | O_NOFOLLOW)) | O_EXCL | safe,
                      h.mode & 07777);
      if (fd < 0) {
        if (errno == EEXIST) continue;  // raced with another creator: look again
        return Errno();
      }
      UniqueFd created(fd);
      // New files belong to the caller, and inherit a setgid directory's group.
      gid_t gid = (dst.st_mode & S_ISGID) ? dst.st_gid : h.gid;
      if (fchown(fd, h.uid, gid) < 0) return Errno();
      // fchown dropped set-user-ID and set-group-ID; a new file keeps its mode.
      if ((h.mode & 06000) && fchmod(fd, h.mode & 07777) < 0) return Errno();
      if (fstat(fd, &st) < 0) return Errno();
      Append(&out, ToWire(st));
      *donated = std::move(created);
      return out;
    }
    if (fstat(probe.get(), &st) < 0) return Errno();
    if ((flags & O_CREAT) && (flags & O_EXCL)) return Error(EEXIST, "");
    if (S_ISLNK(st.st_mode)) return Error(ELOOP, "");
    if ((flags & O_DIRECTORY) && !S_ISDIR(st.st_mode)) return Error(ENOTDIR, "");
    if (S_ISDIR(st.st_mode) && (write || (flags & O_TRUNC) || (flags & O_CREAT))) return Error(EISDIR, "");
    if ((write || ((flags & O_TRUNC) && S_ISREG(st.st_mode))) && read_only_) return Error(EROFS, "");
    if (!S_ISREG(st.st_mode)) {
      // Directories, FIFOs and sockets are the Sentry's to serve from the
      // stat alone; device nodes are never opened here.
      Append(&out, ToWire(st));
      return out;
    }
    int fd = openat(t.dir, t.name.c_str(), (flags & ~(O_CREAT | O_EXCL | O_DIRECTORY)) | safe);
    if (fd < 0) return Errno();
    UniqueFd opened(fd);
    struct stat ost;
    if (fstat(fd, &ost) < 0) return Errno();
    if (!S_ISREG(ost.st_mode) || !SameFile(st, ost)) continue;  // swapped under us: look again
    // The donated FD blocks as the application asked (regular files ignore it anyway).
    if (!(flags & O_NONBLOCK)) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    Append(&out, ToWire(ost));
    *donated = std::move(opened);
    return out;
  }
  return Error(EAGAIN, "");
}

Status Server::Make(const RequestHeader& h, const std::vector<std::string_view>& comps, std::string_view target) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(Target t, Locate(comps));
  if (t.name.empty()) return Error(EEXIST, "");
  const char* name = t.name.c_str();
  auto op = static_cast<Op>(h.op);
  if (op == Op::kMkdir) {
    if (mkdirat(t.dir, name, h.mode & 07777) < 0) return Errno();
  } else if (op == Op::kMknod) {
    mode_t type = h.mode & S_IFMT;
    if (type == 0) type = S_IFREG;  // mknod's type 0 is a regular file
    // No device nodes, ever: FIFOs, sockets and (empty) regular files only.
    if (type != S_IFIFO && type != S_IFSOCK && type != S_IFREG) return Error(EPERM, "");
    if (mknodat(t.dir, name, type | (h.mode & 07777), 0) < 0) return Errno();
  } else {
    if (target.empty()) return Error(ENOENT, "");
    if (target.size() >= kMaxPath || target.find('\0') != std::string_view::npos) return Error(EINVAL, "");
    if (symlinkat(std::string(target).c_str(), t.dir, name) < 0) return Errno();
  }
  struct stat dst;
  gid_t gid = h.gid;
  if (fstat(t.dir, &dst) == 0 && (dst.st_mode & S_ISGID)) gid = dst.st_gid;
  if (fchownat(t.dir, name, h.uid, gid, AT_SYMLINK_NOFOLLOW) < 0) return Errno();
  // As for open: the chown dropped set-ID bits the new node was made with.
  if (h.op != static_cast<uint32_t>(Op::kSymlink) && (h.mode & 06000) && fchmodat(t.dir, name, h.mode & 07777, 0) < 0) return Errno();
  return Ok();
}

Status Server::Link(const std::vector<std::string_view>& from, const std::vector<std::string_view>& to) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(Target a, Locate(from));
  ASSIGN_OR_RETURN(Target b, Locate(to));
  if (a.name.empty()) return Error(EPERM, "");
  if (b.name.empty()) return Error(EEXIST, "");
  if (linkat(a.dir, a.name.c_str(), b.dir, b.name.c_str(), 0) < 0) return Errno();
  return Ok();
}

Status Server::Unlink(const RequestHeader& h, const std::vector<std::string_view>& comps) {
  if (h.flags & ~static_cast<uint32_t>(AT_REMOVEDIR)) return Error(EINVAL, "");
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(Target t, Locate(comps));
  if (t.name.empty() || !file_name_.empty()) return Error(EBUSY, "");
  if (unlinkat(t.dir, t.name.c_str(), static_cast<int>(h.flags)) < 0) return Errno();
  return Ok();
}

Status Server::Rename(const RequestHeader& h, const std::vector<std::string_view>& from,
                      const std::vector<std::string_view>& to) {
  if (h.flags & ~static_cast<uint32_t>(RENAME_NOREPLACE | RENAME_EXCHANGE)) return Error(EINVAL, "");
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(Target a, Locate(from));
  ASSIGN_OR_RETURN(Target b, Locate(to));
  if (a.name.empty() || b.name.empty() || !file_name_.empty()) return Error(EBUSY, "");
  if (syscall(SYS_renameat2, a.dir, a.name.c_str(), b.dir, b.name.c_str(), h.flags) < 0) return Errno();
  return Ok();
}

Status Server::SetAttr(const RequestHeader& h, const std::vector<std::string_view>& comps) {
  constexpr uint32_t kAll = kSetMode | kSetUid | kSetGid | kSetSize | kSetAtime | kSetMtime;
  if (h.flags & ~kAll) return Error(EINVAL, "");
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(Target t, Locate(comps));
  bool is_root = t.name.empty();
  const char* name = is_root ? "." : t.name.c_str();
  UniqueFd probe(openat(t.dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!probe) return Errno();
  struct stat st;
  if (fstat(probe.get(), &st) < 0) return Errno();
  // Reopens the same file for real I/O, refusing one swapped in meanwhile.
  auto reopen = [&](int flags) -> Result<UniqueFd> {
    UniqueFd fd(openat(t.dir, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return Errno();
    struct stat again;
    if (fstat(fd.get(), &again) < 0) return Errno();
    if (!SameFile(st, again)) return Error(EAGAIN, "");
    return fd;
  };
  if (h.flags & kSetSize) {
    if (S_ISDIR(st.st_mode)) return Error(EISDIR, "");
    if (!S_ISREG(st.st_mode)) return Error(EINVAL, "");
    ASSIGN_OR_RETURN(UniqueFd fd, reopen(O_WRONLY));
    if (ftruncate(fd.get(), static_cast<off_t>(h.size)) < 0) return Errno();
  }
  if (h.flags & kSetMode) {
    mode_t mode = h.mode & 07777;
    if (S_ISLNK(st.st_mode)) return Error(EOPNOTSUPP, "");
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode)) {
      ASSIGN_OR_RETURN(UniqueFd fd, reopen(O_RDONLY));
      if (fchmod(fd.get(), mode) < 0) return Errno();
    } else if (fchmodat(t.dir, name, mode, 0) < 0) {
      // Sockets and device nodes cannot be opened; fchmodat follows a final
      // symlink, but one swapped in here still resolves inside this process's
      // chroot, never to the rest of the host.
      return Errno();
    }
  }
  if (h.flags & (kSetUid | kSetGid)) {
    uid_t uid = (h.flags & kSetUid) ? h.uid : static_cast<uid_t>(-1);
    gid_t gid = (h.flags & kSetGid) ? h.gid : static_cast<gid_t>(-1);
    if (fchownat(probe.get(), "", uid, gid, AT_EMPTY_PATH) < 0) return Errno();
  }
  if (h.flags & (kSetAtime | kSetMtime)) {
    struct timespec ts[2];
    ts[0] = (h.flags & kSetAtime) ? timespec{h.atime_sec, h.atime_nsec} : timespec{0, UTIME_OMIT};
    ts[1] = (h.flags & kSetMtime) ? timespec{h.mtime_sec, h.mtime_nsec} : timespec{0, UTIME_OMIT};
    for (auto& x : ts) {
      if (x.tv_nsec == kTimeNow) x.tv_nsec = UTIME_NOW;
      if (x.tv_nsec == kTimeOmit) x.tv_nsec = UTIME_OMIT;
    }
    if (utimensat(t.dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0) return Errno();
  }
  return Ok();
}

Result<std::string> Server::StatFs() {
  struct statfs s;
  if (fstatfs(root_.get(), &s) < 0) return Errno();
  if (read_only_) s.f_flags |= ST_RDONLY;
  WireStatFs w = ToWire(s);
  std::string out;
  Append(&out, w);
  return out;
}

Result<std::string> Server::ReadDir(const RequestHeader& h, const std::vector<std::string_view>& comps) {
  ASSIGN_OR_RETURN(Target t, Locate(comps));
  const char* name = t.name.empty() ? "." : t.name.c_str();
  UniqueFd dir(openat(t.dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return Errno();
  if (lseek(dir.get(), static_cast<off_t>(h.size), SEEK_SET) < 0) return Errno();
  // Room for the reply's entries, each of which grows by at most its header.
  alignas(8) char buf[kMaxMessage / 2];
  long n = syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
  if (n < 0) return Errno();
  std::string out;
  for (long pos = 0; pos < n;) {
    auto* d = reinterpret_cast<struct dirent64*>(buf + pos);
    pos += d->d_reclen;
    WireDirent w{};
    w.ino = d->d_ino;
    w.off = static_cast<uint64_t>(d->d_off);
    w.type = d->d_type;
    size_t len = strnlen(d->d_name, kMaxName + 1);
    w.name_len = static_cast<uint16_t>(len);
    Append(&out, w);
    out.append(d->d_name, len);
  }
  return out;
}

// Extended attributes go through an FD opened for reading (the f*xattr
// calls refuse O_PATH FDs), so only regular files and directories have them
// here, as Linux keeps user.* attributes on those alone: other kinds list
// none, read and remove ENODATA, and refuse a set with EPERM.
Result<std::string> Server::Xattr(const RequestHeader& h, const std::vector<std::string_view>& comps,
                                  std::string_view arg) {
  const Op op = static_cast<Op>(h.op);
  if (op == Op::kSetXattr || op == Op::kRemoveXattr) TRY(CheckWritable());
  std::string_view name = arg, value;
  if (op == Op::kSetXattr) {
    if (h.size > arg.size()) return Error(EINVAL, "");
    if (h.flags & ~uint32_t{XATTR_CREATE | XATTR_REPLACE}) return Error(EINVAL, "");
    name = arg.substr(0, h.size);
    value = arg.substr(h.size);
  } else if (h.flags != 0 || h.size != 0) {
    return Error(EINVAL, "");
  }
  if (op == Op::kListXattr) {
    if (!arg.empty()) return Error(EINVAL, "");
  } else {
    if (name.size() > XATTR_NAME_MAX || name.find('\0') != std::string_view::npos) return Error(EINVAL, "");
    if (name.rfind(kXattrUserPrefix, 0) != 0 || name.size() == sizeof kXattrUserPrefix - 1) {
      return Error(EOPNOTSUPP, "");
    }
  }
  ASSIGN_OR_RETURN(Target t, Locate(comps));
  const char* node = t.name.empty() ? "." : t.name.c_str();
  UniqueFd probe(openat(t.dir, node, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!probe) return Errno();
  struct stat st;
  if (fstat(probe.get(), &st) < 0) return Errno();
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    if (op == Op::kListXattr) return std::string();
    return Error(op == Op::kSetXattr ? EPERM : ENODATA, "");
  }
  UniqueFd fd(openat(t.dir, node, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd) return Errno();
  struct stat again;
  if (fstat(fd.get(), &again) < 0) return Errno();
  if (!SameFile(st, again)) return Error(EAGAIN, "");
  const std::string key(name);
  // What fits in one reply packet; a longer value or list is E2BIG.
  std::string buf(kMaxMessage - sizeof(ReplyHeader), '\0');
  switch (op) {
    case Op::kGetXattr: {
      ssize_t n = fgetxattr(fd.get(), key.c_str(), buf.data(), buf.size());
      if (n < 0) return Error(errno == ERANGE ? E2BIG : errno, "");
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    case Op::kListXattr: {
      ssize_t n = flistxattr(fd.get(), buf.data(), buf.size());
      if (n < 0) return Error(errno == ERANGE ? E2BIG : errno, "");
      std::string out;
      for (size_t pos = 0; pos < static_cast<size_t>(n);) {
        std::string_view one(buf.data() + pos);
        if (one.rfind(kXattrUserPrefix, 0) == 0) out.append(one).push_back('\0');
        pos += one.size() + 1;
      }
      return out;
    }
    case Op::kSetXattr:
      if (fsetxattr(fd.get(), key.c_str(), value.data(), value.size(), static_cast<int>(h.flags)) < 0) return Errno();
      return std::string();
    case Op::kRemoveXattr:
      if (fremovexattr(fd.get(), key.c_str()) < 0) return Errno();
      return std::string();
    default:
      return Error(ENOSYS, "");
  }
}

void Server::Handle(std::string_view request, std::string* reply, UniqueFd* donated) {
  auto answer = [&]() -> Result<std::string> {
    RequestHeader h;
    if (request.size() < sizeof h) return Error(EINVAL, "short request");
    std::memcpy(&h, request.data(), sizeof h);
    std::string_view rest = request.substr(sizeof h);
    if (h.reserved != 0 || static_cast<uint64_t>(h.path_len) + h.path2_len != rest.size()) {
      return Error(EINVAL, "bad request lengths");
    }
    ASSIGN_OR_RETURN(auto comps, SplitWirePath(rest.substr(0, h.path_len)));
    std::string_view path2 = rest.substr(h.path_len);
    switch (static_cast<Op>(h.op)) {
      case Op::kWalk: return Walk(comps);
      case Op::kOpen: return Open(h, comps, donated);
      case Op::kMkdir:
      case Op::kMknod:
      case Op::kSymlink: TRY(Make(h, comps, path2)); return std::string();
      case Op::kLink: {
        ASSIGN_OR_RETURN(auto to, SplitWirePath(path2));
        TRY(Link(comps, to));
        return std::string();
      }
      case Op::kUnlink: TRY(Unlink(h, comps)); return std::string();
      case Op::kRename: {
        ASSIGN_OR_RETURN(auto to, SplitWirePath(path2));
        TRY(Rename(h, comps, to));
        return std::string();
      }
      case Op::kSetAttr: TRY(SetAttr(h, comps)); return std::string();
      case Op::kStatFs: return StatFs();
      case Op::kReadDir: return ReadDir(h, comps);
      case Op::kGetXattr:
      case Op::kListXattr:
      case Op::kSetXattr:
      case Op::kRemoveXattr: return Xattr(h, comps, path2);
    }
    return Error(ENOSYS, "unknown op");
  }();
  ReplyHeader rh{};
  std::string payload;
  if (answer.ok()) {
    payload = std::move(*answer);
  } else {
    rh.err = answer.error().code() > 0 ? answer.error().code() : EIO;
    donated->reset();
  }
  rh.len = static_cast<uint32_t>(payload.size());
  reply->clear();
  Append(reply, rh);
  reply->append(payload);
}

Status Server::Serve(int sock) {
  std::string req(kMaxMessage + 1, '\0');
  std::string reply;
  while (true) {
    struct iovec iov = {req.data(), req.size()};
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 16)];
    struct msghdr msg {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("gofer: receiving a request");
    }
    if (n == 0) return Ok();  // the Sentry is gone
    // FDs are never accepted from the Sentry: close any it sent.
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        close(fd);
      }
    }
    UniqueFd donated;
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || static_cast<size_t>(n) > kMaxMessage) {
      ReplyHeader rh{EMSGSIZE, 0};
      reply.assign(reinterpret_cast<const char*>(&rh), sizeof rh);
    } else {
      Handle(std::string_view(req.data(), static_cast<size_t>(n)), &reply, &donated);
    }
    struct iovec out = {reply.data(), reply.size()};
    struct msghdr m {};
    m.msg_iov = &out;
    m.msg_iovlen = 1;
    alignas(struct cmsghdr) char oc[CMSG_SPACE(sizeof(int))];
    if (donated) {
      m.msg_control = oc;
      m.msg_controllen = sizeof oc;
      struct cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      int fd = donated.get();
      std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) return Ok();
      return Error::FromErrno("gofer: sending a reply");
    }
  }
}

}  // namespace stockade::gofer
