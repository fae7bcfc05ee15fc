// The Sentry's kernel: tasks (threads), thread groups (processes), the PID
// namespace, signals and credentials. Each task runs on its own host thread,
// which drives the application through a platform Context.
//
// Lock order: Kernel::mu (the TaskSet lock: process tree, thread-group and
// task signal state, exit and stop states) -> MemoryManager::mu_ ->
// MemoryFile::mu_; FdTable, FsContext, WaitQueue and futex locks are leaves
// and are never held while taking Kernel::mu.
#pragma once

#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <initializer_list>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "platform/platform.h"
#include "sentry/kernel/executing_files.h"
#include "sentry/kernel/fd_table.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/devpts.h"
#include "sentry/vfs/filesystem.h"
#include "sentry/vfs/waiter.h"

namespace stockade::sentry::kernel {

class Kernel;
class Task;
class ThreadGroup;

inline constexpr int kMaxSignal = 64;
inline uint64_t SigBit(int sig) { return 1ull << (sig - 1); }
inline constexpr uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

// struct sigaction as rt_sigaction passes it on x86-64.
struct SigAction {
  uint64_t handler = 0;  // SIG_DFL (0), SIG_IGN (1) or an address
  uint64_t flags = 0;
  uint64_t restorer = 0;
  uint64_t mask = 0;
};

struct SignalHandlers {
  SigAction actions[kMaxSignal + 1];
};

// Pending signals: standard signals coalesce, real-time ones queue.
struct PendingSignals {
  uint64_t set = 0;
  std::deque<siginfo_t> queue;
  void Add(const siginfo_t& info);
  // Dequeues the lowest-numbered pending signal in `allowed` (synchronous
  // faults first).
  bool Take(uint64_t allowed, siginfo_t* out);
  void Remove(uint64_t mask);
};

struct Credentials {
  uint32_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  uint32_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<uint32_t> groups;
  uint64_t cap_effective = 0, cap_permitted = 0, cap_inheritable = 0, cap_bounding = 0, cap_ambient = 0;
  bool keep_caps = false;
  bool no_new_privs = false;
  // Which credentials these are: Linux makes a new cred object for every
  // change, fork and execve, and files remember their opener's (linkat's
  // AT_EMPTY_PATH rule). Renew() after each of those.
  uint64_t serial = NewSerial();
  bool HasCap(int cap) const { return (cap_effective >> cap) & 1; }
  void Renew() { serial = NewSerial(); }

 private:
  static uint64_t NewSerial();
};

struct FsContext {
  std::mutex mu;
  // The working directory: an O_PATH description, whose dentry follows
  // renames. Set before the task first runs.
  std::shared_ptr<vfs::File> cwd;
  mode_t umask = 022;
};

// A process.
class ThreadGroup {
 public:
  int tgid = 0;
  Task* leader = nullptr;
  std::vector<Task*> tasks;  // live tasks, leader included while it lives
  ThreadGroup* parent = nullptr;
  std::set<ThreadGroup*> children;  // not yet reaped
  std::shared_ptr<SignalHandlers> handlers;
  PendingSignals pending;
  int exit_signal = SIGCHLD;
  int pgid = 0;
  int sid = 0;
  bool execed = false;
  bool subreaper = false;
  bool dumpable = true;
  Credentials creds;
  struct rlimit rlimits[RLIM_NLIMITS];

  // Exit: `exiting` once exit_group or a fatal signal began; `zombie` once the
  // last task has gone; the parent reaps it (or it is auto-reaped).
  bool exiting = false;
  int exit_status = 0;  // a wait status, as WIFEXITED/WIFSIGNALED read it
  bool zombie = false;

  // Group stop (SIGSTOP and friends) and the states wait can report once.
  bool stopped = false;
  int stop_signal = 0;
  bool stop_to_report = false;
  bool cont_to_report = false;

  // A task waiting in execve for the others to go.
  Task* exec_task = nullptr;

  // The parent waits here for our state changes.
  vfs::WaitQueue* parent_waitq();
  vfs::WaitQueue child_waitq;  // our own children's changes
  vfs::WaitQueue signal_waitq;  // any signal queued to the group or one of its tasks (signalfd)

  uint64_t start_ticks = 0;
  std::string container_id;

  ~ThreadGroup();
};

// A thread.
class Task : public vfs::Waiter {
 public:
  Task(Kernel* k, int tid);
  ~Task() override;

  Kernel* const kernel;
  int tid;
  ThreadGroup* tg = nullptr;

