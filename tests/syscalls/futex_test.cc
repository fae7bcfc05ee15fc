// futex (WAIT/WAKE, REQUEUE/CMP_REQUEUE, *_BITSET, WAKE_OP, LOCK_PI/UNLOCK_PI, private and
// shared), set_tid_address, set_robust_list/get_robust_list and robust-mutex owner death.
//
// Whether a waiter is already asleep is observed without timing: FUTEX_CMP_REQUEUE with
// nr_wake = 0 moves sleeping waiters to a second futex and returns how many it moved.
#include <atomic>
#include <climits>
#include <linux/futex.h>
#include <pthread.h>
#include <vector>

#include "test_util.h"

namespace conformance {
namespace {

long Futex(void* uaddr, int op, int val, const void* timeout_or_val2 = nullptr,
           void* uaddr2 = nullptr, int val3 = 0) {
  return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

// Moves every waiter sleeping on `from` to `to` (whose value is irrelevant) until `n`
// waiters have been moved in total. Fails the test after 30 s.
void RequeueUntil(int* from, int* to, int n, bool priv = true) {
  int op = FUTEX_CMP_REQUEUE | (priv ? FUTEX_PRIVATE_FLAG : 0);
  int moved = 0;
  int64_t deadline = NowNs() + 30ll * 1000000000;
  while (moved < n) {
    long r = Futex(from, op, 0, reinterpret_cast<void*>(static_cast<long>(INT_MAX)), to,
                   __atomic_load_n(from, __ATOMIC_SEQ_CST));
    if (r > 0) moved += r;
    if (NowNs() > deadline) {
      ADD_FAILURE() << "only " << moved << " of " << n << " waiters arrived";
      return;
    }
    if (moved < n) sched_yield();
  }
  EXPECT_EQ(moved, n);
}

struct Waiters {
  std::vector<pthread_t> threads;
  std::atomic<int> woken{0};
  int* word;
  int op;
  int bitset;
  Waiters(int* w, int n, int op_ = FUTEX_WAIT_PRIVATE, int bitset_ = FUTEX_BITSET_MATCH_ANY)
      : threads(n), word(w), op(op_), bitset(bitset_) {
    for (auto& t : threads) {
      pthread_create(
          &t, nullptr,
          [](void* arg) -> void* {
            auto* w = static_cast<Waiters*>(arg);
            // Retry spurious/early returns while the word still says "wait".
            for (;;) {
              long r = Futex(w->word, w->op, 0, nullptr, nullptr, w->bitset);
              if (r == 0) break;
              if (errno == EAGAIN && __atomic_load_n(w->word, __ATOMIC_SEQ_CST) != 0) break;
            }
            w->woken++;
            return nullptr;
          },
          this);
    }
  }
  void Join() {
    for (auto& t : threads) pthread_join(t, nullptr);
    threads.clear();
  }
  ~Waiters() { Join(); }
};

TEST(Futex, WaitValueMismatchEAGAIN) {
  int word = 1;
  EXPECT_ERRNO(EAGAIN, Futex(&word, FUTEX_WAIT_PRIVATE, 0));
  EXPECT_ERRNO(EAGAIN, Futex(&word, FUTEX_WAIT, 2));
}

TEST(Futex, WaitTimeoutETIMEDOUT) {
  int word = 0;
  struct timespec ts = {0, 10 * 1000 * 1000};
  int64_t start = NowNs();
  EXPECT_ERRNO(ETIMEDOUT, Futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts));
  EXPECT_GE(NowNs() - start, 10 * 1000 * 1000);  // never early
}

TEST(Futex, WaitInvalidTimeoutEINVAL) {
  int word = 0;
  struct timespec ts = {0, 1000000000};
  EXPECT_ERRNO(EINVAL, Futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts));
  ts = {-1, 0};
  EXPECT_ERRNO(EINVAL, Futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts));
}

TEST(Futex, WakeWithoutWaitersReturnsZero) {
  int word = 0;
  EXPECT_EQ(Futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX), 0);
  EXPECT_EQ(Futex(&word, FUTEX_WAKE, 1), 0);
}

TEST(Futex, WakeCountAndRequeue) {
  static int word, second;
  word = 0;
  second = 0;
  Waiters w(&word, 3);
  RequeueUntil(&word, &second, 3);  // all three asleep, now on `second`
  EXPECT_EQ(Futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX), 0);  // none left on `word`
  EXPECT_EQ(Futex(&second, FUTEX_WAKE_PRIVATE, 1), 1);
  EXPECT_EQ(Futex(&second, FUTEX_WAKE_PRIVATE, INT_MAX), 2);
  w.Join();
  EXPECT_EQ(w.woken.load(), 3);
}

