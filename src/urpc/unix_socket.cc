#include "urpc/unix_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "base/io.h"
#include "urpc/deadline.h"

namespace stockade::urpc {
namespace {

// A sockaddr_un for a path, plus the directory FD that a /proc/self/fd address refers to: it
// must stay open until bind()/connect() has resolved the address.
struct UnixAddress {
  struct sockaddr_un addr = {};
  socklen_t len = 0;
  std::string name;  // what went into sun_path, for chmod after bind
  UniqueFd dir;
};

Result<UnixAddress> MakeAddress(const std::string& path) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  if (path.empty()) return Error(EINVAL, "empty socket path");
  if (path.size() < sizeof a.addr.sun_path) {
    a.name = path;
  } else {
    size_t slash = path.rfind('/');
    std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    if (base.empty()) return Error(EINVAL, "socket path \"" + path + "\" ends with '/'");
    // O_PATH: we only need the directory as a name anchor, not read access to it.
    auto dir = OpenFile(Dirname(path), O_PATH | O_DIRECTORY);
    if (!dir.ok()) return dir.error().Wrap("socket directory");
    a.dir = std::move(*dir);
    a.name = "/proc/self/fd/" + std::to_string(a.dir.get()) + "/" + base;
    if (a.name.size() >= sizeof a.addr.sun_path) {
      return Error(ENAMETOOLONG, "socket name \"" + base + "\" is too long even via /proc");
    }
  }
  std::memcpy(a.addr.sun_path, a.name.data(), a.name.size());
  a.len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + a.name.size() + 1);
  return a;
}

Status SetNonBlocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return Error::FromErrno("fcntl(F_GETFL)");
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, flags) < 0) return Error::FromErrno("fcntl(F_SETFL)");
  return Ok();
}

}  // namespace

Result<UniqueFd> ListenUnix(const std::string& path) {
  std::string ctx = "listening on \"" + path + "\"";
  ASSIGN_OR_RETURN(UnixAddress a, MakeAddress(path));
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return Error::FromErrno(ctx + ": socket");
  // bind() creates the file with the socket inode's mode minus umask, so restricting the inode
  // first means the file is never reachable by others, not even briefly.
  if (::fchmod(sock.get(), 0600) < 0) return Error::FromErrno(ctx + ": fchmod");
  if (::bind(sock.get(), reinterpret_cast<struct sockaddr*>(&a.addr), a.len) < 0) {
    return Error::FromErrno(ctx + ": bind");
  }
  // And exactly 0600 whatever the umask took away (a 0400 socket can't be connected to).
  if (::chmod(a.name.c_str(), 0600) < 0) return Error::FromErrno(ctx + ": chmod");
  if (::listen(sock.get(), SOMAXCONN) < 0) return Error::FromErrno(ctx + ": listen");
  return sock;
}

Result<UniqueFd> ConnectUnix(const std::string& path, int timeout_ms) {
  std::string ctx = "connecting to \"" + path + "\"";
  ASSIGN_OR_RETURN(UnixAddress a, MakeAddress(path));
  Deadline deadline = Deadline::After(timeout_ms);
  // Non-blocking only so the wait is ours to bound; the caller gets a blocking socket back.
  int type = SOCK_STREAM | SOCK_CLOEXEC | (deadline.infinite() ? 0 : SOCK_NONBLOCK);
  UniqueFd sock(::socket(AF_UNIX, type, 0));
  if (!sock) return Error::FromErrno(ctx + ": socket");
  for (;;) {
    if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&a.addr), a.len) == 0) break;
    if (errno == EISCONN) break;  // an interrupted connect() completed meanwhile
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // A Unix socket says EAGAIN (not EINPROGRESS) when the listener's backlog is full; the
      // only way to wait for room is to try again.
      if (deadline.Expired()) return Error(ETIMEDOUT, ctx + ": backlog full, timed out");
      int ms = std::min(deadline.RemainingMs(), 10);
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      continue;
    }
    if (errno == EINPROGRESS) {
      auto waited = WaitFd(sock.get(), POLLOUT, deadline);
      if (!waited.ok()) return waited.error().Wrap(ctx);
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return Error::FromErrno(ctx + ": getsockopt");
      }
      if (err != 0) return Error(err, ctx);
      break;
    }
    return Error::FromErrno(ctx);
  }
  if (!deadline.infinite()) TRY_CTX(SetNonBlocking(sock.get(), false), ctx);
  return sock;
}

}  // namespace stockade::urpc
