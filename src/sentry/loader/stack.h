// The initial process stack exactly as Linux x86-64 lays it out (fs/exec.c copies the strings,
// fs/binfmt_elf.c create_elf_tables adds the rest). From the top of the stack mapping down:
//
//   stack_top - 8      a zero word
//                      execfn string (AT_EXECFN), then envp strings, then argv strings above
//                        argv_start (argv[0] lowest, so each area reads in order)
//                      [stack_pad bytes, then down to 16-byte alignment]
//                      "x86_64\0" (AT_PLATFORM), then 16 random bytes (AT_RANDOM), unaligned
//                      [down to 16-byte alignment of sp, the gap ends up here]
//                      auxv pairs ending in AT_NULL; envp pointers, NULL; argv pointers, NULL
//   sp                 argc
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace stockade::sentry::loader {

// One argument or environment string may be at most 32 pages, NUL included (MAX_ARG_STRLEN).
inline constexpr uint64_t kMaxArgStrlen = 32 * 4096;
// The string area may always grow to this (ARG_MAX), however small the stack rlimit.
inline constexpr uint64_t kMinArgSpace = 32 * 4096;
// ...and never past 3/4 of _STK_LIM (8 MiB).
inline constexpr uint64_t kMaxArgSpace = (8ull << 20) / 4 * 3;

// auxv keys newer than some libc headers.
inline constexpr uint64_t kAtMinSigStkSz = 51;
inline constexpr uint64_t kAtRseqFeatureSize = 27;
inline constexpr uint64_t kAtRseqAlign = 28;

// Values for the auxiliary vector. Addresses of the strings and random bytes are filled in by
// BuildStack; everything else is the caller's.
struct AuxvValues {
  uint64_t phdr = 0;  // AT_PHDR: LoadLayout::phdr_addr
  uint64_t phent = 56;
  uint64_t phnum = 0;
  uint64_t pagesz = 4096;
  uint64_t base = 0;   // AT_BASE: the interpreter's load bias, 0 without one
  uint64_t flags = 0;  // AT_FLAGS (AT_FLAGS_PRESERVE_ARGV0 for binfmt_misc 'P')
  uint64_t entry = 0;  // AT_ENTRY: the executable's biased e_entry, even with an interpreter
  uint64_t uid = 0, euid = 0, gid = 0, egid = 0;
  uint64_t secure = 0;  // AT_SECURE: 1 for set-id/capability-gaining execs
  uint64_t hwcap = 0;   // AT_HWCAP: CPUID(1).EDX on x86
  uint64_t hwcap2 = 0;  // AT_HWCAP2: bit 1 = FSGSBASE usable
  uint64_t clktck = 100;
  uint64_t minsigstksz = 0;  // AT_MINSIGSTKSZ: the signal frame size the Sentry delivers
  std::optional<uint64_t> sysinfo_ehdr;  // AT_SYSINFO_EHDR: the vDSO, when there is one
  std::optional<uint64_t> execfd;        // AT_EXECFD (binfmt_misc 'O')
  // AT_RSEQ_FEATURE_SIZE / AT_RSEQ_ALIGN (Linux 6.3+ with CONFIG_RSEQ): only when rseq works.
  std::optional<uint64_t> rseq_feature_size;
  std::optional<uint64_t> rseq_align;
};

struct StackInput {
  uint64_t stack_top = 0;  // end of the stack mapping, page-aligned
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string execfn;  // the path execve was given (for scripts too), for AT_EXECFN
  std::array<uint8_t, 16> random{};
  std::string platform = "x86_64";
  // Linux's arch_align_stack shifts the tables down by a random 0..8191 bytes under ASLR
  // (randomize_va_space != 0 and no ADDR_NO_RANDOMIZE), 0 otherwise.
  uint64_t stack_pad = 0;
  uint64_t stack_rlimit = 8ull << 20;  // RLIMIT_STACK soft limit (RLIM_INFINITY is fine)
  AuxvValues auxv;
};

struct StackImage {
  uint64_t sp = 0;             // initial rsp: points at argc, 16-byte aligned
  std::vector<uint8_t> bytes;  // the contents of [sp, stack_top)
  // The string areas, for /proc/pid/cmdline and /proc/pid/environ (mm->arg_start etc.).
  uint64_t argv_start = 0, argv_end = 0, envp_start = 0, envp_end = 0;
  uint64_t execfn_addr = 0, platform_addr = 0, random_addr = 0;
  // The vector as written, AT_NULL included, for /proc/pid/auxv and PTRACE_GETAUXV.
  std::vector<std::pair<uint64_t, uint64_t>> auxv;
};

// How many bytes of strings and argv/envp pointers execve accepts for a given stack rlimit:
// a quarter of it, clamped to [kMinArgSpace, kMaxArgSpace].
uint64_t ArgSpaceLimit(uint64_t stack_rlimit);

// Lays out the stack. An empty argv becomes [""], as execve does. E2BIG when a string (NUL
// included) exceeds kMaxArgStrlen, or execfn, envp and argv strings plus 8 bytes per argv and
// envp pointer exceed ArgSpaceLimit. EINVAL when stack_top is not page-aligned or too low.
Result<StackImage> BuildStack(const StackInput& in);

}  // namespace stockade::sentry::loader
