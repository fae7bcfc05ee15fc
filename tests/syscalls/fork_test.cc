// fork, vfork, clone (processes and threads), pthread_create/join.
#include <asm/prctl.h>
#include <atomic>
#include <climits>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <vector>

#include "test_util.h"

namespace conformance {
namespace {

TEST(Fork, ChildGetsZeroParentGetsPid) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    pid_t me = getpid();
    write(p[1], &me, sizeof me);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  pid_t reported = 0;
  ASSERT_EQ(read(p[0], &reported, sizeof reported), (ssize_t)sizeof reported);
  EXPECT_EQ(reported, pid);
  EXPECT_EXITED(WaitStatus(pid), 0);
  close(p[0]);
  close(p[1]);
}

TEST(Fork, ChildSeesCopyOfParentMemory) {
  static int global = 0;
  global = 1234;
  std::vector<int> heap(1000, 7);
  int stack_var = 99;
  EXPECT_CHILD_OK([&] {
    CHILD_CHECK(global == 1234);
    CHILD_CHECK(stack_var == 99);
    for (int v : heap) CHILD_CHECK(v == 7);
    return 0;
  });
}

TEST(Fork, ChildWritesInvisibleToParent) {
  static volatile int global = 5;
  std::vector<int> heap(4096, 1);
  EXPECT_CHILD_OK([&] {
    global = 6;
    for (auto& v : heap) v = 2;
    return 0;
  });
  EXPECT_EQ(global, 5);
  EXPECT_EQ(heap[0], 1);
  EXPECT_EQ(heap[4095], 1);
}

TEST(Fork, ParentWritesAfterForkInvisibleToChild) {
  static volatile int global;
  global = 10;
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);
  pid_t pid = ForkChild([&] {
    close(go[1]);
    char c;
    CHILD_CHECK(read(go[0], &c, 1) == 0);
    CHILD_CHECK(global == 10);
    return 0;
  });
  ASSERT_GT(pid, 0);
  global = 11;  // after fork, before the child reads
  close(go[1]);
  close(go[0]);
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_EQ(global, 11);
}

TEST(Fork, FileDescriptorsAreShared) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t pid = ForkChild([&] {
    close(p[0]);
    CHILD_CHECK(write(p[1], "hello", 5) == 5);
    return 0;
  });
  close(p[1]);
  EXPECT_EQ(ReadAll(p[0]), "hello");
  close(p[0]);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(Fork, FileOffsetIsShared) {
  TempDir dir;
  int fd = open(dir.Join("f").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_CHILD_OK([fd] { return write(fd, "abc", 3) == 3 ? 0 : 1; });
  // The open file description (and its offset) is shared with the child.
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 3);
  close(fd);
}

TEST(Vfork, ParentSuspendedUntilChildExits) {
  static volatile int shared;
  shared = 0;
  pid_t pid = vfork();
  if (pid == 0) {
    // Same memory as the parent, which does not run until we _exit.
    shared = 42;
    _exit(3);
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(shared, 42);
  EXPECT_EXITED(WaitStatus(pid), 3);
}

TEST(Vfork, ParentResumesAtExec) {
  static volatile int shared;
  shared = 0;
  std::string helper = HelperPath();
  const char* argv[] = {helper.c_str(), "exit", "7", nullptr};
  pid_t pid = vfork();
  if (pid == 0) {
    shared = 1;
    execv(argv[0], const_cast<char**>(argv));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(shared, 1);
  EXPECT_EXITED(WaitStatus(pid), 7);
}

// ---- raw clone -----------------------------------------------------------------------------

constexpr size_t kStackSize = 256 * 1024;

struct Stack {
  char* base;
  Stack() {
    base = static_cast<char*>(mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0));
  }
  ~Stack() { munmap(base, kStackSize); }
  void* top() { return base + kStackSize; }
};

long FutexWait(volatile int* addr, int val) {
  return syscall(SYS_futex, addr, FUTEX_WAIT, val, nullptr, nullptr, 0);
}

// Waits until the kernel clears *ctid at thread exit (CLONE_CHILD_CLEARTID).
void WaitCleared(volatile int* ctid) {
  for (;;) {
    int v = *ctid;
    if (v == 0) return;
    FutexWait(ctid, v);
  }
}

struct ThreadReport {
  std::atomic<long> tid{0};
  std::atomic<unsigned long> fs_word0{0};
  std::atomic<unsigned long> fs_base{0};
};

// Runs on a raw CLONE_THREAD with its own TLS: no libc calls that touch TLS.
__attribute__((no_stack_protector)) int RawThread(void* arg) {
  auto* r = static_cast<ThreadReport*>(arg);
  unsigned long w0, base = 0;
  asm volatile("mov %%fs:0, %0" : "=r"(w0));
  long ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "0"(SYS_arch_prctl), "D"(ARCH_GET_FS), "S"(&base)
               : "rcx", "r11", "memory");
  long tid;
  asm volatile("syscall" : "=a"(tid) : "0"(SYS_gettid) : "rcx", "r11", "memory");
  r->fs_word0 = w0;
  r->fs_base = base;
  r->tid = tid;
  return 0;  // glibc's clone() then makes the exit syscall (this thread only)
}

