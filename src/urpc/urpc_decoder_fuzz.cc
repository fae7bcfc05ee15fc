// libFuzzer target for the request decoder: whatever the bytes, DecodeRequest must return
// (an error or a request) without crashing, and what it accepts must survive re-encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "urpc/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using stockade::urpc::DecodeRequest;
  using stockade::urpc::EncodeFrame;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto request = DecodeRequest(bytes);
  if (!request.ok()) return 0;
  // A decoded request is valid UTF-8, bounded in depth and size, and has a valid method, so it
  // must encode, and the encoding must decode again (dump() recursion is exercised here too).
  auto frame = EncodeFrame(*request);
  if (!frame.ok()) std::abort();
  auto again = DecodeRequest(*frame);
  if (!again.ok()) std::abort();
  return 0;
}
