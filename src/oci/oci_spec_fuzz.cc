// libFuzzer target: arbitrary bytes through every entry point that reads untrusted JSON
// (config.json, process.json, state.json) and on through validation. Finds crashes, leaks,
// uncaught exceptions (which abort) and unbounded recursion.
//
// Build: cmake -DCMAKE_CXX_COMPILER=clang++ -DSTOCKADE_FUZZ=ON ...; make oci_spec_fuzz
// Run:   oci_spec_fuzz -max_total_time=30 -dict=src/oci/oci_spec.dict /tmp/new_corpus \
//            src/oci/fuzz_corpus
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "oci/parse.h"
#include "oci/state.h"
#include "oci/validate.h"

namespace {

// A bundle whose "rootfs" exists, so validation goes past the root check for specs using
// runc's default root.path.
std::string* g_bundle = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  char tmpl[] = "/tmp/oci-fuzz-bundle-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) abort();
  g_bundle = new std::string(tmpl);
  if (mkdir((*g_bundle + "/rootfs").c_str(), 0755) != 0) abort();
  atexit([] {
    rmdir((*g_bundle + "/rootfs").c_str());
    rmdir(g_bundle->c_str());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stockade::oci;  // NOLINT(google-build-using-namespace): harness only.
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto spec = ParseSpec(text);
  if (spec.ok()) {
    (void)ValidateSpec(*spec, *g_bundle);
    (void)ResolveRootfs(*spec, *g_bundle);
    Spec copy = *spec;  // Copies raw too: must not recurse without bound.
    (void)copy;
  }
  auto process = ParseProcess(text);
  if (process.ok()) (void)ValidateProcess(*process);
  auto doc = ParseJsonText(text);
  if (doc.ok()) {
    auto state = StateFromJson(*doc);
    if (state.ok()) (void)FormatState(*state);
  }
  return 0;
}
