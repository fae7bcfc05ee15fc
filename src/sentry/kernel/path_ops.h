// Path operations for tasks: *at-style resolution against the task's cwd or
// a directory FD, then the mount table.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

// The clean absolute container path for (dirfd, path), as *at calls take
// them. ENOENT for an empty path (unless allow_empty: then dirfd's own path),
// EBADF/ENOTDIR for a bad dirfd.
Result<std::string> AbsolutePath(Task& t, int dirfd, const std::string& path, bool allow_empty = false);

// The file system and in-fs path for a clean absolute path.
std::pair<std::shared_ptr<vfs::Filesystem>, std::string> ResolveMount(Task& t, const std::string& abs);

// open(2) on a path: flags as the syscall has them; mode before umask.
Result<std::shared_ptr<vfs::File>> OpenAt(Task& t, int dirfd, const std::string& path, int flags, mode_t mode);

Result<struct stat> StatAt(Task& t, int dirfd, const std::string& path, bool follow, bool allow_empty);

// The task's file for fd, or EBADF.
Result<std::shared_ptr<vfs::File>> FileFor(Task& t, int fd);

// A path argument from application memory (ENAMETOOLONG past PATH_MAX).
Result<std::string> CopyInPath(Task& t, uint64_t addr);

}  // namespace stockade::sentry::kernel
