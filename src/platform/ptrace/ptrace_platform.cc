// The ptrace platform's processes and threads:
//
// - The factory stub (S0) is forked from the Sentry once. It keeps only the
//   stub code and a PROT_NONE MAP_SHARED mirror of the whole memory file, and
//   closes every FD. A factory host thread (its tracer) serves requests to
//   clone S0 into a new stub process, one per address space; CLONE_PARENT
//   makes the Sentry, not S0, their parent.
// - Each address space has a control host thread tracing the stub's first
//   thread. MapFile/Unmap/Protect from any thread are queued to it and run as
//   injected system calls: mappings are made from the mirror with
//   mremap(old_size = 0), which duplicates shared pages without any FD.
// - Each Context (one per Sentry task thread) owns one more stub thread per
//   address space it runs in, created on first use and traced by the task's
//   own thread, which drives it with PTRACE_SYSEMU.
#include "platform/ptrace/ptrace_platform.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/rseq.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "base/threads.h"
#include "platform/ptrace/stub_layout.h"
#include "platform/ptrace/tracee.h"

namespace stockade::platform::ptrace {
namespace {

constexpr int kInterruptSignal = SIGCHLD;  // stubs have no children, so it means "kick"
constexpr unsigned kContextOptions = PTRACE_O_TRACESYSGOOD;
constexpr unsigned kOwnerOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;

// A host thread that owns one tracee and runs work for others on it.
class TracerThread {
 public:
  TracerThread() = default;
  ~TracerThread() { StopAndJoin(); }

  // Fails (EAGAIN) when no thread can be made, e.g. at the pids cgroup limit.
  Status Start(std::function<void()> body) {
    try {
      thread_ = NamedThread("ptrace-tracer", std::move(body));
    } catch (const std::system_error&) {
      return Error(EAGAIN, "no thread for a ptrace tracer");
    }
    return Ok();
  }

  // Runs fn on the tracer thread and waits for its result.
  template <typename R>
  R Run(std::function<R()> fn) {
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto fut = task->get_future();
    {
      std::lock_guard<std::mutex> l(mu_);
      q_.push_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return fut.get();
  }

  // The tracer thread's loop: serves queued work until stopped.
  void Serve() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
    }
  }

  void StopAndJoin() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
};

// State shared between an address space and the contexts that have threads
// in it, so a context can tell that the process is gone.
struct StubProcess {
  pid_t pid = 0;
  uint64_t id = 0;
  std::atomic<bool> dead{false};
};

std::atomic<uint64_t> next_as_id{1};

class Factory {
 public:
  ~Factory() {
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

  Status Start(int memfd) {
    std::promise<Status> started;
    auto fut = started.get_future();
    TRY(tracer_.Start([this, memfd, &started] {
      started.set_value(ForkS0(memfd));
      tracer_.Serve();
    }));
    return fut.get();
  }

  // A new stub process, running idle and not traced by anyone yet.
  Result<pid_t> NewStub() {
    return tracer_.Run<Result<pid_t>>([this]() -> Result<pid_t> {
      ASSIGN_OR_RETURN(int64_t pid, InjectSyscall(s0_, true, SYS_clone, CLONE_PARENT, 0, 0, 0, 0));
      if (pid < 0) return Error(static_cast<int>(-pid), "cloning a stub process");
      return static_cast<pid_t>(pid);
    });
  }

 private:
  // Runs on the tracer thread: PTRACE_TRACEME makes the forking thread the
  // tracer.
  Status ForkS0(int memfd) {
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
      __asm__ volatile("mov %0, %%r12\n\tjmp stockade_stub_s0_setup" : : "r"(static_cast<uint64_t>(memfd)) : "r12", "memory");
      __builtin_unreachable();
    }
    s0_ = pid;
    // The stub stops itself (SIGSTOP) once it has shed the Sentry's image.
    ASSIGN_OR_RETURN(int status, WaitStop(pid));
    if (WSTOPSIG(status) != SIGSTOP) return Error(EIO, "stub factory stopped unexpectedly (signal " + std::to_string(WSTOPSIG(status)) + ")");
    if (::ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(kOwnerOptions))) != 0) {
      return Error::FromErrno("setting ptrace options on the stub factory");
    }
    return Ok();
  }

  TracerThread tracer_;
  pid_t s0_ = -1;
};

