// Job control on terminals: the controlling terminal of a session, its
// foreground process group, and the checks Linux makes when a background
// process touches its terminal (drivers/tty/tty_jobctrl.c). The terminal's
// bytes and termios are the host line discipline's (vfs::TerminalFile).
#pragma once

#include <memory>
#include <optional>

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

// TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP and TIOCGSID on `f`; nullopt for
// any other request. Returns the syscall result (or -errno).
std::optional<int64_t> TtyJobControlIoctl(Task& t, vfs::TerminalFile& f, uint64_t cmd, uint64_t arg);

// Before a read from a terminal: a background process of the terminal's
// session gets SIGTTIN (-ERESTARTSYS), or -EIO when it ignores or blocks the
// signal or its group is orphaned. 0 when the read may go ahead.
int64_t TtyCheckRead(Task& t, vfs::File& f);

// Before a write to a terminal with TOSTOP set: the same check with SIGTTOU
// (a writer that ignores or blocks it goes ahead).
int64_t TtyCheckWrite(Task& t, vfs::File& f);

// A signal the host line discipline raised for `tty` (vfs::TtySignalRelay).
// SIGINT, SIGQUIT, SIGTSTP and SIGWINCH go to the terminal's foreground
// process group; a hang-up (SIGHUP) sends SIGHUP and SIGCONT to the leader of
// the session, which loses its terminal (tty_signal_session_leader).
void DeliverTerminalSignal(Kernel& k, vfs::TtyState& tty, int sig);

// /dev/tty: a new open description of the caller's controlling terminal.
Result<std::shared_ptr<vfs::File>> OpenControllingTty(Task& t, int flags);

}  // namespace stockade::sentry::kernel