constexpr int kThreadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                             CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                             CLONE_CHILD_CLEARTID;

TEST(Clone, ThreadWithTlsAndTidAddresses) {
  Stack stack;
  ASSERT_NE(stack.base, MAP_FAILED);
  alignas(64) static unsigned long tls[64];
  tls[0] = (unsigned long)tls;
  ThreadReport report;
  static volatile int ptid, ctid;
  ptid = 0;
  ctid = -1;
  int tid = clone(RawThread, stack.top(), kThreadFlags, &report, (pid_t*)&ptid, tls, (pid_t*)&ctid);
  ASSERT_GT(tid, 0) << strerror(errno);
  // CLONE_PARENT_SETTID stores the tid before clone returns.
  EXPECT_EQ(ptid, tid);
  WaitCleared(&ctid);
  EXPECT_EQ(ctid, 0);
  EXPECT_EQ(report.tid.load(), tid);
  EXPECT_NE(tid, getpid());
  EXPECT_EQ(report.fs_word0.load(), (unsigned long)tls);
  EXPECT_EQ(report.fs_base.load(), (unsigned long)tls);
  // A thread is not a child: nothing to wait for.
  EXPECT_ERRNO(ECHILD, waitpid(tid, nullptr, WNOHANG | __WALL));
}

__attribute__((no_stack_protector)) int SlowRawThread(void* arg) {
  // Sleep ~50 ms so the parent is likely already in FUTEX_WAIT when the tid is cleared.
  struct timespec ts = {0, 50 * 1000 * 1000};
  long ret;
  asm volatile("syscall" : "=a"(ret) : "0"(SYS_nanosleep), "D"(&ts), "S"(0) : "rcx", "r11", "memory");
  *static_cast<volatile int*>(arg) = 1;
  return 0;
}

TEST(Clone, ChildClearTidWakesFutexWaiter) {
  Stack stack;
  ASSERT_NE(stack.base, MAP_FAILED);
  alignas(64) static unsigned long tls[64];
  tls[0] = (unsigned long)tls;
  static volatile int ptid, ctid, ran;
  ran = 0;
  ctid = -1;  // the kernel writes 0 here at thread exit
  int tid = clone(SlowRawThread, stack.top(), kThreadFlags, (void*)&ran, (pid_t*)&ptid, tls, (pid_t*)&ctid);
  ASSERT_GT(tid, 0) << strerror(errno);
  // Without the wake at exit this would block forever (ctest's timeout is the guard).
  WaitCleared(&ctid);
  EXPECT_EQ(ran, 1);
}

int ReturnFive(void*) { return 5; }

TEST(Clone, ProcessWithSigchldIsWaitable) {
  Stack stack;
  ASSERT_NE(stack.base, MAP_FAILED);
  pid_t pid = clone(ReturnFive, stack.top(), SIGCHLD, nullptr);
  ASSERT_GT(pid, 0);
  EXPECT_EXITED(WaitStatus(pid), 5);
}

TEST(Clone, ProcessWithoutExitSignalNeedsWclone) {
  Stack stack;
  ASSERT_NE(stack.base, MAP_FAILED);
  pid_t pid = clone(ReturnFive, stack.top(), 0, nullptr);
  ASSERT_GT(pid, 0);
  // A "clone" child (exit signal not SIGCHLD) is invisible to a plain wait.
  EXPECT_ERRNO(ECHILD, waitpid(pid, nullptr, 0));
  int st = 0;
  EXPECT_EQ(waitpid(pid, &st, __WCLONE), pid);
  EXPECT_EXITED(st, 5);
}

int WriteThroughPointer(void* arg) {
  *static_cast<volatile int*>(arg) = 77;
  return 0;
}

TEST(Clone, CloneVmSharesMemory) {
  Stack stack;
  ASSERT_NE(stack.base, MAP_FAILED);
  static volatile int target;
  target = 0;
  pid_t pid = clone(WriteThroughPointer, stack.top(), CLONE_VM | SIGCHLD, (void*)&target);
  ASSERT_GT(pid, 0);
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_EQ(target, 77);
  // Without CLONE_VM the write lands in the child's copy.
  target = 0;
  pid = clone(WriteThroughPointer, stack.top(), SIGCHLD, (void*)&target);
  ASSERT_GT(pid, 0);
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_EQ(target, 0);
}

int DupStdin(void* arg) {
  long fd;
  asm volatile("syscall" : "=a"(fd) : "0"(SYS_dup), "D"(0) : "rcx", "r11", "memory");
  *static_cast<volatile long*>(arg) = fd;
  return 0;
}

