// Terminal signals for the Sentry's ptys.
//
// The host line discipline of a pty turns the INTR, QUIT and SUSP characters
// (^C, ^\, ^Z) into SIGINT, SIGQUIT and SIGTSTP, and a window-size change
// into SIGWINCH, for the foreground process group of the *host* session
// whose controlling terminal the pty is; a hang-up (the master closed) sends
// SIGHUP to that session's leader. The application's sessions and process
// groups are the Sentry's, not the host's, so by themselves those signals
// reach nobody. For each pty a holder, a tiny host process, leads a host
// session with the pty as its controlling terminal, receives those signals
// and reports each over a pipe; the relay's thread hands them to the kernel
// (the sink), which delivers them inside the sandbox as Linux would.
//
// The holder shares the Sentry's memory (CLONE_VM: no copy of the Sentry's
// address space), runs on its own small stack, makes only raw system calls
// (setsid, ioctl TIOCSCTTY, close_range, close, signalfd4, poll, read, write,
// exit), keeps no FD but its report pipe, and exits when the Sentry goes
// (the pipe's reader closes), when its terminal hangs up, or when the
// terminal's TtyState is destroyed (TtyHolder kills it).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::sentry::vfs {

struct TtyState;

// Keeps one terminal's holder alive; destroying it kills the holder.
class TtyHolder {
 public:
  explicit TtyHolder(std::shared_ptr<UniqueFd> pidfd) : pidfd_(std::move(pidfd)) {}
  ~TtyHolder();
  TtyHolder(const TtyHolder&) = delete;
  TtyHolder& operator=(const TtyHolder&) = delete;

 private:
  std::shared_ptr<UniqueFd> pidfd_;  // shared with the relay, which reaps it
};

class TtySignalRelay {
 public:
  // Called on the relay's thread, with no relay lock held, for each signal
  // the host raised for a terminal that still exists.
  using Sink = std::function<void(const std::shared_ptr<TtyState>& tty, int sig)>;

  TtySignalRelay() = default;
  ~TtySignalRelay();  // kills and reaps every holder still running
  TtySignalRelay(const TtySignalRelay&) = delete;
  TtySignalRelay& operator=(const TtySignalRelay&) = delete;

  // Once this returns, the old sink is no longer running nor will be called.
  void SetSink(Sink sink);

  // Starts a holder for the pty whose replica `replica` is (a host FD opened
  // read-write; the caller may close it when this returns). Returns once the
  // holder has the pty as its controlling terminal.
  Result<std::unique_ptr<TtyHolder>> Start(int replica, std::weak_ptr<TtyState> tty);

 private:
  struct Holder {
    UniqueFd report;  // the read end of the holder's pipe
    std::shared_ptr<UniqueFd> pidfd;
    void* stack = nullptr;
    std::weak_ptr<TtyState> tty;
  };

  Status EnsureThreadLocked();
  void Loop();
  // Reaps the holder reporting on `fd` (it has exited) and forgets it.
  void Retire(int fd);
  // Waits for a holder that has exited or been killed; its wait status.
  static int Reap(Holder& h);

  std::mutex sink_mu_;  // held while the sink runs
  Sink sink_;
  std::mutex mu_;
  UniqueFd epoll_;
  UniqueFd stop_;  // an eventfd that ends Loop
  std::thread thread_;
  std::unordered_map<int, Holder> holders_;  // by report FD
};

}  // namespace stockade::sentry::vfs
