#include "sentry/kernel/kernel.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <thread>

#include "base/log.h"
#include "base/threads.h"

namespace stockade::sentry::kernel {

uint64_t Credentials::NewSerial() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

int64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

// --- PendingSignals ----------------------------------------------------------

void PendingSignals::Add(const siginfo_t& info) {
  int sig = info.si_signo;
  if (sig < SIGRTMIN && (set & SigBit(sig))) return;  // standard signals coalesce
  set |= SigBit(sig);
  queue.push_back(info);
}

bool PendingSignals::Take(uint64_t allowed, siginfo_t* out) {
  uint64_t ready = set & allowed;
  if (!ready) return false;
  // Synchronous faults first, then the lowest number, as Linux's next_signal.
  constexpr uint64_t kSync = (1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) | (1ull << (SIGILL - 1)) |
                             (1ull << (SIGTRAP - 1)) | (1ull << (SIGFPE - 1)) | (1ull << (SIGSYS - 1));
  uint64_t pick = (ready & kSync) ? (ready & kSync) : ready;
  int sig = __builtin_ctzll(pick) + 1;
  bool more = false;
  bool taken = false;
  for (auto it = queue.begin(); it != queue.end();) {
    if (it->si_signo == sig) {
      if (!taken) {
        *out = *it;
        it = queue.erase(it);
        taken = true;
        continue;
      }
      more = true;
    }
    ++it;
  }
  if (!more) set &= ~SigBit(sig);
  return taken;
}

void PendingSignals::Remove(uint64_t mask) {
  set &= ~mask;
  std::erase_if(queue, [&](const siginfo_t& i) { return (SigBit(i.si_signo) & mask) != 0; });
}

// --- ThreadGroup -------------------------------------------------------------

ThreadGroup::~ThreadGroup() = default;

vfs::WaitQueue* ThreadGroup::parent_waitq() { return parent ? &parent->child_waitq : nullptr; }

// --- Task --------------------------------------------------------------------

Task::Task(Kernel* k, int t) : kernel(k), tid(t), event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Task::~Task() = default;

void Task::Notify() {
  uint64_t one = 1;
  (void)!write(event_fd_.get(), &one, sizeof one);
}

void Task::Kick() {
  Notify();
  if (platform::Context* c = running_ctx_.load()) c->Interrupt();
}

bool Task::Interrupted() {
  std::lock_guard<std::mutex> l(kernel->mu);
  if (exit_requested || tg->exiting) return true;
  uint64_t allowed = ~sigmask | kUnblockable | sigwait_set;
  return ((pending.set | tg->pending.set) & allowed) != 0;
}

vfs::BlockResult Task::Block(const vfs::Deadline& deadline, int host_fd, short events) {
  if (Interrupted()) return vfs::BlockResult::kInterrupted;
  struct pollfd p[2] = {{event_fd_.get(), POLLIN, 0}, {host_fd, events, 0}};
  int timeout = -1;
  if (deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      // Round sub-millisecond remainders up rather than spin.
      if (*deadline <= std::chrono::steady_clock::now()) return vfs::BlockResult::kTimedOut;
      left = std::chrono::milliseconds(1);
    }
    timeout = static_cast<int>(std::min<int64_t>(left.count() + 1, INT32_MAX));
  }
  int n = poll(p, host_fd >= 0 ? 2 : 1, timeout);
  if (n > 0 && (p[0].revents & POLLIN)) {
    uint64_t v;
    (void)!read(event_fd_.get(), &v, sizeof v);
  }
  if (Interrupted()) return vfs::BlockResult::kInterrupted;
  if (n == 0 && deadline && *deadline <= std::chrono::steady_clock::now()) return vfs::BlockResult::kTimedOut;
  return vfs::BlockResult::kWoken;
}

// --- Kernel ------------------------------------------------------------------

