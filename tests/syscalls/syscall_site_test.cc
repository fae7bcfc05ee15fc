// System calls made from `mov $nr,%eax; syscall` sites, the pattern the
// systrap platform patches into direct calls once a site is hot
// (sentry/kernel/syscall_patch.h). Natively the sites stay as they are; on
// systrap with patching they are rewritten while they run. Either way every
// call must behave as on Linux: results, restarts, signals, registers, fork
// and exec.
//
// STOCKADE_EXPECT_SITE_PATCHING=1 (or 0) makes HotSiteReturnsTheRightValue
// also require that its site was (or was not) patched; tests/e2e/syscall_patch.sh
// sets it.
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "test_util.h"

namespace {

// Each site is its own function, so each test heats its own instruction.
#define SITE0(name, nr)                                                           \
  __attribute__((noinline)) long name() {                                        \
    long r;                                                                      \
    asm volatile("mov $" #nr ", %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory"); \
    return r;                                                                    \
  }
SITE0(SiteGetppid, 110)
SITE0(SiteGetpidForThreads, 39)
SITE0(SiteGetpidInChild, 39)
SITE0(SiteGetppidInParent, 110)

__attribute__((noinline)) long SiteRead(long fd, void* buf, long n) {
  long r;
  asm volatile("mov $0, %%eax\n\tsyscall" : "=a"(r) : "D"(fd), "S"(buf), "d"(n) : "rcx", "r11", "memory");
  return r;
}

__attribute__((noinline)) long SiteTgkill(long pid, long tid, long sig) {
  long r;
  asm volatile("mov $234, %%eax\n\tsyscall" : "=a"(r) : "D"(pid), "S"(tid), "d"(sig) : "rcx", "r11", "memory");
  return r;
}

enum class SiteState { kOriginal, kPatched, kNeither };

// What the site in `fn` looks like now: the original mov+syscall, the jump
// to a trampoline below 0x70000, or neither.
SiteState StateOf(const void* fn) {
  const auto* p = static_cast<const uint8_t*>(fn);
  for (int i = 0; i < 64; i++) {
    if (p[i] == 0xb8 && p[i + 5] == 0x0f && p[i + 6] == 0x05) return SiteState::kOriginal;
    if (p[i] == 0xff && p[i + 1] == 0x24 && p[i + 2] == 0x25 && p[i + 5] == 0x06 && p[i + 6] == 0x00) {
      return SiteState::kPatched;
    }
  }
  return SiteState::kNeither;
}

TEST(SyscallSite, HotSiteReturnsTheRightValue) {
  long want = getppid();
  for (int i = 0; i < 1000; i++) ASSERT_EQ(SiteGetppid(), want) << "call " << i;
  SiteState s = StateOf(reinterpret_cast<const void*>(&SiteGetppid));
  ASSERT_NE(s, SiteState::kNeither);
  const char* expect = getenv("STOCKADE_EXPECT_SITE_PATCHING");
  if (expect && strcmp(expect, "1") == 0) EXPECT_EQ(s, SiteState::kPatched);
  if (expect && strcmp(expect, "0") == 0) EXPECT_EQ(s, SiteState::kOriginal);
}

TEST(SyscallSite, ThreadsRaceThroughASiteWhileItIsPatched) {
  long want = getpid();
  std::atomic<bool> go{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; t++) {
    threads.emplace_back([&] {
      while (!go.load()) {
      }
      for (int i = 0; i < 3000; i++) {
        if (SiteGetpidForThreads() != want) wrong++;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_NE(StateOf(reinterpret_cast<const void*>(&SiteGetpidForThreads)), SiteState::kNeither);
}

// Callee-saved and argument registers, and every XMM register, are the
// application's after a call; rcx and r11 are the only ones a syscall
// clobbers (rax has the result).
extern "C" uint64_t site_regs_out[27];  // 11 general registers, then xmm0..xmm15
uint64_t site_regs_out[27];

__attribute__((noinline)) void SiteKeepingRegisters() {
  asm volatile(
      "mov $0x1001, %%rbx\n\t"
      "mov $0x1002, %%r12\n\t"
      "mov $0x1003, %%r13\n\t"
      "mov $0x1004, %%r14\n\t"
      "mov $0x1005, %%r15\n\t"
      "mov $0x1006, %%r8\n\t"
      "mov $0x1007, %%r9\n\t"
      "mov $0x1008, %%r10\n\t"
      "mov $0x1009, %%rdi\n\t"
      "mov $0x100a, %%rsi\n\t"
      "mov $0x100b, %%rdx\n\t"
      "mov $0x2000, %%rax\n\t"
      ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
      "inc %%rax\n\t"
      "movq %%rax, %%xmm\\n\n\t"
      ".endr\n\t"
      "mov $39, %%eax\n\t"
      "syscall\n\t"
      "mov %%rbx, site_regs_out+0(%%rip)\n\t"
      "mov %%r12, site_regs_out+8(%%rip)\n\t"
      "mov %%r13, site_regs_out+16(%%rip)\n\t"
      "mov %%r14, site_regs_out+24(%%rip)\n\t"
      "mov %%r15, site_regs_out+32(%%rip)\n\t"
      "mov %%r8, site_regs_out+40(%%rip)\n\t"
      "mov %%r9, site_regs_out+48(%%rip)\n\t"
      "mov %%r10, site_regs_out+56(%%rip)\n\t"
      "mov %%rdi, site_regs_out+64(%%rip)\n\t"
      "mov %%rsi, site_regs_out+72(%%rip)\n\t"
      "mov %%rdx, site_regs_out+80(%%rip)\n\t"
      ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
      "movq %%xmm\\n, %%rax\n\t"
      "mov %%rax, site_regs_out+88+8*\\n(%%rip)\n\t"
      ".endr\n\t"
      :
      :
      : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm0",
        "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
        "xmm14", "xmm15", "memory");
}

TEST(SyscallSite, RegistersSurviveTheCall) {
  for (int i = 0; i < 200; i++) {
    memset(site_regs_out, 0, sizeof site_regs_out);
    SiteKeepingRegisters();
    for (int r = 0; r < 11; r++) ASSERT_EQ(site_regs_out[r], 0x1001u + r) << "call " << i << " register " << r;
  }
}

TEST(SyscallSite, VectorRegistersSurviveTheCall) {
  for (int i = 0; i < 200; i++) {
    memset(site_regs_out, 0, sizeof site_regs_out);
    SiteKeepingRegisters();
    for (int x = 0; x < 16; x++) ASSERT_EQ(site_regs_out[11 + x], 0x2001u + x) << "call " << i << " xmm" << x;
  }
}

std::atomic<int> handled{0};
void CountSignal(int) { handled++; }

// A blocking read at a hot site is interrupted by handled signals: with
// SA_RESTART it restarts (the Sentry backs rip over the syscall, which on a
// patched site lands inside the jump) and gets its data; without, EINTR.
void ReadThroughSignals(bool restart) {
  struct sigaction sa = {};
  sa.sa_handler = CountSignal;
  sa.sa_flags = restart ? SA_RESTART : 0;
  struct sigaction old;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  char c;
  for (int i = 0; i < 20; i++) {
    ASSERT_EQ(write(p[1], "w", 1), 1);
    ASSERT_EQ(SiteRead(p[0], &c, 1), 1);
  }
  handled = 0;
  pthread_t reader = pthread_self();
  std::thread kicker([&] {
    for (int i = 0; i < 3; i++) {
      usleep(30 * 1000);
      pthread_kill(reader, SIGUSR1);
      while (handled.load() <= i) usleep(1000);
    }
    usleep(30 * 1000);
    (void)!write(p[1], "x", 1);
  });
  c = 0;
  long r = SiteRead(p[0], &c, 1);
  kicker.join();
  if (restart) {
    EXPECT_EQ(r, 1);
    EXPECT_EQ(c, 'x');
    EXPECT_EQ(handled.load(), 3);
  } else {
    EXPECT_EQ(r, -EINTR);
    EXPECT_GE(handled.load(), 1);
  }
  close(p[0]);
  close(p[1]);
  sigaction(SIGUSR1, &old, nullptr);
}

TEST(SyscallSite, BlockedReadRestartsAfterHandlers) { ReadThroughSignals(true); }
TEST(SyscallSite, BlockedReadWithoutRestartFailsWithEINTR) { ReadThroughSignals(false); }

// A signal sent from a hot site is handled on the way back from it: the
// handler's frame and its rt_sigreturn hand back the caller's state.
TEST(SyscallSite, HandlersRunOnTheWayBackFromASite) {
  struct sigaction sa = {};
  sa.sa_handler = CountSignal;
  struct sigaction old;
  ASSERT_EQ(sigaction(SIGUSR2, &sa, &old), 0);
  handled = 0;
  long pid = getpid(), tid = gettid();
  double acc = 1.0;
  for (int i = 0; i < 100; i++) {
    acc = acc * 1.5 + 1.0;
    ASSERT_EQ(SiteTgkill(pid, tid, SIGUSR2), 0);
    ASSERT_EQ(handled.load(), i + 1);
  }
  double want = 1.0;
  for (int i = 0; i < 100; i++) want = want * 1.5 + 1.0;
  EXPECT_EQ(acc, want);
  sigaction(SIGUSR2, &old, nullptr);
}

// After fork each process patches its own copy: a site the child patches
// must not change the parent's code or trampolines, and the other way round.
TEST(SyscallSite, ForkedProcessesPatchTheirOwnCopies) {
  for (int i = 0; i < 100; i++) ASSERT_EQ(SiteGetppid(), getppid());
  long parent = getpid();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    bool ok = true;
    for (int i = 0; i < 100; i++) ok = ok && SiteGetppid() == parent;            // inherited
    for (int i = 0; i < 100; i++) ok = ok && SiteGetpidInChild() == getpid();    // the child's own
    _exit(ok ? 0 : 1);
  }
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // The parent now heats another site, which may take the trampoline the
  // child took; the child's site is unchanged here.
  for (int i = 0; i < 100; i++) ASSERT_EQ(SiteGetppidInParent(), getppid());
  for (int i = 0; i < 100; i++) ASSERT_EQ(SiteGetpidInChild(), parent);
}

// A patched image is gone after execve: the new image starts unpatched and
// patches its own sites.
TEST(SyscallSite, ExecStartsOver) {
  for (int i = 0; i < 100; i++) ASSERT_EQ(SiteGetppid(), getppid());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const char* argv[] = {"syscall_site_test", "--gtest_filter=SyscallSite.HotSiteReturnsTheRightValue", nullptr};
    unsetenv("STOCKADE_EXPECT_SITE_PATCHING");
    execv("/proc/self/exe", const_cast<char* const*>(argv));
    _exit(127);
  }
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
