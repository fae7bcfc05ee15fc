// Sending and receiving framed messages, with SCM_RIGHTS FDs, over a Unix SOCK_STREAM socket.
//
// Works on blocking and non-blocking sockets alike: every syscall uses MSG_DONTWAIT and waits in
// poll(), which is how a whole message is bounded by one timeout. Not safe for concurrent use of
// one socket by several threads in the same direction (messages would interleave).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "urpc/framing.h"

namespace stockade::urpc {

// A decoded message and the FDs that came with it (owned; closed when dropped).
struct Message {
  nlohmann::json body;
  std::vector<UniqueFd> fds;
};

// A message read off the wire but not yet parsed.
struct Frame {
  std::string body;
  std::vector<UniqueFd> fds;
  // Set when the message was read completely (so the stream is still in sync) but must be
  // rejected, e.g. it carried too many FDs. `fds` is then empty: the FDs were closed.
  std::optional<Error> rejected;
};

// Sends an already-framed message (see EncodeFrame). The FDs ride on the first sendmsg, so they
// reach the peer together with the message's first bytes; the caller keeps ownership of them.
// timeout_ms < 0 waits forever. Never raises SIGPIPE: a closed peer is EPIPE.
Status SendFrame(int sock, std::string_view frame, const std::vector<int>& fds, int timeout_ms);
// EncodeFrame + SendFrame.
Status SendMessage(int sock, const nlohmann::json& body, const std::vector<int>& fds,
                   int timeout_ms);

// Reads exactly one message, within timeout_ms overall (< 0: forever). Never reads past the end
// of the message, so FDs of the next message stay queued in the kernel. Errors:
//   ECONNRESET    the peer closed (or reset) the connection before sending any byte of it;
//                 check with IsPeerClosed();
//   EPROTO        the connection closed in the middle of the message;
//   ETIMEDOUT     the message did not arrive in time;
//   EMSGSIZE      the header announces more than limits.max_body: the body was not read, so
//                 the stream can't be resynchronised and the connection should be closed;
//   other errno   from the syscalls.
// RecvFrame reports too many FDs (more than limits.max_fds, or control data truncated by the
// kernel: MSG_CTRUNC) in Frame::rejected; RecvMessage turns it into ETOOMANYREFS.
Result<Frame> RecvFrame(int sock, const Limits& limits, int timeout_ms);
// RecvFrame + ParseBody: additionally EBADMSG when the body isn't a JSON object. After
// ETOOMANYREFS or EBADMSG the stream is still in sync.
Result<Message> RecvMessage(int sock, const Limits& limits, int timeout_ms);

// True if `err` means the peer went away cleanly between messages.
inline bool IsPeerClosed(const Error& err) { return err.code() == ECONNRESET; }

}  // namespace stockade::urpc
