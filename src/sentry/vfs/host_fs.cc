#include "sentry/vfs/host_fs.h"

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sentry/vfs/host_file.h"

namespace stockade::sentry::vfs {
namespace {

constexpr uid_t kOverflowId = 65534;

// "/a/b" -> "a/b"; "/" -> "." (openat2 wants a relative path below the root).
std::string Rel(const std::string& path) {
  if (path.empty() || path == "/") return ".";
  return path[0] == '/' ? path.substr(1) : path;
}

Error Errno() { return Error(errno, ""); }

}  // namespace

void HostFs::FixOwner(struct stat& st) {
  if (st.st_uid == kOverflowId) st.st_uid = 0;
  if (st.st_gid == kOverflowId) st.st_gid = 0;
}

Result<UniqueFd> HostFs::Resolve(const std::string& path, int flags, bool follow) const {
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  if (flags & (O_CREAT | O_TMPFILE)) how.mode = 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, root_.get(), Rel(path).c_str(), &how, sizeof how));
  if (fd < 0) return Errno();
  return UniqueFd(fd);
}

Result<std::pair<UniqueFd, std::string>> HostFs::Parent(const std::string& path) const {
  auto [dir, name] = SplitPath(path);
  if (name.empty()) return Error(EBUSY, "");
  ASSIGN_OR_RETURN(UniqueFd fd, Resolve(dir, O_PATH | O_DIRECTORY, true));
  return std::make_pair(std::move(fd), name);
}

Status HostFs::CheckWritable() const {
  if (read_only_) return Error(EROFS, "");
  return Ok();
}

Result<std::shared_ptr<File>> HostFs::Open(const std::string& path, const OpenRequest& req) {
  int flags = req.flags & ~(O_CLOEXEC | O_NOCTTY);
  if (read_only_ && ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))) {
    // Linux checks existence first for O_CREAT|O_EXCL... EROFS wins for writes.
    if (!(flags & O_CREAT)) {
      auto st = Stat(path, !(flags & O_NOFOLLOW));
      if (!st.ok()) return st.error();
    }
    return Error(EROFS, "");
  }
  struct open_how how {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOCTTY);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? (req.mode & 07777) : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(syscall(SYS_openat2, root_.get(), Rel(path).c_str(), &how, sizeof how));
  if (fd < 0) return Errno();
  auto f = std::make_shared<HostFile>(UniqueFd(fd), flags, false);
  return std::shared_ptr<File>(f);
}

Result<struct stat> HostFs::Stat(const std::string& path, bool follow) {
  ASSIGN_OR_RETURN(UniqueFd fd, Resolve(path, O_PATH, follow));
  struct stat st;
  if (fstatat(fd.get(), "", &st, AT_EMPTY_PATH) < 0) return Errno();
  FixOwner(st);
  return st;
}

Result<std::string> HostFs::ReadLink(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, Resolve(path, O_PATH, false));
  char buf[4096];
  ssize_t n = readlinkat(fd.get(), "", buf, sizeof buf);
  if (n < 0) return Error(errno == ENOENT ? EINVAL : errno, "");
  return std::string(buf, static_cast<size_t>(n));
}

Status HostFs::Mkdir(const std::string& path, mode_t mode, uid_t, gid_t) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto p, Parent(path));
  if (mkdirat(p.first.get(), p.second.c_str(), mode) < 0) return Errno();
  return Ok();
}

Status HostFs::Mknod(const std::string& path, mode_t mode, dev_t dev, uid_t, gid_t) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto p, Parent(path));
  if (mknodat(p.first.get(), p.second.c_str(), mode, dev) < 0) return Errno();
  return Ok();
}

Status HostFs::Unlink(const std::string& path) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto p, Parent(path));
  if (unlinkat(p.first.get(), p.second.c_str(), 0) < 0) return Errno();
  return Ok();
}

Status HostFs::Rmdir(const std::string& path) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto p, Parent(path));
  if (unlinkat(p.first.get(), p.second.c_str(), AT_REMOVEDIR) < 0) return Errno();
  return Ok();
}

Status HostFs::Rename(const std::string& from, const std::string& to, unsigned flags) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto a, Parent(from));
  ASSIGN_OR_RETURN(auto b, Parent(to));
  if (syscall(SYS_renameat2, a.first.get(), a.second.c_str(), b.first.get(), b.second.c_str(), flags) < 0) {
    return Errno();
  }
  return Ok();
}

Status HostFs::Symlink(const std::string& target, const std::string& path, uid_t, gid_t) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto p, Parent(path));
  if (symlinkat(target.c_str(), p.first.get(), p.second.c_str()) < 0) return Errno();
  return Ok();
}

Status HostFs::Link(const std::string& from, const std::string& to) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto a, Parent(from));
  ASSIGN_OR_RETURN(auto b, Parent(to));
  if (linkat(a.first.get(), a.second.c_str(), b.first.get(), b.second.c_str(), 0) < 0) return Errno();
  return Ok();
}

Status HostFs::Chmod(const std::string& path, mode_t mode, bool follow) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(UniqueFd fd, Resolve(path, O_PATH, follow));
  // fchmod does not take O_PATH FDs; the magic link does, for this one FD.
  std::string self = "/proc/self/fd/" + std::to_string(fd.get());
  if (fchmodat(AT_FDCWD, self.c_str(), mode, 0) < 0) {
    auto real = Resolve(path, O_RDONLY, follow);
    if (!real.ok()) return real.error();
    if (fchmod(real->get(), mode) < 0) return Errno();
  }
  return Ok();
}

Status HostFs::Chown(const std::string& path, uid_t uid, gid_t gid, bool follow) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(UniqueFd fd, Resolve(path, O_PATH, follow));
  if (fchownat(fd.get(), "", uid, gid, AT_EMPTY_PATH) < 0) return Errno();
  return Ok();
}

Status HostFs::Utimens(const std::string& path, const struct timespec times[2], bool follow) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(auto p, Parent(path));
  if (utimensat(p.first.get(), p.second.c_str(), times, follow ? 0 : AT_SYMLINK_NOFOLLOW) < 0) return Errno();
  return Ok();
}

Status HostFs::Truncate(const std::string& path, uint64_t len) {
  TRY(CheckWritable());
  ASSIGN_OR_RETURN(UniqueFd fd, Resolve(path, O_WRONLY, true));
  if (ftruncate(fd.get(), static_cast<off_t>(len)) < 0) return Errno();
  return Ok();
}

Result<struct statfs> HostFs::StatFs() {
  struct statfs s;
  if (fstatfs(root_.get(), &s) < 0) return Errno();
  return s;
}

}  // namespace stockade::sentry::vfs
