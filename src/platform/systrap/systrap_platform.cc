#include "platform/systrap/systrap_platform.h"

#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "base/unique_fd.h"
#include "platform/ptrace/stub_layout.h"
#include "platform/ptrace/stub_process.h"
#include "platform/ptrace/sysmsg.h"

namespace stockade::platform::systrap {
namespace {

using ptrace::kSysmsgBase;
using ptrace::kSysmsgSlots;
using ptrace::kSysmsgSlotSize;
using ptrace::StubAddressSpace;
using ptrace::StubInterrupt;
using ptrace::StubProcess;
using ptrace::SysmsgSlot;

constexpr int kSpins = 2000; // pause instructions before a futex wait (stub.S: SPINS)

constexpr uint64_t SlotAddr(uint32_t i) { return kSysmsgBase + uint64_t{i} * kSysmsgSlotSize; }

long Futex(uint32_t* addr, int op, uint32_t val, const struct timespec* timeout = nullptr) {
  return syscall(SYS_futex, addr, op, val, timeout, nullptr, 0);
}

// The message file: every stub thread's slot, mapped in the Sentry and (by
// the factory) in every stub, PROT_NONE there until the slot is given to one
// of that stub's threads. A slot given to an address space stays its own
// until the process is reaped, so no other address space ever shares it.
class SysmsgFile {
 public:
  static Result<std::shared_ptr<SysmsgFile>> Create() {
    auto f = std::make_shared<SysmsgFile>();
    f->fd_.reset(static_cast<int>(syscall(SYS_memfd_create, "stockade-sysmsg", MFD_CLOEXEC)));
    if (!f->fd_) return Error::FromErrno("making the systrap message file");
    constexpr uint64_t kSize = kSysmsgSlots * kSysmsgSlotSize;
    if (ftruncate(f->fd_.get(), static_cast<off_t>(kSize)) != 0) return Error::FromErrno("sizing the message file");
    void* p = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd_.get(), 0);
    if (p == MAP_FAILED) return Error::FromErrno("mapping the message file");
    f->base_ = static_cast<uint8_t*>(p);
    for (uint32_t i = kSysmsgSlots; i-- > 0;) f->free_.push_back(i);
    return f;
  }
  ~SysmsgFile() {
    if (base_) munmap(base_, kSysmsgSlots * kSysmsgSlotSize);
  }

  int fd() const { return fd_.get(); }
  SysmsgSlot* slot(uint32_t i) { return reinterpret_cast<SysmsgSlot*>(base_ + uint64_t{i} * kSysmsgSlotSize); }

  // A slot for a new thread of address space `as`: one its exited threads
  // left (*fresh false), or one new to it (*fresh: the caller maps it).
  Result<uint32_t> Allocate(uint64_t as, bool* fresh) {
    std::lock_guard<std::mutex> l(mu_);
    auto& mine = spare_[as];
    if (!mine.empty()) {
      uint32_t i = mine.back();
      mine.pop_back();
      *fresh = false;
      return i;
    }
    if (free_.empty()) return Error(EAGAIN, "every systrap message slot is in use");
    uint32_t i = free_.back();
    free_.pop_back();
    owned_[as].push_back(i);
    *fresh = true;
    return i;
  }
  // The slot's thread has exited; the address space keeps the slot.
  void Spare(uint64_t as, uint32_t i) {
    std::lock_guard<std::mutex> l(mu_);
    spare_[as].push_back(i);
  }
  // The address space's process is reaped: its slots are free again.
  void Reaped(uint64_t as) {
    std::lock_guard<std::mutex> l(mu_);
    for (uint32_t i : owned_[as]) free_.push_back(i);
    owned_.erase(as);
    spare_.erase(as);
  }
  // Whether `as` has any slot yet (its reaping is hooked on the first).
  bool Owns(uint64_t as) {
    std::lock_guard<std::mutex> l(mu_);
    return owned_.count(as) && !owned_[as].empty();
  }

