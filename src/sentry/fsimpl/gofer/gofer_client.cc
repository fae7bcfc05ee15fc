#include "sentry/fsimpl/gofer/gofer_client.h"

#include <sys/socket.h>

#include <cstring>

namespace stockade::sentry::fsimpl {

Result<GoferClient::Reply> GoferClient::Call(const gofer::Request& r) {
  std::string req = gofer::EncodeRequest(r);
  if (req.size() > gofer::kMaxMessage) return Error(ENAMETOOLONG, "");
  Reply out;
  std::string buf(gofer::kMaxMessage + 1, '\0');
  ssize_t n;
  struct msghdr m {};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  {
    std::lock_guard<std::mutex> l(mu_);
    ssize_t s;
    do {
      s = send(sock_.get(), req.data(), req.size(), MSG_NOSIGNAL);
    } while (s < 0 && errno == EINTR);
    if (s != static_cast<ssize_t>(req.size())) return Error(EIO, "the gofer is gone");
    struct iovec iov = {buf.data(), buf.size()};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    do {
      n = recvmsg(sock_.get(), &m, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
  }
  // Take ownership of every FD first, so that none leaks on a bad reply.
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (!out.fd) {
        out.fd.reset(fd);
      } else {
        close(fd);
        return Error(EIO, "the gofer sent more than one FD");
      }
    }
  }
  if (n <= 0 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) return Error(EIO, "bad reply from the gofer");
  auto payload = gofer::DecodeReply(std::string_view(buf.data(), static_cast<size_t>(n)));
  if (!payload.ok()) {
    if (payload.error().code() == EPROTO) return Error(EIO, "malformed reply from the gofer");
    return payload.error();
  }
  out.payload.assign(*payload);
  return out;
}

}  // namespace stockade::sentry::fsimpl
