// The ptrace platform's contexts: each Context (one per Sentry task thread)
// owns one stub thread per address space it runs in (stub_process.h),
// created on first use and traced by the task's own thread, which drives it
// with PTRACE_SYSEMU.
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
#include "platform/ptrace/stub_process.h"
#include "platform/ptrace/tracee.h"

namespace stockade::platform::ptrace {
namespace {

constexpr unsigned kContextOptions = PTRACE_O_TRACESYSGOOD;

class PtraceContext : public Context {
 public:
  ~PtraceContext() override {
    for (auto& [id, e] : threads_) ReleaseThread(e.tid, !e.proc->dead);
  }

  Result<SwitchResult> Switch(AddressSpace& as_base, Registers& regs) override {
    auto& as = static_cast<StubAddressSpace&>(as_base);
    SwitchResult res;
    if (irq_.Take()) return StubInterrupt::Interrupted();
    ASSIGN_OR_RETURN(pid_t tid, ThreadIn(as));
    if (irq_.TargetAndTake(as.proc()->pid, tid)) return StubInterrupt::Interrupted();
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
    auto& as = static_cast<StubAddressSpace&>(as_base);
    ASSIGN_OR_RETURN(pid_t tid, ThreadIn(as));
    FpState fp;
    if (::ptrace(PTRACE_GETFPREGS, tid, nullptr, &fp) != 0) return Error::FromErrno("reading FP state");
    return fp;
  }

  Status SetFpState(AddressSpace& as_base, const FpState& fp) override {
    auto& as = static_cast<StubAddressSpace&>(as_base);
    ASSIGN_OR_RETURN(pid_t tid, ThreadIn(as));
    if (::ptrace(PTRACE_SETFPREGS, tid, nullptr, &fp) != 0) return Error::FromErrno("setting FP state");
    return Ok();
  }

  void Interrupt() override { irq_.Raise(); }

 private:
  struct Entry {
    std::shared_ptr<StubProcess> proc;
    pid_t tid;
  };

  Result<pid_t> ThreadIn(StubAddressSpace& as) {
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
  StubInterrupt irq_;
};

class PtracePlatform : public StubPlatform {
 public:
  Status Init(int memfd) { return factory_.Start(memfd); }
  Result<std::unique_ptr<Context>> NewContext() override { return std::unique_ptr<Context>(new PtraceContext()); }
};

}  // namespace

Result<std::unique_ptr<Platform>> NewPtracePlatform(int memory_file_fd) {
  return StubPlatform::Start<PtracePlatform>(memory_file_fd);
}

}  // namespace stockade::platform::ptrace
