// What a CLI process does when it stands for a process in a sandbox: forward the signals it
// gets (attached `run` and `exec`, and the waiters whose PIDs go into pid files), and, for the
// waiters, detach from the caller.
#pragma once

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace stockade::runtime {

// Blocks the forwarded signals (INT, TERM, HUP, QUIT, USR1, USR2) in the calling thread, and
// SIGWINCH, which also wakes the forwarder. Call before starting threads, so that every thread
// inherits the mask and the signals wait for the forwarder.
void BlockForwardedSignals();

// Delivers each forwarded signal to `deliver` from a thread of its own, until destroyed.
class SignalForwarder {
 public:
  explicit SignalForwarder(std::function<void(int)> deliver);
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;
  ~SignalForwarder();

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// In a freshly forked helper: a new session, stdio on /dev/null, no other FDs, and `name` as
// its command name, so that it holds none of the caller's pipes open.
void DetachHelper(const char* name);

}  // namespace stockade::runtime
