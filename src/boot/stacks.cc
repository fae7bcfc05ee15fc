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

#include "base/io.h"

namespace stockade::boot {
namespace {

constexpr int kMaxFrames = 64;
std::mutex g_dump_mu;
void* g_frames[kMaxFrames];
std::atomic<int> g_nframes{-1};
int g_task_dir = -1;

int StackSignal() { return SIGRTMIN + 3; }

void Handler(int) {
  int saved = errno;
  g_nframes.store(backtrace(g_frames, kMaxFrames));
  errno = saved;
}

}  // namespace

void InstallStackDumper(int task_dir) {
  g_task_dir = task_dir;
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
  int dirfd = g_task_dir >= 0 ? fcntl(g_task_dir, F_DUPFD_CLOEXEC, 0)
                              : open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = dirfd >= 0 ? fdopendir(dirfd) : nullptr;
  if (d == nullptr) return "cannot list threads\n";
  rewinddir(d);
  std::vector<pid_t> tids;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') tids.push_back(atoi(e->d_name));
  }
  pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  for (pid_t tid : tids) {
    std::string name = "?";
    int cfd = openat(dirfd, (std::to_string(tid) + "/comm").c_str(), O_RDONLY | O_CLOEXEC);
    if (cfd >= 0) {
      auto comm = ReadAll(cfd, 256);
      if (comm.ok()) name = *comm;
      close(cfd);
    }
    if (!name.empty() && name.back() == '\n') name.pop_back();
    out += "thread " + std::to_string(tid) + " (" + name + "):\n";
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
  closedir(d);
  return out;
}

}  // namespace stockade::boot
