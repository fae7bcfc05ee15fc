// The platform: how the Sentry runs application code and manages its address
// spaces. The Sentry is written against these interfaces only; `ptrace` is the
// simple reference implementation and `systrap` (later) must fit without any
// change to the Sentry.
//
// Memory model. All application memory lives in one memory file (a memfd owned
// by the Sentry's mm). An AddressSpace maps ranges of that file at application
// addresses; the Sentry reads and writes application memory through its own
// mapping of the same file, never through the stubs.
//
// Threads. A Context is bound to the host thread that created it: all its
// calls must come from that thread (ptrace tracers are per-thread). Each Sentry
// task runs on its own host thread with its own Context. AddressSpace methods
// may be called from any thread.
#pragma once

#include <signal.h>
#include <sys/user.h>

#include <cstdint>
#include <memory>

#include "base/result.h"

namespace stockade::platform {

// Application addresses the Sentry may hand out: [kMinUserAddress,
// kMaxUserAddress). Everything above is reserved by the platform (the memory
// file mirror and the stub code live there).
inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kMinUserAddress = 0x10000;
inline constexpr uint64_t kMaxUserAddress = 0x7e0000000000;

// The largest memory file the platform can map (virtual; the file is sparse).
inline constexpr uint64_t kMaxMemoryFileSize = 1ull << 40;

// General-purpose registers as the kernel's user_regs_struct has them
// (including fs_base/gs_base and orig_rax).
using Registers = user_regs_struct;

// The x87/SSE state in FXSAVE layout (512 bytes), as PTRACE_GETFPREGS has it.
using FpState = user_fpregs_struct;

// Why Switch returned.
enum class StopReason {
  kSyscall,      // the application made a system call: regs.orig_rax is the
                 // number, regs.rdi.. the arguments; regs.rip is past the
                 // syscall instruction. Write the result to regs.rax.
  kFault,        // a synchronous fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
                 // SIGTRAP): info has the kernel's siginfo (si_addr, si_code).
  kInterrupted,  // Interrupt() was called (maybe before this Switch began).
};

struct SwitchResult {
  StopReason reason = StopReason::kSyscall;
  siginfo_t info{};  // valid for kFault
  bool fast_entry = false;  // kSyscall: made through SyscallPatchEntry
};

// An application address space: one stub process under ptrace.
class AddressSpace {
 public:
  virtual ~AddressSpace() = default;
  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // Maps memory-file range [file_offset, file_offset+length) at addr with
  // prot (PROT_READ|PROT_WRITE|PROT_EXEC or PROT_NONE), replacing whatever
  // was mapped there. All arguments page-aligned; addr+length within the
  // user range; file_offset+length <= kMaxMemoryFileSize. The mapping is
  // shared with the memory file: privacy (copy-on-write) is the Sentry's job.
  virtual Status MapFile(uint64_t addr, uint64_t file_offset, uint64_t length, int prot) = 0;

  // Removes mappings in [addr, addr+length); unmapped parts are not an error.
  virtual Status Unmap(uint64_t addr, uint64_t length) = 0;

  // Changes the protection of mapped pages in [addr, addr+length).
  virtual Status Protect(uint64_t addr, uint64_t length, int prot) = 0;
};

// A host thread's way into application code.
class Context {
 public:
  virtual ~Context() = default;
  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Runs the application with regs in `as` until it makes a syscall, faults
  // or is interrupted, and returns why; regs then holds the application's
  // registers. The FP/vector state persists per (Context, AddressSpace)
  // between Switches; use GetFpState/SetFpState to read or replace it.
  // An error means the platform itself failed (the stub died); the Sentry
  // treats it as fatal for the task.
  virtual Result<SwitchResult> Switch(AddressSpace& as, Registers& regs) = 0;

  // FP state of this context in `as` (as last left by Switch).
  virtual Result<FpState> GetFpState(AddressSpace& as) = 0;
  virtual Status SetFpState(AddressSpace& as, const FpState& fp) = 0;

  // Makes a current or the next Switch return kInterrupted promptly. Safe to
  // call from any thread, any number of times.
  virtual void Interrupt() = 0;
};

class Platform {
 public:
  virtual ~Platform() = default;
  Platform() = default;
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  virtual Result<std::unique_ptr<AddressSpace>> NewAddressSpace() = 0;

  // A Context bound to the calling host thread.
  virtual Result<std::unique_ptr<Context>> NewContext() = 0;

  // Syscall-site patching (sentry/kernel/syscall_patch.h): the address that
  // a patched site's trampoline jumps to, with rax = the system call's number
  // and rcx = the address to return to. It enters the Sentry without a
  // signal; Switch reports the stop as kSyscall with regs.rip = that return
  // address. 0: the platform has no such entry, or patching is off.
  virtual uint64_t SyscallPatchEntry() const { return 0; }
};

}  // namespace stockade::platform
