// The stub processes both Sentry platforms run applications in (ptrace and
// systrap), and the host threads that drive them under ptrace:
//
// - The factory stub (S0) is forked from the Sentry once. It keeps only the
//   stub code, a PROT_NONE MAP_SHARED mirror of the whole memory file and the
//   platform's message region (kSysmsgBase), and closes every FD. A factory
//   host thread (its tracer) serves requests to clone S0 into a new stub
//   process, one per address space; CLONE_PARENT makes the Sentry, not S0,
//   their parent.
// - Each address space has a control host thread tracing the stub's first
//   thread. MapFile/Unmap/Protect from any thread are queued to it and run as
//   injected system calls: mappings are made from the mirror with
//   mremap(old_size = 0), which duplicates shared pages without any FD. New
//   stub threads for the platforms' contexts are cloned the same way.
#pragma once

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/threads.h"
#include "platform/platform.h"
#include "platform/ptrace/tracee.h"

namespace stockade::platform::ptrace {

constexpr unsigned kOwnerOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL;
constexpr int kInterruptSignal = SIGCHLD;  // stubs have no children, so it means "kick"

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
  // Run once the process is reaped (nothing of it can run any more).
  void AfterReaped(std::function<void()> fn) {
    std::lock_guard<std::mutex> l(mu);
    after_reaped.push_back(std::move(fn));
  }
  std::mutex mu;
  std::vector<std::function<void()>> after_reaped;
};

// The stub factory (S0) and its tracer thread.
class Factory {
 public:
  ~Factory();
  // Forks S0, which maps the memory file's mirror and, with `sysmsg_fd` >= 0,
  // that file at kSysmsgBase (else an empty PROT_NONE region there). With
  // `systrap_handlers` S0 installs the systrap handlers (inherited by every
  // stub it clones).
  Status Start(int memfd, int sysmsg_fd = -1, bool systrap_handlers = false);
  // A new stub process, running idle and not traced by anyone yet.
  Result<pid_t> NewStub();

 private:
  // Runs on the tracer thread: PTRACE_TRACEME makes the forking thread the
  // tracer.
  Status ForkS0(int memfd, int sysmsg_fd);
  Status InstallSystrapHandlers();

  TracerThread tracer_;
  pid_t s0_ = -1;
};

// An address space: one stub process, with its control thread.
class StubAddressSpace : public AddressSpace {
 public:
  StubAddressSpace() : proc_(std::make_shared<StubProcess>()) {}
  ~StubAddressSpace() override;

  Status Init(Factory& f);
  Status MapFile(uint64_t addr, uint64_t off, uint64_t len, int prot) override;
  Status Unmap(uint64_t addr, uint64_t len) override;
  Status Protect(uint64_t addr, uint64_t len, int prot) override;

  // A new thread in the stub: idle, for a ptrace context to seize; or, with
  // a systrap stack (in its message slot), one that confines itself and
  // stops in the systrap handler (stub.S, stockade_stub_systrap_clone).
  Result<pid_t> NewThread(uint64_t systrap_stack = 0);

  const std::shared_ptr<StubProcess>& proc() const { return proc_; }

 private:
  Status Inject(std::function<Status(pid_t)> fn);

  std::shared_ptr<StubProcess> proc_;
  std::unique_ptr<TracerThread> control_;
};

// A context's interrupt (Context::Interrupt): a flag its Switch checks, and
// the interrupt signal sent to the stub thread that runs it last.
class StubInterrupt {
 public:
  void Raise() {
    flag_ = true;
    uint64_t cur = target_.load();
    if (cur) syscall(SYS_tgkill, static_cast<pid_t>(cur >> 32), static_cast<pid_t>(cur & 0xffffffff), kInterruptSignal);
  }
  // Names the thread a Switch is about to run. Returns whether an interrupt
  // is pending (and takes it): one raised before would have signalled nobody.
  bool TargetAndTake(pid_t pid, pid_t tid) {
    target_.store((static_cast<uint64_t>(pid) << 32) | static_cast<uint32_t>(tid));
    return Take();
  }
  bool Take() { return flag_.exchange(false); }
  bool Pending() const { return flag_.load(); }
  static SwitchResult Interrupted() {
    SwitchResult r;
    r.reason = StopReason::kInterrupted;
    return r;
  }

 private:
  std::atomic<bool> flag_{false};
  std::atomic<uint64_t> target_{0};
};

// What the platforms built on stub processes share: the factory, and
// address spaces made from it.
class StubPlatform : public Platform {
 public:
  Result<std::unique_ptr<AddressSpace>> NewAddressSpace() override;

  // A platform P (a StubPlatform with Status Init(int memfd)) started.
  template <typename P, typename... Args>
  static Result<std::unique_ptr<Platform>> Start(int memory_file_fd, Args&&... args) {
    auto p = std::make_unique<P>(std::forward<Args>(args)...);
    TRY(p->Init(memory_file_fd));
    return std::unique_ptr<Platform>(std::move(p));
  }

 protected:
  Factory factory_;
};

}  // namespace stockade::platform::ptrace
