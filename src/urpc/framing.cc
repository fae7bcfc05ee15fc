#include "urpc/framing.h"

#include <cerrno>
#include <exception>
#include <limits>

namespace stockade::urpc {
namespace {

using json = nlohmann::json;

bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsIdentChar(char c) { return IsAlpha(c) || (c >= '0' && c <= '9') || c == '_'; }

// Length of an identifier ([A-Za-z][A-Za-z0-9_]*) at the start of `s`; 0 if there is none.
size_t IdentifierLength(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return 0;
  size_t i = 1;
  while (i < s.size() && IsIdentChar(s[i])) ++i;
  return i;
}

// Deepest array/object nesting in `text`, stopping early once it exceeds `limit`. Only exact for
// valid JSON, which is all that matters: invalid JSON is rejected by the parser anyway. A scan
// rather than a parser callback because it is cheap and runs before any allocation.
size_t NestingDepth(std::string_view text, size_t limit) {
  size_t depth = 0, max = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max) max = depth;
        if (max > limit) return max;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return max;
}

// Header + body; the caller has checked that the body's length fits 32 bits.
std::string WithHeader(const std::string& text) {
  uint32_t n = static_cast<uint32_t>(text.size());
  std::string frame;
  frame.reserve(kHeaderSize + text.size());
  for (size_t i = 0; i < kHeaderSize; ++i)
    frame.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  frame += text;
  return frame;
}

}  // namespace

Result<std::string> EncodeFrame(const json& body) {
  std::string text;
  try {
    text = body.dump();
  } catch (const std::exception& e) {
    // type_error 316: a string is not valid UTF-8. The peer would reject it, so refuse early.
    return Error(EINVAL, std::string("encoding message: ") + e.what());
  }
  if (text.size() > std::numeric_limits<uint32_t>::max()) {
    return Error(EMSGSIZE, "encoding message: " + std::to_string(text.size()) +
                               " bytes do not fit the 32-bit length header");
  }
  return WithHeader(text);
}

std::string EncodeErrorFrame(std::string_view message) {
  json body = {{"error", std::string(message)}};
  return WithHeader(body.dump(-1, ' ', false, json::error_handler_t::replace));
}

Result<uint32_t> ParseHeader(std::string_view header, const Limits& limits) {
  if (header.size() != kHeaderSize) return Error(EBADMSG, "truncated message header");
  uint32_t n = 0;
  for (size_t i = 0; i < kHeaderSize; ++i) {
    n |= static_cast<uint32_t>(static_cast<unsigned char>(header[i])) << (8 * i);
  }
  if (n > limits.max_body) {
    return Error(EMSGSIZE, "message of " + std::to_string(n) + " bytes exceeds the limit of " +
                               std::to_string(limits.max_body) + " bytes");
  }
  return n;
}

Result<json> ParseBody(std::string_view body, const Limits& limits) {
  if (NestingDepth(body, limits.max_depth) > limits.max_depth) {
    return Error(EBADMSG, "malformed message: JSON nested deeper than " +
                              std::to_string(limits.max_depth) + " levels");
  }
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    return Error(EBADMSG, std::string("malformed message: ") + e.what());
  }
  if (!j.is_object()) {
    return Error(EBADMSG,
                 std::string("malformed message: expected a JSON object, got ") + j.type_name());
  }
  return j;
}

bool IsValidMethodName(std::string_view method) {
  if (method.size() > kMaxMethodLength) return false;
  size_t type_len = IdentifierLength(method);
  if (type_len == 0 || type_len >= method.size() || method[type_len] != '.') return false;
  std::string_view rest = method.substr(type_len + 1);
  return IdentifierLength(rest) == rest.size() && !rest.empty();
}

Status ValidateRequest(const json& body) {
  if (!body.is_object()) return Error(EBADMSG, "malformed request: not a JSON object");
  auto it = body.find("method");
  if (it == body.end()) return Error(EBADMSG, "malformed request: no \"method\"");
  if (!it->is_string()) return Error(EBADMSG, "malformed request: \"method\" is not a string");
  const std::string& method = it->get_ref<const std::string&>();
  if (!IsValidMethodName(method)) {
    // Quote at most a prefix: the name is peer input and may be huge.
    return Error(EBADMSG, "malformed request: invalid method name \"" +
                              method.substr(0, kMaxMethodLength) + "\"");
  }
  return Ok();
}

Result<json> DecodeRequest(std::string_view frame, const Limits& limits) {
  if (frame.size() < kHeaderSize) return Error(EBADMSG, "truncated message header");
  ASSIGN_OR_RETURN(uint32_t len, ParseHeader(frame.substr(0, kHeaderSize), limits));
  std::string_view body = frame.substr(kHeaderSize);
  if (body.size() != len) {
    return Error(EBADMSG, "message header says " + std::to_string(len) + " bytes, body has " +
                              std::to_string(body.size()));
  }
  ASSIGN_OR_RETURN(json j, ParseBody(body, limits));
  TRY(ValidateRequest(j));
  return j;
}

}  // namespace stockade::urpc