  platform::Registers regs{};
  std::optional<platform::FpState> pending_fp;  // to install before the next Switch
  std::unique_ptr<platform::Context> ctx;       // made on the task's own thread
  std::shared_ptr<mm::MemoryManager> mm;
  std::shared_ptr<FdTable> fds;
  std::shared_ptr<FsContext> fs;
  std::string comm;

  // Signal state, guarded by Kernel::mu.
  uint64_t sigmask = 0;
  uint64_t sigwait_set = 0;  // rt_sigtimedwait: blocked signals that still end a wait
  std::optional<uint64_t> saved_mask;  // restored after a handler (sigsuspend, ppoll)
  PendingSignals pending;
  stack_t altstack{nullptr, SS_DISABLE, 0};
  bool exit_requested = false;  // killed: leave at the next return to the kernel
  bool group_stopped = false;   // this task is parked for a group stop

  int thread_exit_status = 0;   // exit(2) of this thread alone
  bool syscall_returned = false;  // regs.rax holds a syscall's result (restart check)

  uint64_t clear_child_tid = 0;
  uint64_t robust_list = 0;
  uint64_t robust_list_len = 0;
  int pdeathsig = 0;
  int nice = 0;  // -20..19, per thread as in Linux; under Kernel::mu
  // The seccomp filter every system call of this thread passes (the
  // container's profile); inherited by clone, kept across execve.
  std::shared_ptr<const SeccompProgram> seccomp;

  // nanosleep's restart_syscall state.
  std::function<int64_t(Task&)> restart;

  // vfork: the parent waits until this child execs or exits.
  std::shared_ptr<std::atomic<bool>> vfork_done;
  vfs::WaitQueue* vfork_waitq = nullptr;
  std::shared_ptr<vfs::WaitQueue> vfork_waitq_owner;

  // vfs::Waiter
  void Notify() override;
  vfs::BlockResult Block(const vfs::Deadline& deadline, int host_fd = -1, short events = 0) override;
  bool Interrupted() override;

  // Makes the task notice new signals or exit requests: wakes a block, and
  // kicks it out of application code. Any thread; Kernel::mu may be held.
  void Kick();

  // Blocking-syscall helper: errno for an interrupted wait.
  int64_t RestartErrno() const;

  mm::MemoryManager& memory() { return *mm; }
  const Credentials& creds() const { return tg->creds; }
  uint64_t rlimit_cur(int res) const { return tg->rlimits[res].rlim_cur; }

 private:
  UniqueFd event_fd_;
  std::atomic<platform::Context*> running_ctx_{nullptr};
  friend class Kernel;
  friend void RunTask(std::shared_ptr<Task> t);
  friend void ExitTask(Task& t);
};

struct SyscallArgs {
  uint64_t a[6];
  uint64_t operator[](int i) const { return a[i]; }
};
// A syscall's result: >= 0, or -errno; kNoReturnValue when the handler set
// the registers itself (rt_sigreturn, execve).
using SyscallFn = int64_t (*)(Task& t, const SyscallArgs& args);
inline constexpr int64_t kNoReturnValue = INT64_MIN;

struct KernelConfig {
  platform::Platform* platform = nullptr;
  mm::MemoryFile* memory_file = nullptr;
  std::string hostname = "stockade";
  std::function<void(const std::string&)> strace;  // null: off
  // Called once when the container's init (PID 1) has exited and all tasks
  // are gone, with its wait status.
  std::function<void(int)> on_exit;
  // Called when a process without a parent in the sandbox (one `stockade
  // exec` started) exits, with its TGID and wait status, before it is reaped.
  std::function<void(int, int)> on_process_exit;
};

class Kernel {
 public:
  explicit Kernel(KernelConfig cfg);
  ~Kernel();

  std::mutex mu;  // the TaskSet lock

  platform::Platform& platform() { return *cfg_.platform; }
  mm::MemoryFile* memory_file() { return cfg_.memory_file; }
  vfs::MountTable& mounts() { return mounts_; }
  // The names open files and working directories hold (see vfs::Dentry).
  vfs::DentryTree& dentries() { return dentries_; }
  ExecutingFiles& executing() { return executing_; }
  std::string hostname();
  void set_hostname(std::string h);
  const KernelConfig& config() const { return cfg_; }

  // Syscall table (filled by the syscalls library).
  void SetSyscall(int nr, SyscallFn fn) { table_[nr] = fn; }
  SyscallFn syscall(uint64_t nr) const { return nr < table_.size() ? table_[nr] : nullptr; }

