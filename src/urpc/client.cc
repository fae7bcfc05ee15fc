#include "urpc/client.h"

#include <cerrno>

#include "urpc/deadline.h"
#include "urpc/transport.h"
#include "urpc/unix_socket.h"

namespace stockade::urpc {
namespace {

using json = nlohmann::json;

// {"result": ...} -> Reply; {"error": "..."} -> Error(0, text); anything else is EBADMSG.
Result<Reply> ToReply(Message msg) {
  if (auto it = msg.body.find("error"); it != msg.body.end()) {
    if (!it->is_string()) return Error(EBADMSG, "malformed reply: \"error\" is not a string");
    return Error::Msg(it->get<std::string>());
  }
  auto it = msg.body.find("result");
  if (it == msg.body.end()) return Error(EBADMSG, "malformed reply: no \"result\" or \"error\"");
  return Reply(std::move(*it), std::move(msg.fds));
}

}  // namespace

Result<Client> Client::Connect(const std::string& socket_path, int timeout_ms,
                               const Limits& limits) {
  ASSIGN_OR_RETURN(UniqueFd sock, ConnectUnix(socket_path, timeout_ms));
  return Client(std::move(sock), limits);
}

Client::Client(UniqueFd sock, const Limits& limits) : sock_(std::move(sock)), limits_(limits) {}

Result<Reply> Client::Call(const std::string& method, const json& arg, const std::vector<int>& fds,
                           int timeout_ms) {
  std::string ctx = "calling " + method;
  if (!sock_) return Error(ENOTCONN, ctx + ": not connected");
  Deadline deadline = Deadline::After(timeout_ms);
  json request = json::object();
  request["method"] = method;
  request["arg"] = arg;
  // Encoding failures (invalid UTF-8) happen before anything is sent: the connection is fine.
  ASSIGN_OR_RETURN(std::string frame, EncodeFrame(request));

  Status sent = SendFrame(sock_.get(), frame, fds, deadline.RemainingMs());
  if (!sent.ok()) {
    int code = sent.error().code();
    if (code == EPIPE || code == ECONNRESET) {
      // The server may have rejected the request from its header alone (too large) and hung
      // up; its error reply is then already queued here and explains more than EPIPE does.
      auto early = RecvMessage(sock_.get(), limits_, 0);
      if (early.ok()) {
        sock_.reset();
        auto reply = ToReply(std::move(*early));
        if (!reply.ok() && reply.error().code() == 0) return reply;
      }
    }
    sock_.reset();
    return sent.error().Wrap(ctx);
  }

  auto msg = RecvMessage(sock_.get(), limits_, deadline.RemainingMs());
  if (!msg.ok()) {
    // A late reply would be taken for the next call's, so the connection is unusable.
    sock_.reset();
    if (IsPeerClosed(msg.error())) return Error(ECONNRESET, ctx + ": server closed the connection");
    return msg.error().Wrap(ctx);
  }
  auto reply = ToReply(std::move(*msg));
  if (!reply.ok() && reply.error().code() != 0) {
    sock_.reset();
    return reply.error().Wrap(ctx);
  }
  return reply;
}

}  // namespace stockade::urpc
