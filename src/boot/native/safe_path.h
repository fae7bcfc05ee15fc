// Symlink-safe path resolution inside a container rootfs.
//
// A rootfs is untrusted: its symlinks may point anywhere ("/etc", "../../..") and may be swapped
// while we work. Every lookup here walks one component at a time with openat(O_PATH|O_NOFOLLOW)
// from a directory FD we already hold, expands symlinks ourselves with the rootfs as "/", and
// keeps a stack of directory FDs so ".." never climbs above the root. The caller then operates on
// the returned FD (mount via /proc/self/fd/N), never on a path string that the kernel would
// re-resolve. This is the defence against the mount-target symlink-exchange CVEs
// (CVE-2021-30465 and friends).
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::native {

// A resolved object inside a root.
struct InRoot {
  UniqueFd fd;           // O_PATH FD of the object (on top of any mount at that place).
  std::string path;      // Its symlink-free path relative to the root, always starting with '/'.
  bool created = false;  // The last component did not exist and was created by this call.
};

enum class CreateMode {
  kNone,  // Every component must exist.
  kDirs,  // Missing components become directories.
  kFile,  // Missing parents become directories, a missing last component an empty file.
};

struct ResolveOptions {
  CreateMode create = CreateMode::kNone;
  mode_t mode = 0755;  // For created directories; files get 0644 unless file_mode.
  mode_t file_mode = 0644;
  bool nofollow_last = false;  // Fail with ELOOP if the last component is a symlink.
};

// Resolves `path` (absolute or relative, both mean "from the root") inside `root_fd` as if the
// process were chrooted there.
Result<InRoot> ResolveInRoot(int root_fd, const std::string& path, const ResolveOptions& opts = {});

inline Result<InRoot> MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode = 0755) {
  return ResolveInRoot(root_fd, path, {.create = CreateMode::kDirs, .mode = mode});
}

// Resolves (creating as needed) the parent directory of `path`; returns it and the last
// component's name, which is not looked up. Fails for paths that name the root itself.
Result<std::pair<InRoot, std::string>> MkdirParentInRoot(int root_fd, const std::string& path);

// "/proc/self/fd/N": the path through which mount(2), chmod(2), ... act on exactly `fd`.
std::string ProcFdPath(int fd);

// The path the kernel reports for `fd` (readlink of /proc/self/fd/N).
Result<std::string> FdPath(int fd);

// Lexically cleans `path` into an absolute path: collapses "//", ".", and ".." (never above "/").
std::string CleanPath(const std::string& path);

// True if `path` equals `root` or lies below it (lexically; both must be clean and absolute).
bool IsLexicallyInRoot(const std::string& root, const std::string& path);

}  // namespace stockade::native
