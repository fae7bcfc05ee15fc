// What the file-system syscall families (sys_file.cc, sys_xattr.cc) share:
// argument decoding, path resolution and the permission checks of
// generic_permission.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <string>

#include "sentry/syscalls/linux/sys_common.h"
#include "sentry/vfs/filesystem.h"

namespace stockade::sentry::syscalls {

// Most file syscalls take an unsigned int fd; a value past INT_MAX becomes a
// negative int, which no table entry has (EBADF).
int Fd(uint64_t v);
// *at calls take an int dirfd (AT_FDCWD is negative).
int DirFd(uint64_t v);
bool IsPath(const vfs::File& f);

// A path argument: EFAULT, ENAMETOOLONG past PATH_MAX or for a component
// longer than NAME_MAX (which Linux finds while walking the path; checked up
// front, so it wins over an ENOENT for an earlier component).
Result<std::string> CopyPath(Task& t, uint64_t addr);

kernel::Credentials Creds(Task& t);

struct Resolved {
  std::string abs;
  std::shared_ptr<vfs::Filesystem> fs;
  std::string rel;
  // Whether the file system should follow a final symlink at rel: not when
  // the walk, asked to follow, ended at one (a magic link's target is the
  // link itself, as /proc/self/fd/N of an O_PATH FD of a symlink).
  bool follow = false;
};

// (dirfd, path) walked as namei does (kernel::WalkPath); the last component
// followed only with `follow`.
Result<Resolved> Resolve(Task& t, int dirfd, const std::string& path, bool allow_empty = false, bool follow = false);
Result<Resolved> ResolveAbs(Task& t, const std::string& abs);

bool InGroup(const kernel::Credentials& c, gid_t gid, bool real = false);
bool Privileged(const kernel::Credentials& c);
// generic_permission: `want` is a mask of 4 (read), 2 (write), 1 (exec or
// search). `real`: access(2)'s check with the real IDs (root keeps its
// permitted capabilities, anyone else has none).
Status CheckPerm(const kernel::Credentials& c, const struct stat& st, int want, bool real = false);
bool OwnerOrCapable(const kernel::Credentials& c, const struct stat& st);

}  // namespace stockade::sentry::syscalls