TEST(Futex, RequeueWakesSomeMovesRest) {
  static int word, second;
  word = 0;
  second = 0;
  Waiters w(&word, 4);
  static int staging;
  staging = 0;
  RequeueUntil(&word, &staging, 4);
  // Back to `word` so the plain REQUEUE below finds them there.
  EXPECT_EQ(Futex(&staging, FUTEX_REQUEUE_PRIVATE, 0, reinterpret_cast<void*>(INT_MAX), &word),
            4);
  // FUTEX_REQUEUE: wake 1, move up to 2, the fourth stays.
  EXPECT_EQ(Futex(&word, FUTEX_REQUEUE_PRIVATE, 1, reinterpret_cast<void*>(2), &second), 3);
  EXPECT_EQ(Futex(&second, FUTEX_WAKE_PRIVATE, INT_MAX), 2);
  EXPECT_EQ(Futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX), 1);
  w.Join();
  EXPECT_EQ(w.woken.load(), 4);
}

TEST(Futex, CmpRequeueValueMismatchEAGAIN) {
  int word = 5, second = 0;
  EXPECT_ERRNO(EAGAIN, Futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<void*>(1),
                             &second, 6));
  EXPECT_EQ(Futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<void*>(1), &second, 5),
            0);
}

TEST(Futex, WaitBitsetWakeBitset) {
  static int word, second;
  word = 0;
  second = 0;
  Waiters w(&word, 1, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, 0x1);
  RequeueUntil(&word, &second, 1);  // requeue keeps the waiter's bitset
  EXPECT_EQ(Futex(&second, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, INT_MAX, nullptr, nullptr, 0x2),
            0);
  EXPECT_EQ(Futex(&second, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, INT_MAX, nullptr, nullptr, 0x3),
            1);
  w.Join();
}

TEST(Futex, BitsetZeroEINVAL) {
  int word = 0;
  EXPECT_ERRNO(EINVAL, Futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr, 0));
  EXPECT_ERRNO(EINVAL, Futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, nullptr, nullptr, 0));
}

TEST(Futex, WaitBitsetAbsoluteTimeout) {
  int word = 0;
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline (or CLOCK_REALTIME with
  // FUTEX_CLOCK_REALTIME); one in the past times out at once.
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec past = {now.tv_sec - 1, now.tv_nsec};
  EXPECT_ERRNO(ETIMEDOUT, Futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &past, nullptr,
                                FUTEX_BITSET_MATCH_ANY));
  clock_gettime(CLOCK_REALTIME, &now);
  past = {now.tv_sec - 1, now.tv_nsec};
  EXPECT_ERRNO(ETIMEDOUT, Futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &past,
                                nullptr, FUTEX_BITSET_MATCH_ANY));
  // Deadline 20 ms ahead: not before it.
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t deadline = int64_t(now.tv_sec) * 1000000000 + now.tv_nsec + 20 * 1000 * 1000;
  struct timespec dl = {deadline / 1000000000, deadline % 1000000000};
  EXPECT_ERRNO(ETIMEDOUT, Futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &dl, nullptr,
                                FUTEX_BITSET_MATCH_ANY));
  EXPECT_GE(NowNs(), deadline);
}

TEST(Futex, WakeOpModifiesSecondWord) {
  int word = 0, second = 5;
  // *second += 3 (old value compared: oldval == 5 -> also wake on second).
  int op = FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5);
  EXPECT_EQ(Futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<void*>(1), &second, op), 0);
  EXPECT_EQ(second, 8);
  op = FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_NE, 0);
  EXPECT_EQ(Futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<void*>(1), &second, op), 0);
  EXPECT_EQ(second, 1);
}

