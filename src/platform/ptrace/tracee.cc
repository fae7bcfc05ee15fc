#include "platform/ptrace/tracee.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "platform/ptrace/stub_layout.h"

namespace stockade::platform::ptrace {

Result<int> WaitStop(pid_t tid) {
  while (true) {
    int status;
    pid_t r = waitpid(tid, &status, __WALL);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Error::FromErrno("waiting for stub thread " + std::to_string(tid));
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) return Error(ESRCH, "stub thread " + std::to_string(tid) + " died");
    if (WIFSTOPPED(status)) return status;
  }
}

Status SeizeAndStop(pid_t tid, unsigned options) {
  if (::ptrace(PTRACE_SEIZE, tid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(options))) != 0) {
    return Error::FromErrno("seizing stub thread " + std::to_string(tid));
  }
  if (::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
    return Error::FromErrno("stopping stub thread " + std::to_string(tid));
  }
  ASSIGN_OR_RETURN(int status, WaitStop(tid));
  (void)status;
  return Ok();
}

Result<int64_t> InjectSyscall(pid_t tid, InjectAt at, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                              uint64_t a3, uint64_t a4, uint64_t a5) {
  user_regs_struct saved, r;
  if (::ptrace(PTRACE_GETREGS, tid, nullptr, &saved) != 0) return Error::FromErrno("reading stub registers");
  r = saved;
  r.rip = StubAddr(at == InjectAt::kClone          ? stockade_stub_clone_inject
                   : at == InjectAt::kCloneSystrap ? stockade_stub_systrap_clone
                                                   : stockade_stub_inject);
  r.rax = nr;
  r.orig_rax = static_cast<uint64_t>(-1);  // never let the kernel restart what the stub was in
  r.rdi = a0;
  r.rsi = a1;
  r.rdx = a2;
  r.r10 = a3;
  r.r8 = a4;
  r.r9 = a5;
  if (::ptrace(PTRACE_SETREGS, tid, nullptr, &r) != 0) return Error::FromErrno("writing stub registers");
  int sig = 0;
  while (true) {
    if (::ptrace(PTRACE_CONT, tid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(sig))) != 0) {
      return Error::FromErrno("resuming stub thread");
    }
    ASSIGN_OR_RETURN(int status, WaitStop(tid));
    if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0) break;
    // Anything else (an interrupt meant for later, a group stop) is not
    // ours to deliver: suppress it and let the syscall finish.
    sig = 0;
  }
  if (::ptrace(PTRACE_GETREGS, tid, nullptr, &r) != 0) return Error::FromErrno("reading stub result");
  saved.orig_rax = static_cast<uint64_t>(-1);
  if (::ptrace(PTRACE_SETREGS, tid, nullptr, &saved) != 0) return Error::FromErrno("restoring stub registers");
  return static_cast<int64_t>(r.rax);
}

void ReleaseThread(pid_t tid, bool alive) {
  if (alive) {
    user_regs_struct r;
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &r) == 0) {
      r.rip = StubAddr(stockade_stub_inject);
      r.rax = SYS_exit;
      r.rdi = 0;
      r.orig_rax = static_cast<uint64_t>(-1);
      if (::ptrace(PTRACE_SETREGS, tid, nullptr, &r) == 0) ::ptrace(PTRACE_CONT, tid, nullptr, nullptr);
    }
  }
  // Reap the tracee: its exit reaches us as its tracer.
  while (true) {
    int status;
    pid_t r = waitpid(tid, &status, __WALL);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return;
    if (WIFEXITED(status) || WIFSIGNALED(status)) return;
    // Still stopped (the exit was refused): kill the request and keep waiting.
    ::ptrace(PTRACE_CONT, tid, nullptr, nullptr);
  }
}

}  // namespace stockade::platform::ptrace
