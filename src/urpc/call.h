// The values a method handler receives and returns.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::urpc {

// One request as a handler sees it. The handler may move FDs out of `fds`; whatever is left is
// closed after the call.
struct Call {
  nlohmann::json arg;         // "arg" of the request; null when absent
  std::vector<UniqueFd> fds;  // FDs that came with the request
  std::string method;         // "Type.Method", for handlers shared between methods
};

// A successful reply: {"result": result}, with `fds` passed to the peer (and closed here after
// sending). Converts from JSON, so a handler can `return Reply(json{{"pid", pid}});`.
struct Reply {
  Reply() = default;
  Reply(nlohmann::json r) : result(std::move(r)) {}  // NOLINT: implicit by design
  Reply(nlohmann::json r, std::vector<UniqueFd> f) : result(std::move(r)), fds(std::move(f)) {}

  nlohmann::json result;
  std::vector<UniqueFd> fds;
};

// Returns the reply, or an Error whose ToString() becomes the {"error": ...} text. Exceptions
// thrown by a handler (e.g. nlohmann::json::type_error from a badly typed arg) also become error
// replies, so handlers may use json::at()/get<T>() freely.
using Handler = std::function<Result<Reply>(Call&)>;

}  // namespace stockade::urpc
