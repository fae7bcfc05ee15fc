// Signals: actions, masks, sending, waiting, sigreturn, the alternate stack.
#include <linux/capability.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include <cstring>

#include "abi/linux/errno.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/kernel/signalfd.h"
#include "sentry/syscalls/linux/sys_common.h"

namespace stockade::sentry::syscalls {
namespace {

using kernel::SigAction;
using kernel::SigBit;
using kernel::ThreadGroup;
using kernel::kUnblockable;
using kernel::kMaxSignal;

constexpr int SS_AUTODISARM = 1 << 31;  // from <linux/signal.h>, which clashes with glibc's

bool ValidSignal(int64_t sig) { return sig >= 1 && sig <= kMaxSignal; }

int64_t RtSigaction(Task& t, const SyscallArgs& a) {
  int sig = static_cast<int>(a[0]);
  if (a[3] != 8) return -EINVAL;
  if (!ValidSignal(sig)) return -EINVAL;
  SigAction act{};
  if (a[1]) {
    if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
    SYS_TRY(t.memory().CopyIn(a[1], &act, sizeof act));
    act.mask &= ~kUnblockable;
  }
  SigAction old;
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    old = t.tg->handlers->actions[sig];
    if (a[1]) {
      t.tg->handlers->actions[sig] = act;
      // Setting SIG_IGN (or a default-ignore SIG_DFL) discards what is pending.
      bool ign = act.handler == reinterpret_cast<uint64_t>(SIG_IGN) ||
                 (act.handler == reinterpret_cast<uint64_t>(SIG_DFL) &&
                  (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT));
      if (ign) {
        t.tg->pending.Remove(SigBit(sig));
        for (Task* o : t.tg->tasks) o->pending.Remove(SigBit(sig));
      }
    }
  }
  if (a[2]) SYS_TRY(t.memory().CopyOut(a[2], &old, sizeof old));
  return 0;
}

int64_t RtSigprocmask(Task& t, const SyscallArgs& a) {
  int how = static_cast<int>(a[0]);
  if (a[3] != 8) return -EINVAL;
  uint64_t set = 0;
  if (a[1]) {
    SYS_TRY(t.memory().CopyIn(a[1], &set, 8));
    if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return -EINVAL;
  }
  uint64_t old;
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    old = t.sigmask;
    if (a[1]) {
      if (how == SIG_BLOCK) t.sigmask |= set;
      else if (how == SIG_UNBLOCK) t.sigmask &= ~set;
      else t.sigmask = set;
      t.sigmask &= ~kUnblockable;
    }
  }
  if (a[2]) SYS_TRY(t.memory().CopyOut(a[2], &old, 8));
  return 0;
}

int64_t RtSigpending(Task& t, const SyscallArgs& a) {
  if (a[1] > 8) return -EINVAL;
  uint64_t set;
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    set = (t.pending.set | t.tg->pending.set) & t.sigmask;
  }
  SYS_TRY(t.memory().CopyOut(a[0], &set, a[1]));
  return 0;
}

