// Error: an errno plus a human-readable context chain, used across all of Stockade.
#pragma once

#include <cerrno>
#include <string>
#include <utility>

namespace stockade {

class Error {
 public:
  Error() = default;
  Error(int err, std::string message) : errno_(err), message_(std::move(message)) {}

  // An error from the current errno, e.g. Error::FromErrno("opening \"/x\"").
  static Error FromErrno(std::string context) { return Error(errno, std::move(context)); }
  // An error with no errno (validation failures and the like).
  static Error Msg(std::string message) { return Error(0, std::move(message)); }

  int code() const { return errno_; }
  const std::string& message() const { return message_; }

  // Prepends context: Error(ENOENT,"open x").Wrap("loading spec") -> "loading spec: open x".
  // A bare errno (an empty message) takes the context as its message.
  Error Wrap(const std::string& context) const& {
    return Error(errno_, message_.empty() ? context : context + ": " + message_);
  }

  // "context: ENOENT (No such file or directory)" when an errno is set.
  std::string ToString() const;

 private:
  int errno_ = 0;
  std::string message_;
};

// Symbolic name of an errno ("ENOENT"), or "errno N".
const char* ErrnoName(int err);

}  // namespace stockade
