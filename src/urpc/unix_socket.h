// Unix stream sockets that work at any path length.
//
// sockaddr_un::sun_path holds 108 bytes, and state directories under a long --root easily exceed
// that. For a long path we open the parent directory with O_PATH and use
// "/proc/self/fd/<dirfd>/<basename>" as the address instead, which the kernel resolves through
// the open directory. This needs /proc, and a basename short enough for that form.
#pragma once

#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::urpc {

// Creates a listening socket bound at `path` (mode 0600, SOCK_CLOEXEC, blocking). An existing
// file at `path` is an error (EADDRINUSE): removing stale sockets is the caller's decision.
Result<UniqueFd> ListenUnix(const std::string& path);

// Connects to the socket at `path` within timeout_ms (< 0: wait as long as the kernel does).
// The returned socket is SOCK_CLOEXEC and blocking.
Result<UniqueFd> ConnectUnix(const std::string& path, int timeout_ms);

}  // namespace stockade::urpc