int64_t RtSigreturn(Task& t, const SyscallArgs&) {
  // The handler's `ret` popped pretcode: the frame starts 8 bytes below rsp.
  uint64_t frame = t.regs.rsp - 8;
  kernel::RtSigframe f;
  auto segv = [&] {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    siginfo_t si{};
    si.si_signo = SIGSEGV;
    si.si_code = SI_KERNEL;
    t.kernel->ForceSignalLocked(&t, si);
    return kernel::kNoReturnValue;
  };
  if (!t.memory().CopyIn(frame, &f, sizeof f).ok()) return segv();
  const auto& sc = f.uc.uc_mcontext;
  auto& r = t.regs;
  r.r8 = sc.r8; r.r9 = sc.r9; r.r10 = sc.r10; r.r11 = sc.r11; r.r12 = sc.r12; r.r13 = sc.r13;
  r.r14 = sc.r14; r.r15 = sc.r15; r.rdi = sc.rdi; r.rsi = sc.rsi; r.rbp = sc.rbp; r.rbx = sc.rbx;
  r.rdx = sc.rdx; r.rax = sc.rax; r.rcx = sc.rcx; r.rsp = sc.rsp; r.rip = sc.rip;
  constexpr uint64_t kFix = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x10000;
  r.eflags = (r.eflags & ~kFix) | (sc.eflags & kFix);
  r.orig_rax = static_cast<uint64_t>(-1);  // never restart across a sigreturn
  if (sc.fpstate) {
    platform::FpState fp;
    if (!t.memory().CopyIn(sc.fpstate, &fp, sizeof fp).ok()) return segv();
    fp.mxcsr &= 0xffbf;  // reserved MXCSR bits would make the load fault
    fp.mxcr_mask = 0xffff;
    t.pending_fp = fp;
  } else {
    t.pending_fp = kernel::InitialFpState();
  }
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    t.sigmask = f.uc.uc_sigmask & ~kUnblockable;
    // The alternate stack as the frame has it, unless we are running on it.
    stack_t ss{reinterpret_cast<void*>(f.uc.uc_stack.ss_sp), f.uc.uc_stack.ss_flags & ~SS_ONSTACK,
               f.uc.uc_stack.ss_size};
    if (!(ss.ss_flags & ~(SS_DISABLE | SS_AUTODISARM)) ) {
      uint64_t base = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
      bool on = !(t.altstack.ss_flags & SS_DISABLE) && r.rsp > base && r.rsp - base <= t.altstack.ss_size;
      if (!on) t.altstack = ss;
    }
  }
  return kernel::kNoReturnValue;
}

int64_t Sigaltstack(Task& t, const SyscallArgs& a) {
  uint64_t base = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
  bool on = !(t.altstack.ss_flags & SS_DISABLE) && t.regs.rsp > base && t.regs.rsp - base <= t.altstack.ss_size;
  stack_t old = t.altstack;
  if (on) old.ss_flags = SS_ONSTACK;
  if (a[0]) {
    stack_t ss;
    SYS_TRY(t.memory().CopyIn(a[0], &ss, sizeof ss));
    if (on) return -EPERM;
    int mode = ss.ss_flags & ~SS_AUTODISARM;
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) return -EINVAL;
    if (mode == SS_DISABLE) {
      ss = stack_t{nullptr, SS_DISABLE, 0};
    } else {
      if (ss.ss_size < MINSIGSTKSZ) return -ENOMEM;
      ss.ss_flags = 0;
    }
    std::lock_guard<std::mutex> l(t.kernel->mu);
    t.altstack = ss;
  }
  if (a[1]) SYS_TRY(t.memory().CopyOut(a[1], &old, sizeof old));
  return 0;
}

siginfo_t UserInfo(Task& t, int sig) {
  siginfo_t si{};
  si.si_signo = sig;
  si.si_code = SI_USER;
  si.si_pid = t.tg->tgid;
  si.si_uid = t.creds().ruid;
  return si;
}

// Permission to signal: root (CAP_KILL) or a matching user.
bool MaySignal(Task& t, ThreadGroup* g) {
  const auto& c = t.creds();
  if (c.HasCap(CAP_KILL)) return true;
  return c.euid == g->creds.ruid || c.euid == g->creds.suid || c.ruid == g->creds.ruid || c.ruid == g->creds.suid;
}

int64_t Kill(Task& t, const SyscallArgs& a) {
  int pid = static_cast<int>(a[0]);
  int sig = static_cast<int>(a[1]);
  if (sig < 0 || sig > kMaxSignal) return -EINVAL;
  siginfo_t si = UserInfo(t, sig);
  std::lock_guard<std::mutex> l(t.kernel->mu);
  if (pid > 0) {
    ThreadGroup* g = t.kernel->GroupByTgidLocked(pid);
    if (!g) {
      Task* o = t.kernel->TaskByTidLocked(pid);
      if (!o) return -ESRCH;
      g = o->tg;
    }
    if (!MaySignal(t, g)) return -EPERM;
    return t.kernel->SendToGroupLocked(g, si);
  }
  // A process group, or everyone (-1: all but init and ourselves).
  int pgid = pid == 0 ? t.tg->pgid : -pid;
  if (pid == INT32_MIN) return -ESRCH;
  bool found = false;
  for (ThreadGroup* g : t.kernel->GroupsLocked()) {
    if (g->zombie) continue;
    if (pid == -1) {
      if (g == t.kernel->init() || g == t.tg) continue;
    } else if (g->pgid != pgid) {
      continue;
    }
    found = true;
    if (MaySignal(t, g)) t.kernel->SendToGroupLocked(g, si);
  }
  return found ? 0 : -ESRCH;
}

