#include "runtime/forwarding.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace stockade::runtime {
namespace {

sigset_t ForwardedSet() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void BlockForwardedSignals() {
  sigset_t set = ForwardedSet();
  sigprocmask(SIG_BLOCK, &set, nullptr);
}

SignalForwarder::SignalForwarder(std::function<void(int)> deliver) {
  thread_ = std::thread([this, deliver = std::move(deliver)] {
    sigset_t set = ForwardedSet();
    // The timeout is only a safety net; the destructor wakes us with SIGWINCH.
    struct timespec tick = {0, 500 * 1000 * 1000};
    while (!done_.load()) {
      siginfo_t info;
      int sig = sigtimedwait(&set, &info, &tick);
      // SIGWINCH: the terminal copier sizes the terminal once; here it only wakes us.
      if (sig <= 0 || sig == SIGWINCH) continue;
      deliver(sig);
    }
  });
}

SignalForwarder::~SignalForwarder() {
  done_ = true;
  kill(getpid(), SIGWINCH);  // wakes sigwaitinfo; blocked in every thread, so it waits for us
  thread_.join();
}

void DetachHelper(const char* name) {
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
  }
  syscall(SYS_close_range, 3, ~0U, 0);
  prctl(PR_SET_NAME, name);
}

}  // namespace stockade::runtime
