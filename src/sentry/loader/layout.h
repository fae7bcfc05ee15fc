// Where an ElfImage goes in memory: the load bias, the mappings for each PT_LOAD, brk. Pure
// arithmetic over the parsed headers; the memory manager does the mapping.
//
// Linux finds the problems checked here only while mapping, after execve's point of no return:
// the old image is gone and the process is killed with SIGSEGV. The caller chooses whether to
// match that or to run CheckSegments(image, 0, ...) early and return EINVAL instead.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/result.h"
#include "sentry/loader/elf.h"

namespace stockade::sentry::loader {

// The end of the application address range (TASK_SIZE). Stockade's platforms reserve everything
// above platform::kMaxUserAddress, which callers should pass; this default mirrors it.
inline constexpr uint64_t kDefaultTaskSize = 0x7e0000000000;

// Linux x86-64's ELF_ET_DYN_BASE is two thirds of the address space, so PIE programs load far
// from both the low ET_EXEC range and the mmap area below the stack.
constexpr uint64_t DefaultEtDynBase(uint64_t task_size) { return task_size / 3 * 2; }

constexpr uint64_t PageDown(uint64_t v) { return v & ~(kPageSize - 1); }
constexpr uint64_t PageUp(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

// One PT_LOAD's mappings, biased. Each range is empty when start == end.
struct SegmentMapping {
  int prot = 0;
  // Private file mapping: [file_start, file_end) shows the file from file_offset. The bytes after
  // p_filesz in its last page are file contents unless zeroed below.
  uint64_t file_start = 0, file_end = 0, file_offset = 0;
  // Bytes to clear after mapping: from the end of p_filesz to the end of that page (all of it,
  // even past p_memsz). Only for writable segments: Linux's clear_user fails on read-only ones
  // and it ignores that, leaving the file's bytes visible.
  uint64_t zero_start = 0, zero_end = 0;
  // Anonymous zero pages for the rest of p_memsz. Linux makes them with vm_brk_flags, so they are
  // read-write whatever p_flags says (plus exec if the segment is executable).
  uint64_t anon_start = 0, anon_end = 0;
  int anon_prot = 0;
};

struct LoadLayout {
  uint64_t load_bias = 0;
  // In program-header order. Map them in this order: where segments share a page, the later
  // mapping replaces the earlier one, as Linux's MAP_FIXED does.
  std::vector<SegmentMapping> segments;
  uint64_t entry = 0;       // e_entry + bias: AT_ENTRY, and where to start without an interpreter
  uint64_t phdr_addr = 0;   // AT_PHDR
  uint64_t brk_start = 0;   // page-aligned end of the highest segment (see InitialBrk)
  // As Linux computes them for /proc/pid/stat and prctl(PR_SET_MM): code is the PF_X segments,
  // start_data is the highest p_vaddr and end_data the highest file end of any PT_LOAD.
  uint64_t start_code = 0, end_code = 0, start_data = 0, end_data = 0;
};

// Span from the lowest PT_LOAD page to the highest p_vaddr + p_memsz (0 without PT_LOAD). An
// ET_DYN image needs this much contiguous room: Linux maps it all at once, then unmaps the tail,
// so the holes between segments are reserved while loading.
uint64_t TotalMappingSize(const ElfImage& image);
// Largest power-of-two p_align among PT_LOADs, at least a page (others are ignored, as in Linux).
uint64_t MaxAlignment(const ElfImage& image);
// The bias that puts the first PT_LOAD's page at `base` (page-aligned), for ET_DYN images whose
// place the memory manager chose.
uint64_t BiasForBase(const ElfImage& image, uint64_t base);

// The bias Linux picks before mapping. ET_EXEC: 0. ET_DYN with PT_INTERP (an ordinary PIE
// program): et_dyn_base + random_offset (Linux: arch_mmap_rnd(), up to 2^28 pages; 0 without
// ASLR), aligned down to MaxAlignment, minus the first PT_LOAD's page. ET_DYN without PT_INTERP
// (static-pie, or ld.so run directly) returns nullopt: Linux lets mmap place it like any mapping,
// so reserve TotalMappingSize bytes aligned to MaxAlignment in the mmap area and use
// BiasForBase. The dynamic loader itself is placed that way too.
std::optional<uint64_t> ChooseLoadBias(const ElfImage& image, uint64_t et_dyn_base,
                                       uint64_t random_offset = 0);

// Linux's per-segment checks at the given bias, all EINVAL: a file part whose offset is not
// congruent to p_vaddr modulo the page size; p_filesz > p_memsz; a segment reaching past
// task_size (biased or not: Linux checks the raw p_vaddr); an ET_DYN image whose PT_LOADs span
// nothing (TotalMappingSize 0); and, without an interpreter, an entry point at or past
// task_size. Stockade also refuses a file part past the end of the file, which Linux maps and
// then kills the process for (SIGSEGV if the segment has bss, else SIGBUS on first touch).
Status CheckSegments(const ElfImage& image, uint64_t load_bias,
                     uint64_t task_size = kDefaultTaskSize);

// CheckSegments, then the mappings. `load_bias` must be page-aligned (EINVAL otherwise).
Result<LoadLayout> ComputeLayout(const ElfImage& image, uint64_t load_bias,
                                 uint64_t task_size = kDefaultTaskSize);

// Where the heap begins before ASLR: layout.brk_start, except for ET_DYN without PT_INTERP, whose
// brk Linux moves to et_dyn_base (page-aligned up) so it cannot grow into the mmap area it was
// loaded in. With randomize_va_space=2 Linux then adds a page of gap (unless moved) and picks a
// random page within the next 32 MiB (arch_randomize_brk).
uint64_t InitialBrk(const ElfImage& image, const LoadLayout& layout, uint64_t et_dyn_base);

}  // namespace stockade::sentry::loader
