// Signal delivery: default actions (terminate, core, stop/continue, ignore), synchronous
// faults (SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP siginfo), sigaltstack, and rt_sigreturn
// restoring registers and masks changed through the ucontext.
#include <atomic>
#include <climits>
#include <ucontext.h>

#include "test_util.h"

namespace conformance {
namespace {

// Default actions are tested in children: our own process may be a PID-namespace init,
// which the kernel protects from default-action signals it sends itself.
int DieBy(int sig) {
  return RunInChild([sig] {
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    raise(sig);
    return 100;  // survived
  });
}

TEST(DefaultAction, Terminate) {
  for (int sig : {SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGRTMIN, SIGRTMAX}) {
    EXPECT_SIGNALED(DieBy(sig), sig);
  }
}

TEST(DefaultAction, CoreSignalsTerminate) {
  // Whether a core is written is configuration; WTERMSIG is not.
  for (int sig : {SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGSYS, SIGTRAP, SIGXCPU}) {
    EXPECT_SIGNALED(DieBy(sig), sig);
  }
}

TEST(DefaultAction, IgnoredByDefault) {
  for (int sig : {SIGCHLD, SIGURG, SIGWINCH, SIGCONT}) {
    EXPECT_EXITED(DieBy(sig), 100);
  }
}

TEST(DefaultAction, SigkillCannotBeCaughtOrBlocked) {
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    for (int s = 1; s < 32; s++) signal(s, SIG_IGN);  // SIGKILL/SIGSTOP fail: fine
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, nullptr);
    CHILD_CHECK(write(ready[1], "r", 1) == 1);
    for (;;) pause();
    return 0;
  });
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_SIGNALED(WaitStatus(pid), SIGKILL);
  close(ready[0]);
  close(ready[1]);
}

TEST(DefaultAction, StopAndContinueSeenByWaitpid) {
  int ready[2];
  ASSERT_EQ(pipe2(ready, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    close(ready[1]);
    char c;
    read(ready[0], &c, 1);  // blocks until we close our end
    return 0;
  });
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  int st = WaitStatus(pid, WUNTRACED);
  ASSERT_NE(st, -1);
  EXPECT_TRUE(WIFSTOPPED(st)) << DescribeStatus(st);
  EXPECT_EQ(WSTOPSIG(st), SIGSTOP);
  ASSERT_EQ(kill(pid, SIGCONT), 0);
  st = WaitStatus(pid, WCONTINUED);
  ASSERT_NE(st, -1);
  EXPECT_TRUE(WIFCONTINUED(st)) << DescribeStatus(st);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_SIGNALED(WaitStatus(pid), SIGKILL);
  close(ready[0]);
  close(ready[1]);
}

TEST(DefaultAction, SigkillEndsStoppedProcess) {
  pid_t pid = ForkChild([] {
    for (;;) pause();
    return 0;
  });
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  int st = WaitStatus(pid, WUNTRACED);
  ASSERT_TRUE(st != -1 && WIFSTOPPED(st));
  // A pending non-SIGKILL signal waits for SIGCONT; SIGKILL does not.
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_SIGNALED(WaitStatus(pid), SIGKILL);
}

TEST(DefaultAction, TerminalStopInNonOrphanedGroup) {
  // SIGTSTP stops a process whose group is not orphaned (its parent, we, is in another
  // group of the same session). In an orphaned group it would be discarded.
  pid_t pid = ForkChild([] {
    setpgid(0, 0);
    for (;;) pause();
    return 0;
  });
  setpgid(pid, pid);
  ASSERT_EQ(kill(pid, SIGTSTP), 0);
  int st = WaitStatus(pid, WUNTRACED);
  ASSERT_NE(st, -1);
  EXPECT_TRUE(WIFSTOPPED(st)) << DescribeStatus(st);
  EXPECT_EQ(WSTOPSIG(st), SIGTSTP);
  kill(pid, SIGKILL);
  EXPECT_SIGNALED(WaitStatus(pid), SIGKILL);
}

// ---- synchronous faults ------------------------------------------------------------------

TEST(SyncSignal, SegvOnUnmappedAddress) {
  volatile char* p = static_cast<volatile char*>(UnmappedAddress());
  FaultInfo f = CatchFault([p] { (void)*p; });
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.code, SEGV_MAPERR);
  EXPECT_EQ(f.addr, (void*)p);
  f = CatchFault([] { *static_cast<volatile int*>(nullptr) = 1; });
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.addr, nullptr);
}

TEST(SyncSignal, SegvAccerrOnReadOnlyPage) {
  char* p = static_cast<char*>(
      mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  FaultInfo f = CatchFault([p] { *(volatile char*)(p + 100) = 1; });
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.code, SEGV_ACCERR);
  EXPECT_EQ(f.addr, p + 100);
  munmap(p, 4096);
}

