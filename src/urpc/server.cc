#include "urpc/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <system_error>

#include "base/log.h"
#include "base/threads.h"
#include "urpc/transport.h"

namespace stockade::urpc {
namespace {

using json = nlohmann::json;

// The server whose connection thread this is, if any: Stop() must not join its own thread.
thread_local const Server* current_server = nullptr;

// A short pause after a failing accept (EMFILE and the like): the pending connection stays
// queued, so polling again at once would spin. Returns early on Shutdown().
void BackOff(int wake_fd) {
  struct pollfd p = {wake_fd, POLLIN, 0};
  ::poll(&p, 1, 100);
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Server::~Server() { Stop(); }

void Server::Register(std::string method, Handler handler) {
  if (!IsValidMethodName(method)) {
    // No request can name it, so this is a programming error worth shouting about.
    LOG_ERROR("urpc: registering handler with invalid method name \"%s\"", method.c_str());
  }
  auto h = std::make_shared<const Handler>(std::move(handler));
  std::unique_lock lock(handlers_mu_);
  handlers_[std::move(method)] = std::move(h);
}

Status Server::Start(UniqueFd listening_socket) {
  if (!wake_) return Error(errno, "urpc server: eventfd");
  if (!listening_socket) return Error(EBADF, "urpc server: no listening socket");
  // Non-blocking so that a connection that vanishes between poll() and accept() can't block the
  // accept thread where Shutdown() can't wake it.
  int flags = ::fcntl(listening_socket.get(), F_GETFL);
  if (flags < 0 || ::fcntl(listening_socket.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return Error::FromErrno("urpc server: making listening socket non-blocking");
  }
  std::lock_guard lock(conns_mu_);
  if (started_) return Error(EBUSY, "urpc server: already started");
  if (stopping_) return Error(ESHUTDOWN, "urpc server: already stopped");
  try {
    accept_thread_ = NamedThread("urpc-accept", &Server::AcceptLoop, this, std::move(listening_socket));
  } catch (const std::system_error& e) {
    return Error(e.code().value(), "urpc server: starting accept thread");
  }
  started_ = true;
  return Ok();
}

void Server::Shutdown() {
  stopping_ = true;
  uint64_t one = 1;
  // Level-triggered wake-up for every poller. Can only fail if the counter would overflow,
  // which needs ~2^64 calls; it stays readable either way.
  ssize_t n = ::write(wake_.get(), &one, sizeof one);
  (void)n;
}

void Server::Stop() {
  Shutdown();
  if (current_server == this) {
    LOG_WARN("urpc: Stop() called from a handler; shutting down without waiting");
    return;
  }
  // Serialises concurrent Stop()s, so that each returns only once everything is joined.
  std::lock_guard stop_lock(stop_mu_);
  std::thread accept;
  {
    std::lock_guard lock(conns_mu_);
    accept = std::move(accept_thread_);
  }
  // After this join no connection is added any more.
  if (accept.joinable()) accept.join();
  std::list<std::unique_ptr<Connection>> conns;
  {
    std::lock_guard lock(conns_mu_);
    conns = std::move(conns_);
  }
  for (auto& c : conns) c->thread.join();
}

void Server::AcceptLoop(UniqueFd listener) {
  while (!stopping_) {
    struct pollfd p[2] = {{listener.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno != EINTR) {
        LOG_ERROR("urpc: poll on listening socket: %s", strerror(errno));
        BackOff(wake_.get());
      }
      continue;
    }
    if (stopping_) break;
    if (p[0].revents == 0) continue;
    UniqueFd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      LOG_WARN("urpc: accept: %s", strerror(errno));
      BackOff(wake_.get());
      continue;
    }
    std::lock_guard lock(conns_mu_);
    ReapLocked();
    if (conns_.size() >= options_.max_connections) {
      LOG_WARN("urpc: refusing connection: %zu connections open", conns_.size());
      continue;  // closes fd
    }
    auto conn = std::make_unique<Connection>();
    conn->fd = std::move(fd);
    try {
      conn->thread = NamedThread("urpc-conn", &Server::Serve, this, conn.get());
    } catch (const std::system_error& e) {
      LOG_WARN("urpc: refusing connection: cannot start thread: %s", e.what());
      continue;
    }
    conns_.push_back(std::move(conn));
  }
  // `listener` closes here, so clients get ECONNREFUSED instead of waiting in the backlog.
}

void Server::ReapLocked() {
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();  // it has finished its work; this only collects the thread
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::Serve(Connection* conn) {
  current_server = this;
  try {
    ServeRequests(conn->fd.get());
  } catch (const std::exception& e) {
    // Only allocation failures and the like get here: handler exceptions are caught in Invoke.
    LOG_ERROR("urpc: dropping connection: %s", e.what());
  } catch (...) {
    LOG_ERROR("urpc: dropping connection: unknown exception");
  }
  conn->fd.reset();
  conn->done = true;
}

void Server::ServeRequests(int fd) {
  for (;;) {
    // Idle between requests: no timeout, but Shutdown() ends the wait.
    struct pollfd p[2] = {{fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LOG_WARN("urpc: poll on connection: %s", strerror(errno));
      return;
    }
    if (stopping_) return;
    if (p[0].revents == 0) continue;

    // A request has started: from now on it is in flight and finishes even during Shutdown().
    auto frame = RecvFrame(fd, options_.limits, options_.read_timeout_ms);
    if (!frame.ok()) {
      const Error& err = frame.error();
      if (IsPeerClosed(err)) return;
      if (err.code() == EMSGSIZE) {
        // The body wasn't read, so the stream can't be resynced; say why before hanging up.
        (void)SendFrame(fd, EncodeErrorFrame(err.message()), {}, options_.write_timeout_ms);
      }
      LOG_WARN("urpc: dropping connection: %s", err.ToString().c_str());
      return;
    }

    std::vector<UniqueFd> reply_fds;
    std::string reply;
    if (frame->rejected) {
      LOG_WARN("urpc: rejecting request: %s", frame->rejected->message().c_str());
      reply = EncodeErrorFrame(frame->rejected->message());
    } else {
      reply = Dispatch(frame->body, std::move(frame->fds), &reply_fds);
    }

    std::vector<int> raw_fds;
    for (const UniqueFd& f : reply_fds) raw_fds.push_back(f.get());
    Status sent = SendFrame(fd, reply, raw_fds, options_.write_timeout_ms);
    if (!sent.ok()) {
      LOG_WARN("urpc: dropping connection: %s", sent.error().ToString().c_str());
      return;
    }
  }
}

std::string Server::Dispatch(std::string_view body, std::vector<UniqueFd> fds,
                             std::vector<UniqueFd>* reply_fds) {
  auto parsed = ParseBody(body, options_.limits);
  if (!parsed.ok()) {
    LOG_DEBUG("urpc: bad request: %s", parsed.error().message().c_str());
    return EncodeErrorFrame(parsed.error().message());
  }
  if (Status valid = ValidateRequest(*parsed); !valid.ok()) {
    LOG_DEBUG("urpc: bad request: %s", valid.error().message().c_str());
    return EncodeErrorFrame(valid.error().message());
  }
  Call call;
  call.method = (*parsed)["method"].get<std::string>();
  if (auto it = parsed->find("arg"); it != parsed->end()) call.arg = std::move(*it);
  call.fds = std::move(fds);
  LOG_DEBUG("urpc: call %s", call.method.c_str());

  auto reply = Invoke(call.method, call);
  if (!reply.ok()) return EncodeErrorFrame(reply.error().ToString());
  // Refuse to send what the peer would reject: that would cost it the connection.
  if (reply->fds.size() > options_.limits.max_fds) {
    return EncodeErrorFrame(call.method + ": reply carries " + std::to_string(reply->fds.size()) +
                            " FDs, more than the limit of " +
                            std::to_string(options_.limits.max_fds));
  }
  json out = json::object();
  out["result"] = std::move(reply->result);
  auto frame = EncodeFrame(out);
  if (!frame.ok()) return EncodeErrorFrame(call.method + ": " + frame.error().message());
  if (frame->size() - kHeaderSize > options_.limits.max_body) {
    return EncodeErrorFrame(
        call.method + ": reply of " + std::to_string(frame->size() - kHeaderSize) +
        " bytes exceeds the limit of " + std::to_string(options_.limits.max_body) + " bytes");
  }
  *reply_fds = std::move(reply->fds);
  return std::move(*frame);
}

Result<Reply> Server::Invoke(const std::string& method, Call& call) {
  std::shared_ptr<const Handler> handler;
  {
    std::shared_lock lock(handlers_mu_);
    auto it = handlers_.find(method);
    if (it != handlers_.end()) handler = it->second;
  }
  if (!handler) return Error::Msg("unknown method \"" + method + "\"");
  // Exceptions must not cross into the connection thread (or std::terminate the boot process).
  try {
    return (*handler)(call);
  } catch (const json::exception& e) {
    return Error::Msg(method + ": invalid argument: " + e.what());
  } catch (const std::exception& e) {
    return Error::Msg(method + ": internal error: " + e.what());
  } catch (...) {
    return Error::Msg(method + ": internal error: unknown exception");
  }
}

}  // namespace stockade::urpc
