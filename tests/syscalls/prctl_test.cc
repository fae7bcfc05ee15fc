// prctl (name, pdeathsig, dumpable, no_new_privs, keepcaps, child subreaper), arch_prctl,
// uname/gethostname/sethostname.
#include <asm/prctl.h>
#include <climits>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

#include "test_util.h"

namespace conformance {
namespace {

TEST(Prctl, SetNameGetName) {
  char orig[16] = {};
  ASSERT_EQ(prctl(PR_GET_NAME, orig), 0);
  ASSERT_EQ(prctl(PR_SET_NAME, "conformance"), 0);
  char got[16] = {};
  ASSERT_EQ(prctl(PR_GET_NAME, got), 0);
  EXPECT_STREQ(got, "conformance");
  ASSERT_EQ(prctl(PR_SET_NAME, orig), 0);
}

TEST(Prctl, SetNameTruncatesTo15Bytes) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(prctl(PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz") == 0);
    char got[32];
    memset(got, 'X', sizeof got);
    CHILD_CHECK(prctl(PR_GET_NAME, got) == 0);
    CHILD_CHECK(strcmp(got, "abcdefghijklmno") == 0);
    return 0;
  });
}

TEST(Prctl, NameIsPerThread) {
  char main_name[16] = {};
  ASSERT_EQ(prctl(PR_GET_NAME, main_name), 0);
  pthread_t t;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void*) -> void* {
                  prctl(PR_SET_NAME, "worker");
                  return nullptr;
                },
                nullptr),
            0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  char after[16] = {};
  ASSERT_EQ(prctl(PR_GET_NAME, after), 0);
  EXPECT_STREQ(after, main_name);
}

TEST(Prctl, NameEFAULT) {
  EXPECT_ERRNO(EFAULT, prctl(PR_GET_NAME, BadPointer()));
  EXPECT_ERRNO(EFAULT, prctl(PR_SET_NAME, BadPointer()));
}

TEST(Prctl, PdeathsigSetGet) {
  EXPECT_CHILD_OK([] {
    int sig = -1;
    CHILD_CHECK(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == 0);
    CHILD_CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1) == 0);
    CHILD_CHECK(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == SIGUSR1);
    CHILD_CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, 65), EINVAL);
    CHILD_CHECK_ERRNO(prctl(PR_GET_PDEATHSIG, BadPointer()), EFAULT);
    return 0;
  });
}

TEST(Prctl, PdeathsigDeliveredWhenParentDies) {
  // top (us, a subreaper) -> middle -> grandchild with PDEATHSIG=SIGUSR1 (default action:
  // terminate). When middle exits the grandchild is signalled and reparented to us.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int pids[2], armed[2];
  ASSERT_EQ(pipe2(pids, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(armed, O_CLOEXEC), 0);
  pid_t middle = ForkChild([&] {
    pid_t g = fork();
    if (g == 0) {
      CHILD_CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1) == 0);
      CHILD_CHECK(write(armed[1], "r", 1) == 1);
      for (;;) pause();
    }
    CHILD_CHECK(write(pids[1], &g, sizeof g) == sizeof g);
    char c;
    CHILD_CHECK(read(armed[0], &c, 1) == 1);  // wait until PDEATHSIG is armed
    return 0;
  });
  ASSERT_GT(middle, 0);
  pid_t g = 0;
  ASSERT_EQ(read(pids[0], &g, sizeof g), (ssize_t)sizeof g);
  EXPECT_EXITED(WaitStatus(middle), 0);
  EXPECT_SIGNALED(WaitStatus(g), SIGUSR1);
  for (int fd : {pids[0], pids[1], armed[0], armed[1]}) close(fd);
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

TEST(Prctl, Dumpable) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(prctl(PR_GET_DUMPABLE) == 1);
    CHILD_CHECK(prctl(PR_SET_DUMPABLE, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_DUMPABLE) == 0);
    CHILD_CHECK_ERRNO(prctl(PR_SET_DUMPABLE, 2), EINVAL);
    CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1) == 0);
    CHILD_CHECK(prctl(PR_GET_DUMPABLE) == 1);
    return 0;
  });
}

TEST(Prctl, NoNewPrivsIsOneWay) {
  EXPECT_CHILD_OK([] {
    int before = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    CHILD_CHECK(before == 0 || before == 1);
    CHILD_CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
    CHILD_CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
    CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
    return 0;
  });
}

TEST(Prctl, NoNewPrivsInheritedByChild) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
    pid_t g = fork();
    if (g == 0) _exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
    int st = WaitStatus(g);
    CHILD_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return 0;
  });
}

TEST(Prctl, Keepcaps) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(prctl(PR_GET_KEEPCAPS) == 0);
    CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 1) == 0);
    CHILD_CHECK(prctl(PR_GET_KEEPCAPS) == 1);
    CHILD_CHECK_ERRNO(prctl(PR_SET_KEEPCAPS, 2), EINVAL);
    CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 0) == 0);
    CHILD_CHECK(prctl(PR_GET_KEEPCAPS) == 0);
    return 0;
  });
}

