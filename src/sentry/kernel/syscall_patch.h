// Syscall-site patching, for platforms with a fast entry
// (platform::Platform::SyscallPatchEntry, systrap). A hot
// `mov $nr,%eax; syscall` site in application code (7 bytes) is rewritten
// into `jmp *T` (ff 24 25 + T, 7 bytes), where T is a trampoline in a table
// the Sentry maps at kTrapTable. The trampoline sets eax to the number and
// rcx to the return address and jumps to the platform's entry, so the call
// reaches the Sentry without a signal.
//
// The table lies below 2 GiB (the jmp's address is a sign-extended 32 bits)
// at 0x60000, so T's third byte is 0x06, an invalid opcode in 64-bit mode,
// and it falls where the syscall instruction began. That makes the patch
// safe against threads running the site meanwhile, and keeps restarts
// working:
//   1. the syscall's first byte becomes 0x06: a thread past the mov faults;
//   2. the jmp's other bytes are written (the mov's opcode byte stays);
//   3. its first byte is written.
// A SIGILL at a 0x06 preceded by the jmp's opcode (ResumePatchedSite) is
// such a race, or a system call restarted at rip - 2: the thread resumes at
// the jmp, which redoes the call, or makes restart_syscall if rax asks for it.
// The patch lock is held across the three steps and by that fault handling,
// and fork takes it, so nobody sees a half-patched site.
//
// The table and the patched pages are the address space's own (copied on
// write), so fork keeps them and execve drops them.
#pragma once

#include <cstdint>

namespace stockade::sentry::kernel {

class Task;

inline constexpr uint64_t kTrapTable = 0x60000;
inline constexpr uint64_t kTrapTableSize = 0x10000;
inline constexpr uint64_t kTrapSize = 32;
// Traps a site makes before it is patched: patching costs a page copy and a
// mapping change, which a site that runs only a few times does not repay.
inline constexpr uint32_t kHotSiteTraps = 8;

// At a system call the platform trapped: counts the site, and patches it
// once it is hot.
void MaybePatchSyscallSite(Task& t);

// At a SIGILL: whether it came from a patched site (see above); if so the
// task's registers now resume it and the fault is not the application's.
// `*syscall` is set when rax asked for restart_syscall, which the caller
// then serves as a system call.
bool ResumePatchedSite(Task& t, bool* syscall);

}  // namespace stockade::sentry::kernel
