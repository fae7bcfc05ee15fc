// A task's host thread: the loop that runs application code through the
// platform, serves its system calls and faults, and delivers its signals on
// the way back to user mode.
#include <linux/audit.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>

#include "abi/linux/errno.h"
#include "base/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/kernel/syscall_patch.h"

namespace stockade::sentry::kernel {

bool IsStopDefault(int sig);
bool IsCoreDefault(int sig);
bool IsIgnoredDefault(int sig);
void StraceEntry(Task& t, uint64_t nr, const SyscallArgs& a);
void StraceExit(Task& t, uint64_t nr, const SyscallArgs& a, int64_t ret);

platform::FpState InitialFpState() {
  platform::FpState fp{};
  fp.cwd = 0x37f;
  fp.mxcsr = 0x1f80;
  fp.mxcr_mask = 0xffff;
  return fp;
}

namespace {

constexpr uint64_t kEflagsDF = 1 << 10, kEflagsTF = 1 << 8, kEflagsRF = 1 << 16;
// The flags a signal handler may change through its frame (Linux's FIX_EFLAGS).
constexpr uint64_t kFixEflags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x10000;

void RestartSyscall(Task& t) {
  t.regs.rax = t.regs.orig_rax;
  t.regs.rip -= 2;  // back over the 2-byte syscall instruction
}

// Before a handler runs: Linux's handle_signal restart rules.
void FixRestartForHandler(Task& t, const SigAction& a) {
  int64_t r = static_cast<int64_t>(t.regs.rax);
  switch (-r) {
    case abi::kERESTART_RESTARTBLOCK:
    case abi::kERESTARTNOHAND:
      t.regs.rax = static_cast<uint64_t>(-EINTR);
      t.restart = nullptr;
      break;
    case abi::kERESTARTSYS:
      if (a.flags & SA_RESTART) {
        RestartSyscall(t);
      } else {
        t.regs.rax = static_cast<uint64_t>(-EINTR);
      }
      break;
    case abi::kERESTARTNOINTR:
      RestartSyscall(t);
      break;
  }
}

// No handler ran: every interrupted call restarts.
void FixRestartWithoutHandler(Task& t) {
  int64_t r = static_cast<int64_t>(t.regs.rax);
  switch (-r) {
    case abi::kERESTARTNOHAND:
    case abi::kERESTARTSYS:
    case abi::kERESTARTNOINTR:
      RestartSyscall(t);
      break;
    case abi::kERESTART_RESTARTBLOCK:
      t.regs.rax = SYS_restart_syscall;
      t.regs.rip -= 2;
      break;
  }
}

bool OnAltStack(const Task& t, uint64_t sp) {
  auto base = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
  return !(t.altstack.ss_flags & SS_DISABLE) && sp > base && sp - base <= t.altstack.ss_size;
}

// Builds the rt_sigframe and points the registers at the handler. False if
// the frame could not be written (the caller forces SIGSEGV).
bool SetupFrameLocked(Task& t, const siginfo_t& info, const SigAction& a, uint64_t old_mask) {
  if (!(a.flags & kSaRestorer)) return false;  // x86-64 requires a restorer
  uint64_t sp = t.regs.rsp;
  bool on_alt = OnAltStack(t, sp);
  if ((a.flags & SA_ONSTACK) && !(t.altstack.ss_flags & SS_DISABLE) && !on_alt) {
    sp = reinterpret_cast<uint64_t>(t.altstack.ss_sp) + t.altstack.ss_size;
  } else {
    sp -= 128;  // the ABI's red zone
  }
  auto fp = t.ctx->GetFpState(t.mm->as());
  if (!fp.ok()) return false;
  sp -= sizeof(platform::FpState);
  sp &= ~63ull;
  uint64_t fp_addr = sp;
  sp -= sizeof(RtSigframe);
  sp = (sp & ~15ull) - 8;

  RtSigframe f{};
  f.pretcode = a.restorer;
  f.info = info;
  f.uc.uc_flags = kUcSigcontextSs | kUcStrictRestoreSs;
  f.uc.uc_stack.ss_sp = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
  f.uc.uc_stack.ss_size = t.altstack.ss_size;
  f.uc.uc_stack.ss_flags = (t.altstack.ss_flags & SS_DISABLE) ? SS_DISABLE : (on_alt ? SS_ONSTACK : 0);
  auto& sc = f.uc.uc_mcontext;
  const auto& r = t.regs;
  sc.r8 = r.r8; sc.r9 = r.r9; sc.r10 = r.r10; sc.r11 = r.r11; sc.r12 = r.r12; sc.r13 = r.r13;
  sc.r14 = r.r14; sc.r15 = r.r15; sc.rdi = r.rdi; sc.rsi = r.rsi; sc.rbp = r.rbp; sc.rbx = r.rbx;
  sc.rdx = r.rdx; sc.rax = r.rax; sc.rcx = r.rcx; sc.rsp = r.rsp; sc.rip = r.rip; sc.eflags = r.eflags;
  sc.cs = static_cast<uint16_t>(r.cs);
  sc.ss = static_cast<uint16_t>(r.ss);
  sc.oldmask = old_mask;
  if (info.si_signo == SIGSEGV || info.si_signo == SIGBUS) {
    sc.cr2 = reinterpret_cast<uint64_t>(info.si_addr);
    sc.trapno = 14;
    sc.err = 4 | (info.si_code == SEGV_ACCERR ? 1 : 0);
  }
  sc.fpstate = fp_addr;
  f.uc.uc_sigmask = old_mask;
  if (!t.mm->CopyOut(fp_addr, &*fp, sizeof *fp).ok()) return false;
  if (!t.mm->CopyOut(sp, &f, sizeof f).ok()) return false;

  t.regs.rdi = static_cast<uint64_t>(info.si_signo);
  t.regs.rsi = sp + offsetof(RtSigframe, info);
  t.regs.rdx = sp + offsetof(RtSigframe, uc);
  t.regs.rax = 0;
  t.regs.rip = a.handler;
  t.regs.rsp = sp;
  t.regs.eflags &= ~(kEflagsDF | kEflagsTF | kEflagsRF);
  t.regs.orig_rax = static_cast<uint64_t>(-1);
  t.pending_fp = InitialFpState();
  return true;
}

void BeginGroupStopLocked(Kernel* k, Task& t, int sig) {
  ThreadGroup* tg = t.tg;
  if (tg->stopped) return;
  tg->stopped = true;
  tg->stop_signal = sig;
  tg->stop_to_report = true;
  tg->cont_to_report = false;
  for (Task* o : tg->tasks) o->Kick();
  if (tg->parent) {
    const SigAction& pa = tg->parent->handlers->actions[SIGCHLD];
    if (!(pa.flags & SA_NOCLDSTOP)) {
      siginfo_t ci{};
      ci.si_signo = SIGCHLD;
      ci.si_code = CLD_STOPPED;
      ci.si_pid = tg->tgid;
      ci.si_status = sig;
      k->SendToGroupLocked(tg->parent, ci);
    }
    tg->parent->child_waitq.NotifyAll();
  }
}

enum class Next { kRun, kExit };

// Everything between the kernel and user mode: stops, freezes, exits and
// signal delivery. Runs with no locks held.
Next PrepareReturnToUser(Task& t) {
  Kernel* k = t.kernel;
  std::unique_lock<std::mutex> l(k->mu);
  bool syscall_ret = t.syscall_returned;
  t.syscall_returned = false;
  ThreadGroup* tg = t.tg;
  while (true) {
    if (t.exit_requested || tg->exiting) return Next::kExit;
    if (k->frozen() || tg->stopped) {
      t.group_stopped = tg->stopped;
      k->state_cv.wait(l, [&] { return t.exit_requested || tg->exiting || (!k->frozen() && !tg->stopped); });
      t.group_stopped = false;
      continue;
    }
    siginfo_t info;
    uint64_t allowed = ~t.sigmask | kUnblockable;
    if (!t.pending.Take(allowed, &info) && !tg->pending.Take(allowed, &info)) break;
    int sig = info.si_signo;
    SigAction a = tg->handlers->actions[sig];
    if (sig == SIGKILL) {
      k->BeginGroupExitLocked(tg, SignalStatus(SIGKILL, false));
      return Next::kExit;
    }
    if (a.handler == reinterpret_cast<uint64_t>(SIG_IGN)) continue;
    if (a.handler == reinterpret_cast<uint64_t>(SIG_DFL)) {
      if (IsIgnoredDefault(sig)) continue;
      if (IsStopDefault(sig)) {
        // init ignores stop signals it does not handle (but the host's SIGSTOP).
        BeginGroupStopLocked(k, t, sig);
        continue;
      }
      k->BeginGroupExitLocked(tg, SignalStatus(sig, false));
      return Next::kExit;
    }
    // A handler.
    if (syscall_ret) FixRestartForHandler(t, a);
    syscall_ret = false;
    uint64_t old_mask = t.saved_mask.value_or(t.sigmask);
    t.saved_mask.reset();
    if (!SetupFrameLocked(t, info, a, old_mask)) {
      siginfo_t segv{};
      segv.si_signo = SIGSEGV;
      segv.si_code = SI_KERNEL;
      if (sig == SIGSEGV) {
        k->BeginGroupExitLocked(tg, SignalStatus(SIGSEGV, false));
        return Next::kExit;
      }
      k->ForceSignalLocked(&t, segv);
      continue;
    }
    t.sigmask |= a.mask;
    if (!(a.flags & SA_NODEFER)) t.sigmask |= SigBit(sig);
    t.sigmask &= ~kUnblockable;
    if (a.flags & SA_RESETHAND) tg->handlers->actions[sig] = SigAction{};
    return Next::kRun;
  }
  if (syscall_ret) FixRestartWithoutHandler(t);
  if (t.saved_mask) {
    t.sigmask = *t.saved_mask;
    t.saved_mask.reset();
  }
  return Next::kRun;
}

// The task's seccomp program on this call (__seccomp_filter): nullopt lets
// the call run; otherwise the result it gets instead (kNoReturnValue when the
// task is being killed).
std::optional<int64_t> SeccompVerdict(Task& t) {
  uint32_t r = t.seccomp->Run(SeccompProgram::DataFor(t.regs));
  uint32_t data = r & SECCOMP_RET_DATA;
  switch (r & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
      return std::nullopt;
    case SECCOMP_RET_ERRNO:
      return -static_cast<int64_t>(std::min<uint32_t>(data, 4095));
    case SECCOMP_RET_TRACE:
    case SECCOMP_RET_USER_NOTIF:
      return -ENOSYS;  // no tracer, no listener: as Linux without one
    case SECCOMP_RET_TRAP: {
      siginfo_t info{};
      info.si_signo = SIGSYS;
      info.si_code = 1;  // SYS_SECCOMP
      info.si_errno = static_cast<int>(data);
      info.si_call_addr = reinterpret_cast<void*>(t.regs.rip);
      info.si_syscall = static_cast<int>(t.regs.orig_rax);
      info.si_arch = AUDIT_ARCH_X86_64;
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.kernel->ForceSignalLocked(&t, info);
      // The call is skipped with its registers rolled back (rax = the number).
      return static_cast<int64_t>(t.regs.orig_rax);
    }
    case SECCOMP_RET_KILL_THREAD: {
      std::lock_guard<std::mutex> l(t.kernel->mu);
      if (t.tg->tasks.size() > 1) {
        t.exit_requested = true;
        t.thread_exit_status = SignalStatus(SIGSYS, true);
        return kNoReturnValue;
      }
      t.kernel->BeginGroupExitLocked(t.tg, SignalStatus(SIGSYS, true));
      return kNoReturnValue;
    }
    default: {  // SECCOMP_RET_KILL_PROCESS, and actions this kernel does not know
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.kernel->BeginGroupExitLocked(t.tg, SignalStatus(SIGSYS, true));
      return kNoReturnValue;
    }
  }
}

void HandleSyscall(Task& t) {
  uint64_t nr = t.regs.orig_rax;
  SyscallArgs a{{t.regs.rdi, t.regs.rsi, t.regs.rdx, t.regs.r10, t.regs.r8, t.regs.r9}};
  bool strace = static_cast<bool>(t.kernel->config().strace);
  if (strace) StraceEntry(t, nr, a);
  std::optional<int64_t> denied;
  if (t.seccomp) denied = SeccompVerdict(t);
  SyscallFn fn = t.kernel->syscall(nr);
  int64_t ret = denied ? *denied : fn ? fn(t, a) : -ENOSYS;
  if (ret != kNoReturnValue) {
    t.regs.rax = static_cast<uint64_t>(ret);
    t.syscall_returned = true;
  }
  if (strace) StraceExit(t, nr, a, ret == kNoReturnValue ? 0 : ret);
}

void HandleFault(Task& t, const siginfo_t& host) {
  bool syscall = false;
  if (host.si_signo == SIGILL && ResumePatchedSite(t, &syscall)) {
    if (syscall) HandleSyscall(t);
    return;
  }
  siginfo_t info{};
  info.si_signo = host.si_signo;
  info.si_code = host.si_code;
  info.si_addr = host.si_addr;
  if (host.si_signo == SIGSEGV) {
    auto f = t.mm->ClassifyFault(reinterpret_cast<uint64_t>(host.si_addr), host.si_code);
    info.si_signo = f.signo;
    info.si_code = f.code;
  }
  std::lock_guard<std::mutex> l(t.kernel->mu);
  t.kernel->ForceSignalLocked(&t, info);
}

// The robust futex list (set_robust_list): mutexes the dying thread holds
// are marked FUTEX_OWNER_DIED and one waiter is woken, as Linux's
// exit_robust_list does.
void ExitRobustList(Task& t) {
  if (!t.robust_list || !t.mm) return;
  struct Head {
    uint64_t next;
    int64_t futex_offset;
    uint64_t op_pending;
  } head;
  if (!t.mm->CopyIn(t.robust_list, &head, sizeof head).ok()) return;
  auto release = [&](uint64_t entry) {
    uint64_t uaddr = entry + static_cast<uint64_t>(head.futex_offset);
    uint32_t word;
    if (!t.mm->CopyIn(uaddr, &word, 4).ok()) return;
    if ((word & 0x3fffffff) != static_cast<uint32_t>(t.tid)) return;  // FUTEX_TID_MASK
    uint32_t died = (word & 0x80000000u) | 0x40000000u;  // keep FUTEX_WAITERS, set OWNER_DIED
    if (!t.mm->CopyOut(uaddr, &died, 4).ok()) return;
    if (word & 0x80000000u) {
      t.kernel->futexes.Wake({reinterpret_cast<uintptr_t>(t.mm.get()), uaddr}, 1, ~0u);
      auto off = t.mm->FileOffsetOf(uaddr);
      if (off.ok()) t.kernel->futexes.Wake({0, *off}, 1, ~0u);
    }
  };
  uint64_t entry = head.next & ~1ull;
  for (int i = 0; i < 2048 && entry && entry != t.robust_list; i++) {
    uint64_t next;
    if (!t.mm->CopyIn(entry, &next, 8).ok()) break;
    if (entry != (head.op_pending & ~1ull)) release(entry);
    entry = next & ~1ull;
  }
  if (head.op_pending & ~1ull) release(head.op_pending & ~1ull);
}

}  // namespace

void ExitTask(Task& t) {
  Kernel* k = t.kernel;
  ExitRobustList(t);
  // CLONE_CHILD_CLEARTID: pthread_join waits on this futex.
  if (t.clear_child_tid && t.mm) {
    uint32_t zero = 0;
    if (t.mm->CopyOut(t.clear_child_tid, &zero, sizeof zero).ok()) {
      k->futexes.Wake({reinterpret_cast<uintptr_t>(t.mm.get()), t.clear_child_tid}, 1, ~0u);
      auto off = t.mm->FileOffsetOf(t.clear_child_tid);
      if (off.ok()) k->futexes.Wake({0, *off}, 1, ~0u);
    }
  }
  if (t.vfork_done) {
    *t.vfork_done = true;
    if (t.vfork_waitq) t.vfork_waitq->NotifyAll();
  }
  t.ctx.reset();
  t.running_ctx_ = nullptr;
  t.mm.reset();
  t.fds.reset();
  t.fs.reset();
  std::lock_guard<std::mutex> l(k->mu);
  k->TaskExitedLocked(&t);
}

namespace {
thread_local Task* current_task = nullptr;
}  // namespace

Task* CurrentTask() { return current_task; }

void RunTask(std::shared_ptr<Task> tp) {
  Task& t = *tp;
  current_task = &t;
  prctl(PR_SET_NAME, "stockade-task");
  auto ctx = t.kernel->platform().NewContext();
  if (!ctx.ok()) {
    LOG_ERROR("task %d: no platform context: %s", t.tid, ctx.error().ToString().c_str());
    std::lock_guard<std::mutex> l(t.kernel->mu);
    t.kernel->BeginGroupExitLocked(t.tg, SignalStatus(SIGKILL, false));
  } else {
    t.ctx = std::move(ctx).value();
    // Published once: a Kick at any time then interrupts the next Switch, so
    // a signal sent just before we enter application code is not missed.
    t.running_ctx_ = t.ctx.get();
    while (PrepareReturnToUser(t) == Next::kRun) {
      if (t.pending_fp) {
        if (!t.ctx->SetFpState(t.mm->as(), *t.pending_fp).ok()) break;
        t.pending_fp.reset();
      }
      auto r = t.ctx->Switch(t.mm->as(), t.regs);
      if (!r.ok()) {
        LOG_WARN("task %d: platform failed: %s", t.tid, r.error().ToString().c_str());
        std::lock_guard<std::mutex> l(t.kernel->mu);
        t.kernel->BeginGroupExitLocked(t.tg, SignalStatus(SIGKILL, false));
        continue;
      }
      switch (r->reason) {
        case platform::StopReason::kSyscall:
          if (!r->fast_entry) MaybePatchSyscallSite(t);
          HandleSyscall(t);
          break;
        case platform::StopReason::kFault: HandleFault(t, r->info); break;
        case platform::StopReason::kInterrupted: break;
      }
    }
  }
  ExitTask(t);
}

int64_t Task::RestartErrno() const { return -abi::kERESTARTSYS; }

}  // namespace stockade::sentry::kernel