TEST(Prctl, ChildSubreaperSetGet) {
  EXPECT_CHILD_OK([] {
    int v = -1;
    CHILD_CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 0);
    CHILD_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    CHILD_CHECK(prctl(PR_GET_CHILD_SUBREAPER, &v) == 0 && v == 1);
    CHILD_CHECK_ERRNO(prctl(PR_GET_CHILD_SUBREAPER, BadPointer()), EFAULT);
    return 0;
  });
}

TEST(Prctl, UnknownOptionEINVAL) {
  EXPECT_ERRNO(EINVAL, prctl(0x7fff1234, 0, 0, 0, 0));
}

unsigned long ReadFsWord0() {
  unsigned long v;
  asm volatile("mov %%fs:0, %0" : "=r"(v));
  return v;
}

long RawArchPrctl(int code, unsigned long addr) {
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(SYS_arch_prctl), "D"(code), "S"(addr)
               : "rcx", "r11", "memory");
  return ret;
}

TEST(ArchPrctl, GetFsIsThreadPointer) {
  unsigned long fs = 0;
  ASSERT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
  EXPECT_NE(fs, 0u);
  // x86-64 TLS: %fs:0 holds the thread control block's own address, which glibc also
  // returns as pthread_self().
  EXPECT_EQ(ReadFsWord0(), fs);
  EXPECT_EQ(fs, (unsigned long)pthread_self());
}

TEST(ArchPrctl, SetFsThenRestore) {
  EXPECT_CHILD_OK([] {
    alignas(64) static unsigned long tcb[64];
    tcb[0] = (unsigned long)tcb;
    tcb[1] = 0x5eed;
    unsigned long old = 0;
    CHILD_CHECK(syscall(SYS_arch_prctl, ARCH_GET_FS, &old) == 0);
    // Between the two raw syscalls nothing may touch TLS (errno, stack protector).
    long r1 = RawArchPrctl(ARCH_SET_FS, (unsigned long)tcb);
    unsigned long w0 = ReadFsWord0();
    unsigned long w1;
    asm volatile("mov %%fs:8, %0" : "=r"(w1));
    unsigned long got = 0;
    long r2 = RawArchPrctl(ARCH_GET_FS, (unsigned long)&got);
    long r3 = RawArchPrctl(ARCH_SET_FS, old);
    CHILD_CHECK(r1 == 0 && r2 == 0 && r3 == 0);
    CHILD_CHECK(w0 == (unsigned long)tcb);
    CHILD_CHECK(w1 == 0x5eed);
    CHILD_CHECK(got == (unsigned long)tcb);
    return 0;
  });
}

TEST(ArchPrctl, Errors) {
  EXPECT_ERRNO(EINVAL, syscall(SYS_arch_prctl, 0x9999, 0));
  EXPECT_ERRNO(EFAULT, syscall(SYS_arch_prctl, ARCH_GET_FS, BadPointer()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_arch_prctl, ARCH_GET_GS, UnmappedAddress()));
  // A non-canonical (kernel-half) base is refused.
  EXPECT_CHILD_OK([] {
    long r = RawArchPrctl(ARCH_SET_FS, 0xffff800000000000ul);
    return r == -EPERM ? 0 : 1;
  });
}

TEST(Uname, Fields) {
  struct utsname u;
  ASSERT_EQ(uname(&u), 0);
  EXPECT_STREQ(u.sysname, "Linux");
  EXPECT_STREQ(u.machine, "x86_64");
  EXPECT_GT(strlen(u.nodename), 0u);
  EXPECT_GT(strlen(u.version), 0u);
  ASSERT_GT(strlen(u.release), 0u);
  EXPECT_TRUE(u.release[0] >= '1' && u.release[0] <= '9') << u.release;
}

TEST(Uname, NodenameIsHostname) {
  struct utsname u;
  ASSERT_EQ(uname(&u), 0);
  char host[HOST_NAME_MAX + 1] = {};
  ASSERT_EQ(gethostname(host, sizeof host), 0);
  EXPECT_STREQ(host, u.nodename);
  if (InSandbox()) {
    EXPECT_STREQ(host, "stockade");  // the default spec's hostname
  }
}

TEST(Uname, EFAULT) {
  EXPECT_ERRNO(EFAULT, syscall(SYS_uname, BadPointer()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_uname, UnmappedAddress()));
}

TEST(Uname, SethostnameChecksPrivilegeThenLength) {
  // Never changes the name: the length is invalid, so the call fails either way; which
  // error comes first pins the order of the checks (privilege, then length).
  char name[128];
  memset(name, 'a', sizeof name);
  int want = HasCap(CAP_SYS_ADMIN) ? EINVAL : EPERM;
  EXPECT_ERRNO(want, sethostname(name, sizeof name));
  EXPECT_ERRNO(want, syscall(SYS_sethostname, name, -1));
}

}  // namespace
}  // namespace conformance
