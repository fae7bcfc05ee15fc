#include "sentry/loader/layout.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace stockade::sentry::loader {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// [start, start + len) fits below task_size without wrapping.
bool FitsBelow(uint64_t start, uint64_t len, uint64_t task_size) {
  return start < task_size && len <= task_size && task_size - len >= start;
}

Status CheckSegment(const Segment& seg, uint64_t load_bias, uint64_t file_size,
                    uint64_t task_size) {
  if (seg.filesz != 0) {
    // mmap's offset must be page-aligned, and the file part starts at the page holding p_vaddr.
    if ((seg.offset - seg.vaddr) % kPageSize != 0) {
      return Error(EINVAL, "PT_LOAD at " + Hex(seg.vaddr) + ": offset " + Hex(seg.offset) +
                               " not congruent to p_vaddr modulo the page size");
    }
    if (seg.offset > file_size || file_size - seg.offset < seg.filesz) {
      return Error(EINVAL, "PT_LOAD at " + Hex(seg.vaddr) + " runs past end of file");
    }
  }
  if (seg.filesz > seg.memsz) {
    return Error(EINVAL, "PT_LOAD at " + Hex(seg.vaddr) + ": p_filesz > p_memsz");
  }
  if (!FitsBelow(seg.vaddr, seg.memsz, task_size)) {
    return Error(EINVAL, "PT_LOAD at " + Hex(seg.vaddr) + " does not fit in the address space");
  }
  uint64_t addr = load_bias + seg.vaddr;
  if (addr < load_bias || !FitsBelow(addr, seg.memsz, task_size)) {
    return Error(EINVAL, "PT_LOAD at " + Hex(seg.vaddr) + " biased by " + Hex(load_bias) +
                             " does not fit in the address space");
  }
  return Ok();
}

SegmentMapping MapSegment(const Segment& seg, uint64_t load_bias) {
  SegmentMapping m;
  m.prot = seg.prot;
  uint64_t addr = load_bias + seg.vaddr;
  uint64_t mem_end = addr + seg.memsz;
  if (seg.filesz != 0) {
    m.file_start = PageDown(addr);
    m.file_end = PageUp(addr + seg.filesz);
    m.file_offset = seg.offset - (seg.vaddr % kPageSize);
    if (seg.memsz > seg.filesz) {
      uint64_t bss = addr + seg.filesz;
      if ((seg.prot & PROT_WRITE) && bss % kPageSize != 0) {
        m.zero_start = bss;
        m.zero_end = PageUp(bss);
      }
      m.anon_start = PageUp(bss);
      m.anon_end = std::max(m.anon_start, PageUp(mem_end));
    }
  } else if (seg.memsz != 0) {
    m.anon_start = PageDown(addr);
    m.anon_end = PageUp(mem_end);
  }
  if (m.anon_end > m.anon_start) {
    m.anon_prot = PROT_READ | PROT_WRITE | (seg.prot & PROT_EXEC);
  } else {
    m.anon_start = m.anon_end = 0;
  }
  return m;
}

}  // namespace

uint64_t TotalMappingSize(const ElfImage& image) {
  if (image.loads.empty()) return 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const Segment& seg : image.loads) {
    lo = std::min(lo, PageDown(seg.vaddr));
    hi = std::max(hi, seg.vaddr + seg.memsz);
  }
  return hi - lo;
}

uint64_t MaxAlignment(const ElfImage& image) {
  uint64_t align = 0;
  for (const Segment& seg : image.loads) {
    if (IsPowerOfTwo(seg.align)) align = std::max(align, seg.align);
  }
  return std::max(PageUp(align), kPageSize);
}

uint64_t BiasForBase(const ElfImage& image, uint64_t base) {
  if (image.loads.empty()) return base;
  return base - PageDown(image.loads.front().vaddr);
}

std::optional<uint64_t> ChooseLoadBias(const ElfImage& image, uint64_t et_dyn_base,
                                       uint64_t random_offset) {
  if (!image.pie) return uint64_t{0};
  if (!image.interpreter) return std::nullopt;
  uint64_t base = (et_dyn_base + random_offset) & ~(MaxAlignment(image) - 1);
  if (image.loads.empty()) return PageDown(base);
  return PageDown(base - image.loads.front().vaddr);
}

Status CheckSegments(const ElfImage& image, uint64_t load_bias, uint64_t task_size) {
  if (load_bias % kPageSize != 0) return Error(EINVAL, "load bias " + Hex(load_bias) + " unaligned");
  // Linux sizes an ET_DYN image before placing it and refuses one that spans nothing.
  if (image.pie && TotalMappingSize(image) == 0) {
    return Error(EINVAL, "ET_DYN image without PT_LOAD contents");
  }
  for (const Segment& seg : image.loads) {
    TRY(CheckSegment(seg, load_bias, image.file_size, task_size));
  }
  // With an interpreter, execution starts at the interpreter's entry, checked on its image.
  if (!image.interpreter && image.entry + load_bias >= task_size) {
    return Error(EINVAL, "entry point " + Hex(image.entry + load_bias) + " out of range");
  }
  return Ok();
}

Result<LoadLayout> ComputeLayout(const ElfImage& image, uint64_t load_bias, uint64_t task_size) {
  TRY(CheckSegments(image, load_bias, task_size));
  LoadLayout layout;
  layout.load_bias = load_bias;
  // Linux's bookkeeping, unbiased first (start_code stays ~0 + bias without an exec segment).
  uint64_t start_code = UINT64_MAX, end_code = 0, start_data = 0, end_data = 0, elf_brk = 0;
  for (const Segment& seg : image.loads) {
    layout.segments.push_back(MapSegment(seg, load_bias));
    bool code = (seg.prot & PROT_EXEC) != 0;
    if (code) start_code = std::min(start_code, seg.vaddr);
    start_data = std::max(start_data, seg.vaddr);
    if (code) end_code = std::max(end_code, seg.vaddr + seg.filesz);
    end_data = std::max(end_data, seg.vaddr + seg.filesz);
    elf_brk = std::max(elf_brk, seg.vaddr + seg.memsz);
  }
  layout.entry = image.entry + load_bias;
  layout.phdr_addr = image.phdr_vaddr + load_bias;
  layout.brk_start = PageUp(elf_brk + load_bias);
  layout.start_code = start_code + load_bias;
  layout.end_code = end_code + load_bias;
  layout.start_data = start_data + load_bias;
  layout.end_data = end_data + load_bias;
  return layout;
}

uint64_t InitialBrk(const ElfImage& image, const LoadLayout& layout, uint64_t et_dyn_base) {
  if (image.pie && !image.interpreter) return PageUp(et_dyn_base);
  return layout.brk_start;
}

}  // namespace stockade::sentry::loader
