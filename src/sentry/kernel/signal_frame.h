// The x86-64 signal frame, laid out as Linux's rt_sigframe so that
// applications (and their debuggers and unwinders) read it as on Linux.
#pragma once

#include <signal.h>

#include <cstdint>

#include "platform/platform.h"

namespace stockade::sentry::kernel {

struct KernelSigcontext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // address of the FXSAVE area
  uint64_t reserved1[8];
};
static_assert(sizeof(KernelSigcontext) == 256);

struct KernelStack {
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};

struct KernelUcontext {
  uint64_t uc_flags;
  uint64_t uc_link;
  KernelStack uc_stack;
  KernelSigcontext uc_mcontext;
  uint64_t uc_sigmask;
};

struct RtSigframe {
  uint64_t pretcode;  // sa_restorer: the handler returns into it
  KernelUcontext uc;
  siginfo_t info;
};

inline constexpr uint64_t kSaRestorer = 0x04000000;  // SA_RESTORER (not in glibc's headers)
inline constexpr uint64_t kUcSigcontextSs = 0x2;
inline constexpr uint64_t kUcStrictRestoreSs = 0x4;

// A fresh FPU state (what a handler starts with).
platform::FpState InitialFpState();

}  // namespace stockade::sentry::kernel
