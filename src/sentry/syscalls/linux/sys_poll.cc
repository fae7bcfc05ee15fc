// poll, ppoll, select, pselect6 and the epoll calls.
//
// Readiness comes from File::Readiness, a snapshot; vfs::ReadinessWait puts
// the task to sleep until one of the files may have changed.
//
// Interruption and timeouts follow fs/select.c: poll returns
// ERESTART_RESTARTBLOCK (resumed through restart_syscall with the original
// deadline), ppoll/select/pselect6 return ERESTARTNOHAND after writing the
// time left back to the application's timeout (so a restart waits only the
// rest). ppoll/pselect6 install their signal mask for the call; it stays
// in place only when the call was interrupted, for the signal's delivery.
#include <poll.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "abi/linux/errno.h"
#include "sentry/syscalls/linux/sys_common.h"
#include "sentry/vfs/epoll.h"
#include "sentry/vfs/host_file.h"
#include "sentry/vfs/pipe.h"
#include "sentry/vfs/readiness_wait.h"

namespace stockade::sentry::syscalls {
namespace {

constexpr short kPollInSet = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
constexpr short kPollOutSet = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
constexpr short kPollExSet = POLLPRI;

constexpr int64_t kNsPerSec = 1000000000;
constexpr int64_t kForeverNs = int64_t{365} * 24 * 3600 * kNsPerSec;  // longer waits never time out

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// An absolute steady-clock deadline in ns (none: wait forever).
using DeadlineNs = std::optional<int64_t>;

DeadlineNs DeadlineAfter(int64_t sec, int64_t nsec) {
  int64_t now = NowNs();
  if (sec > (INT64_MAX - now) / kNsPerSec - 1) return INT64_MAX;  // saturate, as timespec64_add_safe
  return now + sec * kNsPerSec + nsec;
}

// poll's and epoll_wait's millisecond timeouts: negative waits forever.
DeadlineNs MsDeadline(int timeout_ms) {
  if (timeout_ms < 0) return std::nullopt;
  return DeadlineAfter(timeout_ms / 1000, int64_t{timeout_ms % 1000} * 1000000);
}

vfs::Deadline ToDeadline(DeadlineNs d) {
  if (!d) return std::nullopt;
  int64_t now = NowNs();
  if (*d - now > kForeverNs) return std::nullopt;
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*d));
}

int64_t Remaining(DeadlineNs d) { return d ? std::max<int64_t>(0, *d - NowNs()) : 0; }

// A file's readiness as vfs_poll reports it: POLLRDNORM/POLLWRNORM go with
// POLLIN/POLLOUT for every file type we have.
short Readiness(vfs::File& f, short events) {
  short m = f.Readiness(static_cast<short>(events | POLLIN | POLLOUT));
  if (m & POLLIN) m |= POLLRDNORM;
  if (m & POLLOUT) m |= POLLWRNORM;
  return m;
}

// do_poll/do_select's loop: scan, then (nothing ready) a pending signal
// ends the call with ERESTARTNOHAND, an expired deadline with 0, and
// otherwise the task sleeps and scans again.
template <typename Scan>
int64_t WaitLoop(Task& t, vfs::ReadinessWait& w, DeadlineNs deadline, Scan scan) {
  while (true) {
    int64_t n = scan();
    if (n != 0) return n;
    if (t.Interrupted()) return -abi::kERESTARTNOHAND;
    if (deadline && NowNs() >= *deadline) return 0;
    (void)w.Wait(ToDeadline(deadline));
  }
}

// --- signal masks --------------------------------------------------------------

// set_user_sigmask: the mask for the call; the previous one is saved for
// the kernel to restore after a handler, or by RestoreMask.
int64_t SetCallMask(Task& t, uint64_t addr, uint64_t size, bool* set) {
  *set = false;
  if (!addr) return 0;
  if (size != sizeof(uint64_t)) return -EINVAL;
  uint64_t mask;
  SYS_TRY(t.memory().CopyIn(addr, &mask, sizeof mask));
  std::lock_guard<std::mutex> l(t.kernel->mu);
  t.saved_mask = t.sigmask;
  t.sigmask = mask & ~kernel::kUnblockable;
  *set = true;
  return 0;
}