Kernel::Kernel(KernelConfig cfg) : cfg_(std::move(cfg)), hostname_(cfg_.hostname), table_(512, nullptr) {
  boot_ns_ = static_cast<uint64_t>(NowNs(CLOCK_MONOTONIC));
}

Kernel::~Kernel() {
  KillAll();
  WaitAllExited();
}

std::string Kernel::hostname() {
  std::lock_guard<std::mutex> l(mu);
  return hostname_;
}

void Kernel::set_hostname(std::string h) {
  std::lock_guard<std::mutex> l(mu);
  hostname_ = std::move(h);
}

Task* Kernel::TaskByTidLocked(int tid) {
  auto it = tasks_.find(tid);
  return it == tasks_.end() ? nullptr : it->second.get();
}

ThreadGroup* Kernel::GroupByTgidLocked(int tgid) {
  auto it = groups_.find(tgid);
  return it == groups_.end() ? nullptr : it->second.get();
}

std::vector<ThreadGroup*> Kernel::GroupsLocked() {
  std::vector<ThreadGroup*> out;
  for (auto& [id, g] : groups_) out.push_back(g.get());
  return out;
}

ThreadGroup* Kernel::NewThreadGroupLocked(int tgid) {
  auto g = std::make_unique<ThreadGroup>();
  g->tgid = tgid;
  g->start_ticks = static_cast<uint64_t>((NowNs(CLOCK_MONOTONIC) - static_cast<int64_t>(boot_ns_)) / 10000000);
  ThreadGroup* raw = g.get();
  groups_[tgid] = std::move(g);
  return raw;
}

void Kernel::AddTaskLocked(std::shared_ptr<Task> t) {
  t->tg->tasks.push_back(t.get());
  live_++;
  tasks_[t->tid] = std::move(t);
}

void Kernel::ChangeTidLocked(Task* t, int new_tid) {
  auto it = tasks_.find(t->tid);
  if (it == tasks_.end()) return;
  auto sp = it->second;
  tasks_.erase(it);
  tasks_.erase(new_tid);
  t->tid = new_tid;
  tasks_[new_tid] = std::move(sp);
}

Result<std::unique_ptr<Kernel::ParkedThread>> Kernel::NewTaskThread(std::shared_ptr<Task> t) {
  auto p = std::make_unique<ParkedThread>();
  p->go_ = std::make_shared<std::promise<bool>>();
  auto fut = p->go_->get_future();
  try {
    NamedThread("task", [t, fut = std::move(fut)]() mutable {
      if (fut.get()) RunTask(std::move(t));
    }).detach();
  } catch (const std::system_error&) {
    p->go_.reset();
    return Error(EAGAIN, "no thread for a new task");
  }
  return p;
}

void Kernel::ParkedThread::Go(bool run) {
  if (go_) go_->set_value(run);
  go_.reset();
}

Kernel::ParkedThread::~ParkedThread() { Go(false); }

int Kernel::live_tasks() {
  std::lock_guard<std::mutex> l(mu);
  return live_;
}

void Kernel::WaitAllExited() {
  std::unique_lock<std::mutex> l(mu);
  exited_cv_.wait(l, [&] { return live_ == 0; });
}

void Kernel::KillAll() {
  std::lock_guard<std::mutex> l(mu);
  for (auto& [id, g] : groups_) {
    if (!g->zombie) BeginGroupExitLocked(g.get(), SignalStatus(SIGKILL, false));
  }
}

void Kernel::Freeze() {
  frozen_ = true;
  std::lock_guard<std::mutex> l(mu);
  for (auto& [id, t] : tasks_) t->Kick();
}

void Kernel::Thaw() {
  {
    std::lock_guard<std::mutex> l(mu);
    frozen_ = false;
    for (auto& [id, t] : tasks_) t->Notify();
  }
  state_cv.notify_all();
}

