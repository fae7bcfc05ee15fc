#include "sentry/loader/elf.h"

#include <elf.h>
#include <sys/mman.h>

#include <cstring>

namespace stockade::sentry::loader {
namespace {

// Reads until `len` bytes or end of file; returns how many arrived. FileReader may return short
// counts like pread, and Linux's kernel_read-based checks care only about the total.
Result<size_t> ReadFull(FileReader& file, uint64_t off, void* buf, size_t len) {
  size_t done = 0;
  auto* out = static_cast<uint8_t*>(buf);
  while (done < len) {
    if (off + done < off) break;  // past the largest offset: nothing there
    ASSIGN_OR_RETURN(size_t n, file.ReadAt(off + done, out + done, len - done));
    if (n == 0) break;
    done += n;
  }
  return done;
}

// execve reads the first bytes into a zero-filled buffer, so a short file just has zeros where
// its header is missing; the interpreter's header is read with elf_read, which wants all of it.
Result<Elf64_Ehdr> ReadHeader(FileReader& file, ElfRole role) {
  Elf64_Ehdr eh;
  std::memset(&eh, 0, sizeof(eh));
  ASSIGN_OR_RETURN(size_t n, ReadFull(file, 0, &eh, sizeof(eh)));
  if (role == ElfRole::kInterpreter && n < sizeof(eh)) {
    return Error(EIO, "interpreter shorter than an ELF header");
  }
  return eh;
}

Status CheckHeader(const Elf64_Ehdr& eh, ElfRole role) {
  // The interpreter was named by a binary already accepted, so Linux calls a bad one a bad
  // shared library rather than "not an executable".
  int bad = role == ElfRole::kInterpreter ? ELIBBAD : ENOEXEC;
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return Error(bad, "bad ELF magic");
  // The interpreter's e_type is checked later by Linux, after the point of no return; doing it
  // here turns that SIGSEGV into ELIBBAD, which is kinder and indistinguishable for real files.
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
    return Error(bad, "ELF type " + std::to_string(eh.e_type) + " is not ET_EXEC or ET_DYN");
  }
  if (eh.e_machine != EM_X86_64) {
    return Error(bad, "ELF machine " + std::to_string(eh.e_machine) + " is not x86-64");
  }
  return Ok();
}

Result<std::vector<Elf64_Phdr>> ReadProgramHeaders(FileReader& file, const Elf64_Ehdr& eh,
                                                   ElfRole role) {
  int bad = role == ElfRole::kInterpreter ? ELIBBAD : ENOEXEC;
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return Error(bad, "e_phentsize " + std::to_string(eh.e_phentsize) + " is not 56");
  }
  uint64_t bytes = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (bytes == 0 || bytes > kMaxPhdrTableBytes) {
    return Error(bad, "e_phnum " + std::to_string(eh.e_phnum) + " out of range");
  }
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  // Linux folds every failure to read the table (I/O error included) into "not executable".
  auto n = ReadFull(file, eh.e_phoff, phdrs.data(), bytes);
  if (!n.ok() || *n != bytes) return Error(bad, "program header table runs past end of file");
  return phdrs;
}

Result<std::string> ReadInterpreterPath(FileReader& file, const Elf64_Phdr& ph) {
  if (ph.p_filesz > kPathMax || ph.p_filesz < 2) {
    return Error(ENOEXEC, "PT_INTERP size " + std::to_string(ph.p_filesz) + " out of range");
  }
  std::string path(ph.p_filesz, '\0');
  ASSIGN_OR_RETURN(size_t n, ReadFull(file, ph.p_offset, path.data(), path.size()));
  if (n != path.size()) return Error(EIO, "PT_INTERP runs past end of file");
  if (path.back() != '\0') return Error(ENOEXEC, "PT_INTERP path is not NUL-terminated");
  // The kernel opens the C string, so anything after an embedded NUL is ignored.
  path.resize(std::strlen(path.c_str()));
  return path;
}

}  // namespace

int ProtFromElfFlags(uint32_t p_flags) {
  int prot = 0;
  if (p_flags & PF_R) prot |= PROT_READ;
  if (p_flags & PF_W) prot |= PROT_WRITE;
  if (p_flags & PF_X) prot |= PROT_EXEC;
  return prot;
}

Result<ElfImage> ParseElf(FileReader& file, ElfRole role) {
  ASSIGN_OR_RETURN(Elf64_Ehdr eh, ReadHeader(file, role));
  TRY(CheckHeader(eh, role));
  ASSIGN_OR_RETURN(std::vector<Elf64_Phdr> phdrs, ReadProgramHeaders(file, eh, role));

  ElfImage image;
  image.pie = eh.e_type == ET_DYN;
  image.entry = eh.e_entry;
  image.phoff = eh.e_phoff;
  image.phentsize = eh.e_phentsize;
  image.phnum = eh.e_phnum;
  image.file_size = file.Size();

  // Linux reads the first PT_INTERP and stops looking, so later ones are never validated.
  // An interpreter's own PT_INTERP is ignored altogether.
  if (role == ElfRole::kExecutable) {
    for (const Elf64_Phdr& ph : phdrs) {
      if (ph.p_type != PT_INTERP) continue;
      ASSIGN_OR_RETURN(image.interpreter, ReadInterpreterPath(file, ph));
      break;
    }
  }

  std::optional<uint64_t> pt_phdr;
  bool phdr_found = false;
  for (const Elf64_Phdr& ph : phdrs) {
    switch (ph.p_type) {
      case PT_LOAD:
        image.loads.push_back(Segment{.vaddr = ph.p_vaddr,
                                      .memsz = ph.p_memsz,
                                      .filesz = ph.p_filesz,
                                      .offset = ph.p_offset,
                                      .prot = ProtFromElfFlags(ph.p_flags),
                                      .align = ph.p_align});
        // Linux keeps the last PT_LOAD whose file range covers e_phoff.
        if (ph.p_offset <= eh.e_phoff && eh.e_phoff - ph.p_offset < ph.p_filesz) {
          image.phdr_vaddr = eh.e_phoff - ph.p_offset + ph.p_vaddr;
          phdr_found = true;
        }
        break;
      case PT_GNU_STACK:  // the last one wins, as in Linux
        image.exec_stack = (ph.p_flags & PF_X) != 0;
        break;
      case PT_TLS:
        if (!image.tls) {
          image.tls = TlsInfo{.vaddr = ph.p_vaddr,
                              .filesz = ph.p_filesz,
                              .memsz = ph.p_memsz,
                              .align = ph.p_align,
                              .offset = ph.p_offset};
        }
        break;
      case PT_PHDR:
        if (!pt_phdr) pt_phdr = ph.p_vaddr;
        break;
      default:
        break;
    }
  }
  if (!phdr_found && pt_phdr) image.phdr_vaddr = *pt_phdr;
  return image;
}

}  // namespace stockade::sentry::loader