// restore_saved_sigmask_unless(ret == -ERESTARTNOHAND): an interrupted call
// keeps the temporary mask until the signal is delivered (the handler's frame
// saves the original); otherwise the original mask comes back now, so that a
// signal it blocks is not delivered on the way out.
void RestoreMask(Task& t, bool set, int64_t ret) {
  if (!set || ret == -abi::kERESTARTNOHAND) return;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  if (t.saved_mask) {
    t.sigmask = *t.saved_mask;
    t.saved_mask.reset();
  }
}

enum class TimeType { kTimeval, kTimespec };

// poll_select_finish: the time left goes back to the application (not for
// a zero timeout); if it cannot, an interrupted call is not restarted.
int64_t Finish(Task& t, bool mask_set, uint64_t time_addr, DeadlineNs deadline, bool zero_timeout, TimeType type,
               int64_t ret) {
  RestoreMask(t, mask_set, ret);
  if (!time_addr || zero_timeout) return ret;
  int64_t rem = Remaining(deadline);
  Status st = Ok();
  if (type == TimeType::kTimeval) {
    struct timeval tv {rem / kNsPerSec, (rem % kNsPerSec) / 1000};
    st = t.memory().CopyOut(time_addr, &tv, sizeof tv);
  } else {
    struct timespec ts {rem / kNsPerSec, rem % kNsPerSec};
    st = t.memory().CopyOut(time_addr, &ts, sizeof ts);
  }
  if (!st.ok() && ret == -abi::kERESTARTNOHAND) return -EINTR;
  return ret;
}

// A timespec timeout (ppoll, pselect6): EFAULT, or EINVAL when not valid.
Result<DeadlineNs> TimespecDeadline(Task& t, uint64_t addr, bool* zero) {
  struct timespec ts;
  TRY(t.memory().CopyIn(addr, &ts, sizeof ts));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= kNsPerSec) return Error(EINVAL, "");
  *zero = ts.tv_sec == 0 && ts.tv_nsec == 0;
  return DeadlineAfter(ts.tv_sec, ts.tv_nsec);
}

// --- poll --------------------------------------------------------------------

// do_sys_poll: -ERESTARTNOHAND when interrupted.
int64_t DoPoll(Task& t, uint64_t ufds, uint32_t nfds, DeadlineNs deadline) {
  // RLIMIT_NOFILE, never above fs.nr_open (setrlimit keeps it there).
  uint64_t limit = std::min<uint64_t>(t.rlimit_cur(RLIMIT_NOFILE), 1 << 20);
  if (nfds > limit) return -EINVAL;
  std::vector<struct pollfd> pfds(nfds);
  if (nfds) SYS_TRY(t.memory().CopyIn(ufds, pfds.data(), nfds * sizeof(struct pollfd)));

  // The files are looked up once; Linux looks again on every pass, so an FD
  // closed during the wait shows POLLNVAL there but not here.
  std::vector<std::shared_ptr<vfs::File>> files(nfds);
  vfs::ReadinessWait w(t);
  for (uint32_t i = 0; i < nfds; i++) {
    if (pfds[i].fd < 0) continue;
    files[i] = t.fds->Get(pfds[i].fd);
    if (files[i]) w.Add(files[i], pfds[i].events);
  }
  auto scan = [&]() -> int64_t {
    int64_t n = 0;
    for (uint32_t i = 0; i < nfds; i++) {
      short rev = 0;
      if (pfds[i].fd >= 0) {
        if (!files[i]) {
          rev = POLLNVAL;
        } else {
          short filter = static_cast<short>(pfds[i].events | POLLERR | POLLHUP);
          rev = static_cast<short>(Readiness(*files[i], pfds[i].events) & filter);
        }
      }
      pfds[i].revents = rev;
      if (rev) n++;
    }
    return n;
  };
  int64_t r = WaitLoop(t, w, deadline, scan);
  // revents go back whatever the outcome (fd and events as read).
  if (nfds && !t.memory().CopyOut(ufds, pfds.data(), nfds * sizeof(struct pollfd)).ok()) return -EFAULT;
  return r;
}

