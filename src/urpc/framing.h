// Wire format of the control RPC: a 4-byte little-endian body length, then a UTF-8 JSON body.
// Everything here is pure (no I/O), so the same validation runs in the server, the client and
// the fuzzer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"

namespace stockade::urpc {

inline constexpr size_t kHeaderSize = 4;
// The kernel refuses more than SCM_MAX_FD (253) FDs in one SCM_RIGHTS message.
inline constexpr size_t kKernelMaxFds = 253;
// Method names are short identifiers; the cap keeps hostile names out of logs.
inline constexpr size_t kMaxMethodLength = 256;

// What a receiver accepts. The same limits bound requests (server) and replies (client).
struct Limits {
  size_t max_body = 16u << 20;  // bytes of JSON after the header
  size_t max_fds = 128;         // SCM_RIGHTS FDs per message (at most kKernelMaxFds)
  // Arrays/objects nested deeper than this are rejected: nlohmann's dump(), copy and compare
  // recurse, so unbounded nesting would let a peer overflow a handler's stack.
  size_t max_depth = 128;
};

// Serialises `body` as header + compact JSON. Fails with EINVAL if the JSON holds invalid UTF-8
// and with EMSGSIZE if the body cannot be described by a 32-bit length.
Result<std::string> EncodeFrame(const nlohmann::json& body);
// {"error": message}, framed. Never fails: invalid UTF-8 in `message` is replaced with U+FFFD,
// because error text often quotes paths or peer input.
std::string EncodeErrorFrame(std::string_view message);

// Decodes the length header (exactly kHeaderSize bytes). EMSGSIZE if it exceeds max_body.
Result<uint32_t> ParseHeader(std::string_view header, const Limits& limits);
// Parses a body: must be valid JSON, an object, and nested at most max_depth. EBADMSG otherwise.
Result<nlohmann::json> ParseBody(std::string_view body, const Limits& limits);

// True for names matching ^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$ (and not too long).
bool IsValidMethodName(std::string_view method);
// Checks a parsed body is {"method": <valid name>, "arg": <any, optional>}. EBADMSG otherwise.
Status ValidateRequest(const nlohmann::json& body);

// The pure request decoder (header + body in one buffer, nothing more, nothing less), with the
// validation the server applies. This is the fuzzer's entry point.
Result<nlohmann::json> DecodeRequest(std::string_view frame, const Limits& limits = {});

}  // namespace stockade::urpc