TEST(SyncSignal, SigfpeOnIntegerDivideByZero) {
  static volatile int zero = 0;
  static volatile int result [[maybe_unused]];
  FaultInfo f = CatchFault([] { result = 10 / zero; });
  EXPECT_EQ(f.signo, SIGFPE);
  EXPECT_EQ(f.code, FPE_INTDIV);
  // INT_MIN / -1 overflows: also SIGFPE on x86 (reported as FPE_INTDIV by the #DE trap).
  static volatile int minus_one = -1, int_min = INT_MIN;
  f = CatchFault([] { result = int_min / minus_one; });
  EXPECT_EQ(f.signo, SIGFPE);
}

extern "C" void ud2_site();
TEST(SyncSignal, SigillOnUd2WithInstructionAddress) {
  FaultInfo f = CatchFault([] {
    asm volatile(".globl ud2_site\nud2_site: ud2");
  });
  EXPECT_EQ(f.signo, SIGILL);
  EXPECT_EQ(f.code, ILL_ILLOPN);
  EXPECT_EQ(f.addr, (void*)ud2_site);
}

TEST(SyncSignal, SigtrapOnInt3) {
  FaultInfo f = CatchFault([] { asm volatile("int3"); });
  EXPECT_EQ(f.signo, SIGTRAP);
  EXPECT_EQ(f.code, SI_KERNEL);
}

TEST(SyncSignal, BlockedFaultSignalStillKills) {
  // A synchronous SIGSEGV that is blocked cannot be delivered to the handler: the kernel
  // resets it to the default action and the process dies.
  int st = RunInChild([] {
    struct sigaction sa = {};
    sa.sa_handler = [](int) { _exit(50); };
    sigaction(SIGSEGV, &sa, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSEGV);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    *static_cast<volatile int*>(UnmappedAddress()) = 1;
    return 0;
  });
  EXPECT_SIGNALED(st, SIGSEGV);
}

TEST(SyncSignal, IgnoredFaultSignalStillKills) {
  int st = RunInChild([] {
    signal(SIGSEGV, SIG_IGN);
    *static_cast<volatile int*>(UnmappedAddress()) = 1;
    return 0;
  });
  EXPECT_SIGNALED(st, SIGSEGV);
}

// ---- rt_sigreturn ----------------------------------------------------------------------

void SkipUd2AndSetRax(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  uc->uc_mcontext.gregs[REG_RIP] += 2;  // ud2 is two bytes
  uc->uc_mcontext.gregs[REG_RAX] = 0x1234567890abcdefll;
  uc->uc_mcontext.gregs[REG_R12] = 0x0badc0de;
}

TEST(Sigreturn, RestoresRegistersModifiedInUcontext) {
  ScopedSigaction sa(SIGILL, SkipUd2AndSetRax);
  unsigned long rax, r12, rbx;
  asm volatile(
      "mov $1, %%rax\n"
      "mov $2, %%r12\n"
      "mov $3, %%rbx\n"
      "ud2\n"
      "mov %%rax, %0\n"
      "mov %%r12, %1\n"
      "mov %%rbx, %2\n"
      : "=r"(rax), "=r"(r12), "=r"(rbx)
      :
      : "rax", "r12", "rbx", "memory");
  EXPECT_EQ(rax, 0x1234567890abcdefull);
  EXPECT_EQ(r12, 0x0badc0deull);
  EXPECT_EQ(rbx, 3u);  // untouched registers come back as they were
}

void AddUsr2ToMask(int, siginfo_t*, void* ctx) {
  sigaddset(&static_cast<ucontext_t*>(ctx)->uc_sigmask, SIGUSR2);
}

TEST(Sigreturn, RestoresMaskFromUcontext) {
  ScopedSigmask restore;
  ScopedSigaction sa(SIGUSR1, AddUsr2ToMask);
  ASSERT_EQ(raise(SIGUSR1), 0);
  sigset_t now;
  sigprocmask(SIG_SETMASK, nullptr, &now);
  EXPECT_TRUE(sigismember(&now, SIGUSR2));
  EXPECT_FALSE(sigismember(&now, SIGUSR1));
}

void SkipUd2AndClobberSse(int, siginfo_t*, void* ctx) {
  // Clobber xmm1 in the handler itself; sigreturn must bring back the interrupted value.
  asm volatile("pcmpeqd %%xmm1, %%xmm1" ::: "xmm1");
  static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs[REG_RIP] += 2;
}

TEST(Sigreturn, RestoresFloatingPointState) {
  ScopedSigaction sa(SIGILL, SkipUd2AndClobberSse);
  unsigned long in = 0x3ff8000000000000ul;  // 1.5
  unsigned long out = 0;
  asm volatile(
      "movq %1, %%xmm1\n"
      "ud2\n"
      "movq %%xmm1, %0\n"
      : "=r"(out)
      : "r"(in)
      : "xmm1", "memory");
  EXPECT_EQ(out, in);
}

// ---- sigaltstack -------------------------------------------------------------------------

struct AltStack {
  static constexpr size_t kSize = 64 * 1024;
  char* mem = static_cast<char*>(malloc(kSize));
  stack_t old{};
  bool ok = false;
  AltStack() {
    stack_t ss = {};
    ss.ss_sp = mem;
    ss.ss_size = kSize;
    ok = sigaltstack(&ss, &old) == 0;
  }
  ~AltStack() {
    stack_t off = {};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    free(mem);
  }
  bool Contains(const void* p) const { return p >= mem && p < mem + kSize; }
};

