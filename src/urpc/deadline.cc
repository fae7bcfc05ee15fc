#include "urpc/deadline.h"

#include <poll.h>

#include <cerrno>

namespace stockade::urpc {

Deadline Deadline::After(int timeout_ms) {
  Deadline d;
  if (timeout_ms >= 0) {
    d.infinite_ = false;
    d.at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return d;
}

bool Deadline::Expired() const { return !infinite_ && std::chrono::steady_clock::now() >= at_; }

int Deadline::RemainingMs() const {
  if (infinite_) return -1;
  auto left = at_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

Status WaitFd(int fd, short events, const Deadline& deadline) {
  for (;;) {
    struct pollfd p = {fd, events, 0};
    int n = ::poll(&p, 1, deadline.RemainingMs());
    if (n > 0) return Ok();
    if (n < 0 && errno != EINTR) return Error::FromErrno("poll");
    // Timed out (or interrupted): re-check the deadline rather than trusting poll's rounding.
    if (deadline.Expired()) return Error(ETIMEDOUT, "timed out");
  }
}

}  // namespace stockade::urpc
