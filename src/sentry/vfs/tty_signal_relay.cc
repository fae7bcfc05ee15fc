#include "sentry/vfs/tty_signal_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "base/threads.h"

namespace stockade::sentry::vfs {
namespace {

constexpr size_t kHolderStackSize = 64 * 1024;
constexpr char kReady = 0;  // the holder's first report: it holds the pty

// A system call without libc: the holder shares the Sentry's memory and its
// creator's TLS, so it must not touch errno or any other libc state.
long RawSyscall(long nr, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0) {
  long ret;
  register long r10 asm("r10") = a3;
  asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}

struct HolderArgs {
  int replica;
  int report;
  uint64_t signals;  // a kernel sigset_t: bit sig-1 for each relayed signal
};

uint64_t SignalBit(int sig) { return uint64_t{1} << (sig - 1); }

// The holder process. Everything it needs is in `p` (on its own stack) and
// in registers; its exit status is the errno of a failed set-up step.
int HolderMain(void* p) {
  const HolderArgs a = *static_cast<const HolderArgs*>(p);
  // Keep only the pty and the pipe: the FD table is a copy of the Sentry's.
  int lo = std::min(a.replica, a.report), hi = std::max(a.replica, a.report);
  if (lo > 0) RawSyscall(SYS_close_range, 0, lo - 1, 0);
  if (hi > lo + 1) RawSyscall(SYS_close_range, lo + 1, hi - 1, 0);
  RawSyscall(SYS_close_range, hi + 1, ~0U, 0);
  long r = RawSyscall(SYS_setsid);
  if (r < 0) return static_cast<int>(-r);
  r = RawSyscall(SYS_ioctl, a.replica, TIOCSCTTY, 0);
  if (r < 0) return static_cast<int>(-r);
  // The terminal stays ours without an open FD, and holding none lets the
  // master see EIO once the application's last FD to it is closed.
  RawSyscall(SYS_close, a.replica);
  // All signals are blocked (the creator blocked them around clone).
  uint64_t mask = a.signals;
  long sfd = RawSyscall(SYS_signalfd4, -1, reinterpret_cast<long>(&mask), sizeof mask, SFD_CLOEXEC);
  if (sfd < 0) return static_cast<int>(-sfd);
  char ready = kReady;
  if (RawSyscall(SYS_write, a.report, reinterpret_cast<long>(&ready), 1) != 1) return EPIPE;
  for (;;) {
    // The pipe's reader gone (POLLERR) means the Sentry is gone, or has
    // given this terminal up.
    struct pollfd fds[2] = {{static_cast<int>(sfd), POLLIN, 0}, {a.report, 0, 0}};
    r = RawSyscall(SYS_poll, reinterpret_cast<long>(fds), 2, -1);
    if (r == -EINTR) continue;
    if (r < 0 || fds[1].revents) return 0;
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info;
    if (RawSyscall(SYS_read, sfd, reinterpret_cast<long>(&info), sizeof info) != sizeof info) continue;
    char sig = static_cast<char>(info.ssi_signo);
    if (RawSyscall(SYS_write, a.report, reinterpret_cast<long>(&sig), 1) != 1) return 0;
    // After a hang-up the pty is dead and no longer anyone's terminal.
    if (info.ssi_signo == SIGHUP) return 0;
  }
}

}  // namespace

TtyHolder::~TtyHolder() { syscall(SYS_pidfd_send_signal, pidfd_->get(), SIGKILL, nullptr, 0); }

TtySignalRelay::~TtySignalRelay() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
  for (auto& [fd, h] : holders_) {
    syscall(SYS_pidfd_send_signal, h.pidfd->get(), SIGKILL, nullptr, 0);
    Reap(h);
  }
}

void TtySignalRelay::SetSink(Sink sink) {
  std::lock_guard<std::mutex> l(sink_mu_);
  sink_ = std::move(sink);
}

