// libFuzzer target for the gofer's server: whatever request bytes a hostile
// Sentry sends, the server answers without crashing, donates only regular
// files beneath its root, and never reads, changes or creates anything
// outside it (fuzz_fixture.h).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "gofer/fuzz_fixture.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A static object, not a leaked one: libFuzzer ends a timed run with exit(), whose
  // destructors remove the fixture's tree from /tmp.
  static stockade::gofer::FuzzFixture fixture;
  fixture.Restore();
  std::string broken = fixture.HandleAndCheck(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!broken.empty()) {
    fprintf(stderr, "gofer invariant broken: %s\n", broken.c_str());
    abort();
  }
  return 0;
}