TEST(Futex, LockPiUncontended) {
  int word = 0;
  pid_t tid = syscall(SYS_gettid);
  ASSERT_EQ(Futex(&word, FUTEX_LOCK_PI_PRIVATE, 0), 0) << strerror(errno);
  EXPECT_EQ(word & FUTEX_TID_MASK, tid);
  // Locking again as the owner is a deadlock.
  EXPECT_ERRNO(EDEADLK, Futex(&word, FUTEX_LOCK_PI_PRIVATE, 0));
  EXPECT_EQ(Futex(&word, FUTEX_UNLOCK_PI_PRIVATE, 0), 0);
  EXPECT_EQ(word, 0);
  // Unlocking a lock we do not own.
  word = tid + 1;  // some other "tid" (not 1: we may be tid 1, a PID-namespace init)
  EXPECT_ERRNO(EPERM, Futex(&word, FUTEX_UNLOCK_PI_PRIVATE, 0));
}

TEST(Futex, SharedAcrossProcesses) {
  auto* shared = static_cast<int*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  shared[0] = 0;
  shared[16] = 0;
  pid_t child = ForkChild([shared] {
    while (__atomic_load_n(&shared[0], __ATOMIC_SEQ_CST) == 0) {
      Futex(&shared[0], FUTEX_WAIT, 0);  // not private: keyed by the shared page
    }
    return shared[0] == 7 ? 0 : 1;
  });
  RequeueUntil(&shared[0], &shared[16], 1, /*priv=*/false);
  __atomic_store_n(&shared[0], 7, __ATOMIC_SEQ_CST);
  EXPECT_EQ(Futex(&shared[16], FUTEX_WAKE, 1), 1);
  EXPECT_EXITED(WaitStatus(child), 0);
  munmap(shared, 4096);
}

TEST(Futex, PrivateWakeDoesNotReachOtherProcess) {
  auto* shared = static_cast<int*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(shared, MAP_FAILED);
  shared[0] = 0;
  shared[16] = 0;
  pid_t child = ForkChild([shared] {
    Futex(&shared[0], FUTEX_WAIT, 0);
    return 0;
  });
  RequeueUntil(&shared[0], &shared[16], 1, /*priv=*/false);
  // A private futex is keyed by (our mm, address): the child's shared waiter is not there.
  EXPECT_EQ(Futex(&shared[16], FUTEX_WAKE_PRIVATE, 1), 0);
  EXPECT_EQ(Futex(&shared[16], FUTEX_WAKE, 1), 1);
  EXPECT_EXITED(WaitStatus(child), 0);
  munmap(shared, 4096);
}

TEST(Futex, BadAddressAndOperation) {
  EXPECT_ERRNO(EFAULT, Futex(UnmappedAddress(), FUTEX_WAIT_PRIVATE, 0));
  EXPECT_ERRNO(EFAULT, Futex(UnmappedAddress(), FUTEX_WAIT, 0));
  EXPECT_ERRNO(EFAULT, Futex(UnmappedAddress(), FUTEX_WAKE_OP_PRIVATE, 1, nullptr,
                             UnmappedAddress(), FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)));
  alignas(8) char buf[8] = {};
  EXPECT_ERRNO(EINVAL, Futex(buf + 1, FUTEX_WAIT_PRIVATE, 0));  // misaligned
  EXPECT_ERRNO(EINVAL, Futex(buf + 2, FUTEX_WAKE_PRIVATE, 1));
  int word = 0;
  // An unknown operation is ENOSYS, not EINVAL.
  EXPECT_ERRNO(ENOSYS, Futex(&word, 99, 0));
  // FUTEX_CLOCK_REALTIME is only meaningful for waits with absolute timeouts.
  EXPECT_ERRNO(ENOSYS, Futex(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1));
  // A bad timeout pointer.
  EXPECT_ERRNO(EFAULT, Futex(&word, FUTEX_WAIT_PRIVATE, 0, BadPointer()));
}

TEST(SetTidAddress, ReturnsCallerTid) {
  // In a child: changing a glibc thread's clear_child_tid would break pthread_join.
  EXPECT_CHILD_OK([] {
    static int ctid;
    long tid = syscall(SYS_gettid);
    CHILD_CHECK(syscall(SYS_set_tid_address, &ctid) == tid);
    CHILD_CHECK(syscall(SYS_set_tid_address, nullptr) == tid);
    return 0;
  });
}