Status TtySignalRelay::EnsureThreadLocked() {
  if (thread_.joinable()) return Ok();
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  stop_.reset(eventfd(0, EFD_CLOEXEC));
  if (!epoll_ || !stop_) return Error::FromErrno("making the terminal signal relay's epoll");
  struct epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = stop_.get();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, stop_.get(), &ev) < 0) return Error::FromErrno("epoll_ctl");
  thread_ = NamedThread("tty-signals", &TtySignalRelay::Loop, this);
  return Ok();
}

Result<std::unique_ptr<TtyHolder>> TtySignalRelay::Start(int replica, std::weak_ptr<TtyState> tty) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return Error::FromErrno("making a terminal holder's pipe");
  UniqueFd report(pipefd[0]), holder_end(pipefd[1]);
  void* stack = mmap(nullptr, kHolderStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return Error::FromErrno("mapping a terminal holder's stack");
  // The arguments sit at the top of the holder's stack, below them its frames.
  auto* args = reinterpret_cast<HolderArgs*>(static_cast<char*>(stack) + kHolderStackSize - sizeof(HolderArgs));
  args->replica = replica;
  args->report = holder_end.get();
  args->signals = 0;
  for (int sig : {SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGHUP}) args->signals |= SignalBit(sig);
  void* sp = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(args) & ~uintptr_t{15});

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pidfd = -1;
  pid_t pid = clone(HolderMain, sp, CLONE_VM | CLONE_PIDFD | SIGCHLD, args, &pidfd);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  holder_end.reset();
  if (pid < 0) {
    munmap(stack, kHolderStackSize);
    return Error(clone_errno, "starting a terminal holder");
  }
  Holder h{std::move(report), std::make_shared<UniqueFd>(pidfd), stack, std::move(tty)};

  char first = 1;
  ssize_t n;
  while ((n = read(h.report.get(), &first, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1 || first != kReady) {
    int status = Reap(h);
    int err = WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : EIO;
    return Error(err, "the terminal holder could not take the pty as its controlling terminal");
  }
  auto handle = std::make_unique<TtyHolder>(h.pidfd);
  std::lock_guard<std::mutex> l(mu_);
  Status st = EnsureThreadLocked();
  int fd = h.report.get();
  struct epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  if (st.ok() && epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) st = Error::FromErrno("epoll_ctl");
  if (!st.ok()) {
    handle.reset();  // kills it
    Reap(h);
    return st.error();
  }
  holders_.emplace(fd, std::move(h));
  return handle;
}

int TtySignalRelay::Reap(Holder& h) {
  siginfo_t si{};
  while (waitid(static_cast<idtype_t>(P_PIDFD), h.pidfd->get(), &si, WEXITED) < 0 && errno == EINTR) {
  }
  // Only now is its stack unused.
  if (h.stack) munmap(h.stack, kHolderStackSize);
  h.stack = nullptr;
  return si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
}

void TtySignalRelay::Retire(int fd) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = holders_.find(fd);
  if (it == holders_.end()) return;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  Reap(it->second);
  holders_.erase(it);
}

void TtySignalRelay::Loop() {
  struct epoll_event events[16];
  for (;;) {
    int n = epoll_wait(epoll_.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("terminal signal relay: epoll_wait: %s", strerror(errno));
      return;
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == stop_.get()) return;
      char sigs[64];
      ssize_t got = read(fd, sigs, sizeof sigs);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        Retire(fd);  // the holder has exited
        continue;
      }
      std::shared_ptr<TtyState> tty;
      {
        std::lock_guard<std::mutex> l(mu_);
        auto it = holders_.find(fd);
        if (it == holders_.end()) continue;
        tty = it->second.tty.lock();
      }
      if (!tty) continue;
      {
        std::lock_guard<std::mutex> l(sink_mu_);
        if (sink_) {
          for (ssize_t j = 0; j < got; j++) sink_(tty, sigs[j]);
        }
      }
      // Dropped with no lock held: the last reference kills the holder.
      tty.reset();
    }
  }
}

}  // namespace stockade::sentry::vfs
