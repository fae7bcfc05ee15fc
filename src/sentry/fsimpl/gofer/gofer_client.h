// The Sentry's end of one gofer socket (gofer/protocol.h): one request and
// its reply at a time.
#pragma once

#include <mutex>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "gofer/protocol.h"

namespace stockade::sentry::fsimpl {

class GoferClient {
 public:
  explicit GoferClient(UniqueFd sock) : sock_(std::move(sock)) {}

  struct Reply {
    std::string payload;
    UniqueFd fd;  // a donated FD (Open of a regular file), else invalid
  };
  // The gofer's errors come back as errors; EIO when the gofer is gone or
  // its reply is malformed.
  Result<Reply> Call(const gofer::Request& r);

 private:
  std::mutex mu_;  // a leaf lock: one exchange at a time on the socket
  UniqueFd sock_;
};

}  // namespace stockade::sentry::fsimpl
