// Where the stub code and the memory-file mirror live in every stub (the
// constants match stub.S).
#pragma once

#include <cstdint>

#include "platform/platform.h"

namespace stockade::platform::ptrace {

inline constexpr uint64_t kMirrorBase = kMaxUserAddress;
inline constexpr uint64_t kMirrorEnd = kMaxUserAddress + kMaxMemoryFileSize;
// The systrap platform's message file (one slot per stub thread: its
// message, its register save area and its signal stack); PROT_NONE in every
// stub until a slot is given to one of its threads.
inline constexpr uint64_t kSysmsgBase = kMirrorEnd;
inline constexpr uint64_t kSysmsgSlotSize = 64 * 1024;
inline constexpr uint64_t kSysmsgSlots = 1024;
inline constexpr uint64_t kSysmsgEnd = kSysmsgBase + kSysmsgSlots * kSysmsgSlotSize;
inline constexpr uint64_t kStubBase = 0x7ffffffe0000;
inline constexpr uint64_t kStubEnd = 0x7fffffff0000;
static_assert(kMirrorEnd == 0x7f0000000000, "stub.S hard-codes the mirror's range");
static_assert(kSysmsgEnd == 0x7f0004000000, "stub.S hard-codes the message file's range");

extern "C" {
extern const char stockade_stub_start[];
extern const char stockade_stub_idle[];
extern const char stockade_stub_inject[];
extern const char stockade_stub_clone_inject[];
extern const char stockade_stub_systrap_clone[];
extern const char stockade_stub_systrap_ready[];
extern const char stockade_stub_systrap_sigaction[];
// The systrap fast path (stub.S): its probe [fast_entry, fast_save) and the
// fault it ends in when the GS base is not a slot.
extern const char stockade_stub_fast_entry[];
extern const char stockade_stub_fast_save[];
extern const char stockade_stub_fast_resume[];
extern const char stockade_stub_fast_not_ours[];
extern const char stockade_stub_end[];
void stockade_stub_s0_setup();
}

// Addresses in a stub of the stub's code points.
inline uint64_t StubAddr(const char* sym) { return kStubBase + static_cast<uint64_t>(sym - stockade_stub_start); }

}  // namespace stockade::platform::ptrace