namespace {

enum class DefaultAction { kTerminate, kCore, kIgnore, kStop, kContinue };

DefaultAction DefaultActionOf(int sig) {
  switch (sig) {
    case SIGCHLD: case SIGURG: case SIGWINCH: return DefaultAction::kIgnore;
    case SIGCONT: return DefaultAction::kContinue;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU: return DefaultAction::kStop;
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
    case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS: return DefaultAction::kCore;
    default: return DefaultAction::kTerminate;
  }
}

bool IgnoredByAction(const SigAction& a, int sig) {
  if (a.handler == reinterpret_cast<uint64_t>(SIG_IGN)) return true;
  if (a.handler == reinterpret_cast<uint64_t>(SIG_DFL)) {
    auto d = DefaultActionOf(sig);
    return d == DefaultAction::kIgnore || d == DefaultAction::kContinue;
  }
  return false;
}

constexpr uint64_t kStopMask = (1ull << (SIGSTOP - 1)) | (1ull << (SIGTSTP - 1)) | (1ull << (SIGTTIN - 1)) |
                               (1ull << (SIGTTOU - 1));

}  // namespace

bool IsStopDefault(int sig) { return DefaultActionOf(sig) == DefaultAction::kStop; }
bool IsCoreDefault(int sig) { return DefaultActionOf(sig) == DefaultAction::kCore; }
bool IsIgnoredDefault(int sig) {
  auto d = DefaultActionOf(sig);
  return d == DefaultAction::kIgnore || d == DefaultAction::kContinue;
}

// Common part of sending to a group or a task: stop/continue side effects,
// init's protection and ignored signals. Returns false when the signal is
// dropped.
static bool PrepareSignalLocked(Kernel* k, ThreadGroup* tg, const siginfo_t& info, bool from_host,
                                uint64_t target_mask) {
  int sig = info.si_signo;
  const SigAction& a = tg->handlers->actions[sig];
  // Blocked signals are never dropped: the handler may change before they
  // are unblocked (Linux's sig_ignored).
  bool blocked = (target_mask & SigBit(sig)) != 0;
  // The PID namespace's init gets only signals it handles; the host (its
  // ancestor namespace) may also force SIGKILL and SIGSTOP.
  if (tg == k->init() && !blocked && a.handler == reinterpret_cast<uint64_t>(SIG_DFL) &&
      !(from_host && (sig == SIGKILL || sig == SIGSTOP))) {
    return false;
  }
  if (sig == SIGCONT) {
    tg->pending.Remove(kStopMask);
    for (Task* t : tg->tasks) t->pending.Remove(kStopMask);
    if (tg->stopped) {
      tg->stopped = false;
      tg->stop_to_report = false;
      tg->cont_to_report = true;
      for (Task* t : tg->tasks) t->Kick();
      k->state_cv.notify_all();
      if (tg->parent) {
        siginfo_t ci{};
        ci.si_signo = SIGCHLD;
        ci.si_code = CLD_CONTINUED;
        ci.si_pid = tg->tgid;
        ci.si_status = SIGCONT;
        const SigAction& pa = tg->parent->handlers->actions[SIGCHLD];
        if (!(pa.flags & SA_NOCLDSTOP)) k->SendToGroupLocked(tg->parent, ci);
        tg->parent->child_waitq.NotifyAll();
      }
    }
  } else if (kStopMask & SigBit(sig)) {
    tg->pending.Remove(SigBit(SIGCONT));
    for (Task* t : tg->tasks) t->pending.Remove(SigBit(SIGCONT));
  }
  if (sig != SIGKILL && IgnoredByAction(a, sig) && !blocked) return false;
  return true;
}