int64_t SignalThread(Task& t, int tgid, int tid, int sig) {
  if (tid <= 0) return -EINVAL;
  if (sig < 0 || sig > kMaxSignal) return -EINVAL;
  siginfo_t si = UserInfo(t, sig);
  si.si_code = SI_TKILL;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  Task* o = t.kernel->TaskByTidLocked(tid);
  if (!o || (tgid > 0 && o->tg->tgid != tgid) || o->tg->zombie) return -ESRCH;
  if (!MaySignal(t, o->tg)) return -EPERM;
  return t.kernel->SendToTaskLocked(o, si);
}

int64_t Tkill(Task& t, const SyscallArgs& a) { return SignalThread(t, -1, static_cast<int>(a[0]), static_cast<int>(a[1])); }
int64_t Tgkill(Task& t, const SyscallArgs& a) {
  if (static_cast<int>(a[0]) <= 0) return -EINVAL;
  return SignalThread(t, static_cast<int>(a[0]), static_cast<int>(a[1]), static_cast<int>(a[2]));
}

int64_t QueueInfo(Task& t, int tgid, int tid, int sig, uint64_t info_addr) {
  if (!ValidSignal(sig) && sig != 0) return -EINVAL;
  siginfo_t si;
  SYS_TRY(t.memory().CopyIn(info_addr, &si, sizeof si));
  // Only the kernel may claim to be the kernel (or a tkill) when signalling others.
  if ((si.si_code >= 0 || si.si_code == SI_TKILL) && (tgid != t.tg->tgid)) return -EPERM;
  si.si_signo = sig;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  if (tid > 0) {
    Task* o = t.kernel->TaskByTidLocked(tid);
    if (!o || o->tg->tgid != tgid) return -ESRCH;
    return t.kernel->SendToTaskLocked(o, si);
  }
  ThreadGroup* g = t.kernel->GroupByTgidLocked(tgid);
  if (!g) return -ESRCH;
  return t.kernel->SendToGroupLocked(g, si);
}

int64_t RtSigqueueinfo(Task& t, const SyscallArgs& a) {
  return QueueInfo(t, static_cast<int>(a[0]), 0, static_cast<int>(a[1]), a[2]);
}
int64_t RtTgsigqueueinfo(Task& t, const SyscallArgs& a) {
  return QueueInfo(t, static_cast<int>(a[0]), static_cast<int>(a[1]), static_cast<int>(a[2]), a[3]);
}

int64_t Pause(Task& t, const SyscallArgs&) {
  while (t.Block(std::nullopt) != vfs::BlockResult::kInterrupted) {
  }
  return -abi::kERESTARTNOHAND;
}

int64_t RtSigsuspend(Task& t, const SyscallArgs& a) {
  if (a[1] != 8) return -EINVAL;
  uint64_t mask;
  SYS_TRY(t.memory().CopyIn(a[0], &mask, 8));
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    t.saved_mask = t.sigmask;
    t.sigmask = mask & ~kUnblockable;
  }
  while (t.Block(std::nullopt) != vfs::BlockResult::kInterrupted) {
  }
  return -abi::kERESTARTNOHAND;
}

