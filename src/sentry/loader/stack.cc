#include "sentry/loader/stack.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace stockade::sentry::loader {
namespace {

// The strings reach the kernel as C strings, so an embedded NUL ends one.
std::string_view CString(const std::string& s) {
  return std::string_view(s.data(), std::strlen(s.c_str()));
}

std::vector<std::pair<uint64_t, uint64_t>> AuxvPairs(const AuxvValues& v, uint64_t random_addr,
                                                     uint64_t execfn_addr,
                                                     std::optional<uint64_t> platform_addr) {
  // create_elf_tables' order, with x86's ARCH_DLINFO (vDSO, AT_MINSIGSTKSZ) first.
  std::vector<std::pair<uint64_t, uint64_t>> a;
  if (v.sysinfo_ehdr) a.emplace_back(AT_SYSINFO_EHDR, *v.sysinfo_ehdr);
  a.emplace_back(kAtMinSigStkSz, v.minsigstksz);
  a.emplace_back(AT_HWCAP, v.hwcap);
  a.emplace_back(AT_PAGESZ, v.pagesz);
  a.emplace_back(AT_CLKTCK, v.clktck);
  a.emplace_back(AT_PHDR, v.phdr);
  a.emplace_back(AT_PHENT, v.phent);
  a.emplace_back(AT_PHNUM, v.phnum);
  a.emplace_back(AT_BASE, v.base);
  a.emplace_back(AT_FLAGS, v.flags);
  a.emplace_back(AT_ENTRY, v.entry);
  a.emplace_back(AT_UID, v.uid);
  a.emplace_back(AT_EUID, v.euid);
  a.emplace_back(AT_GID, v.gid);
  a.emplace_back(AT_EGID, v.egid);
  a.emplace_back(AT_SECURE, v.secure);
  a.emplace_back(AT_RANDOM, random_addr);
  a.emplace_back(AT_HWCAP2, v.hwcap2);
  a.emplace_back(AT_EXECFN, execfn_addr);
  if (platform_addr) a.emplace_back(AT_PLATFORM, *platform_addr);
  if (v.execfd) a.emplace_back(AT_EXECFD, *v.execfd);
  if (v.rseq_feature_size) a.emplace_back(kAtRseqFeatureSize, *v.rseq_feature_size);
  if (v.rseq_align) a.emplace_back(kAtRseqAlign, *v.rseq_align);
  a.emplace_back(AT_NULL, 0);
  return a;
}

// bprm_stack_limits and copy_strings: the pointers are reserved first, then every string must
// fit in what is left.
Status CheckArgSpace(const std::vector<std::string_view>& strings, uint64_t pointers,
                     uint64_t stack_rlimit) {
  uint64_t limit = ArgSpaceLimit(stack_rlimit);
  if (pointers > limit / 8) return Error(E2BIG, "too many argv/envp entries");
  limit -= pointers * 8;
  if (limit == 0) return Error(E2BIG, "too many argv/envp entries");
  uint64_t used = 0;
  for (std::string_view s : strings) {
    uint64_t len = s.size() + 1;
    if (len > kMaxArgStrlen) return Error(E2BIG, "argument or environment string too long");
    used += len;
    if (used > limit) return Error(E2BIG, "argument list too long");
  }
  return Ok();
}

class StackWriter {
 public:
  StackWriter(uint64_t sp, uint64_t top) : sp_(sp), bytes_(top - sp, 0) {}
  void Bytes(uint64_t addr, const void* data, size_t len) {
    std::memcpy(bytes_.data() + (addr - sp_), data, len);
  }
  void Word(uint64_t addr, uint64_t value) { Bytes(addr, &value, sizeof(value)); }
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  uint64_t sp_;
  std::vector<uint8_t> bytes_;
};

}  // namespace

uint64_t ArgSpaceLimit(uint64_t stack_rlimit) {
  return std::max(std::min(kMaxArgSpace, stack_rlimit / 4), kMinArgSpace);
}

Result<StackImage> BuildStack(const StackInput& in) {
  if (in.stack_top % 4096 != 0) return Error(EINVAL, "stack top not page-aligned");

  std::vector<std::string_view> argv, envp;
  for (const std::string& s : in.argv) argv.push_back(CString(s));
  for (const std::string& s : in.envp) envp.push_back(CString(s));
  if (argv.empty()) argv.push_back("");  // execve guarantees programs an argv[0]
  std::string_view execfn = CString(in.execfn);
  std::string_view platform = CString(in.platform);

  std::vector<std::string_view> strings{execfn};
  strings.insert(strings.end(), envp.begin(), envp.end());
  strings.insert(strings.end(), argv.begin(), argv.end());
  TRY(CheckArgSpace(strings, argv.size() + envp.size(), in.stack_rlimit));
  uint64_t string_bytes = 0;
  for (std::string_view s : strings) string_bytes += s.size() + 1;

  // Everything below is bounded by ArgSpaceLimit plus a few hundred bytes, so a stack_top above
  // that cannot underflow.
  uint64_t worst = 8 + string_bytes + in.stack_pad + 16 + platform.size() + 1 + 16 + 64 * 16 +
                   (argv.size() + envp.size() + 3) * 8 + 16;
  if (in.stack_top < worst) return Error(EINVAL, "stack top too low for the stack contents");

  StackImage out;
  out.execfn_addr = in.stack_top - 8 - (execfn.size() + 1);
  out.envp_end = out.execfn_addr;
  uint64_t p = out.envp_end;
  for (std::string_view s : envp) p -= s.size() + 1;
  out.envp_start = out.argv_end = p;
  for (std::string_view s : argv) p -= s.size() + 1;
  out.argv_start = p;

  p = (p - in.stack_pad) & ~uint64_t{15};
  std::optional<uint64_t> platform_addr;
  if (!platform.empty()) {
    p -= platform.size() + 1;
    platform_addr = p;
    out.platform_addr = p;
  }
  p -= in.random.size();
  out.random_addr = p;

  out.auxv = AuxvPairs(in.auxv, out.random_addr, out.execfn_addr, platform_addr);
  uint64_t words = 2 * out.auxv.size() + (argv.size() + 1) + (envp.size() + 1) + 1;
  out.sp = (p - 8 * words) & ~uint64_t{15};

  StackWriter w(out.sp, in.stack_top);
  uint64_t at = out.sp;
  w.Word(at, argv.size());
  at += 8;
  uint64_t str = out.argv_start;
  for (std::string_view s : argv) {
    w.Word(at, str);
    w.Bytes(str, s.data(), s.size());  // the NUL is already there
    at += 8;
    str += s.size() + 1;
  }
  at += 8;  // NULL
  for (std::string_view s : envp) {
    w.Word(at, str);
    w.Bytes(str, s.data(), s.size());
    at += 8;
    str += s.size() + 1;
  }
  at += 8;  // NULL
  for (const auto& [key, value] : out.auxv) {
    w.Word(at, key);
    w.Word(at + 8, value);
    at += 16;
  }
  w.Bytes(out.execfn_addr, execfn.data(), execfn.size());
  if (platform_addr) w.Bytes(*platform_addr, platform.data(), platform.size());
  w.Bytes(out.random_addr, in.random.data(), in.random.size());
  out.bytes = w.Take();
  return out;
}

}  // namespace stockade::sentry::loader