std::atomic<uintptr_t> g_local_addr{0};
std::atomic<int> g_query_flags{-1};
std::atomic<int> g_change_errno{0};
void OnAltStack(int) {
  int local;
  g_local_addr = reinterpret_cast<uintptr_t>(&local);
  stack_t cur;
  sigaltstack(nullptr, &cur);
  g_query_flags = cur.ss_flags;
  // Changing the alternate stack while running on it is refused.
  stack_t other = {};
  static char buf[64 * 1024];
  other.ss_sp = buf;
  other.ss_size = sizeof buf;
  errno = 0;
  g_change_errno = sigaltstack(&other, nullptr) == 0 ? 0 : errno;
}

TEST(Sigaltstack, DisabledByDefault) {
  stack_t cur;
  ASSERT_EQ(sigaltstack(nullptr, &cur), 0);
  EXPECT_EQ(cur.ss_flags, SS_DISABLE);
}

TEST(Sigaltstack, HandlerRunsOnAltStackWithOnStackFlag) {
  AltStack alt;
  ASSERT_TRUE(alt.ok);
  ScopedSigaction sa(SIGUSR1, OnAltStack, SA_ONSTACK);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_TRUE(alt.Contains(reinterpret_cast<void*>(g_local_addr.load())));
  EXPECT_EQ(g_query_flags.load(), SS_ONSTACK);
  EXPECT_EQ(g_change_errno.load(), EPERM);
  stack_t cur;
  ASSERT_EQ(sigaltstack(nullptr, &cur), 0);
  EXPECT_EQ(cur.ss_flags, 0);  // back on the normal stack
  EXPECT_EQ(cur.ss_sp, alt.mem);
  EXPECT_EQ(cur.ss_size, AltStack::kSize);
}

TEST(Sigaltstack, HandlerWithoutSaOnstackUsesNormalStack) {
  AltStack alt;
  ASSERT_TRUE(alt.ok);
  ScopedSigaction sa(SIGUSR1, OnAltStack);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_FALSE(alt.Contains(reinterpret_cast<void*>(g_local_addr.load())));
  EXPECT_EQ(g_query_flags.load(), 0);
}

TEST(Sigaltstack, DisableReturnsToNormalStack) {
  AltStack alt;
  ASSERT_TRUE(alt.ok);
  stack_t off = {};
  off.ss_flags = SS_DISABLE;
  ASSERT_EQ(sigaltstack(&off, nullptr), 0);
  ScopedSigaction sa(SIGUSR1, OnAltStack, SA_ONSTACK);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_FALSE(alt.Contains(reinterpret_cast<void*>(g_local_addr.load())));
  EXPECT_EQ(g_query_flags.load(), SS_DISABLE);
}

TEST(Sigaltstack, Errors) {
  static char small[1024];
  stack_t ss = {};
  ss.ss_sp = small;
  ss.ss_size = sizeof small;  // below MINSIGSTKSZ
  EXPECT_ERRNO(ENOMEM, sigaltstack(&ss, nullptr));
  static char big[64 * 1024];
  ss.ss_sp = big;
  ss.ss_size = sizeof big;
  ss.ss_flags = 0x1234;
  EXPECT_ERRNO(EINVAL, sigaltstack(&ss, nullptr));
  EXPECT_ERRNO(EFAULT, sigaltstack(static_cast<stack_t*>(BadPointer()), nullptr));
  EXPECT_ERRNO(EFAULT, sigaltstack(nullptr, static_cast<stack_t*>(UnmappedAddress())));
  stack_t cur;
  ASSERT_EQ(sigaltstack(nullptr, &cur), 0);
  EXPECT_EQ(cur.ss_flags, SS_DISABLE);  // nothing was installed
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) int Recurse(volatile char* prev) {
  volatile char frame[4096];
  frame[0] = prev ? prev[0] + 1 : 0;
  return Recurse(frame) + frame[100];
}

TEST(Sigaltstack, StackOverflowHandledOnAltStack) {
  int st = RunInChild([] {
    static char mem[64 * 1024];
    stack_t ss = {};
    ss.ss_sp = mem;
    ss.ss_size = sizeof mem;
    CHILD_CHECK(sigaltstack(&ss, nullptr) == 0);
    struct sigaction sa = {};
    sa.sa_handler = [](int) { _exit(0); };
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, nullptr);
    Recurse(nullptr);
    return 1;
  });
  EXPECT_EXITED(st, 0);
}

TEST(Sigaltstack, InheritedByForkChild) {
  AltStack alt;
  ASSERT_TRUE(alt.ok);
  void* base = alt.mem;
  EXPECT_CHILD_OK([base] {
    stack_t cur;
    CHILD_CHECK(sigaltstack(nullptr, &cur) == 0);
    CHILD_CHECK(cur.ss_sp == base && cur.ss_flags == 0);
    return 0;
  });
}

}  // namespace
}  // namespace conformance