class PtraceAddressSpace : public AddressSpace {
 public:
  PtraceAddressSpace() : proc_(std::make_shared<StubProcess>()) {}
  ~PtraceAddressSpace() override {
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
    auto reap = [control, pid] {
      delete control;  // joins the control thread
      int st;
      while (pid > 0 && (waitpid(pid, &st, __WALL) >= 0 || errno == EINTR)) {
      }
    };
    try {
      NamedThread("ptrace-reaper", reap).detach();
    } catch (const std::system_error&) {
      // No thread to spare: stop the control thread now and leave the zombie
      // to be reaped with the sandbox.
      delete control;
    }
  }

  Status Init(Factory& f) {
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

  Status MapFile(uint64_t addr, uint64_t off, uint64_t len, int prot) override {
    if (off > kMaxMemoryFileSize || len > kMaxMemoryFileSize - off) return Error(EINVAL, "beyond the memory file");
    return Inject([=](pid_t pid) -> Status {
      ASSIGN_OR_RETURN(int64_t r, InjectSyscall(pid, false, SYS_mremap, kMirrorBase + off, 0, len,
                                                MREMAP_MAYMOVE | MREMAP_FIXED, addr));
      if (r < 0) return Error(static_cast<int>(-r), "mapping memory into the stub");
      if (prot != PROT_NONE) {
        ASSIGN_OR_RETURN(r, InjectSyscall(pid, false, SYS_mprotect, addr, len, static_cast<uint64_t>(prot)));
        if (r < 0) return Error(static_cast<int>(-r), "protecting stub memory");
      }
      return Ok();
    });
  }

  Status Unmap(uint64_t addr, uint64_t len) override {
    return Inject([=](pid_t pid) -> Status {
      ASSIGN_OR_RETURN(int64_t r, InjectSyscall(pid, false, SYS_munmap, addr, len));
      if (r < 0) return Error(static_cast<int>(-r), "unmapping stub memory");
      return Ok();
    });
  }

  Status Protect(uint64_t addr, uint64_t len, int prot) override {
    return Inject([=](pid_t pid) -> Status {
      ASSIGN_OR_RETURN(int64_t r, InjectSyscall(pid, false, SYS_mprotect, addr, len, static_cast<uint64_t>(prot)));
      if (r < 0) return Error(static_cast<int>(-r), "protecting stub memory");
      return Ok();
    });
  }

  // A new idle thread in the stub, for a context to seize.
  Result<pid_t> NewThread() {
    return control_->Run<Result<pid_t>>([this]() -> Result<pid_t> {
      constexpr uint64_t kFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
      ASSIGN_OR_RETURN(int64_t tid, InjectSyscall(proc_->pid, true, SYS_clone, kFlags, 0, 0, 0, 0));
      if (tid < 0) return Error(static_cast<int>(-tid), "cloning a stub thread");
      return static_cast<pid_t>(tid);
    });
  }

  const std::shared_ptr<StubProcess>& proc() const { return proc_; }

 private:
  Status Inject(std::function<Status(pid_t)> fn) {
    if (proc_->dead) return Error(ESRCH, "address space is gone");
    pid_t pid = proc_->pid;
    return control_->Run<Status>([fn, pid] { return fn(pid); });
  }

  std::shared_ptr<StubProcess> proc_;
  std::unique_ptr<TracerThread> control_;
};

class PtraceContext : public Context {
 public:
  ~PtraceContext() override {
    for (auto& [id, e] : threads_) ReleaseThread(e.tid, !e.proc->dead);
  }