TEST(Clone, CloneFilesSharesFdTable) {
  Stack stack;
  ASSERT_NE(stack.base, MAP_FAILED);
  static volatile long fd;
  fd = -1;
  pid_t pid = clone(DupStdin, stack.top(), CLONE_VM | CLONE_FILES | SIGCHLD, (void*)&fd);
  ASSERT_GT(pid, 0);
  EXPECT_EXITED(WaitStatus(pid), 0);
  ASSERT_GE(fd, 0);
  // The child's new descriptor exists in our table.
  EXPECT_EQ(fcntl((int)fd, F_GETFD), 0);
  EXPECT_EQ(close((int)fd), 0);
}

TEST(Clone, InvalidFlagCombinationsEINVAL) {
  // CLONE_THREAD requires CLONE_SIGHAND; CLONE_SIGHAND requires CLONE_VM.
  EXPECT_ERRNO(EINVAL, syscall(SYS_clone, CLONE_THREAD | SIGCHLD, nullptr, nullptr, nullptr, 0));
  EXPECT_ERRNO(EINVAL, syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, nullptr, nullptr, nullptr, 0));
  // (Namespace-flag conflicts such as CLONE_FS|CLONE_NEWNS are not tested: the default
  // container seccomp profile refuses namespace flags with EPERM before the kernel looks.)
}

TEST(Threads, CreateAndJoinMany) {
  constexpr int kThreads = 64;
  static std::atomic<int> counter;
  counter = 0;
  std::vector<pthread_t> threads(kThreads);
  for (long i = 0; i < kThreads; i++) {
    ASSERT_EQ(pthread_create(
                  &threads[i], nullptr,
                  [](void* arg) -> void* {
                    counter.fetch_add(1);
                    return reinterpret_cast<void*>(reinterpret_cast<long>(arg) * 3);
                  },
                  reinterpret_cast<void*>(i)),
              0);
  }
  for (long i = 0; i < kThreads; i++) {
    void* ret = nullptr;
    ASSERT_EQ(pthread_join(threads[i], &ret), 0);
    EXPECT_EQ(reinterpret_cast<long>(ret), i * 3);
  }
  EXPECT_EQ(counter.load(), kThreads);
}

TEST(Threads, DistinctTidsSharedFdsAndMemory) {
  struct Shared {
    int fd = -1;
    pid_t tid = 0;
    pid_t pid = 0;
  } s;
  pthread_t t;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void* arg) -> void* {
                  auto* s = static_cast<Shared*>(arg);
                  s->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                  s->tid = syscall(SYS_gettid);
                  s->pid = getpid();
                  return nullptr;
                },
                &s),
            0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  EXPECT_EQ(s.pid, getpid());
  EXPECT_NE(s.tid, getpid());
  ASSERT_GE(s.fd, 0);
  EXPECT_EQ(close(s.fd), 0);
}

TEST(Threads, ThreadExitLeavesProcessRunning) {
  EXPECT_CHILD_OK([] {
    pthread_t t;
    CHILD_CHECK(pthread_create(
                    &t, nullptr,
                    [](void*) -> void* {
                      syscall(SYS_exit, 9);  // ends this thread only
                      return nullptr;
                    },
                    nullptr) == 0);
    pthread_join(t, nullptr);
    return 0;
  });
}

TEST(Threads, ExitGroupFromThreadEndsProcess) {
  int status = RunInChild([] {
    pthread_t t;
    pthread_create(
        &t, nullptr,
        [](void*) -> void* {
          syscall(SYS_exit_group, 23);
          return nullptr;
        },
        nullptr);
    for (;;) pause();
    return 0;
  });
  EXPECT_EXITED(status, 23);
}

TEST(Threads, MainThreadExitKeepsOthersRunning) {
  // The leader calls the exit syscall (not exit_group): the process lives on until the last
  // thread exits, and its status is the last thread's exit_group code.
  int status = RunInChild([] {
    pthread_t t;
    pthread_create(
        &t, nullptr,
        [](void*) -> void* {
          struct timespec ts = {0, 20 * 1000 * 1000};
          nanosleep(&ts, nullptr);
          syscall(SYS_exit_group, 31);
          return nullptr;
        },
        nullptr);
    syscall(SYS_exit, 0);
    return 1;
  });
  EXPECT_EXITED(status, 31);
}

TEST(Threads, ForkFromThreadCopiesOnlyCallingThread) {
  struct Result {
    int status = -1;
  } r;
  pthread_t t;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void* arg) -> void* {
                  auto* r = static_cast<Result*>(arg);
                  pid_t pid = fork();
                  if (pid == 0) {
                    // The child is single-threaded: its only thread is its leader.
                    _exit(syscall(SYS_gettid) == getpid() ? 0 : 1);
                  }
                  r->status = WaitStatus(pid);
                  return nullptr;
                },
                &r),
            0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  EXPECT_EXITED(r.status, 0);
}

}  // namespace
}  // namespace conformance
