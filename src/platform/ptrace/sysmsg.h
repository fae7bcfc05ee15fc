// One systrap stub thread's message slot (kSysmsgSlotSize bytes at
// kSysmsgBase + index * kSysmsgSlotSize in its stub, and at the same offset
// of the Sentry's mapping of the message file). stub.S hard-codes these
// offsets. The application can write its own threads' slots: the Sentry
// reads every field once and trusts none of it beyond the registers of that
// thread, which are the application's anyway.
#pragma once

#include <linux/filter.h>
#include <signal.h>

#include <cstddef>
#include <cstdint>

namespace stockade::platform::ptrace {

struct SysmsgSlot {
  // 0: the Sentry resumed the thread (it runs the application); 1: the
  // thread stopped in the handler and waits; 2: the Sentry lets it go.
  uint32_t state;
  uint32_t signo;  // why it stopped
  uint64_t fs_base, gs_base;  // at a stop, and to resume with
  uint64_t fs_cur, gs_cur;    // the bases the handler last set (~0: none yet)
  // Whether either side sleeps in FUTEX_WAIT on `state` (each spins first);
  // the other wakes it only then.
  uint32_t sentry_sleeping, stub_sleeping;
  uint64_t reserved[2];
  uint64_t gregs[23];  // the ucontext's, in its order (REG_R8 .. REG_CR2)
  uint8_t pad1[256 - 64 - 23 * 8];
  siginfo_t info;
  uint8_t pad2[512 - 256 - sizeof(siginfo_t)];
  uint8_t fxsave[512];  // FXSAVE layout, as the frame's fpregs begin
  stack_t ss;           // the signal stack the thread sets
  uint8_t pad3[1056 - 1024 - sizeof(stack_t)];
  struct sock_fprog fprog;  // its seccomp filter
  uint8_t pad4[1088 - 1056 - sizeof(struct sock_fprog)];
  struct sock_filter filter[64];
};

inline constexpr uint32_t kSysmsgRunning = 0, kSysmsgStopped = 1, kSysmsgExit = 2;
inline constexpr uint64_t kSysmsgStackOffset = 4096;  // the signal stack: [4096, slot size)

static_assert(offsetof(SysmsgSlot, signo) == 4);
static_assert(offsetof(SysmsgSlot, fs_base) == 8 && offsetof(SysmsgSlot, gs_base) == 16);
static_assert(offsetof(SysmsgSlot, fs_cur) == 24 && offsetof(SysmsgSlot, gs_cur) == 32);
static_assert(offsetof(SysmsgSlot, sentry_sleeping) == 40 && offsetof(SysmsgSlot, stub_sleeping) == 44);
static_assert(offsetof(SysmsgSlot, gregs) == 64);
static_assert(offsetof(SysmsgSlot, info) == 256);
static_assert(offsetof(SysmsgSlot, fxsave) == 512);
static_assert(offsetof(SysmsgSlot, ss) == 1024);
static_assert(offsetof(SysmsgSlot, fprog) == 1056);
static_assert(offsetof(SysmsgSlot, filter) == 1088);
static_assert(sizeof(SysmsgSlot) <= kSysmsgStackOffset);

}  // namespace stockade::platform::ptrace