  Result<SwitchResult> Switch(AddressSpace& as_base, Registers& regs) override {
    auto& as = static_cast<PtraceAddressSpace&>(as_base);
    SwitchResult res;
    if (interrupt_.exchange(false)) {
      res.reason = StopReason::kInterrupted;
      return res;
    }
    ASSIGN_OR_RETURN(pid_t tid, ThreadIn(as));
    current_.store((static_cast<uint64_t>(as.proc()->pid) << 32) | static_cast<uint32_t>(tid));
    Registers r = regs;
    r.orig_rax = static_cast<uint64_t>(-1);
    if (::ptrace(PTRACE_SETREGS, tid, nullptr, &r) != 0) return Error::FromErrno("setting application registers");
    if (::ptrace(PTRACE_SYSEMU, tid, nullptr, nullptr) != 0) return Error::FromErrno("resuming the application");
    ASSIGN_OR_RETURN(int status, WaitStop(tid));
    if (::ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return Error::FromErrno("reading application registers");
    int sig = WSTOPSIG(status);
    if (sig == (SIGTRAP | 0x80)) {
      res.reason = StopReason::kSyscall;
      return res;
    }
    if ((status >> 16) == 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)) {
      if (::ptrace(PTRACE_GETSIGINFO, tid, nullptr, &res.info) != 0) return Error::FromErrno("reading fault info");
      // A signal someone sent (not a fault) is not the application's.
      if (res.info.si_code > 0 || sig == SIGTRAP) {
        res.reason = StopReason::kFault;
        return res;
      }
    }
    // The interrupt signal, a group stop or anything else: suppressed (the
    // next PTRACE_SYSEMU passes no signal).
    res.reason = StopReason::kInterrupted;
    return res;
  }

  Result<FpState> GetFpState(AddressSpace& as_base) override {
    auto& as = static_cast<PtraceAddressSpace&>(as_base);
    ASSIGN_OR_RETURN(pid_t tid, ThreadIn(as));
    FpState fp;
    if (::ptrace(PTRACE_GETFPREGS, tid, nullptr, &fp) != 0) return Error::FromErrno("reading FP state");
    return fp;
  }

  Status SetFpState(AddressSpace& as_base, const FpState& fp) override {
    auto& as = static_cast<PtraceAddressSpace&>(as_base);
    ASSIGN_OR_RETURN(pid_t tid, ThreadIn(as));
    if (::ptrace(PTRACE_SETFPREGS, tid, nullptr, &fp) != 0) return Error::FromErrno("setting FP state");
    return Ok();
  }

  void Interrupt() override {
    interrupt_ = true;
    uint64_t cur = current_.load();
    if (cur) syscall(SYS_tgkill, static_cast<pid_t>(cur >> 32), static_cast<pid_t>(cur & 0xffffffff), kInterruptSignal);
  }

 private:
  struct Entry {
    std::shared_ptr<StubProcess> proc;
    pid_t tid;
  };

  Result<pid_t> ThreadIn(PtraceAddressSpace& as) {
    // Threads of address spaces that are gone: reap them now.
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->second.proc->dead) {
        ReleaseThread(it->second.tid, false);
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
    auto it = threads_.find(as.proc()->id);
    if (it != threads_.end()) return it->second.tid;
    ASSIGN_OR_RETURN(pid_t tid, as.NewThread());
    if (Status st = SeizeAndStop(tid, kContextOptions); !st.ok()) return st.error();
    threads_[as.proc()->id] = {as.proc(), tid};
    return tid;
  }

  std::map<uint64_t, Entry> threads_;
  std::atomic<bool> interrupt_{false};
  std::atomic<uint64_t> current_{0};
};

class PtracePlatform : public Platform {
 public:
  Status Init(int memfd) { return factory_.Start(memfd); }

  Result<std::unique_ptr<AddressSpace>> NewAddressSpace() override {
    auto as = std::make_unique<PtraceAddressSpace>();
    TRY(as->Init(factory_));
    return std::unique_ptr<AddressSpace>(std::move(as));
  }

  Result<std::unique_ptr<Context>> NewContext() override { return std::unique_ptr<Context>(new PtraceContext()); }

 private:
  Factory factory_;
};

}  // namespace

Result<std::unique_ptr<Platform>> NewPtracePlatform(int memory_file_fd) {
  auto p = std::make_unique<PtracePlatform>();
  TRY(p->Init(memory_file_fd));
  return std::unique_ptr<Platform>(std::move(p));
}

}  // namespace stockade::platform::ptrace
