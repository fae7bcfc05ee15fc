// Client: calls methods on a control RPC server.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "urpc/call.h"
#include "urpc/framing.h"

namespace stockade::urpc {

// One connection; one call at a time (not thread-safe: use one Client per thread).
class Client {
 public:
  // `limits` bound the replies this client accepts.
  static Result<Client> Connect(const std::string& socket_path, int timeout_ms,
                                const Limits& limits = {});
  // Adopts an already-connected socket.
  explicit Client(UniqueFd sock, const Limits& limits = {});

  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Calls `method` with `arg`, passing `fds` (which stay owned by the caller), and waits up to
  // timeout_ms (< 0: forever) for the whole exchange.
  //  - An error reply becomes an Error with code() 0 whose message() is exactly the server's
  //    error text.
  //  - Transport and protocol failures carry an errno (ETIMEDOUT, EPIPE, EBADMSG, ...). After
  //    one, the stream can't be trusted, so the connection is closed and later calls fail with
  //    ENOTCONN.
  Result<Reply> Call(const std::string& method, const nlohmann::json& arg,
                     const std::vector<int>& fds = {}, int timeout_ms = -1);

  bool connected() const { return sock_.valid(); }
  int fd() const { return sock_.get(); }

 private:
  UniqueFd sock_;
  Limits limits_;
};

}  // namespace stockade::urpc
