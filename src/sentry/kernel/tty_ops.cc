#include "sentry/kernel/tty_ops.h"

#include <linux/capability.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "abi/linux/errno.h"
#include "abi/linux/termios.h"

namespace stockade::sentry::kernel {
namespace {

bool SignalIgnoredOrBlocked(Task& t, int sig) {
  return (t.sigmask & SigBit(sig)) || t.tg->handlers->actions[sig].handler == reinterpret_cast<uint64_t>(SIG_IGN);
}

// A process group is orphaned when no member has a parent in another group
// of the same session (such a parent is the shell that could continue it).
bool PgrpOrphanedLocked(Kernel& k, int pgid, int sid) {
  for (ThreadGroup* g : k.GroupsLocked()) {
    if (g->zombie || g->pgid != pgid) continue;
    ThreadGroup* p = g->parent;
    if (p && p->pgid != pgid && p->sid == sid) return false;
  }
  return true;
}

// tty_check_change: may the caller change (or, with `sig` SIGTTIN, read) its
// terminal? 0, -ERESTARTSYS after signalling its group, or -EIO.
int64_t CheckBackgroundLocked(Task& t, const vfs::TtyState& tty, int sig) {
  Kernel& k = *t.kernel;
  if (k.CttyLocked(t.tg->sid).get() != &tty) return 0;  // not our terminal
  if (tty.fg_pgid == 0 || tty.fg_pgid == t.tg->pgid) return 0;
  if (SignalIgnoredOrBlocked(t, sig)) {
    // A background write-like change that ignores SIGTTOU goes ahead; a read
    // that cannot be stopped fails.
    if (sig == SIGTTOU) return 0;
    return -EIO;
  }
  if (PgrpOrphanedLocked(k, t.tg->pgid, t.tg->sid)) return -EIO;
  siginfo_t si{};
  si.si_signo = sig;
  si.si_code = SI_KERNEL;
  k.SendToPgrpLocked(t.tg->pgid, si);
  return -abi::kERESTARTSYS;
}

}  // namespace

std::optional<int64_t> TtyJobControlIoctl(Task& t, vfs::TerminalFile& f, uint64_t cmd, uint64_t arg) {
  Kernel& k = *t.kernel;
  vfs::TtyState& tty = *f.tty();
  switch (cmd) {
    case TIOCSCTTY: {
      std::lock_guard<std::mutex> l(k.mu);
      ThreadGroup* g = t.tg;
      auto cur = k.CttyLocked(g->sid);
      if (g->sid == g->tgid && cur.get() == &tty) return 0;  // already ours
      if (g->sid != g->tgid || cur) return -EPERM;
      if (!f.readable() && !t.creds().HasCap(CAP_SYS_ADMIN)) return -EPERM;
      if (tty.sid) {
        // Another session's terminal: only stolen by force (arg 1) with CAP_SYS_ADMIN.
        if (arg != 1 || !t.creds().HasCap(CAP_SYS_ADMIN)) return -EPERM;
        k.DropCttyLocked(tty.sid);
      }
      k.SetCttyLocked(g, f.tty());
      return 0;
    }
    case TIOCNOTTY: {
      std::lock_guard<std::mutex> l(k.mu);
      if (k.CttyLocked(t.tg->sid).get() != &tty) return -ENOTTY;
      // Only the session leader gives the terminal up for the whole session
      // (SIGHUP and SIGCONT to the foreground); a member keeps sharing it.
      if (t.tg->sid == t.tg->tgid) k.DropCttyLocked(t.tg->sid, {SIGHUP, SIGCONT});
      return 0;
    }
    case TIOCGPGRP: {
      int pgid;
      {
        std::lock_guard<std::mutex> l(k.mu);
        if (k.CttyLocked(t.tg->sid).get() != &tty) return -ENOTTY;
        pgid = tty.fg_pgid;
      }
      if (!t.memory().CopyOut(arg, &pgid, sizeof pgid).ok()) return -EFAULT;
      return 0;
    }
    case TIOCSPGRP: {
      int pgid;
      if (!t.memory().CopyIn(arg, &pgid, sizeof pgid).ok()) return -EFAULT;
      std::lock_guard<std::mutex> l(k.mu);
      int64_t r = CheckBackgroundLocked(t, tty, SIGTTOU);
      if (r == -EIO) return -ENOTTY;
      if (r) return r;
      if (k.CttyLocked(t.tg->sid).get() != &tty || tty.sid != t.tg->sid) return -ENOTTY;
      if (pgid < 0) return -EINVAL;
      bool exists = false, same_session = false;
      for (ThreadGroup* g : k.GroupsLocked()) {
        if (g->zombie || g->pgid != pgid) continue;
        exists = true;
        if (g->sid == t.tg->sid) same_session = true;
      }
      if (!exists) return -ESRCH;
      if (!same_session) return -EPERM;
      tty.fg_pgid = pgid;
      return 0;
    }
    case TIOCGSID: {
      int sid;
      {
        std::lock_guard<std::mutex> l(k.mu);
        if (k.CttyLocked(t.tg->sid).get() != &tty || tty.sid == 0) return -ENOTTY;
        sid = tty.sid;
      }
      if (!t.memory().CopyOut(arg, &sid, sizeof sid).ok()) return -EFAULT;
      return 0;
    }
    default:
      return std::nullopt;
  }
}

int64_t TtyCheckRead(Task& t, vfs::File& f) {
  auto* term = dynamic_cast<vfs::TerminalFile*>(&f);
  if (!term) return 0;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  return CheckBackgroundLocked(t, *term->tty(), SIGTTIN);
}

int64_t TtyCheckWrite(Task& t, vfs::File& f) {
  auto* term = dynamic_cast<vfs::TerminalFile*>(&f);
  if (!term) return 0;
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    const vfs::TtyState& tty = *term->tty();
    if (t.kernel->CttyLocked(t.tg->sid).get() != &tty || tty.fg_pgid == 0 || tty.fg_pgid == t.tg->pgid) return 0;
  }
  // A background writer: TOSTOP decides (the host line discipline holds the termios).
  abi::KernelTermios tio;
  if (ioctl(term->host_fd(), TCGETS, &tio) != 0 || !(tio.c_lflag & TOSTOP)) return 0;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  return CheckBackgroundLocked(t, *term->tty(), SIGTTOU);
}

void DeliverTerminalSignal(Kernel& k, vfs::TtyState& tty, int sig) {
  std::lock_guard<std::mutex> l(k.mu);
  if (tty.sid == 0) return;  // nobody's terminal: Linux has no one to signal either
  siginfo_t si{};
  si.si_code = SI_KERNEL;
  if (sig != SIGHUP) {
    si.si_signo = sig;
    if (tty.fg_pgid > 0) k.SendToPgrpLocked(tty.fg_pgid, si);
    return;
  }
  ThreadGroup* leader = k.GroupByTgidLocked(tty.sid);
  int sid = tty.sid;
  k.DropCttyLocked(sid);
  if (!leader || leader->zombie) return;
  for (int s : {SIGHUP, SIGCONT}) {
    si.si_signo = s;
    k.SendToGroupLocked(leader, si);
  }
}

Result<std::shared_ptr<vfs::File>> OpenControllingTty(Task& t, int flags) {
  std::shared_ptr<vfs::TtyState> tty;
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    tty = t.kernel->CttyLocked(t.tg->sid);
  }
  auto fs = tty ? tty->fs.lock() : nullptr;
  if (!fs) return Error(ENXIO, "");
  return fs->OpenReplica(tty->index, flags);
}

}  // namespace stockade::sentry::kernel
