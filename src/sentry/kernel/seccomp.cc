#include "sentry/kernel/seccomp.h"

#include <arpa/inet.h>
#include <linux/audit.h>
#include <pcap/bpf.h>

#include <cstring>
#include <vector>

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

// Linux's check_load_and_stores: a scratch cell is loaded only where every
// path to the load has stored it (else the result would be whatever the
// interpreter's stack held). Classic BPF jumps only forward, so one pass in
// order sees every path into an instruction before the instruction.
bool ScratchStoredBeforeLoaded(const std::vector<struct sock_filter>& insns) {
  constexpr uint16_t kAll = 0xffff;  // BPF_MEMWORDS == 16 cells
  std::vector<uint16_t> into(insns.size() + 1, kAll);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < insns.size(); pc++) {
    const auto& f = insns[pc];
    valid &= into[pc];
    switch (f.code) {
      case BPF_ST:
      case BPF_STX:
        valid |= static_cast<uint16_t>(1u << (f.k & 15));
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if (!(valid & (1u << (f.k & 15)))) return false;
        break;
      case BPF_JMP | BPF_JA:
        into[pc + 1 + f.k] &= valid;  // bpf_validate keeps targets inside
        valid = kAll;
        break;
      default:
        if (BPF_CLASS(f.code) == BPF_JMP) {
          into[pc + 1 + f.jt] &= valid;
          into[pc + 1 + f.jf] &= valid;
          valid = kAll;
        }
    }
  }
  return true;
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
  for (size_t pc = 0; pc < n; pc++) {
    const auto& f = p->insns_[pc];
    if (!SeccompAllows(f)) return Error(EINVAL, "seccomp program uses an instruction seccomp does not allow");
    // Jumps land inside the program, as Linux's bpf_check_classic requires
    // (libpcap's validator lets pc + 1 + k wrap around for BPF_JA).
    size_t room = n - pc - 1;
    if (f.code == (BPF_JMP | BPF_JA) && f.k >= room) return Error(EINVAL, "seccomp program jumps out of itself");
    if (BPF_CLASS(f.code) == BPF_JMP && f.code != (BPF_JMP | BPF_JA) && (f.jt >= room || f.jf >= room)) {
      return Error(EINVAL, "seccomp program jumps out of itself");
    }
  }
  if (!ScratchStoredBeforeLoaded(p->insns_)) return Error(EINVAL, "seccomp program loads scratch memory it never stored");
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