int Kernel::SendToGroupLocked(ThreadGroup* tg, const siginfo_t& info, bool from_host) {
  int sig = info.si_signo;
  if (sig < 0 || sig > kMaxSignal) return -EINVAL;
  if (sig == 0 || tg->zombie || tg->exiting) return 0;
  uint64_t all_block = ~0ull;
  for (Task* t : tg->tasks) all_block &= t->sigmask | t->sigwait_set;
  if (!PrepareSignalLocked(this, tg, info, from_host, all_block)) return 0;
  if (sig == SIGKILL) {
    BeginGroupExitLocked(tg, SignalStatus(SIGKILL, false));
    return 0;
  }
  tg->pending.Add(info);
  tg->signal_waitq.NotifyAll();
  // Wake one task that can take it (Linux's complete_signal), else all.
  for (Task* t : tg->tasks) {
    if (!(t->sigmask & SigBit(sig)) || (t->sigwait_set & SigBit(sig))) {
      t->Kick();
      return 0;
    }
  }
  return 0;
}

int Kernel::SendToTaskLocked(Task* t, const siginfo_t& info, bool from_host) {
  int sig = info.si_signo;
  if (sig < 0 || sig > kMaxSignal) return -EINVAL;
  ThreadGroup* tg = t->tg;
  if (sig == 0 || tg->zombie || tg->exiting) return 0;
  if (!PrepareSignalLocked(this, tg, info, from_host, t->sigmask | t->sigwait_set)) return 0;
  if (sig == SIGKILL) {
    BeginGroupExitLocked(tg, SignalStatus(SIGKILL, false));
    return 0;
  }
  t->pending.Add(info);
  tg->signal_waitq.NotifyAll();
  t->Kick();
  return 0;
}

void Kernel::ForceSignalLocked(Task* t, const siginfo_t& info) {
  int sig = info.si_signo;
  SigAction& a = t->tg->handlers->actions[sig];
  bool blocked = t->sigmask & SigBit(sig);
  if (blocked || a.handler == reinterpret_cast<uint64_t>(SIG_IGN)) {
    a.handler = reinterpret_cast<uint64_t>(SIG_DFL);
    t->sigmask &= ~SigBit(sig);
  }
  // Forced signals reach init too (a faulting init dies, as on Linux).
  t->pending.Add(info);
}

void Kernel::BeginGroupExitLocked(ThreadGroup* tg, int wait_status) {
  if (tg->exiting || tg->zombie) return;
  tg->exiting = true;
  tg->exit_status = wait_status;
  tg->stopped = false;
  for (Task* t : tg->tasks) {
    t->exit_requested = true;
    t->Kick();
  }
  state_cv.notify_all();
}

void Kernel::NotifyParentLocked(ThreadGroup* tg, int why, int status) {
  ThreadGroup* p = tg->parent;
  if (!p) return;
  if (tg->exit_signal > 0) {
    siginfo_t ci{};
    ci.si_signo = tg->exit_signal;
    ci.si_code = why;
    ci.si_pid = tg->tgid;
    ci.si_uid = tg->creds.ruid;
    ci.si_status = status;
    SendToGroupLocked(p, ci);
  }
  p->child_waitq.NotifyAll();
}

void Kernel::ReparentChildrenLocked(ThreadGroup* tg) {
  if (tg->children.empty()) return;
  // To the nearest subreaper ancestor, else to init.
  ThreadGroup* heir = init_;
  for (ThreadGroup* a = tg->parent; a; a = a->parent) {
    if (a->subreaper && !a->exiting && !a->zombie) {
      heir = a;
      break;
    }
  }
  if (heir == tg || (heir && (heir->zombie))) heir = nullptr;
  for (ThreadGroup* c : tg->children) {
    c->parent = heir;
    // PR_SET_PDEATHSIG: the child asked to hear of its parent's death.
    for (Task* ct : c->tasks) {
      if (ct->pdeathsig > 0) {
        siginfo_t si{};
        si.si_signo = ct->pdeathsig;
        si.si_code = SI_USER;
        SendToTaskLocked(ct, si);
      }
    }
    if (heir) {
      heir->children.insert(c);
      if (c->zombie) NotifyParentLocked(c, CLD_EXITED, 0);
    }
  }
  tg->children.clear();
}

