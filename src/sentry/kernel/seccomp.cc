#include "sentry/kernel/seccomp.h"

#include <arpa/inet.h>
#include <linux/audit.h>
#include <pcap/bpf.h>

#include <cstring>

namespace stockade::sentry::kernel {

static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "libpcap's instruction is sock_filter");
static_assert(sizeof(struct seccomp_data) % 4 == 0, "seccomp_data is a whole number of words");

Result<std::shared_ptr<const SeccompProgram>> SeccompProgram::New(const std::string& bpf) {
  size_t n = bpf.size() / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS || bpf.size() % sizeof(struct sock_filter)) {
    return Error(EINVAL, "seccomp program has " + std::to_string(bpf.size()) + " bytes, not a whole number of instructions");
  }
  auto p = std::shared_ptr<SeccompProgram>(new SeccompProgram());
  p->insns_.resize(n);
  memcpy(p->insns_.data(), bpf.data(), bpf.size());
  if (!bpf_validate(reinterpret_cast<const struct bpf_insn*>(p->insns_.data()), static_cast<int>(n))) {
    return Error(EINVAL, "seccomp program is not valid classic BPF");
  }
  return std::shared_ptr<const SeccompProgram>(std::move(p));
}

uint32_t SeccompProgram::Run(const struct seccomp_data& d) const {
  // libpcap's interpreter loads words big-endian, as packets carry them;
  // seccomp loads them in host order. Seccomp programs only load aligned
  // 32-bit words, so handing the interpreter every word byte-swapped makes
  // each load yield the value the kernel's interpreter would see.
  uint32_t words[sizeof(struct seccomp_data) / 4];
  memcpy(words, &d, sizeof d);
  for (uint32_t& w : words) w = htonl(w);
  return bpf_filter(reinterpret_cast<const struct bpf_insn*>(insns_.data()), reinterpret_cast<const u_char*>(words),
                    sizeof words, sizeof words);
}

struct seccomp_data SeccompProgram::DataFor(const platform::Registers& regs) {
  struct seccomp_data d {};
  d.nr = static_cast<int>(regs.orig_rax);
  d.arch = AUDIT_ARCH_X86_64;
  d.instruction_pointer = regs.rip;
  uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  memcpy(d.args, args, sizeof args);
  return d;
}

}  // namespace stockade::sentry::kernel
