// libFuzzer target for seccomp(2)'s argument as the Sentry decodes it: an application's
// classic-BPF program (SeccompProgram::New validates it) and the interpreter that runs it
// over a system call's seccomp_data. Input: 64 bytes of seccomp_data, then the program's
// instructions. Whatever the bytes, New must accept or refuse them, and an accepted program
// must run to a verdict, twice the same.
#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sentry/kernel/seccomp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using stockade::sentry::kernel::SeccompProgram;
  struct seccomp_data d;
  if (size < sizeof d) return 0;
  memcpy(&d, data, sizeof d);
  std::string bpf(reinterpret_cast<const char*>(data) + sizeof d, size - sizeof d);
  auto p = SeccompProgram::New(bpf);
  if (!p.ok()) return 0;
  if ((*p)->Run(d) != (*p)->Run(d)) std::abort();
  return 0;
}
