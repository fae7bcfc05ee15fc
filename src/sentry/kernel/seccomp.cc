#include "sentry/kernel/seccomp.h"

#include <arpa/inet.h>
#include <linux/audit.h>
#include <pcap/bpf.h>

#include <cstring>

namespace stockade::sentry::kernel {

static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "libpcap's instruction is sock_filter");
static_assert(sizeof(struct seccomp_data) % 4 == 0, "seccomp_data is a whole number of words");

namespace {

// Linux's seccomp_check_filter: the instructions a seccomp program may use,
// and loads of aligned words inside seccomp_data only (no packet loads).
bool SeccompAllows(const struct sock_filter& f) {
  switch (f.code) {
    case BPF_LD | BPF_W | BPF_ABS:
      return f.k < sizeof(struct seccomp_data) && (f.k & 3) == 0;
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_ALU | BPF_NEG:
      return true;
  }
  switch (f.code & ~BPF_X) {
    case BPF_ALU | BPF_ADD: case BPF_ALU | BPF_SUB: case BPF_ALU | BPF_MUL: case BPF_ALU | BPF_DIV:
    case BPF_ALU | BPF_AND: case BPF_ALU | BPF_OR: case BPF_ALU | BPF_XOR: case BPF_ALU | BPF_LSH:
    case BPF_ALU | BPF_RSH: case BPF_JMP | BPF_JEQ: case BPF_JMP | BPF_JGE: case BPF_JMP | BPF_JGT:
    case BPF_JMP | BPF_JSET:
      return true;
  }
  return false;
}

}  // namespace

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
  for (const auto& f : p->insns_) {
    if (!SeccompAllows(f)) return Error(EINVAL, "seccomp program uses an instruction seccomp does not allow");
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
