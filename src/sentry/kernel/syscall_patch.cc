#include "sentry/kernel/syscall_patch.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#include <atomic>
#include <cstring>

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {
namespace {

constexpr uint8_t kMovEax = 0xb8;                    // mov $imm32, %eax
constexpr uint8_t kSyscall[2] = {0x0f, 0x05};
constexpr uint8_t kJmpAbs[3] = {0xff, 0x24, 0x25};   // jmp *abs32
constexpr uint8_t kBadOpcode = 0x06;                 // T's third byte
constexpr size_t kSiteSize = 7;
constexpr uint32_t kTraps = kTrapTableSize / kTrapSize;  // trap 0 is the header
constexpr size_t kMaxCountedSites = 1 << 16;
static_assert(((kTrapTable >> 16) & 0xff) == kBadOpcode && kTrapTable + kTrapTableSize <= 0x70000,
              "every trap's address has 0x06 as its third byte");

// The table's header (trap 0): the next free trap, and the platform's entry
// that every trampoline jumps through.
struct Header {
  uint64_t next;
  uint64_t entry;
};
constexpr uint64_t kEntrySlot = kTrapTable + offsetof(Header, entry);

void Put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
void Put64(uint8_t* p, uint64_t v) { memcpy(p, &v, 8); }

// Trap `addr`: its first 8 bytes are the address the patched jmp reads,
// pointing at the code after them:
//   mov $nr, %eax; movabs $ret, %rcx; jmp *kEntrySlot
void BuildTrap(uint8_t* p, uint64_t addr, uint32_t nr, uint64_t ret) {
  memset(p, 0xcc, kTrapSize);  // int3 after the code
  Put64(p, addr + 8);
  p[8] = kMovEax;
  Put32(p + 9, nr);
  p[13] = 0x48;  // REX.W
  p[14] = 0xb9;  // mov $imm64, %rcx
  Put64(p + 15, ret);
  memcpy(p + 23, kJmpAbs, 3);
  Put32(p + 26, static_cast<uint32_t>(kEntrySlot));
  static_assert(30 <= kTrapSize);
}

// Maps the table, empty, if it is not there yet.
bool EnsureTable(Task& t, mm::MemoryManager::SyscallPatchState& ps, uint64_t entry) {
  if (ps.table) return true;
  mm::MapRequest req;
  req.addr = kTrapTable;
  req.length = kTrapTableSize;
  req.prot = PROT_READ | PROT_EXEC;
  req.fixed_noreplace = true;
  req.name = "[usertrap]";
  if (!t.mm->Map(req).ok()) return false;  // the application has something there
  Header h{1, entry};
  if (!t.mm->PokeCode(kTrapTable, sizeof h, [&](uint8_t* p) { memcpy(p, &h, sizeof h); }).ok()) return false;
  ps.table = true;
  return true;
}

}  // namespace

void MaybePatchSyscallSite(Task& t) {
  uint64_t entry = t.kernel->platform().SyscallPatchEntry();
  if (!entry || t.regs.rip < kSiteSize) return;
  uint64_t site = t.regs.rip - kSiteSize;
  auto& ps = t.mm->syscall_patch();
  std::lock_guard<std::mutex> l(ps.mu);
  if (ps.disabled) return;
  if (ps.hits.size() >= kMaxCountedSites) ps.hits.clear();
  if (++ps.hits[site] != kHotSiteTraps) return;
  ps.hits.erase(site);

  uint8_t code[kSiteSize];
  if (!t.mm->CopyIn(site, code, sizeof code).ok()) return;
  uint32_t nr;
  memcpy(&nr, code + 1, 4);
  if (code[0] != kMovEax || memcmp(code + 5, kSyscall, 2) != 0 || nr != t.regs.orig_rax) return;

  if (!EnsureTable(t, ps, entry)) {
    ps.disabled = true;
    return;
  }
  Header h;
  if (!t.mm->CopyIn(kTrapTable, &h, sizeof h).ok() || h.next == 0 || h.next >= kTraps) {
    ps.disabled = true;  // full, or the application has written over it
    return;
  }
  uint64_t trap = kTrapTable + h.next * kTrapSize;
  uint8_t tramp[kTrapSize];
  BuildTrap(tramp, trap, nr, t.regs.rip);
  h.next++;
  if (!t.mm->PokeCode(trap, kTrapSize, [&](uint8_t* p) { memcpy(p, tramp, kTrapSize); }).ok() ||
      !t.mm->PokeCode(kTrapTable, sizeof h.next, [&](uint8_t* p) { memcpy(p, &h.next, sizeof h.next); }).ok()) {
    return;
  }

  uint8_t jmp[kSiteSize];
  memcpy(jmp, kJmpAbs, 3);
  Put32(jmp + 3, static_cast<uint32_t>(trap));
  // The three steps (see the header); the fences keep the stores in order
  // as other CPUs see them.
  (void)t.mm->PokeCode(site, kSiteSize, [&](uint8_t* p) {
    auto* b = reinterpret_cast<volatile uint8_t*>(p);
    b[5] = kBadOpcode;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    for (size_t i = 1; i < kSiteSize; i++) b[i] = jmp[i];
    std::atomic_thread_fence(std::memory_order_seq_cst);
    b[0] = jmp[0];
    std::atomic_thread_fence(std::memory_order_seq_cst);
  });
}

bool ResumePatchedSite(Task& t, bool* syscall) {
  *syscall = false;
  auto& ps = t.mm->syscall_patch();
  std::lock_guard<std::mutex> l(ps.mu);  // a patch in progress is finished first
  if (!ps.table || t.regs.rip < 5) return false;
  uint64_t site = t.regs.rip - 5;
  uint8_t code[kSiteSize];
  if (!t.mm->CopyIn(site, code, sizeof code).ok()) return false;
  uint32_t target;
  memcpy(&target, code + 3, 4);
  if (memcmp(code, kJmpAbs, 3) != 0 || code[5] != kBadOpcode || target < kTrapTable + kTrapSize ||
      target >= kTrapTable + kTrapTableSize || (target - kTrapTable) % kTrapSize != 0) {
    return false;
  }
  if (t.regs.rax == SYS_restart_syscall) {
    // A restart the Sentry set up (rax, rip - 2) after a stop: the call itself.
    t.regs.orig_rax = t.regs.rax;
    t.regs.rip = site + kSiteSize;
    *syscall = true;
    return true;
  }
  t.regs.rip = site;
  return true;
}

}  // namespace stockade::sentry::kernel
