#include "runtime/container_id.h"

#include <cctype>

namespace stockade::runtime {

Status ValidateContainerId(const std::string& id) {
  if (id.empty()) return Error::Msg("container id cannot be empty");
  if (id.size() > 1024) return Error::Msg("invalid container id: longer than 1024 characters");
  if (id == "." || id == "..") return Error::Msg("invalid container id: \"" + id + "\"");
  for (unsigned char c : id) {
    if (!(std::isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.')) {
      return Error::Msg("invalid container id: \"" + id +
                        "\" (allowed: letters, digits, '_', '+', '-', '.')");
    }
  }
  return Ok();
}

}  // namespace stockade::runtime
