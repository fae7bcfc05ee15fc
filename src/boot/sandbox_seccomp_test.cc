// The sandbox's allowlist, loaded in a child process: what the Sentry needs runs, and
// what a compromised Sentry would want next is killed (SIGSYS), arguments included.
#include "boot/sandbox_seccomp.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <thread>

namespace stockade::boot {
namespace {

// Runs `body` in a child under the allowlist; returns its wait status. The body's
// return value is the child's exit code.
int UnderAllowlist(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    if (!LoadSandboxAllowlist().ok()) _exit(101);
    _exit(body());
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

bool KilledBySigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

TEST(SandboxSeccompTest, WhatTheSentryDoesRuns) {
  int st = UnderAllowlist([] {
    std::thread t([] { (void)getpid(); });  // clone(CLONE_THREAD), set_robust_list, rseq
    t.join();
    void* p = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    munmap(p, 1 << 20);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0 || write(fds[1], "x", 1) != 1) return 3;
    char c;
    if (read(fds[0], &c, 1) != 1) return 4;
    // clone3 fails softly, so glibc falls back to clone(2).
    struct clone_args ca = {};
    if (syscall(SYS_clone3, &ca, sizeof ca) != -1 || errno != ENOSYS) return 5;
    return 0;
  });
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
}

TEST(SandboxSeccompTest, ForbiddenCallsKill) {
  struct Case {
    const char* what;
    std::function<int()> body;
  };
  const Case cases[] = {
      {"fork (clone without CLONE_THREAD)", [] { return fork() >= 0 ? 0 : 1; }},
      {"execve", [] {
         const char* argv[] = {"/bin/true", nullptr};
         execv(argv[0], const_cast<char* const*>(argv));
         return 0;
       }},
      {"an inet socket", [] { return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1; }},
      {"openat(O_CREAT)", [] { return open("/tmp/x", O_WRONLY | O_CREAT, 0600) >= 0 ? 0 : 1; }},
      {"an executable mapping", [] {
         return mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED ? 0 : 1;
       }},
      {"mprotect to executable", [] {
         void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
         return mprotect(p, 4096, PROT_READ | PROT_EXEC);
       }},
      {"PTRACE_ATTACH", [] { return static_cast<int>(ptrace(PTRACE_ATTACH, 1, nullptr, nullptr)); }},
      {"PTRACE_POKEDATA", [] { return static_cast<int>(ptrace(PTRACE_POKEDATA, 1, nullptr, nullptr)); }},
      {"TIOCSTI", [] {
         char c = 'x';
         return ioctl(0, TIOCSTI, &c);
       }},
      {"unshare", [] { return unshare(CLONE_NEWUSER); }},
      {"mount", [] { return static_cast<int>(syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr)); }},
      {"process_vm_writev", [] { return static_cast<int>(syscall(SYS_process_vm_writev, 1, nullptr, 0, nullptr, 0, 0)); }},
      {"setuid", [] { return static_cast<int>(syscall(SYS_setuid, 0)); }},
  };
  for (const auto& c : cases) {
    int st = UnderAllowlist(c.body);
    EXPECT_TRUE(KilledBySigsys(st)) << c.what << ": status " << st;
  }
}

}  // namespace
}  // namespace stockade::boot
