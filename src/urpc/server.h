// Server: serves control RPCs on a listening Unix socket.
//
// One accept thread, plus one thread per connection that handles that connection's calls one at
// a time. A handler may block for as long as it likes (waiting for a process to exit, say): it
// only holds up its own connection. See README.md for the threading model and lock order.
#pragma once

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "urpc/call.h"
#include "urpc/framing.h"

namespace stockade::urpc {

struct ServerOptions {
  Limits limits;
  // Once a request's first byte has arrived, the whole request must arrive within this time or
  // the connection is dropped. Idle connections (between requests) have no timeout.
  int read_timeout_ms = 10'000;
  // Bound on sending one reply; a peer that doesn't read is dropped.
  int write_timeout_ms = 10'000;
  // Connections beyond this are accepted and closed at once, so a flood can't exhaust threads.
  size_t max_connections = 1024;
};

class Server {
 public:
  explicit Server(ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Stop()s. Must not run on a handler thread.
  ~Server();

  // Adds or replaces the handler for "Type.Method". Safe at any time, also while serving.
  void Register(std::string method, Handler handler);

  // Serves `listening_socket` (e.g. from ListenUnix) on background threads. Fails if already
  // started. The socket is closed when the server stops accepting.
  Status Start(UniqueFd listening_socket);

  // Begins a graceful stop and returns at once: no new connections are accepted, idle
  // connections are closed, and each in-flight call finishes and sends its reply before its
  // connection closes. Safe from a handler (e.g. a "shut down" method).
  void Shutdown();
  // Shutdown(), then waits for every thread to finish. Handlers that block indefinitely must be
  // unblocked by their owner, or this waits too. Idempotent. Called from a handler thread it
  // cannot wait for itself, so it only does Shutdown() (a later Stop() or ~Server joins).
  void Stop();

  // True once Shutdown()/Stop() has begun; long handlers may poll it.
  bool stopping() const { return stopping_.load(); }

 private:
  struct Connection {
    UniqueFd fd;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void AcceptLoop(UniqueFd listener);
  void Serve(Connection* conn);
  void ServeRequests(int fd);
  // Builds the reply frame for one received request (never fails: errors become error frames).
  std::string Dispatch(std::string_view body, std::vector<UniqueFd> fds,
                       std::vector<UniqueFd>* reply_fds);
  Result<Reply> Invoke(const std::string& method, Call& call);
  // Joins finished connection threads. Requires conns_mu_.
  void ReapLocked();

  const ServerOptions options_;
  std::atomic<bool> stopping_{false};
  // An eventfd that becomes readable, and stays so, on Shutdown(): it wakes the accept thread
  // and every idle connection thread from poll().
  UniqueFd wake_;

  // Lock order: stop_mu_ -> conns_mu_; handlers_mu_ is never combined with another. stop_mu_
  // is held while joining threads; no lock is held across socket I/O or a handler call.
  std::shared_mutex handlers_mu_;
  std::map<std::string, std::shared_ptr<const Handler>, std::less<>> handlers_;

  // Held for the whole of Stop(), before conns_mu_, so concurrent Stop()s all wait for the end.
  std::mutex stop_mu_;
  std::mutex conns_mu_;
  bool started_ = false;                          // guarded by conns_mu_
  std::thread accept_thread_;                     // guarded by conns_mu_
  std::list<std::unique_ptr<Connection>> conns_;  // guarded by conns_mu_
};

}  // namespace stockade::urpc
