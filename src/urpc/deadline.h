// Deadline: a point in time that I/O loops count down to, so that a message made of many
// partial reads or writes is bounded as a whole rather than per syscall.
#pragma once

#include <chrono>

#include "base/result.h"

namespace stockade::urpc {

class Deadline {
 public:
  // timeout_ms < 0 means no deadline; 0 means "only what is possible without waiting".
  static Deadline After(int timeout_ms);
  static Deadline Never() { return Deadline(); }

  bool infinite() const { return infinite_; }
  bool Expired() const;
  // Milliseconds left, in poll()'s convention: -1 when infinite, otherwise >= 0, rounded up so
  // that a loop never spins on a zero timeout while time remains.
  int RemainingMs() const;

 private:
  Deadline() = default;
  bool infinite_ = true;
  std::chrono::steady_clock::time_point at_{};
};

// Waits until `fd` reports one of `events` (or an error/hangup, which the caller's next syscall
// will surface). Fails with ETIMEDOUT once the deadline passes.
Status WaitFd(int fd, short events, const Deadline& deadline);

}  // namespace stockade::urpc