// poll(2) and restart_syscall after it: the same deadline again.
int64_t PollRestartable(Task& t, uint64_t ufds, uint32_t nfds, DeadlineNs deadline) {
  int64_t r = DoPoll(t, ufds, nfds, deadline);
  if (r == -abi::kERESTARTNOHAND) {
    t.restart = [ufds, nfds, deadline](Task& tt) { return PollRestartable(tt, ufds, nfds, deadline); };
    return -abi::kERESTART_RESTARTBLOCK;
  }
  return r;
}

int64_t Poll(Task& t, const SyscallArgs& a) {
  return PollRestartable(t, a[0], static_cast<uint32_t>(a[1]), MsDeadline(static_cast<int>(a[2])));
}

int64_t Ppoll(Task& t, const SyscallArgs& a) {
  DeadlineNs deadline;
  bool zero = false;
  if (a[2]) {
    SYS_ASSIGN(deadline, TimespecDeadline(t, a[2], &zero));
  }
  bool mask_set;
  if (int64_t e = SetCallMask(t, a[3], a[4], &mask_set)) return e;
  int64_t r = DoPoll(t, a[0], static_cast<uint32_t>(a[1]), deadline);
  return Finish(t, mask_set, a[2], deadline, zero, TimeType::kTimespec, r);
}

// --- select ------------------------------------------------------------------

// The FD table's size as select clamps n to it (fdtable max_fds: 64, then
// grown by powers of two in units of 128 to hold the highest FD).
int MaxFds(Task& t) {
  int highest = -1;
  for (int fd : t.fds->Fds()) highest = std::max(highest, fd);
  if (highest < 64) return 64;
  uint64_t nr = static_cast<uint64_t>(highest) / 128 + 1;
  uint64_t p = 1;
  while (p < nr) p <<= 1;
  return static_cast<int>(std::min<uint64_t>(p * 128, 1 << 20));
}

// core_sys_select: -ERESTARTNOHAND when interrupted (the sets are then left
// alone).
int64_t DoSelect(Task& t, int64_t n64, uint64_t inp, uint64_t outp, uint64_t exp, DeadlineNs deadline) {
  int n = static_cast<int>(n64);
  if (n < 0) return -EINVAL;
  n = std::min(n, MaxFds(t));
  size_t words = (static_cast<size_t>(n) + 63) / 64;
  std::vector<uint64_t> in(words), out(words), ex(words);
  if (words) {
    if (inp) SYS_TRY(t.memory().CopyIn(inp, in.data(), words * 8));
    if (outp) SYS_TRY(t.memory().CopyIn(outp, out.data(), words * 8));
    if (exp) SYS_TRY(t.memory().CopyIn(exp, ex.data(), words * 8));
  }
  struct Entry {
    int fd;
    std::shared_ptr<vfs::File> file;
  };
  std::vector<Entry> entries;
  vfs::ReadinessWait w(t);
  for (int fd = 0; fd < n; fd++) {
    uint64_t bit = 1ull << (fd % 64);
    size_t wi = static_cast<size_t>(fd / 64);
    bool r = in[wi] & bit, wr = out[wi] & bit, e = ex[wi] & bit;
    if (!r && !wr && !e) continue;
    auto f = t.fds->Get(fd);
    if (!f) return -EBADF;  // max_select_fd
    w.Add(f, static_cast<short>((r ? POLLIN : 0) | (wr ? POLLOUT : 0) | (e ? POLLPRI : 0)));
    entries.push_back({fd, std::move(f)});
  }
  std::vector<uint64_t> rin(words), rout(words), rex(words);
  auto scan = [&]() -> int64_t {
    std::fill(rin.begin(), rin.end(), 0);
    std::fill(rout.begin(), rout.end(), 0);
    std::fill(rex.begin(), rex.end(), 0);
    int64_t count = 0;
    for (const Entry& en : entries) {
      uint64_t bit = 1ull << (en.fd % 64);
      size_t wi = static_cast<size_t>(en.fd / 64);
      short m = Readiness(*en.file, POLLIN | POLLOUT | POLLPRI);
      if ((m & kPollInSet) && (in[wi] & bit)) {
        rin[wi] |= bit;
        count++;
      }
      if ((m & kPollOutSet) && (out[wi] & bit)) {
        rout[wi] |= bit;
        count++;
      }
      if ((m & kPollExSet) && (ex[wi] & bit)) {
        rex[wi] |= bit;
        count++;
      }
    }
    return count;
  };
  int64_t r = WaitLoop(t, w, deadline, scan);
  if (r < 0) return r;
  if (words) {
    if (inp && !t.memory().CopyOut(inp, rin.data(), words * 8).ok()) return -EFAULT;
    if (outp && !t.memory().CopyOut(outp, rout.data(), words * 8).ok()) return -EFAULT;
    if (exp && !t.memory().CopyOut(exp, rex.data(), words * 8).ok()) return -EFAULT;
  }
  return r;
}

