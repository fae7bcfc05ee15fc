// Path operations for tasks: *at-style resolution against the task's cwd or
// a directory FD, then the mount table.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

// The result of a path walk: where (dirfd, path) leads.
struct Walked {
  std::string abs;  // clean absolute container path; no symlink in it but
                    // (when not followed) the last component
  std::shared_ptr<vfs::Filesystem> fs;  // the mount holding abs
  std::string rel;                      // abs inside fs
  bool exists = false;                  // whether the last component exists
  struct stat st {};                    // its attributes (not following it) when it exists
  // Set (with no abs, fs or rel) when the walk ends at an open file that has
  // no path: a removed directory named by ".", or a magic link
  // (/proc/PID/fd/N) to a removed or nameless file.
  std::shared_ptr<vfs::File> file;
};

// Resolves (dirfd, path) as Linux's namei does: component by component
// through the mount table, ".." taken physically, each symlink's target
// walked in its place (at most 40), the last one only with follow_last; a
// procfs magic link (Filesystem::MagicLink) leads to its file's current
// path. A relative path starts at the cwd's or dirfd's current path. A
// missing last component is not an error (exists = false); a missing or
// non-directory intermediate one is (ENOENT, ENOTDIR). ENOENT for an empty
// path unless allow_empty (then dirfd itself); EBADF/ENOTDIR for a bad dirfd.
// `resolve`: openat2's RESOLVE_* restrictions (EXDEV, ELOOP when broken).
Result<Walked> WalkPath(Task& t, int dirfd, const std::string& path, bool follow_last, bool allow_empty = false,
                        uint64_t resolve = 0);

// The task's working directory (an O_PATH description of it).
std::shared_ptr<vfs::File> Cwd(Task& t);

// What a new description opened at w keeps: its place in the mount tree
// (File::dentry) and its opener's credentials (File::opener_creds).
void RecordOpen(Task& t, vfs::File& f, const Walked& w);

// WalkPath's path without following the last component, as the *at calls
// that act on a name (unlink, rename, mkdir, ...) want it.
Result<std::string> AbsolutePath(Task& t, int dirfd, const std::string& path, bool allow_empty = false);

// The file system and in-fs path for a clean absolute path.
std::pair<std::shared_ptr<vfs::Filesystem>, std::string> ResolveMount(Task& t, const std::string& abs);

// open(2) on a path: flags as the syscall has them; mode before umask.
Result<std::shared_ptr<vfs::File>> OpenAt(Task& t, int dirfd, const std::string& path, int flags, mode_t mode);
// The same, where the path was walked already (following the last
// component unless O_NOFOLLOW).
Result<std::shared_ptr<vfs::File>> OpenWalked(Task& t, const Walked& w, int flags, mode_t mode);

Result<struct stat> StatAt(Task& t, int dirfd, const std::string& path, bool follow, bool allow_empty);

// The task's file for fd, or EBADF.
Result<std::shared_ptr<vfs::File>> FileFor(Task& t, int fd);

// A path argument from application memory (ENAMETOOLONG past PATH_MAX).
Result<std::string> CopyInPath(Task& t, uint64_t addr);

}  // namespace stockade::sentry::kernel