int64_t RtSigtimedwait(Task& t, const SyscallArgs& a) {
  if (a[3] != 8) return -EINVAL;
  uint64_t set;
  SYS_TRY(t.memory().CopyIn(a[0], &set, 8));
  set &= ~kUnblockable;
  vfs::Deadline deadline;
  if (a[2]) {
    struct timespec ts;
    SYS_TRY(t.memory().CopyIn(a[2], &ts, sizeof ts));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return -EINVAL;
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }
  // Waiting for signals in `set` means not blocking them meanwhile, but they
  // must be taken here rather than delivered: unblock only the others.
  while (true) {
    {
      std::lock_guard<std::mutex> l(t.kernel->mu);
      siginfo_t si;
      if (t.pending.Take(set, &si) || t.tg->pending.Take(set, &si)) {
        if (a[1] && !t.memory().CopyOut(a[1], &si, sizeof si).ok()) return -EFAULT;
        return si.si_signo;
      }
    }
    // The signals stay blocked (so they queue, even for init); sigwait_set
    // makes them end the wait.
    {
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.sigwait_set = set;
    }
    vfs::BlockResult r = t.Block(deadline);
    {
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.sigwait_set = 0;
      siginfo_t si;
      if (t.pending.Take(set, &si) || t.tg->pending.Take(set, &si)) {
        if (a[1] && !t.memory().CopyOut(a[1], &si, sizeof si).ok()) return -EFAULT;
        return si.si_signo;
      }
    }
    if (r == vfs::BlockResult::kTimedOut) return -EAGAIN;
    if (r == vfs::BlockResult::kInterrupted) return -EINTR;
  }
}

}  // namespace

// signalfd4(fd, mask, sizemask, flags): a new signalfd (fd -1) or a new mask
// for an existing one.
int64_t Signalfd4(Task& t, const SyscallArgs& a) {
  int fd = static_cast<int>(a[0]);
  int flags = static_cast<int>(a[3]);
  if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return -EINVAL;
  if (a[2] != sizeof(uint64_t)) return -EINVAL;
  uint64_t mask;
  SYS_TRY(t.memory().CopyIn(a[1], &mask, sizeof mask));
  mask &= ~(kernel::SigBit(SIGKILL) | kernel::SigBit(SIGSTOP));
  if (fd != -1) {
    auto f = t.fds->Get(fd);
    if (!f) return -EBADF;
    auto* sf = dynamic_cast<kernel::SignalFile*>(f.get());
    if (!sf) return -EINVAL;
    sf->set_mask(mask);
    return fd;
  }
  auto sf = std::make_shared<kernel::SignalFile>(mask, flags & SFD_NONBLOCK ? O_NONBLOCK : 0);
  SYS_ASSIGN(int nfd, t.fds->Install(sf, flags & SFD_CLOEXEC, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  return nfd;
}

int64_t Signalfd(Task& t, const SyscallArgs& a) { return Signalfd4(t, {{a[0], a[1], a[2], 0, 0, 0}}); }

void RegisterSignalSyscalls(Kernel& k) {
  k.SetSyscall(SYS_signalfd, Signalfd);
  k.SetSyscall(SYS_signalfd4, Signalfd4);
  k.SetSyscall(SYS_rt_sigaction, RtSigaction);
  k.SetSyscall(SYS_rt_sigprocmask, RtSigprocmask);
  k.SetSyscall(SYS_rt_sigpending, RtSigpending);
  k.SetSyscall(SYS_rt_sigreturn, RtSigreturn);
  k.SetSyscall(SYS_sigaltstack, Sigaltstack);
  k.SetSyscall(SYS_kill, Kill);
  k.SetSyscall(SYS_tkill, Tkill);
  k.SetSyscall(SYS_tgkill, Tgkill);
  k.SetSyscall(SYS_rt_sigqueueinfo, RtSigqueueinfo);
  k.SetSyscall(SYS_rt_tgsigqueueinfo, RtTgsigqueueinfo);
  k.SetSyscall(SYS_pause, Pause);
  k.SetSyscall(SYS_rt_sigsuspend, RtSigsuspend);
  k.SetSyscall(SYS_rt_sigtimedwait, RtSigtimedwait);
}

}  // namespace stockade::sentry::syscalls
