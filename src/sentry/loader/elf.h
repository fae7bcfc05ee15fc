// ELF64 x86-64 executables as execve(2) sees them. ParseElf makes the checks Linux's binfmt_elf
// makes *before* execve's point of no return, with the same errnos, so a failure here is an
// errno the caller of execve gets back. Checks Linux only makes while mapping the segments
// (after the old image is gone, so the process dies with SIGSEGV instead) are in layout.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sentry/loader/file_reader.h"

namespace stockade::sentry::loader {

// Linux's ELF_MIN_ALIGN on x86-64: segments are mapped with this granularity.
inline constexpr uint64_t kPageSize = 4096;
// load_elf_phdrs refuses program header tables larger than this.
inline constexpr uint64_t kMaxPhdrTableBytes = 65536;
// PT_INTERP's p_filesz (path plus NUL) may not exceed PATH_MAX.
inline constexpr uint64_t kPathMax = 4096;

struct Segment {  // one PT_LOAD, unbiased
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t filesz = 0;
  uint64_t offset = 0;
  int prot = 0;  // PROT_READ/WRITE/EXEC from p_flags
  uint64_t align = 0;
};

struct TlsInfo {  // the first PT_TLS, as libc's TLS setup uses it
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
  uint64_t memsz = 0;
  uint64_t align = 0;
  uint64_t offset = 0;
};

struct ElfImage {
  bool pie = false;  // ET_DYN: position-independent, needs a load bias
  uint64_t entry = 0;  // e_entry, unbiased
  uint64_t phoff = 0, phentsize = 0, phnum = 0;
  std::vector<Segment> loads;  // in program-header order, which is the order Linux maps them
  // PT_INTERP's path (up to its first NUL). Only the first PT_INTERP counts, as in Linux.
  std::optional<std::string> interpreter;
  // AT_PHDR before biasing: where the PT_LOAD covering e_phoff puts the table (Linux's rule
  // since 5.18); PT_PHDR's p_vaddr only if no PT_LOAD covers it; else 0, as Linux reports.
  uint64_t phdr_vaddr = 0;
  // PT_GNU_STACK with PF_X. Without PT_GNU_STACK the x86-64 stack is not executable.
  bool exec_stack = false;
  std::optional<TlsInfo> tls;
  uint64_t file_size = 0;  // FileReader::Size() at parse time, for the segment checks
};

enum class ElfRole {
  kExecutable,   // the file execve was given
  kInterpreter,  // the executable's PT_INTERP (ld.so): bad headers are ELIBBAD, not ENOEXEC
};

// Reads and validates the ELF header and program headers. Errors (the errno Linux's execve
// returns): ENOEXEC for a bad magic, e_type, e_machine, e_phentsize, e_phnum (0, or a table over
// 64 KiB), a program header table past EOF, or a PT_INTERP whose size is outside [2, PATH_MAX]
// or that is not NUL-terminated; EIO for a PT_INTERP past EOF; a read error's own errno. For
// kInterpreter, header and table problems are ELIBBAD and a short ELF header is EIO.
//
// Like Linux (x86-64 elf_check_arch looks at e_machine only) EI_CLASS, EI_DATA and EI_VERSION are
// not checked: a 64-bit x86-64 file with a mangled class byte runs natively.
Result<ElfImage> ParseElf(FileReader& file, ElfRole role = ElfRole::kExecutable);

// p_flags -> PROT_* (x86-64 adds nothing: READ_IMPLIES_EXEC is 32-bit only).
int ProtFromElfFlags(uint32_t p_flags);

}  // namespace stockade::sentry::loader