TEST(SetTidAddress, ClearedAndWokenAtExitOfThreadSharingMemory) {
  // A CLONE_VM child process (sharing our memory, so mm_users > 1 when it exits) that
  // registers a clear_child_tid address: the kernel zeroes it and wakes its waiters.
  static int ctid;
  ctid = -1;
  static char stack[64 * 1024];
  pid_t pid = clone(
      [](void*) -> int {
        syscall(SYS_set_tid_address, &ctid);
        return 0;
      },
      stack + sizeof stack, CLONE_VM | SIGCHLD, nullptr);
  ASSERT_GT(pid, 0);
  while (__atomic_load_n(&ctid, __ATOMIC_SEQ_CST) != 0) {
    Futex(&ctid, FUTEX_WAIT, -1);  // shared op: the clearing wake is not private
  }
  EXPECT_EQ(ctid, 0);
  EXPECT_EXITED(WaitStatus(pid), 0);
}

TEST(RobustList, SetAndGet) {
  struct robust_list_head* head = nullptr;
  size_t len = 0;
  ASSERT_EQ(syscall(SYS_get_robust_list, 0, &head, &len), 0);
  EXPECT_EQ(len, sizeof(struct robust_list_head));
  EXPECT_NE(head, nullptr);  // glibc registers one per thread
  EXPECT_CHILD_OK([] {
    static struct robust_list_head mine = {{&mine.list}, 0, nullptr};
    CHILD_CHECK(syscall(SYS_set_robust_list, &mine, sizeof mine) == 0);
    struct robust_list_head* got = nullptr;
    size_t l = 0;
    CHILD_CHECK(syscall(SYS_get_robust_list, 0, &got, &l) == 0);
    CHILD_CHECK(got == &mine && l == sizeof mine);
    return 0;
  });
}

TEST(RobustList, Errors) {
  struct robust_list_head h;
  EXPECT_ERRNO(EINVAL, syscall(SYS_set_robust_list, &h, 1));
  EXPECT_ERRNO(EINVAL, syscall(SYS_set_robust_list, &h, sizeof h + 8));
  struct robust_list_head* head;
  size_t len;
  EXPECT_ERRNO(ESRCH, syscall(SYS_get_robust_list, INT_MAX, &head, &len));
  EXPECT_ERRNO(EFAULT, syscall(SYS_get_robust_list, 0, BadPointer(), &len));
}

TEST(RobustList, OwnerDeathMarksMutex) {
  auto* m = static_cast<pthread_mutex_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                               MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  ASSERT_EQ(pthread_mutex_init(m, &attr), 0);
  // The child takes the lock and dies holding it; the kernel walks its robust list at exit.
  pid_t child = ForkChild([m] { return pthread_mutex_lock(m) == 0 ? 0 : 1; });
  EXPECT_EXITED(WaitStatus(child), 0);
  EXPECT_EQ(pthread_mutex_lock(m), EOWNERDEAD);
  EXPECT_EQ(pthread_mutex_consistent(m), 0);
  EXPECT_EQ(pthread_mutex_unlock(m), 0);
  EXPECT_EQ(pthread_mutex_lock(m), 0);
  EXPECT_EQ(pthread_mutex_unlock(m), 0);
  pthread_mutex_destroy(m);
  munmap(m, 4096);
}

TEST(RobustList, OwnerDeathWakesWaiter) {
  auto* m = static_cast<pthread_mutex_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                               MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(m, MAP_FAILED);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  ASSERT_EQ(pthread_mutex_init(m, &attr), 0);
  int locked[2], die[2];
  ASSERT_EQ(pipe2(locked, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(die, O_CLOEXEC), 0);
  pid_t child = ForkChild([&] {
    close(die[1]);
    CHILD_CHECK(pthread_mutex_lock(m) == 0);
    CHILD_CHECK(write(locked[1], "l", 1) == 1);
    char c;
    read(die[0], &c, 1);
    return 0;  // exits holding the lock
  });
  char c;
  ASSERT_EQ(read(locked[0], &c, 1), 1);
  // A thread of ours blocks on the lock; the owner then dies.
  struct Arg {
    pthread_mutex_t* m;
    int result;
  } arg = {m, -1};
  pthread_t t;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void* p) -> void* {
                  auto* a = static_cast<Arg*>(p);
                  a->result = pthread_mutex_lock(a->m);
                  if (a->result == EOWNERDEAD) pthread_mutex_consistent(a->m);
                  pthread_mutex_unlock(a->m);
                  return nullptr;
                },
                &arg),
            0);
  close(die[1]);
  EXPECT_EXITED(WaitStatus(child), 0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  EXPECT_EQ(arg.result, EOWNERDEAD);
  for (int fd : {locked[0], locked[1], die[0]}) close(fd);
  pthread_mutex_destroy(m);
  munmap(m, 4096);
}

}  // namespace
}  // namespace conformance
