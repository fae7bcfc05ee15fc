#include "urpc/transport.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "urpc/deadline.h"

namespace stockade::urpc {
namespace {

// Control-message space for the most FDs the kernel will pass in one message, aligned for
// cmsghdr as CMSG_* require.
union ControlBuffer {
  struct cmsghdr align;
  char buf[CMSG_SPACE(sizeof(int) * kKernelMaxFds)];
};

// Receive-side state shared by the header and body reads of one message.
struct RecvState {
  const Limits& limits;
  Deadline deadline;
  std::vector<UniqueFd> fds;
  bool too_many_fds = false;
};

// Takes ownership of every FD in the control data at once, so that none can leak whatever
// happens next, then enforces the FD limit.
void CollectFds(struct msghdr& msg, RecvState& st) {
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char* data = CMSG_DATA(c);
    for (size_t i = 0; i < n; ++i) {
      int fd;
      std::memcpy(&fd, data + i * sizeof(int), sizeof fd);
      st.fds.emplace_back(fd);
    }
  }
  // MSG_CTRUNC: the kernel had more FDs than our buffer holds and dropped (closed) the rest.
  if ((msg.msg_flags & MSG_CTRUNC) != 0 || st.fds.size() > st.limits.max_fds) {
    st.too_many_fds = true;
  }
  // Nothing will use them now; close them right away rather than at the end of the message.
  if (st.too_many_fds) st.fds.clear();
}

// One recvmsg of at most `len` bytes, waiting as needed. Returns 0 at EOF.
Result<size_t> RecvSome(int sock, char* buf, size_t len, RecvState& st) {
  ControlBuffer control;
  size_t max_fds = std::min(st.limits.max_fds, kKernelMaxFds);
  for (;;) {
    struct iovec iov = {buf, len};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // Room for exactly max_fds FDs: one more and the kernel sets MSG_CTRUNC. With a limit of
    // zero, any FD at all truncates.
    msg.msg_control = max_fds > 0 ? control.buf : nullptr;
    msg.msg_controllen = max_fds > 0 ? CMSG_SPACE(sizeof(int) * max_fds) : 0;
    ssize_t n = ::recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n >= 0) {
      CollectFds(msg, st);
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      if (errno == ECONNRESET) return Error(ECONNRESET, "connection reset by peer");
      return Error::FromErrno("receiving message");
    }
    auto waited = WaitFd(sock, POLLIN, st.deadline);
    if (!waited.ok()) return waited.error().Wrap("receiving message");
  }
}

// Fills `buf` completely. `started` says whether earlier bytes of this message were read, which
// decides between a clean EOF (ECONNRESET) and a truncated message (EPROTO).
Status RecvExact(int sock, char* buf, size_t len, bool started, RecvState& st) {
  size_t got = 0;
  while (got < len) {
    auto n = RecvSome(sock, buf + got, len - got, st);
    if (!n.ok()) {
      // A reset before the first byte is as clean as an EOF; afterwards it truncates the message.
      if (IsPeerClosed(n.error()) && (started || got > 0)) {
        return Error(EPROTO, "connection reset in the middle of a message");
      }
      return std::move(n).take_error();
    }
    if (*n == 0) {
      if (!started && got == 0) return Error(ECONNRESET, "connection closed by peer");
      return Error(EPROTO, "connection closed in the middle of a message");
    }
    got += *n;
  }
  return Ok();
}

}  // namespace

Status SendFrame(int sock, std::string_view frame, const std::vector<int>& fds, int timeout_ms) {
  // FDs need at least one byte to ride on; every real frame has a header.
  if (frame.empty()) return Error(EINVAL, "sending message: empty frame");
  if (fds.size() > kKernelMaxFds) {
    return Error(EINVAL, "sending message: " + std::to_string(fds.size()) +
                             " FDs exceed the kernel limit of " + std::to_string(kKernelMaxFds));
  }
  Deadline deadline = Deadline::After(timeout_ms);
  ControlBuffer control;
  size_t sent = 0;
  bool fds_pending = !fds.empty();
  while (sent < frame.size()) {
    struct iovec iov = {const_cast<char*>(frame.data()) + sent, frame.size() - sent};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (fds_pending) {
      std::memset(control.buf, 0, sizeof control.buf);
      msg.msg_control = control.buf;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      // Any accepted byte carried the control data with it.
      sent += static_cast<size_t>(n);
      fds_pending = false;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Error::FromErrno("sending message");
    auto waited = WaitFd(sock, POLLOUT, deadline);
    if (!waited.ok()) return waited.error().Wrap("sending message");
  }
  return Ok();
}

Status SendMessage(int sock, const nlohmann::json& body, const std::vector<int>& fds,
                   int timeout_ms) {
  ASSIGN_OR_RETURN(std::string frame, EncodeFrame(body));
  return SendFrame(sock, frame, fds, timeout_ms);
}

Result<Frame> RecvFrame(int sock, const Limits& limits, int timeout_ms) {
  RecvState st{limits, Deadline::After(timeout_ms), {}, false};
  char header[kHeaderSize];
  TRY(RecvExact(sock, header, sizeof header, /*started=*/false, st));
  ASSIGN_OR_RETURN(uint32_t len, ParseHeader(std::string_view(header, sizeof header), limits));

  Frame frame;
  // Grow the buffer as bytes arrive instead of trusting the header up front: a peer announcing
  // 16 MiB and sending nothing should not cost 16 MiB per connection.
  constexpr size_t kChunk = 1u << 20;
  while (frame.body.size() < len) {
    size_t old = frame.body.size();
    size_t step = std::min<size_t>(len - old, kChunk);
    frame.body.resize(old + step);
    TRY(RecvExact(sock, frame.body.data() + old, step, /*started=*/true, st));
  }
  if (st.too_many_fds) {
    frame.rejected =
        Error(ETOOMANYREFS, "message carries more than " + std::to_string(limits.max_fds) + " FDs");
  } else {
    frame.fds = std::move(st.fds);
  }
  return frame;
}

Result<Message> RecvMessage(int sock, const Limits& limits, int timeout_ms) {
  ASSIGN_OR_RETURN(Frame frame, RecvFrame(sock, limits, timeout_ms));
  if (frame.rejected) return std::move(*frame.rejected);
  ASSIGN_OR_RETURN(nlohmann::json body, ParseBody(frame.body, limits));
  return Message{std::move(body), std::move(frame.fds)};
}

}  // namespace stockade::urpc
