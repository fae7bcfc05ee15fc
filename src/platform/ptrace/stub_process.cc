#include "platform/ptrace/stub_process.h"

#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/ptrace/stub_layout.h"

namespace stockade::platform::ptrace {
namespace {

std::atomic<uint64_t> next_as_id{1};

}  // namespace

Factory::~Factory() {
  if (s0_ > 0) {
    tracer_.Run<int>([&] {
      kill(s0_, SIGKILL);
      int st;
      while (waitpid(s0_, &st, __WALL) < 0 && errno == EINTR) {
      }
      return 0;
    });
  }
  tracer_.StopAndJoin();
}

Status Factory::Start(int memfd, int sysmsg_fd, bool systrap_handlers) {
  std::promise<Status> started;
  auto fut = started.get_future();
  TRY(tracer_.Start([this, memfd, sysmsg_fd, systrap_handlers, &started] {
    Status st = ForkS0(memfd, sysmsg_fd);
    if (st.ok() && systrap_handlers) st = InstallSystrapHandlers();
    started.set_value(st);
    tracer_.Serve();
  }));
  return fut.get();
}

Result<pid_t> Factory::NewStub() {
  return tracer_.Run<Result<pid_t>>([this]() -> Result<pid_t> {
    ASSIGN_OR_RETURN(int64_t pid, InjectSyscall(s0_, InjectAt::kClone, SYS_clone, CLONE_PARENT, 0, 0, 0, 0));
    if (pid < 0) return Error(static_cast<int>(-pid), "cloning a stub process");
    return static_cast<pid_t>(pid);
  });
}

Status Factory::ForkS0(int memfd, int sysmsg_fd) {
  pid_t pid = static_cast<pid_t>(syscall(SYS_clone, SIGCHLD, 0, nullptr, nullptr, 0));
  if (pid < 0) return Error::FromErrno("forking the stub factory");
  if (pid == 0) {
    // Child: raw system calls only (the parent is multi-threaded).
    syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // The Sentry may be non-dumpable; its stubs must stay traceable by it.
    syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
    // glibc registered this thread's rseq area, which the stub is about to
    // unmap: the kernel would fault writing it on the next preemption.
    if (__rseq_size > 0) {
      void* area = static_cast<char*>(__builtin_thread_pointer()) + __rseq_offset;
      constexpr unsigned kRseqSig = 0x53053053;
      if (syscall(SYS_rseq, area, __rseq_size, 1 /* RSEQ_FLAG_UNREGISTER */, kRseqSig) != 0) {
        syscall(SYS_rseq, area, 32, 1, kRseqSig);
      }
    }
    __asm__ volatile("mov %0, %%r12\n\tmov %1, %%r13\n\tjmp stockade_stub_s0_setup"
                     :
                     : "r"(static_cast<uint64_t>(memfd)), "r"(static_cast<int64_t>(sysmsg_fd))
                     : "r12", "r13", "memory");
    __builtin_unreachable();
  }
  s0_ = pid;
  // The stub stops itself (SIGSTOP) once it has shed the Sentry's image.
  ASSIGN_OR_RETURN(int status, WaitStop(pid));
  if (WSTOPSIG(status) != SIGSTOP) {
    return Error(EIO, "stub factory stopped unexpectedly (signal " + std::to_string(WSTOPSIG(status)) + ")");
  }
  if (::ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(kOwnerOptions))) != 0) {
    return Error::FromErrno("setting ptrace options on the stub factory");
  }
  return Ok();
}

Status Factory::InstallSystrapHandlers() {
  // The kernel's struct sigaction for each signal sits in the stub code
  // (stockade_stub_systrap_sigaction): the handler, SA_SIGINFO | SA_ONSTACK |
  // SA_RESTORER, the stub's restorer, and every signal blocked.
  for (int sig : {SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, kInterruptSignal}) {
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(s0_, InjectAt::kPlain, SYS_rt_sigaction, static_cast<uint64_t>(sig),
                                              StubAddr(stockade_stub_systrap_sigaction), 0, 8));
    if (r < 0) return Error(static_cast<int>(-r), "installing a systrap signal handler");
  }
  return Ok();
}