int64_t Select(Task& t, const SyscallArgs& a) {
  DeadlineNs deadline;
  bool zero = false;
  if (a[4]) {
    struct timeval tv;
    SYS_TRY(t.memory().CopyIn(a[4], &tv, sizeof tv));
    // poll_select_set_timeout(sec + usec / 10^6, usec % 10^6 * 1000): a
    // negative field makes an invalid timespec.
    int64_t sec;
    if (__builtin_add_overflow(tv.tv_sec, tv.tv_usec / 1000000, &sec)) sec = tv.tv_sec < 0 ? -1 : INT64_MAX;
    int64_t nsec = (tv.tv_usec % 1000000) * 1000;
    if (sec < 0 || nsec < 0) return -EINVAL;
    zero = sec == 0 && nsec == 0;
    deadline = DeadlineAfter(sec, nsec);
  }
  int64_t r = DoSelect(t, static_cast<int64_t>(static_cast<int>(a[0])), a[1], a[2], a[3], deadline);
  return Finish(t, false, a[4], deadline, zero, TimeType::kTimeval, r);
}

int64_t Pselect6(Task& t, const SyscallArgs& a) {
  // The sixth argument points at {const sigset_t *ss; size_t ss_len}.
  uint64_t pack[2] = {0, 0};
  if (a[5]) SYS_TRY(t.memory().CopyIn(a[5], pack, sizeof pack));
  DeadlineNs deadline;
  bool zero = false;
  if (a[4]) {
    SYS_ASSIGN(deadline, TimespecDeadline(t, a[4], &zero));
  }
  bool mask_set;
  if (int64_t e = SetCallMask(t, pack[0], pack[1], &mask_set)) return e;
  int64_t r = DoSelect(t, static_cast<int64_t>(static_cast<int>(a[0])), a[1], a[2], a[3], deadline);
  return Finish(t, mask_set, a[4], deadline, zero, TimeType::kTimespec, r);
}

}  // namespace

// --- epoll -------------------------------------------------------------------

int64_t EpollCreate1(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[0]);
  if (flags & ~EPOLL_CLOEXEC) return -EINVAL;
  SYS_ASSIGN(auto ep, vfs::EpollFile::New());
  SYS_ASSIGN(int fd, t.fds->Install(ep, flags & EPOLL_CLOEXEC, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  return fd;
}

int64_t EpollCreate(Task& t, const SyscallArgs& a) {
  if (static_cast<int>(a[0]) <= 0) return -EINVAL;
  return EpollCreate1(t, {{0, 0, 0, 0, 0, 0}});
}

int64_t EpollCtl(Task& t, const SyscallArgs& a) {
  int op = static_cast<int>(a[1]);
  int fd = static_cast<int>(a[2]);
  struct epoll_event ev {};
  // ep_op_has_event: the event is read first, before any FD is looked at.
  if (op != EPOLL_CTL_DEL) SYS_TRY(t.memory().CopyIn(a[3], &ev, sizeof ev));
  auto epf = t.fds->Get(static_cast<int>(a[0]));
  auto f = t.fds->Get(fd);
  if (!epf || !f) return -EBADF;
  if (!f->Pollable()) return -EPERM;
  auto* ep = dynamic_cast<vfs::EpollFile*>(epf.get());
  if (epf == f || !ep) return -EINVAL;
  if ((ev.events & EPOLLEXCLUSIVE) && op == EPOLL_CTL_ADD &&
      (dynamic_cast<vfs::EpollFile*>(f.get()) || (ev.events & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)))) {
    return -EINVAL;
  }
  if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL) return -EINVAL;
  SYS_TRY(ep->Ctl(op, fd, f, ev));
  return 0;
}

