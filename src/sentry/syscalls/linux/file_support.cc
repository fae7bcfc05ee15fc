#include "sentry/syscalls/linux/file_support.h"

#include <fcntl.h>
#include <linux/capability.h>

#include <algorithm>
#include <climits>
#include <mutex>

namespace stockade::sentry::syscalls {

// Most file syscalls take an unsigned int fd; a value past INT_MAX becomes a
// negative int, which no table entry has (EBADF).
int Fd(uint64_t v) { return static_cast<int>(static_cast<uint32_t>(v)); }
// *at calls take an int dirfd (AT_FDCWD is negative).
int DirFd(uint64_t v) { return static_cast<int>(v); }

bool IsPath(const vfs::File& f) { return (f.flags() & O_PATH) != 0; }

// A path argument: EFAULT, ENAMETOOLONG past PATH_MAX or for a component
// longer than NAME_MAX (which Linux finds while walking the path; checked up
// front here, so it wins over an ENOENT for an earlier component).
Result<std::string> CopyPath(Task& t, uint64_t addr) {
  ASSIGN_OR_RETURN(std::string p, kernel::CopyInPath(t, addr));
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j - i > NAME_MAX) return Error(ENAMETOOLONG, "");
    i = j + 1;
  }
  return p;
}

kernel::Credentials Creds(Task& t) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  return t.creds();
}


// (dirfd, path) walked as namei does (kernel::WalkPath); the last component
// followed only with `follow`.
Result<Resolved> Resolve(Task& t, int dirfd, const std::string& path, bool allow_empty, bool follow) {
  ASSIGN_OR_RETURN(kernel::Walked w, kernel::WalkPath(t, dirfd, path, follow, allow_empty));
  if (!w.fs) return Error(ENOENT, "");
  bool fs_follow = follow && !(w.exists && S_ISLNK(w.st.st_mode));
  return Resolved{std::move(w.abs), std::move(w.fs), std::move(w.rel), fs_follow};
}

Result<Resolved> ResolveAbs(Task& t, const std::string& abs) { return Resolve(t, AT_FDCWD, abs); }

bool InGroup(const kernel::Credentials& c, gid_t gid, bool real) {
  if (gid == (real ? c.rgid : c.fsgid)) return true;
  return std::find(c.groups.begin(), c.groups.end(), gid) != c.groups.end();
}

bool Privileged(const kernel::Credentials& c) { return c.HasCap(CAP_DAC_OVERRIDE) && c.HasCap(CAP_FOWNER); }

// generic_permission: `want` is a mask of 4 (read), 2 (write), 1 (exec or
// search). `real`: access(2)'s check with the real IDs (root keeps its
// permitted capabilities, anyone else has none).
Status CheckPerm(const kernel::Credentials& c, const struct stat& st, int want, bool real) {
  if (want == 0) return Ok();
  uid_t uid = real ? c.ruid : c.fsuid;
  uint64_t caps = real ? (c.ruid == 0 ? c.cap_permitted : 0) : c.cap_effective;
  auto has = [&](int cap) { return ((caps >> cap) & 1) != 0; };
  int bits;
  if (uid == st.st_uid) {
    bits = (st.st_mode >> 6) & 7;
  } else if (InGroup(c, st.st_gid, real)) {
    bits = (st.st_mode >> 3) & 7;
  } else {
    bits = st.st_mode & 7;
  }
  if ((bits & want) == want) return Ok();
  bool dir = S_ISDIR(st.st_mode);
  if (has(CAP_DAC_OVERRIDE) && (!(want & 1) || dir || (st.st_mode & 0111))) return Ok();
  if (has(CAP_DAC_READ_SEARCH) && !(want & 2) && (dir || want == 4)) return Ok();
  return Error(EACCES, "");
}

bool OwnerOrCapable(const kernel::Credentials& c, const struct stat& st) {
  return c.fsuid == st.st_uid || c.HasCap(CAP_FOWNER);
}

}  // namespace stockade::sentry::syscalls
