// Where the stub code and the memory-file mirror live in every stub (the
// constants match stub.S).
#pragma once

#include <cstdint>

#include "platform/platform.h"

namespace stockade::platform::ptrace {

inline constexpr uint64_t kMirrorBase = kMaxUserAddress;
inline constexpr uint64_t kMirrorEnd = kMaxUserAddress + kMaxMemoryFileSize;
inline constexpr uint64_t kStubBase = 0x7ffffffe0000;
inline constexpr uint64_t kStubEnd = 0x7fffffff0000;
static_assert(kMirrorEnd == 0x7f0000000000, "stub.S hard-codes the mirror's range");

extern "C" {
extern const char stockade_stub_start[];
extern const char stockade_stub_idle[];
extern const char stockade_stub_inject[];
extern const char stockade_stub_clone_inject[];
extern const char stockade_stub_end[];
void stockade_stub_s0_setup();
}

// Addresses in a stub of the stub's code points.
inline uint64_t StubAddr(const char* sym) { return kStubBase + static_cast<uint64_t>(sym - stockade_stub_start); }

}  // namespace stockade::platform::ptrace
