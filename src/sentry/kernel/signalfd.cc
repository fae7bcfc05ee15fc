#include "sentry/kernel/signalfd.h"

#include <poll.h>
#include <sys/signalfd.h>

#include <cstring>

#include "abi/linux/errno.h"

namespace stockade::sentry::kernel {
namespace {

// signalfd_copyinfo: the fields that the siginfo's layout carries.
struct signalfd_siginfo ToSignalfdInfo(const siginfo_t& si) {
  struct signalfd_siginfo o {};
  o.ssi_signo = static_cast<uint32_t>(si.si_signo);
  o.ssi_errno = si.si_errno;
  o.ssi_code = si.si_code;
  int sig = si.si_signo;
  bool from_kernel = si.si_code > 0;
  if (from_kernel && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP)) {
    o.ssi_addr = reinterpret_cast<uint64_t>(si.si_addr);
  } else if (from_kernel && sig == SIGCHLD) {
    o.ssi_pid = static_cast<uint32_t>(si.si_pid);
    o.ssi_uid = si.si_uid;
    o.ssi_status = si.si_status;
    o.ssi_utime = static_cast<uint64_t>(si.si_utime);
    o.ssi_stime = static_cast<uint64_t>(si.si_stime);
  } else if (from_kernel && sig == SIGSYS) {
    o.ssi_call_addr = reinterpret_cast<uint64_t>(si.si_call_addr);
    o.ssi_syscall = si.si_syscall;
    o.ssi_arch = si.si_arch;
  } else if (si.si_code == SI_TIMER) {
    o.ssi_tid = static_cast<uint32_t>(si.si_timerid);
    o.ssi_overrun = static_cast<uint32_t>(si.si_overrun);
    o.ssi_int = si.si_value.sival_int;
    o.ssi_ptr = reinterpret_cast<uint64_t>(si.si_value.sival_ptr);
  } else if (from_kernel && sig == SIGPOLL) {
    o.ssi_band = static_cast<uint32_t>(si.si_band);
    o.ssi_fd = si.si_fd;
  } else {
    // kill, tkill, sigqueue: the sender and, for sigqueue, the value.
    o.ssi_pid = static_cast<uint32_t>(si.si_pid);
    o.ssi_uid = si.si_uid;
    o.ssi_int = si.si_value.sival_int;
    o.ssi_ptr = reinterpret_cast<uint64_t>(si.si_value.sival_ptr);
  }
  return o;
}

// Dequeues one of the task's (then its group's) pending signals in `mask`.
bool TakeLocked(Task& t, uint64_t mask, siginfo_t* out) {
  return t.pending.Take(mask, out) || t.tg->pending.Take(mask, out);
}

}  // namespace

Result<size_t> SignalFile::Read(vfs::Waiter& w, void* buf, size_t len) {
  constexpr size_t kRecord = sizeof(struct signalfd_siginfo);
  if (len < kRecord) return Error(EINVAL, "");
  Task* t = CurrentTask();
  if (!t) return Error(EINVAL, "");
  // SIGKILL and SIGSTOP are never read through a signalfd.
  uint64_t mask = mask_.load() & ~(SigBit(SIGKILL) | SigBit(SIGSTOP));
  size_t done = 0;
  while (true) {
    vfs::WaitEntry entry(t->tg->signal_waitq, &w);
    {
      std::lock_guard<std::mutex> l(t->kernel->mu);
      siginfo_t si;
      while (done + kRecord <= len && TakeLocked(*t, mask, &si)) {
        struct signalfd_siginfo rec = ToSignalfdInfo(si);
        memcpy(static_cast<char*>(buf) + done, &rec, kRecord);
        done += kRecord;
      }
    }
    if (done) return done;
    if (flags() & O_NONBLOCK) return Error(EAGAIN, "");
    if (w.Block(std::nullopt) == vfs::BlockResult::kInterrupted) return Error(abi::kERESTARTSYS, "");
  }
}

short SignalFile::Readiness(short events) {
  Task* t = CurrentTask();
  if (!t) return 0;
  std::lock_guard<std::mutex> l(t->kernel->mu);
  uint64_t pending = t->pending.set | t->tg->pending.set;
  return (pending & mask_.load()) ? (events & POLLIN) : 0;
}

void SignalFile::ReadinessQueues(std::vector<vfs::WaitQueue*>* out) {
  if (Task* t = CurrentTask()) out->push_back(&t->tg->signal_waitq);
}

Result<struct stat> SignalFile::Stat() {
  struct stat st {};
  st.st_mode = 0600;
  st.st_nlink = 1;
  st.st_blksize = 4096;
  return st;
}

}  // namespace stockade::sentry::kernel
