// Small, EINTR-safe wrappers over file and FD syscalls, returning Result.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade {

Result<UniqueFd> OpenFile(const std::string& path, int flags, mode_t mode = 0);
Result<std::string> ReadFile(const std::string& path);
// Reads until EOF (or `limit` bytes, then fails with EFBIG).
Result<std::string> ReadAll(int fd, size_t limit = 64u << 20);
Status WriteAll(int fd, const void* data, size_t len);
inline Status WriteAll(int fd, const std::string& s) { return WriteAll(fd, s.data(), s.size()); }
// Writes `data` to `path` atomically: temp file in the same directory, then rename, so readers
// and crashed writers never see or leave a half-written file. With `durable`, the file and the
// directory are also fsynced, for data that must survive a power loss.
Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode = 0644,
                       bool durable = false);
// Writes a short string to an existing file (cgroup and /proc control files).
Status WriteExisting(const std::string& path, const std::string& data);
Result<std::pair<UniqueFd, UniqueFd>> MakePipe(int flags = O_CLOEXEC);
bool PathExists(const std::string& path);
// mkdir -p with mode for created components.
Status MkdirAll(const std::string& path, mode_t mode = 0755);
// Removes a directory tree (no symlink following). Missing is success.
Status RemoveAll(const std::string& path);
// Returns "/a/b" for "/a/b/c" and "." for "c".
std::string Dirname(const std::string& path);
std::string JoinPath(const std::string& a, const std::string& b);
std::string AbsPath(const std::string& path);

}  // namespace stockade