StubAddressSpace::~StubAddressSpace() {
  proc_->dead = true;
  pid_t pid = proc_->pid;
  if (!control_) return;
  if (pid > 0) {
    control_->Run<int>([pid] {
      kill(pid, SIGKILL);
      return 0;
    });
  }
  // Reaping waits for every context to release its thread of this
  // process; that happens on their own schedule, so a detached reaper does it.
  auto* control = control_.release();
  auto reap = [control, pid, proc = proc_] {
    delete control;  // joins the control thread
    int st;
    while (pid > 0 && (waitpid(pid, &st, __WALL) >= 0 || errno == EINTR)) {
    }
    std::vector<std::function<void()>> fns;
    {
      std::lock_guard<std::mutex> l(proc->mu);
      fns.swap(proc->after_reaped);
    }
    for (auto& fn : fns) fn();
  };
  try {
    NamedThread("ptrace-reaper", reap).detach();
  } catch (const std::system_error&) {
    // No thread to spare: stop the control thread now and leave the zombie
    // to be reaped with the sandbox.
    delete control;
  }
}

Status StubAddressSpace::Init(Factory& f) {
  ASSIGN_OR_RETURN(proc_->pid, f.NewStub());
  proc_->id = next_as_id++;
  pid_t pid = proc_->pid;
  std::promise<Status> ready;
  auto fut = ready.get_future();
  control_ = std::make_unique<TracerThread>();
  TracerThread* ctl = control_.get();
  Status started = control_->Start([ctl, pid, &ready] {
    ready.set_value(SeizeAndStop(pid, kOwnerOptions));
    ctl->Serve();
  });
  if (!started.ok()) {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
    }
    proc_->pid = 0;
    return started;
  }
  Status st = fut.get();
  if (!st.ok()) kill(pid, SIGKILL);
  return st;
}

Status StubAddressSpace::MapFile(uint64_t addr, uint64_t off, uint64_t len, int prot) {
  if (off > kMaxMemoryFileSize || len > kMaxMemoryFileSize - off) return Error(EINVAL, "beyond the memory file");
  return Inject([=](pid_t pid) -> Status {
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(pid, InjectAt::kPlain, SYS_mremap, kMirrorBase + off, 0, len,
                                              MREMAP_MAYMOVE | MREMAP_FIXED, addr));
    if (r < 0) return Error(static_cast<int>(-r), "mapping memory into the stub");
    if (prot != PROT_NONE) {
      ASSIGN_OR_RETURN(r, InjectSyscall(pid, InjectAt::kPlain, SYS_mprotect, addr, len, static_cast<uint64_t>(prot)));
      if (r < 0) return Error(static_cast<int>(-r), "protecting stub memory");
    }
    return Ok();
  });
}

Status StubAddressSpace::Unmap(uint64_t addr, uint64_t len) {
  return Inject([=](pid_t pid) -> Status {
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(pid, InjectAt::kPlain, SYS_munmap, addr, len));
    if (r < 0) return Error(static_cast<int>(-r), "unmapping stub memory");
    return Ok();
  });
}

Status StubAddressSpace::Protect(uint64_t addr, uint64_t len, int prot) {
  return Inject([=](pid_t pid) -> Status {
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(pid, InjectAt::kPlain, SYS_mprotect, addr, len, static_cast<uint64_t>(prot)));
    if (r < 0) return Error(static_cast<int>(-r), "protecting stub memory");
    return Ok();
  });
}

Result<pid_t> StubAddressSpace::NewThread(uint64_t systrap_stack) {
  if (proc_->dead) return Error(ESRCH, "address space is gone");
  return control_->Run<Result<pid_t>>([this, systrap_stack]() -> Result<pid_t> {
    constexpr uint64_t kFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    InjectAt at = systrap_stack ? InjectAt::kCloneSystrap : InjectAt::kClone;
    ASSIGN_OR_RETURN(int64_t tid, InjectSyscall(proc_->pid, at, SYS_clone, kFlags, systrap_stack, 0, 0, 0));
    if (tid < 0) return Error(static_cast<int>(-tid), "cloning a stub thread");
    return static_cast<pid_t>(tid);
  });
}

Result<std::unique_ptr<AddressSpace>> StubPlatform::NewAddressSpace() {
  auto as = std::make_unique<StubAddressSpace>();
  TRY(as->Init(factory_));
  return std::unique_ptr<AddressSpace>(std::move(as));
}

Status StubAddressSpace::Inject(std::function<Status(pid_t)> fn) {
  if (proc_->dead) return Error(ESRCH, "address space is gone");
  pid_t pid = proc_->pid;
  return control_->Run<Status>([fn, pid] { return fn(pid); });
}

}  // namespace stockade::platform::ptrace