 private:
  UniqueFd fd_;
  uint8_t* base_ = nullptr;
  std::mutex mu_;
  std::vector<uint32_t> free_;
  std::map<uint64_t, std::vector<uint32_t>> owned_, spare_;
};

// The seccomp filter of every stub thread: the stub's own code may make the
// few calls the handler needs (futex, rt_sigreturn, exit, arch_prctl for the
// FS and GS bases); anything else, from anywhere, traps to the handler.
int BuildFilter(struct sock_filter* out) {
  constexpr uint32_t kArch = offsetof(struct seccomp_data, arch);
  constexpr uint32_t kNr = offsetof(struct seccomp_data, nr);
  constexpr uint32_t kIpLo = offsetof(struct seccomp_data, instruction_pointer);
  constexpr uint32_t kArg0Lo = offsetof(struct seccomp_data, args);
  static_assert((ptrace::kStubBase >> 32) == (ptrace::kStubEnd >> 32), "one high word for the stub's range");
  // Jump offsets count from the next instruction: 17 allows, 18 traps.
  const struct sock_filter prog[] = {
      /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
      /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 16),
      /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLo + 4),
      /* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(ptrace::kStubBase >> 32), 0, 14),
      /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLo),
      /* 5 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(ptrace::kStubBase), 0, 12),
      /* 6 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(ptrace::kStubEnd), 11, 0),
      /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kNr),
      /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 8, 0),
      /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 7, 0),
      /* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 6, 0),
      /* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_arch_prctl, 0, 6),
      /* 12 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg0Lo + 4),
      /* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4),
      /* 14 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArg0Lo),
      /* 15 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x1001 /* ARCH_SET_GS */, 0, 2),
      /* 16 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x1004 /* ARCH_GET_GS */, 1, 0),
      /* 17 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* 18 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
  };
  static_assert(sizeof prog / sizeof prog[0] <= 64);
  memcpy(out, prog, sizeof prog);
  return static_cast<int>(sizeof prog / sizeof prog[0]);
}

// user_regs_struct <-> the ucontext's gregs. The thread's GS base is its
// slot's address (the fast path's way to its slot) while the application has
// none of its own: the Sentry sees 0 then.
void RegsToSlot(const Registers& r, SysmsgSlot& s, uint64_t slot_addr) {
  uint64_t* g = s.gregs;
  g[REG_R8] = r.r8, g[REG_R9] = r.r9, g[REG_R10] = r.r10, g[REG_R11] = r.r11;
  g[REG_R12] = r.r12, g[REG_R13] = r.r13, g[REG_R14] = r.r14, g[REG_R15] = r.r15;
  g[REG_RDI] = r.rdi, g[REG_RSI] = r.rsi, g[REG_RBP] = r.rbp, g[REG_RBX] = r.rbx;
  g[REG_RDX] = r.rdx, g[REG_RAX] = r.rax, g[REG_RCX] = r.rcx, g[REG_RSP] = r.rsp;
  g[REG_RIP] = r.rip, g[REG_EFL] = r.eflags;
  // Segment selectors stay as the thread's frame has them.
  s.fs_base = r.fs_base;
  s.gs_base = r.gs_base ? r.gs_base : slot_addr;
}

void SlotToRegs(const SysmsgSlot& s, Registers& r, uint64_t slot_addr) {
  const uint64_t* g = s.gregs;
  r.r8 = g[REG_R8], r.r9 = g[REG_R9], r.r10 = g[REG_R10], r.r11 = g[REG_R11];
  r.r12 = g[REG_R12], r.r13 = g[REG_R13], r.r14 = g[REG_R14], r.r15 = g[REG_R15];
  r.rdi = g[REG_RDI], r.rsi = g[REG_RSI], r.rbp = g[REG_RBP], r.rbx = g[REG_RBX];
  r.rdx = g[REG_RDX], r.rax = g[REG_RAX], r.rcx = g[REG_RCX], r.rsp = g[REG_RSP];
  r.rip = g[REG_RIP], r.eflags = g[REG_EFL];
  r.cs = 0x33;
  r.ss = 0x2b;
  r.fs_base = s.fs_base;
  r.gs_base = s.gs_base == slot_addr ? 0 : s.gs_base;
  r.orig_rax = static_cast<uint64_t>(-1);
}

bool ThreadAlive(pid_t pid, pid_t tid) { return syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH; }

class SystrapContext : public Context {
 public:
  explicit SystrapContext(std::shared_ptr<SysmsgFile> file) : file_(std::move(file)) {}
  ~SystrapContext() override {
    for (auto& [id, th] : threads_) Release(th);
  }

  Result<SwitchResult> Switch(AddressSpace& as_base, Registers& regs) override {
    auto& as = static_cast<StubAddressSpace&>(as_base);
    SwitchResult res;
    if (irq_.Take()) return StubInterrupt::Interrupted();
    ASSIGN_OR_RETURN(Thread * th, ThreadIn(as));
    SysmsgSlot& m = *file_->slot(th->slot);
    if (irq_.TargetAndTake(th->proc->pid, th->tid)) return StubInterrupt::Interrupted();
    RegsToSlot(regs, m, SlotAddr(th->slot));
    // A thread stopped in the fast path returns by plain loads and a jump:
    // anything those cannot restore takes the handler's rt_sigreturn.
    m.resume_full = th->fast_stop && (regs.eflags != ptrace::kSysmsgFastFlags || th->fp_set || m.gs_base != m.gs_cur);
    th->fp_set = false;
    Resume(m, ptrace::kSysmsgRunning);
    TRY(WaitStopped(*th));
    SlotToRegs(m, regs, SlotAddr(th->slot));
    int signo = static_cast<int>(__atomic_load_n(&m.signo, __ATOMIC_RELAXED));
    th->fast_stop = signo == ptrace::kSysmsgFastSyscall;
    if (th->fast_stop) return FastSyscall(regs);
    memcpy(&res.info, &m.info, sizeof res.info);
    if (signo == SIGSYS) {
      res.reason = StopReason::kSyscall;
      // A call through another ABI (int 0x80) gets ENOSYS from the Sentry.
      bool native = res.info.si_arch == AUDIT_ARCH_X86_64;
      regs.orig_rax = native ? static_cast<uint64_t>(static_cast<uint32_t>(res.info.si_syscall)) : ~uint64_t{0};
      regs.rax = static_cast<uint64_t>(-ENOSYS);
      return res;
    }
    if ((signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE || signo == SIGILL || signo == SIGTRAP) &&
        res.info.si_signo == signo && res.info.si_code > 0) {
      // The fast path's probe found a GS base that is not a slot (the
      // application set its own): the system call it was entered for.
      if (regs.rip == ptrace::StubAddr(ptrace::stockade_stub_fast_not_ours) ||
          (regs.rip >= ptrace::StubAddr(ptrace::stockade_stub_fast_entry) &&
           regs.rip < ptrace::StubAddr(ptrace::stockade_stub_fast_save))) {
        regs.rip = regs.rcx;
        return FastSyscall(regs);
      }
      res.reason = StopReason::kFault;
      return res;
    }
    // The interrupt signal, or a signal someone sent: not the application's.
    res.reason = StopReason::kInterrupted;
    return res;
  }

  Result<FpState> GetFpState(AddressSpace& as_base) override {
    ASSIGN_OR_RETURN(Thread * th, ThreadIn(static_cast<StubAddressSpace&>(as_base)));
    FpState fp;
    static_assert(sizeof fp == sizeof(SysmsgSlot::fxsave));
    memcpy(&fp, file_->slot(th->slot)->fxsave, sizeof fp);
    return fp;
  }

  Status SetFpState(AddressSpace& as_base, const FpState& fp) override {
    ASSIGN_OR_RETURN(Thread * th, ThreadIn(static_cast<StubAddressSpace&>(as_base)));
    memcpy(file_->slot(th->slot)->fxsave, &fp, sizeof fp);
    th->fp_set = true;
    return Ok();
  }

  void Interrupt() override { irq_.Raise(); }


 private:
  struct Thread {
    std::shared_ptr<StubProcess> proc;
    pid_t tid = 0;
    uint32_t slot = 0;
    bool fast_stop = false;  // its last stop was through the fast path
    bool fp_set = false;     // SetFpState since its last stop
  };

  // A stop through the fast path: regs hold the system call (rax, the
  // number) and rip its return address.
  static SwitchResult FastSyscall(Registers& regs) {
    SwitchResult res;
    res.reason = StopReason::kSyscall;
    res.fast_entry = true;
    regs.orig_rax = regs.rax;
    regs.rax = static_cast<uint64_t>(-ENOSYS);
    return res;
  }

  // Hands the slot back to its thread with `state` (running or exit),
  // waking it if it sleeps (it spins first).
  static void Resume(SysmsgSlot& m, uint32_t state) {
    __atomic_store_n(&m.state, state, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&m.stub_sleeping, __ATOMIC_SEQ_CST)) Futex(&m.state, FUTEX_WAKE, 1);
  }

  // Waits until the thread has stopped in its handler; an Error if it or its
  // process died. A thread that ignores interrupts for 10 s (far longer than
  // a loaded host keeps a runnable thread waiting) has blocked the interrupt
  // signal, which only a forged rt_sigreturn can: its process is killed, as
  // the Sentry can no longer stop it.
  Status WaitStopped(const Thread& th) {
    SysmsgSlot& m = *file_->slot(th.slot);
    // Most system calls come back within microseconds: spin a little before
    // sleeping, as a futex wake-up costs more than that.
    for (int i = 0; i < kSpins && __atomic_load_n(&m.state, __ATOMIC_ACQUIRE) == ptrace::kSysmsgRunning; i++) {
      __builtin_ia32_pause();
    }
    const struct timespec tick = {0, 100 * 1000 * 1000};
    int ignored = 0;
    while (__atomic_load_n(&m.state, __ATOMIC_SEQ_CST) == ptrace::kSysmsgRunning) {
      __atomic_store_n(&m.sentry_sleeping, 1, __ATOMIC_SEQ_CST);
      long r = Futex(&m.state, FUTEX_WAIT, ptrace::kSysmsgRunning, &tick);
      __atomic_store_n(&m.sentry_sleeping, 0, __ATOMIC_RELAXED);
      if (r == 0 || errno != ETIMEDOUT) continue;
      if (th.proc->dead || !ThreadAlive(th.proc->pid, th.tid)) {
        return Error(ESRCH, "systrap stub thread " + std::to_string(th.tid) + " died");
      }
      if (irq_.Pending() && ++ignored >= 100) kill(th.proc->pid, SIGKILL);
    }
    return Ok();
  }

  Result<Thread*> ThreadIn(StubAddressSpace& as) {
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->second.proc->dead) {
        it = threads_.erase(it);  // its slot is freed when the process is reaped
      } else {
        ++it;
      }
    }
    uint64_t id = as.proc()->id;
    auto it = threads_.find(id);
    if (it != threads_.end()) return &it->second;

    bool first = !file_->Owns(id);
    bool fresh = false;
    ASSIGN_OR_RETURN(uint32_t slot, file_->Allocate(id, &fresh));
    if (first) as.proc()->AfterReaped([file = file_, id] { file->Reaped(id); });
    SysmsgSlot& m = *file_->slot(slot);
    memset(&m, 0, sizeof m);
    m.state = ptrace::kSysmsgRunning;
    m.fs_cur = m.gs_cur = ~uint64_t{0};  // the first resume sets both bases
    m.self = SlotAddr(slot);
    m.magic = ptrace::kSysmsgMagic;
    m.ss.ss_sp = reinterpret_cast<void*>(SlotAddr(slot) + ptrace::kSysmsgStackOffset);
    m.ss.ss_size = kSysmsgSlotSize - ptrace::kSysmsgStackOffset;
    m.fprog.len = static_cast<unsigned short>(BuildFilter(m.filter));
    m.fprog.filter = reinterpret_cast<struct sock_filter*>(SlotAddr(slot) + offsetof(SysmsgSlot, filter));
    if (fresh) {
      Status st = as.Protect(SlotAddr(slot), kSysmsgSlotSize, PROT_READ | PROT_WRITE);
      if (!st.ok()) return st.error();
    }
    ASSIGN_OR_RETURN(pid_t tid, as.NewThread(SlotAddr(slot) + kSysmsgSlotSize - 64));
    Thread th{as.proc(), tid, slot};
    Status st = WaitStopped(th);
    uint64_t rip = m.gregs[REG_RIP];
    if (st.ok() && (m.signo != SIGILL || rip != ptrace::StubAddr(ptrace::stockade_stub_systrap_ready))) {
      st = Error(EIO, "a systrap stub thread did not start as expected");
    }
    if (!st.ok()) {
      Release(th);
      return st.error();
    }
    return &(threads_[id] = th);
  }

  // Lets the thread go; its slot is reused in its address space once it is
  // gone.
  void Release(const Thread& th) {
    if (th.proc->dead) return;
    SysmsgSlot& m = *file_->slot(th.slot);
    Resume(m, ptrace::kSysmsgExit);
    for (int i = 0; i < 1000; i++) {
      if (!ThreadAlive(th.proc->pid, th.tid)) {
        file_->Spare(th.proc->id, th.slot);
        return;
      }
      usleep(1000);
    }
    // Still there: the slot stays with it until the process is reaped.
  }

  std::shared_ptr<SysmsgFile> file_;
  std::map<uint64_t, Thread> threads_;
  StubInterrupt irq_;
};

class SystrapPlatform : public ptrace::StubPlatform {
 public:
  explicit SystrapPlatform(bool patch_syscalls) : patch_syscalls_(patch_syscalls) {}

  Status Init(int memfd) {
    ASSIGN_OR_RETURN(file_, SysmsgFile::Create());
    return factory_.Start(memfd, file_->fd(), true);
  }

  uint64_t SyscallPatchEntry() const override {
    return patch_syscalls_ ? ptrace::StubAddr(ptrace::stockade_stub_fast_entry) : 0;
  }

  Result<std::unique_ptr<Context>> NewContext() override {
    return std::unique_ptr<Context>(new SystrapContext(file_));
  }

 private:
  bool patch_syscalls_;
  std::shared_ptr<SysmsgFile> file_;
};

}  // namespace

Result<std::unique_ptr<Platform>> NewSystrapPlatform(int memory_file_fd, bool patch_syscalls) {
  return ptrace::StubPlatform::Start<SystrapPlatform>(memory_file_fd, patch_syscalls);
}

}  // namespace stockade::platform::systrap
