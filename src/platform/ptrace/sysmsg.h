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
  // The fast path (a patched syscall site's trampoline, stub.S) reaches its
  // slot through the GS base: `self` is the slot's own address, and `magic`
  // tells it that the GS base is a slot at all (the application may have set
  // its own).
  uint64_t self;
  uint64_t magic;
  uint64_t gregs[23];  // the ucontext's, in its order (REG_R8 .. REG_CR2)
  // Fast path: a signal came while the thread was stopped in it (it reports
  // an interruption once resumed), and whether the Sentry's registers need a
  // full restore through the handler (rflags, FP state or the GS base
  // changed) rather than the fast path's return.
  uint32_t irq_pending;
  uint32_t resume_full;
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
// `signo` of a stop through the fast path (not a signal number).
inline constexpr uint32_t kSysmsgFastSyscall = 0x100;
// `magic` of every slot (stub.S compares it).
inline constexpr uint64_t kSysmsgMagic = 0x5354434b53595354;  // "TSYSKCTS"
// The flags a fast-path stop reports and the fast return restores (ZF, PF,
// IF and the reserved bit: what an equal comparison leaves); other flags take
// the full restore.
inline constexpr uint64_t kSysmsgFastFlags = 0x246;
inline constexpr uint64_t kSysmsgStackOffset = 4096;  // the signal stack: [4096, slot size)

static_assert(offsetof(SysmsgSlot, signo) == 4);
static_assert(offsetof(SysmsgSlot, fs_base) == 8 && offsetof(SysmsgSlot, gs_base) == 16);
static_assert(offsetof(SysmsgSlot, fs_cur) == 24 && offsetof(SysmsgSlot, gs_cur) == 32);
static_assert(offsetof(SysmsgSlot, sentry_sleeping) == 40 && offsetof(SysmsgSlot, stub_sleeping) == 44);
static_assert(offsetof(SysmsgSlot, self) == 48 && offsetof(SysmsgSlot, magic) == 56);
static_assert(offsetof(SysmsgSlot, gregs) == 64);
static_assert(offsetof(SysmsgSlot, irq_pending) == 248 && offsetof(SysmsgSlot, resume_full) == 252);
static_assert(offsetof(SysmsgSlot, info) == 256);
static_assert(offsetof(SysmsgSlot, fxsave) == 512);
static_assert(offsetof(SysmsgSlot, ss) == 1024);
static_assert(offsetof(SysmsgSlot, fprog) == 1056);
static_assert(offsetof(SysmsgSlot, filter) == 1088);
static_assert(sizeof(SysmsgSlot) <= kSysmsgStackOffset);

}  // namespace stockade::platform::ptrace