void Kernel::TaskExitedLocked(Task* t) {
  ThreadGroup* tg = t->tg;
  std::erase(tg->tasks, t);
  live_--;
  if (tg->exec_task && tg->exec_task != t) tg->exec_task->Notify();
  if (t != tg->leader) tasks_.erase(t->tid);
  if (tg->tasks.empty()) {
    tg->zombie = true;
    if (!tg->exiting) {
      tg->exiting = true;
      tg->exit_status = t->thread_exit_status;
    }
    // A session leader's terminal hangs up.
    if (tg->sid == tg->tgid) DropCttyLocked(tg->sid, {SIGHUP});
    // Orphans first, so that a reaped init does not inherit them.
    ReparentChildrenLocked(tg);
    if (tg == init_) {
      // Linux kills the whole PID namespace when its init goes.
      for (auto& [id, g] : groups_) {
        if (g.get() != tg && !g->zombie) BeginGroupExitLocked(g.get(), SignalStatus(SIGKILL, false));
      }
    } else if (tg->parent) {
      const SigAction& pa = tg->parent->handlers->actions[SIGCHLD];
      bool autoreap = tg->exit_signal == SIGCHLD &&
                      (pa.handler == reinterpret_cast<uint64_t>(SIG_IGN) || (pa.flags & SA_NOCLDWAIT));
      int why = WIFSIGNALED(tg->exit_status) ? ((tg->exit_status & 0x80) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
      int st = WIFSIGNALED(tg->exit_status) ? WTERMSIG(tg->exit_status) : WEXITSTATUS(tg->exit_status);
      NotifyParentLocked(tg, why, st);
      if (autoreap) ReapLocked(tg);
    } else {
      if (cfg_.on_process_exit) cfg_.on_process_exit(tg->tgid, tg->exit_status);
      ReapLocked(tg);
    }
  }
  state_cv.notify_all();
  if (init_ && init_->zombie && live_ == 0 && !exit_reported_) {
    exit_reported_ = true;
    if (cfg_.on_exit) cfg_.on_exit(init_->exit_status);
  }
  exited_cv_.notify_all();
}

bool Kernel::SendToPgrpLocked(int pgid, const siginfo_t& info, bool from_host) {
  bool found = false;
  for (auto& [id, g] : groups_) {
    if (g->pgid == pgid && !g->zombie) {
      SendToGroupLocked(g.get(), info, from_host);
      found = true;
    }
  }
  return found;
}

std::shared_ptr<vfs::TtyState> Kernel::CttyLocked(int sid) {
  auto it = ctty_.find(sid);
  return it == ctty_.end() ? nullptr : it->second;
}

void Kernel::SetCttyLocked(ThreadGroup* leader, std::shared_ptr<vfs::TtyState> tty) {
  tty->sid = leader->sid;
  tty->fg_pgid = leader->pgid;
  ctty_[leader->sid] = std::move(tty);
}

void Kernel::DropCttyLocked(int sid, std::initializer_list<int> signals) {
  auto it = ctty_.find(sid);
  if (it == ctty_.end()) return;
  std::shared_ptr<vfs::TtyState> tty = std::move(it->second);
  ctty_.erase(it);
  for (int sig : signals) {
    if (tty->fg_pgid <= 0) break;
    siginfo_t si{};
    si.si_signo = sig;
    si.si_code = SI_KERNEL;
    SendToPgrpLocked(tty->fg_pgid, si);
  }
  tty->sid = 0;
  tty->fg_pgid = 0;
}

void Kernel::ReapLocked(ThreadGroup* tg) {
  if (tg == init_) return;  // the container's exit status stays readable
  if (tg->parent) tg->parent->children.erase(tg);
  if (tg->leader) tasks_.erase(tg->leader->tid);
  groups_.erase(tg->tgid);
}

}  // namespace stockade::sentry::kernel
