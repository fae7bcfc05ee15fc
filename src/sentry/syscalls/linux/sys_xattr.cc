// Extended attributes: {,l,f}{get,set,list,remove}xattr, as fs/xattr.c has
// them. The file systems keep the values (tmpfs and the overlay's upper
// layer); the gofer's mounts keep none yet (EOPNOTSUPP, listed empty).
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include <string>
#include <vector>

#include "sentry/syscalls/linux/file_support.h"
#include "sentry/syscalls/linux/registry.h"

namespace stockade::sentry::syscalls {
namespace {

constexpr size_t kXattrNameMax = 255;     // XATTR_NAME_MAX
constexpr size_t kXattrSizeMax = 65536;   // XATTR_SIZE_MAX
constexpr size_t kXattrListMax = 65536;   // XATTR_LIST_MAX

// The file an xattr call acts on: its file system, the path inside it, and
// its attributes for the permission checks.
struct XattrTarget {
  std::shared_ptr<vfs::Filesystem> fs;
  std::string rel;
  struct stat st;
};

Result<XattrTarget> ByPath(Task& t, uint64_t path_addr, bool follow) {
  ASSIGN_OR_RETURN(std::string path, CopyPath(t, path_addr));
  ASSIGN_OR_RETURN(kernel::Walked w, kernel::WalkPath(t, AT_FDCWD, path, follow));
  if (!w.fs || !w.exists) return Error(ENOENT, "");
  return XattrTarget{std::move(w.fs), std::move(w.rel), w.st};
}

// An FD's file, found again by the path it was opened by. Files with no
// path in a file system (pipes, sockets, anonymous files) keep no xattrs.
Result<XattrTarget> ByFd(Task& t, uint64_t fd) {
  ASSIGN_OR_RETURN(auto f, kernel::FileFor(t, Fd(fd)));
  if (IsPath(*f)) return Error(EBADF, "");
  ASSIGN_OR_RETURN(struct stat st, f->Stat());
  if (!f->HasMountPath()) return Error(EOPNOTSUPP, "");
  if (f->Removed()) return Error(ENOENT, "");  // its old path may name another file now
  auto [fs, rel] = kernel::ResolveMount(t, f->MountPath());
  if (!fs) return Error(EOPNOTSUPP, "");
  return XattrTarget{std::move(fs), std::move(rel), st};
}

// The name argument: ERANGE when empty or longer than XATTR_NAME_MAX.
Result<std::string> CopyName(Task& t, uint64_t addr) {
  auto name = kernel::CopyInPath(t, addr);
  if (!name.ok()) return name.error().code() == ENAMETOOLONG ? Error(ERANGE, "") : name.error();
  if (name->empty() || name->size() > kXattrNameMax) return Error(ERANGE, "");
  return name;
}

// xattr_permission: trusted.* needs CAP_SYS_ADMIN; user.* is only for
// regular files and directories (and, on a sticky directory, its owner);
// then the file's own read or write permission.
Status XattrPermission(Task& t, const XattrTarget& x, const std::string& name, bool write) {
  kernel::Credentials c = Creds(t);
  if (write && x.fs->ReadOnly()) return Error(EROFS, "");
  if (name.rfind("trusted.", 0) == 0) {
    if (!c.HasCap(CAP_SYS_ADMIN)) return Error(write ? EPERM : ENODATA, "");
    return Ok();
  }
  if (name.rfind("user.", 0) == 0) {
    if (!S_ISREG(x.st.st_mode) && !S_ISDIR(x.st.st_mode)) return Error(write ? EPERM : ENODATA, "");
    if (write && S_ISDIR(x.st.st_mode) && (x.st.st_mode & S_ISVTX) && !OwnerOrCapable(c, x.st)) {
      return Error(EPERM, "");
    }
  }
  if (name.rfind("security.", 0) == 0 || name.rfind("system.", 0) == 0) return Ok();
  return CheckPerm(c, x.st, write ? 2 : 4);
}

int64_t Get(Task& t, Result<XattrTarget> target, uint64_t name_addr, uint64_t value, uint64_t size) {
  SYS_ASSIGN(std::string name, CopyName(t, name_addr));
  SYS_ASSIGN(XattrTarget x, std::move(target));
  SYS_TRY(XattrPermission(t, x, name, false));
  SYS_ASSIGN(std::string v, x.fs->GetXattr(x.rel, name));
  if (size == 0) return static_cast<int64_t>(v.size());
  if (v.size() > size) return -ERANGE;
  SYS_TRY(t.memory().CopyOut(value, v.data(), v.size()));
  return static_cast<int64_t>(v.size());
}

int64_t Set(Task& t, Result<XattrTarget> target, uint64_t name_addr, uint64_t value, uint64_t size,
            uint64_t flags) {
  if (flags & ~uint64_t{XATTR_CREATE | XATTR_REPLACE}) return -EINVAL;
  SYS_ASSIGN(std::string name, CopyName(t, name_addr));
  if (size > kXattrSizeMax) return -E2BIG;
  std::string v(size, '\0');
  if (size > 0) SYS_TRY(t.memory().CopyIn(value, v.data(), size));
  SYS_ASSIGN(XattrTarget x, std::move(target));
  SYS_TRY(XattrPermission(t, x, name, true));
  SYS_TRY(x.fs->SetXattr(x.rel, name, v, static_cast<int>(flags)));
  return 0;
}

int64_t List(Task& t, Result<XattrTarget> target, uint64_t list, uint64_t size) {
  SYS_ASSIGN(XattrTarget x, std::move(target));
  SYS_ASSIGN(std::vector<std::string> names, x.fs->ListXattr(x.rel));
  const bool admin = Creds(t).HasCap(CAP_SYS_ADMIN);
  std::string out;
  for (const auto& n : names) {
    if (n.rfind("trusted.", 0) == 0 && !admin) continue;  // listed only to the capable
    out += n;
    out += '\0';
  }
  if (out.size() > kXattrListMax) return -E2BIG;
  if (size == 0) return static_cast<int64_t>(out.size());
  if (out.size() > size) return -ERANGE;
  SYS_TRY(t.memory().CopyOut(list, out.data(), out.size()));
  return static_cast<int64_t>(out.size());
}

int64_t Remove(Task& t, Result<XattrTarget> target, uint64_t name_addr) {
  SYS_ASSIGN(std::string name, CopyName(t, name_addr));
  SYS_ASSIGN(XattrTarget x, std::move(target));
  SYS_TRY(XattrPermission(t, x, name, true));
  SYS_TRY(x.fs->RemoveXattr(x.rel, name));
  return 0;
}

int64_t Getxattr(Task& t, const SyscallArgs& a) { return Get(t, ByPath(t, a[0], true), a[1], a[2], a[3]); }
int64_t Lgetxattr(Task& t, const SyscallArgs& a) { return Get(t, ByPath(t, a[0], false), a[1], a[2], a[3]); }
int64_t Fgetxattr(Task& t, const SyscallArgs& a) { return Get(t, ByFd(t, a[0]), a[1], a[2], a[3]); }
int64_t Setxattr(Task& t, const SyscallArgs& a) { return Set(t, ByPath(t, a[0], true), a[1], a[2], a[3], a[4]); }
int64_t Lsetxattr(Task& t, const SyscallArgs& a) { return Set(t, ByPath(t, a[0], false), a[1], a[2], a[3], a[4]); }
int64_t Fsetxattr(Task& t, const SyscallArgs& a) { return Set(t, ByFd(t, a[0]), a[1], a[2], a[3], a[4]); }
int64_t Listxattr(Task& t, const SyscallArgs& a) { return List(t, ByPath(t, a[0], true), a[1], a[2]); }
int64_t Llistxattr(Task& t, const SyscallArgs& a) { return List(t, ByPath(t, a[0], false), a[1], a[2]); }
int64_t Flistxattr(Task& t, const SyscallArgs& a) { return List(t, ByFd(t, a[0]), a[1], a[2]); }
int64_t Removexattr(Task& t, const SyscallArgs& a) { return Remove(t, ByPath(t, a[0], true), a[1]); }
int64_t Lremovexattr(Task& t, const SyscallArgs& a) { return Remove(t, ByPath(t, a[0], false), a[1]); }
int64_t Fremovexattr(Task& t, const SyscallArgs& a) { return Remove(t, ByFd(t, a[0]), a[1]); }

}  // namespace

void RegisterXattrSyscalls(Kernel& k) {
  k.SetSyscall(SYS_getxattr, &Getxattr);
  k.SetSyscall(SYS_lgetxattr, &Lgetxattr);
  k.SetSyscall(SYS_fgetxattr, &Fgetxattr);
  k.SetSyscall(SYS_setxattr, &Setxattr);
  k.SetSyscall(SYS_lsetxattr, &Lsetxattr);
  k.SetSyscall(SYS_fsetxattr, &Fsetxattr);
  k.SetSyscall(SYS_listxattr, &Listxattr);
  k.SetSyscall(SYS_llistxattr, &Llistxattr);
  k.SetSyscall(SYS_flistxattr, &Flistxattr);
  k.SetSyscall(SYS_removexattr, &Removexattr);
  k.SetSyscall(SYS_lremovexattr, &Lremovexattr);
  k.SetSyscall(SYS_fremovexattr, &Fremovexattr);
}

}  // namespace stockade::sentry::syscalls
