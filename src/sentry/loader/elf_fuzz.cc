// libFuzzer target for the loader's parsers: whatever the bytes, ParseElf, ComputeLayout and
// ParseShebang must return without crashing, and what they accept must be self-consistent
// (every mapping page-aligned, inside the address space and in the right order), since the
// memory manager maps it without further checks.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sentry/loader/elf.h"
#include "sentry/loader/layout.h"
#include "sentry/loader/shebang.h"

namespace {

using namespace stockade::sentry::loader;  // NOLINT(google-build-using-namespace): fuzzer only.

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Aligned(uint64_t v) { return v % kPageSize == 0; }

void CheckLayout(const ElfImage& image, const LoadLayout& layout) {
  Check(layout.segments.size() == image.loads.size());
  Check(Aligned(layout.brk_start) && layout.brk_start <= kDefaultTaskSize);
  for (const SegmentMapping& m : layout.segments) {
    Check(Aligned(m.file_start) && Aligned(m.file_end) && m.file_start <= m.file_end);
    Check(Aligned(m.file_offset));
    Check(Aligned(m.anon_start) && Aligned(m.anon_end) && m.anon_start <= m.anon_end);
    Check(m.file_end <= kDefaultTaskSize && m.anon_end <= kDefaultTaskSize);
    Check(m.anon_end <= layout.brk_start);
    if (m.file_end > m.file_start && m.anon_end > m.anon_start) Check(m.anon_start >= m.file_end);
    if (m.zero_end > m.zero_start) {
      Check(m.zero_start > m.file_start && m.zero_end == m.file_end && (m.prot & PROT_WRITE));
    }
    if (m.file_end > m.file_start) {
      // The file part lies within the file, a whole page at most past its end.
      Check(m.file_offset <= image.file_size);
      Check(m.file_end - m.file_start <= image.file_size - m.file_offset + 2 * kPageSize);
    }
  }
}

void FuzzElf(std::string_view bytes, ElfRole role) {
  BufferFileReader file(bytes);
  auto image = ParseElf(file, role);
  if (!image.ok()) return;
  Check(image->phentsize == 56 && image->phnum > 0);
  if (image->interpreter) Check(image->interpreter->size() < kPathMax);
  uint64_t size = TotalMappingSize(*image);
  uint64_t align = MaxAlignment(*image);
  Check(align >= kPageSize && (align & (align - 1)) == 0);
  std::optional<uint64_t> bias = ChooseLoadBias(*image, DefaultEtDynBase(kDefaultTaskSize));
  if (!bias) bias = BiasForBase(*image, 0x100000000);
  auto layout = ComputeLayout(*image, *bias);
  if (!layout.ok()) return;
  if (image->pie) Check(size > 0);
  CheckLayout(*image, *layout);
  InitialBrk(*image, *layout, DefaultEtDynBase(kDefaultTaskSize));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzElf(bytes, ElfRole::kExecutable);
  FuzzElf(bytes, ElfRole::kInterpreter);
  auto shebang = ParseShebang(bytes);
  if (shebang.ok()) {
    Check(!shebang->interpreter.empty() && shebang->interpreter.size() < kBinprmBufSize);
    if (shebang->arg) Check(shebang->arg->size() < kBinprmBufSize);
    std::string args[] = {"argv0", "x"};
    Check(ShebangArgv(*shebang, "script", args).size() == (shebang->arg ? 4u : 3u));
  }
  return 0;
}
