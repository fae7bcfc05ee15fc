#include "base/error.h"

#include <cstring>
#include <string>

namespace stockade {

const char* ErrnoName(int err) {
  // strerrorname_np is glibc >= 2.32; Debian 12 has 2.36.
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EUNKNOWN";
}

std::string Error::ToString() const {
  if (errno_ == 0) return message_;
  return message_ + ": " + ErrnoName(errno_) + " (" + strerror(errno_) + ")";
}

}  // namespace stockade