// do_epoll_wait: EFAULT/EINVAL checks, then scan and sleep. A signal ends the
// wait with EINTR (epoll calls are never restarted).
int64_t DoEpollWait(Task& t, const SyscallArgs& a, DeadlineNs deadline) {
  int max = static_cast<int>(a[2]);
  if (max <= 0 || static_cast<uint64_t>(max) > INT32_MAX / sizeof(struct epoll_event)) return -EINVAL;
  uint64_t bytes = static_cast<uint64_t>(max) * sizeof(struct epoll_event);
  if (!AccessOk(a[1], bytes)) return -EFAULT;
  auto epf = t.fds->Get(static_cast<int>(a[0]));
  if (!epf) return -EBADF;
  auto ep = std::dynamic_pointer_cast<vfs::EpollFile>(epf);
  if (!ep) return -EINVAL;
  // The host members wake the wait through the instance's host epoll FD, the
  // scanned ones (pipes, nested instances) through their own queues and FDs.
  vfs::ReadinessWait w(t);
  w.Add(ep, POLLIN);
  for (const auto& [m, events] : ep->Members()) w.Add(m, events);
  std::vector<struct epoll_event> got;
  int64_t r = WaitLoop(t, w, deadline, [&]() -> int64_t {
    got = ep->Collect(max);
    return static_cast<int64_t>(got.size());
  });
  if (r <= 0) return r;
  if (!t.memory().CopyOut(a[1], got.data(), got.size() * sizeof(struct epoll_event)).ok()) return -EFAULT;
  return r;
}

int64_t EpollWait(Task& t, const SyscallArgs& a) {
  int64_t r = DoEpollWait(t, a, MsDeadline(static_cast<int>(a[3])));
  return r == -abi::kERESTARTNOHAND ? -EINTR : r;
}

// epoll_pwait/epoll_pwait2: the call's signal mask stays for the handler when
// a signal interrupted it.
int64_t EpollPwaitWith(Task& t, const SyscallArgs& a, DeadlineNs deadline, uint64_t mask, uint64_t mask_size) {
  bool set = false;
  if (int64_t e = SetCallMask(t, mask, mask_size, &set)) return e;
  int64_t r = DoEpollWait(t, a, deadline);
  RestoreMask(t, set, r);
  return r == -abi::kERESTARTNOHAND ? -EINTR : r;
}

int64_t EpollPwait(Task& t, const SyscallArgs& a) {
  return EpollPwaitWith(t, a, MsDeadline(static_cast<int>(a[3])), a[4], a[5]);
}

int64_t EpollPwait2(Task& t, const SyscallArgs& a) {
  DeadlineNs deadline;
  if (a[3]) {
    bool zero;
    SYS_ASSIGN(deadline, TimespecDeadline(t, a[3], &zero));
  }
  return EpollPwaitWith(t, a, deadline, a[4], a[5]);
}

void RegisterPollSyscalls(Kernel& k) {
  k.SetSyscall(SYS_epoll_create, &EpollCreate);
  k.SetSyscall(SYS_epoll_create1, &EpollCreate1);
  k.SetSyscall(SYS_epoll_ctl, &EpollCtl);
  k.SetSyscall(SYS_epoll_wait, &EpollWait);
  k.SetSyscall(SYS_epoll_pwait, &EpollPwait);
  k.SetSyscall(SYS_epoll_pwait2, &EpollPwait2);
  k.SetSyscall(SYS_poll, &Poll);
  k.SetSyscall(SYS_ppoll, &Ppoll);
  k.SetSyscall(SYS_select, &Select);
  k.SetSyscall(SYS_pselect6, &Pselect6);
}

}  // namespace stockade::sentry::syscalls
