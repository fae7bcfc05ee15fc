// A hostile application: wild pointers in every pointer argument, a signal
// delivered onto an unmapped stack, a fork bomb against RLIMIT_NPROC, and
// absurd sizes. Each must get the errno or signal Linux gives, and the kernel
// serving it (the host's, or the Sentry) must stay up.
#include <linux/futex.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include "test_util.h"

namespace conformance {
namespace {

// Addresses no application can use: NULL+1, an unmapped page, the top of the
// user range, a kernel address, the all-ones address.
std::vector<uint64_t> WildPointers() {
  return {1, reinterpret_cast<uint64_t>(UnmappedAddress()), 0x7ffffffff000ull, 0xffffffff81000000ull, ~0ull};
}

struct PointerCase {
  const char* name;
  long nr;
  int slot;             // which argument gets the wild pointer
  std::vector<long> a;  // the other arguments
};

TEST(Hostile, WildPointersInEveryPointerSlotGiveEFAULT) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  ASSERT_EQ(write(p[1], "x", 1), 1);
  int fd = open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  std::vector<PointerCase> cases = {
      {"read", SYS_read, 1, {p[0], 0, 1}},
      {"write", SYS_write, 1, {p[1], 0, 1}},
      {"readv", SYS_readv, 1, {p[0], 0, 1}},
      {"writev", SYS_writev, 1, {p[1], 0, 1}},
      {"open", SYS_open, 0, {0, O_RDONLY}},
      {"openat", SYS_openat, 1, {AT_FDCWD, 0, O_RDONLY}},
      {"stat", SYS_stat, 0, {0, 0}},
      {"stat buf", SYS_stat, 1, {reinterpret_cast<long>("/"), 0}},
      {"fstat", SYS_fstat, 1, {fd, 0}},
      {"newfstatat", SYS_newfstatat, 2, {AT_FDCWD, reinterpret_cast<long>("/"), 0, 0}},
      {"getdents64", SYS_getdents64, 1, {fd, 0, 4096}},
      {"pipe", SYS_pipe, 0, {0}},
      {"uname", SYS_uname, 0, {0}},
      {"clock_gettime", SYS_clock_gettime, 1, {CLOCK_MONOTONIC, 0}},
      {"gettimeofday", SYS_gettimeofday, 0, {0, 0}},
      {"nanosleep", SYS_nanosleep, 0, {0, 0}},
      {"rt_sigaction new", SYS_rt_sigaction, 1, {SIGUSR1, 0, 0, 8}},
      {"rt_sigaction old", SYS_rt_sigaction, 2, {SIGUSR1, 0, 0, 8}},
      {"rt_sigprocmask", SYS_rt_sigprocmask, 1, {SIG_BLOCK, 0, 0, 8}},
      {"rt_sigpending", SYS_rt_sigpending, 0, {0, 8}},
      {"sigaltstack", SYS_sigaltstack, 0, {0, 0}},
      {"getrlimit", SYS_getrlimit, 1, {RLIMIT_NOFILE, 0}},
      {"prlimit64 new", SYS_prlimit64, 2, {0, RLIMIT_NOFILE, 0, 0}},
      {"getresuid", SYS_getresuid, 0, {0, 0, 0}},
      {"getcwd", SYS_getcwd, 0, {0, 4096}},
      {"readlink", SYS_readlink, 0, {0, 0, 16}},
      {"chdir", SYS_chdir, 0, {0}},
      {"getrandom", SYS_getrandom, 0, {0, 16, 0}},
      {"wait4 status", SYS_wait4, 1, {-1, 0, WNOHANG, 0}},
      {"futex", SYS_futex, 0, {0, FUTEX_WAIT_PRIVATE, 0, 0}},
      {"execve path", SYS_execve, 0, {0, 0, 0}},
      {"sched_getaffinity", SYS_sched_getaffinity, 2, {0, 128, 0}},
      {"sysinfo", SYS_sysinfo, 0, {0}},
  };
  for (const auto& c : cases) {
    for (uint64_t wild : WildPointers()) {
      long a[6] = {0, 0, 0, 0, 0, 0};
      for (size_t i = 0; i < c.a.size() && i < 6; i++) a[i] = c.a[i];
      a[c.slot] = static_cast<long>(wild);
      // wait4 with WNOHANG and no children is ECHILD before it touches memory.
      errno = 0;
      long r = syscall(c.nr, a[0], a[1], a[2], a[3], a[4], a[5]);
      int e = errno;
      // futex checks alignment (EINVAL) before it touches the word.
      if (c.nr == SYS_futex && (wild & 3)) continue;
      if (c.nr == SYS_wait4) {
        EXPECT_EQ(r, -1) << c.name;
        EXPECT_EQ(e, ECHILD) << c.name;
        continue;
      }
      EXPECT_EQ(r, -1) << c.name << " with " << std::hex << wild;
      EXPECT_EQ(e, EFAULT) << c.name << " with " << std::hex << wild << ": " << strerror(e);
    }
  }
  close(fd);
  close(p[0]);
  close(p[1]);
}

void Handler(int) {}

TEST(Hostile, SignalOntoAnUnmappedStackKillsWithSIGSEGV) {
  pid_t child = ForkChild([] {
    struct sigaction sa = {};
    sa.sa_handler = Handler;
    sigaction(SIGUSR1, &sa, nullptr);
    pid_t self = getpid();
    // With the stack pointer in unmapped memory, the kernel cannot write the
    // signal frame: the process dies of SIGSEGV.
    __asm__ volatile(
        "mov %0, %%edi\n\t"
        "mov $10, %%esi\n\t"
        "mov $62, %%eax\n\t"
        "mov $0x10000, %%rsp\n\t"
        "syscall\n\t"
        "ud2\n\t"
        :
        : "r"(self)
        : "rdi", "rsi", "rax", "rcx", "r11", "memory");
    return 0;
  });
  int status = WaitStatus(child);
  EXPECT_TRUE(WIFSIGNALED(status)) << DescribeStatus(status);
  EXPECT_EQ(WTERMSIG(status), SIGSEGV) << DescribeStatus(status);
}

TEST(Hostile, ForkBombStopsAtRlimitNproc) {
  // A container's default capabilities lack CAP_SETUID: there the pids
  // cgroup limit is what stops a bomb (tests/e2e/sentry_busybox.sh).
  if (!HasCap(CAP_SETUID) || !HasCap(CAP_SETGID)) GTEST_SKIP() << "needs CAP_SETUID to become nobody";
  int status = RunInChild([] {
    // Linux exempts root and holders of CAP_SYS_ADMIN/CAP_SYS_RESOURCE: the
    // bomb runs as nobody, with no capabilities left.
    struct rlimit rl = {32, 32};
    CHILD_CHECK(setrlimit(RLIMIT_NPROC, &rl) == 0);
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    int failed_errno = 0;
    size_t made = ForkUntilRefused(200, &failed_errno);
    CHILD_CHECK(failed_errno == EAGAIN);
    CHILD_CHECK(made < 200);
    return 0;
  });
  EXPECT_EQ(status, 0);
}

TEST(Hostile, AbsurdSizesAreRefused) {
  EXPECT_EQ(mmap(nullptr, 1ull << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(syscall(SYS_mremap, 0x10000, 4096, 1ull << 62, 0, 0), -1);
  char buf[8];
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  close(p[1]);
  // A count that runs the buffer past the end of user space is EFAULT up front.
  EXPECT_EQ(read(p[0], buf, ~0ul >> 1), -1);
  EXPECT_EQ(errno, EFAULT);
  close(p[0]);
  struct iovec iov[2] = {{buf, 8}, {buf, ~0ul}};  // a length past SSIZE_MAX
  int fd = open("/dev/null", O_WRONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(writev(fd, iov, 2), -1);
  EXPECT_EQ(errno, EINVAL);
  close(fd);
}

}  // namespace
}  // namespace conformance
