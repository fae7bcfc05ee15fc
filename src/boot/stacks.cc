#include "boot/stacks.h"

#include <dirent.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "base/threads.h"

namespace stockade::boot {
namespace {

constexpr int kMaxFrames = 64;
std::mutex g_dump_mu;
void* g_frames[kMaxFrames];
std::atomic<int> g_nframes{-1};

int StackSignal() { return SIGRTMIN + 3; }

void Handler(int) {
  int saved = errno;
  g_nframes.store(backtrace(g_frames, kMaxFrames));
  errno = saved;
}

}  // namespace

void InstallStackDumper() {
  void* warm[2];
  backtrace(warm, 2);  // loads libgcc now, not inside the handler
  struct sigaction sa {};
  sa.sa_handler = Handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(StackSignal(), &sa, nullptr);
}

std::string DumpAllStacks() {
  std::lock_guard<std::mutex> l(g_dump_mu);
  std::string out;
  pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  for (const ThreadInfo& t : RegisteredThreads()) {
    const pid_t tid = t.tid;
    out += "thread " + std::to_string(tid) + " (" + t.name + "):\n";
    int n = 0;
    if (tid == self) {
      n = backtrace(g_frames, kMaxFrames);
    } else {
      g_nframes.store(-1);
      if (syscall(SYS_tgkill, getpid(), tid, StackSignal()) != 0) continue;
      for (int i = 0; i < 200 && g_nframes.load() < 0; ++i) usleep(1000);
      n = g_nframes.load();
      if (n < 0) {
        out += "  (no answer)\n";
        continue;
      }
    }
    char** syms = backtrace_symbols(g_frames, n);
    for (int i = 0; i < n; ++i) out += std::string("  ") + (syms ? syms[i] : "?") + "\n";
    free(syms);
  }
  return out;
}

}  // namespace stockade::boot