  // Process tree, under mu.
  int AllocatePidLocked() { return next_pid_++; }
  Task* TaskByTidLocked(int tid);
  ThreadGroup* GroupByTgidLocked(int tgid);
  std::vector<ThreadGroup*> GroupsLocked();
  void AddTaskLocked(std::shared_ptr<Task> t);
  // execve by a non-leader thread: it takes over the leader's TID.
  void ChangeTidLocked(Task* t, int new_tid);
  ThreadGroup* NewThreadGroupLocked(int tgid);
  ThreadGroup* init() { return init_; }
  void set_init(ThreadGroup* tg) { init_ = tg; }

  // Creates the task's host thread, parked: the thread is the resource that
  // may run out (pids.max counts the Sentry's threads), so it is made before
  // the task is published. Go(true) runs the task; Go(false) drops it.
  class ParkedThread {
   public:
    void Go(bool run);
    ~ParkedThread();
   private:
    friend class Kernel;
    std::shared_ptr<std::promise<bool>> go_;
  };
  Result<std::unique_ptr<ParkedThread>> NewTaskThread(std::shared_ptr<Task> t);

  // Signals. `info.si_signo` is the signal; si_code/si_pid are filled by the
  // caller. `from_host`: sent by the controller (outside the PID namespace).
  // Returns -errno.
  int SendToGroupLocked(ThreadGroup* tg, const siginfo_t& info, bool from_host = false);
  int SendToTaskLocked(Task* t, const siginfo_t& info, bool from_host = false);
  // A synchronous fault: unblocks and resets the handler if the signal is
  // blocked or ignored, as force_sig_info.
  void ForceSignalLocked(Task* t, const siginfo_t& info);
  // Kills every task of the group (exit_group / fatal signal).
  void BeginGroupExitLocked(ThreadGroup* tg, int wait_status);
  // Signals every live process of a process group; false if there is none.
  bool SendToPgrpLocked(int pgid, const siginfo_t& info, bool from_host = false);

  // Controlling terminals, one per session (Linux keeps it per process, but
  // only the session leader can set it and every member inherits it).
  std::shared_ptr<vfs::TtyState> CttyLocked(int sid);
  // Makes `tty` the session's controlling terminal, its group the foreground.
  void SetCttyLocked(ThreadGroup* leader, std::shared_ptr<vfs::TtyState> tty);
  // The session loses its terminal, and the terminal's foreground group gets
  // `signals` (SIGHUP when the session leader exits; SIGHUP and SIGCONT on
  // TIOCNOTTY, as disassociate_ctty sends them).
  void DropCttyLocked(int sid, std::initializer_list<int> signals = {});

  // Called by a task's thread when it leaves; makes the group a zombie when
  // it was the last, reparents and notifies.
  void TaskExitedLocked(Task* t);
  // Removes a zombie for good (wait reaped it).
  void ReapLocked(ThreadGroup* tg);

  // Live threads (for shutdown).
  int live_tasks();
  // Waits until every task thread has finished.
  void WaitAllExited();
  // SIGKILLs every process (controller destroy).
  void KillAll();

  // Pause/resume all tasks (the controller's Pause/Resume).
  void Freeze();
  void Thaw();
  bool frozen() const { return frozen_.load(); }
  // Notified when stops, freezes or exits change, for parked tasks.
  std::condition_variable state_cv;
  Futexes futexes;

  uint64_t boot_monotonic_ns() const { return boot_ns_; }

 private:
  void NotifyParentLocked(ThreadGroup* tg, int why, int status);
  void ReparentChildrenLocked(ThreadGroup* tg);

  KernelConfig cfg_;
  vfs::MountTable mounts_;
  vfs::DentryTree dentries_;
  ExecutingFiles executing_;
  std::string hostname_;
  std::vector<SyscallFn> table_;
  std::map<int, std::shared_ptr<Task>> tasks_;
  std::map<int, std::unique_ptr<ThreadGroup>> groups_;
  std::map<int, std::shared_ptr<vfs::TtyState>> ctty_;  // by session ID
  int next_pid_ = 1;
  ThreadGroup* init_ = nullptr;
  int live_ = 0;
  std::condition_variable exited_cv_;
  std::atomic<bool> frozen_{false};
  uint64_t boot_ns_ = 0;
  bool exit_reported_ = false;
};

// The task's host thread body.
void RunTask(std::shared_ptr<Task> t);
// The task whose host thread this is (null on other threads): what Linux
// calls `current`, for the few file operations that depend on the caller.
Task* CurrentTask();
void ExitTask(Task& t);

// Wait-status encodings.
inline int ExitStatus(int code) { return (code & 0xff) << 8; }
inline int SignalStatus(int sig, bool core) { return sig | (core ? 0x80 : 0); }

int64_t NowNs(clockid_t clock);

}  // namespace stockade::sentry::kernel
