// rt_sigaction, rt_sigprocmask, rt_sigpending: dispositions, flags, masks, queueing.
#include <atomic>
#include <pthread.h>
#include <vector>

#include "test_util.h"

namespace conformance {
namespace {

std::atomic<int> g_count{0};
std::vector<int>* g_order = nullptr;

void CountHandler(int) { g_count++; }
void OtherHandler(int) {}

long RawSigaction(int sig, const void* act, void* old, size_t size) {
  return syscall(SYS_rt_sigaction, sig, act, old, size);
}
long RawSigprocmask(int how, const void* set, void* old, size_t size) {
  return syscall(SYS_rt_sigprocmask, how, set, old, size);
}

TEST(Sigaction, OldActionReturned) {
  ScopedSigaction restore(SIGUSR1, SIG_DFL);
  struct sigaction a = {}, b = {}, old = {};
  a.sa_handler = CountHandler;
  a.sa_flags = SA_RESTART;
  sigemptyset(&a.sa_mask);
  sigaddset(&a.sa_mask, SIGUSR2);
  ASSERT_EQ(sigaction(SIGUSR1, &a, nullptr), 0);
  b.sa_handler = OtherHandler;
  sigemptyset(&b.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &b, &old), 0);
  EXPECT_EQ(old.sa_handler, CountHandler);
  EXPECT_TRUE(old.sa_flags & SA_RESTART);
  EXPECT_TRUE(sigismember(&old.sa_mask, SIGUSR2));
  EXPECT_FALSE(sigismember(&old.sa_mask, SIGINT));
  // A query (no new action) reports the current one and changes nothing.
  struct sigaction cur = {};
  ASSERT_EQ(sigaction(SIGUSR1, nullptr, &cur), 0);
  EXPECT_EQ(cur.sa_handler, OtherHandler);
  ASSERT_EQ(sigaction(SIGUSR1, nullptr, &cur), 0);
  EXPECT_EQ(cur.sa_handler, OtherHandler);
}

TEST(Sigaction, DefaultDispositions) {
  for (int sig : {SIGTERM, SIGCHLD, SIGSEGV, SIGKILL, SIGSTOP, SIGRTMIN, SIGRTMAX}) {
    struct sigaction cur = {};
    ASSERT_EQ(sigaction(sig, nullptr, &cur), 0) << sig;
    EXPECT_EQ(cur.sa_handler, SIG_DFL) << sig;
  }
}

TEST(Sigaction, SigkillSigstopCannotBeChanged) {
  struct sigaction a = {};
  a.sa_handler = CountHandler;
  EXPECT_ERRNO(EINVAL, sigaction(SIGKILL, &a, nullptr));
  EXPECT_ERRNO(EINVAL, sigaction(SIGSTOP, &a, nullptr));
  a.sa_handler = SIG_IGN;
  EXPECT_ERRNO(EINVAL, sigaction(SIGKILL, &a, nullptr));
  // Querying them is fine.
  struct sigaction cur;
  EXPECT_EQ(sigaction(SIGKILL, nullptr, &cur), 0);
}

TEST(Sigaction, InvalidArguments) {
  struct sigaction cur;
  EXPECT_ERRNO(EINVAL, RawSigaction(0, nullptr, &cur, 8));
  EXPECT_ERRNO(EINVAL, RawSigaction(65, nullptr, &cur, 8));
  EXPECT_ERRNO(EINVAL, RawSigaction(-1, nullptr, &cur, 8));
  EXPECT_ERRNO(EINVAL, RawSigaction(SIGUSR1, nullptr, &cur, 4));  // sigsetsize must be 8
  EXPECT_ERRNO(EFAULT, RawSigaction(SIGUSR1, BadPointer(), nullptr, 8));
  EXPECT_ERRNO(EFAULT, RawSigaction(SIGUSR1, nullptr, UnmappedAddress(), 8));
}

TEST(Sigaction, HandlerRunsOnRaise) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  g_count = 0;
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_EQ(g_count.load(), 1);
  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  EXPECT_EQ(g_count.load(), 2);
}

TEST(Sigaction, ResetHandRestoresDefaultAfterOneDelivery) {
  ScopedSigaction sa(SIGUSR1, CountHandler, SA_RESETHAND);
  g_count = 0;
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_EQ(g_count.load(), 1);
  struct sigaction cur = {};
  ASSERT_EQ(sigaction(SIGUSR1, nullptr, &cur), 0);
  EXPECT_EQ(cur.sa_handler, SIG_DFL);
}

sigset_t g_mask_in_handler;
void RecordMask(int) { sigprocmask(SIG_SETMASK, nullptr, &g_mask_in_handler); }

TEST(Sigaction, SignalBlockedDuringHandlerUnlessNodefer) {
  {
    ScopedSigaction sa(SIGUSR1, RecordMask);
    ASSERT_EQ(raise(SIGUSR1), 0);
    EXPECT_TRUE(sigismember(&g_mask_in_handler, SIGUSR1));
  }
  {
    ScopedSigaction sa(SIGUSR1, RecordMask, SA_NODEFER);
    ASSERT_EQ(raise(SIGUSR1), 0);
    EXPECT_FALSE(sigismember(&g_mask_in_handler, SIGUSR1));
  }
  sigset_t now;
  sigprocmask(SIG_SETMASK, nullptr, &now);
  EXPECT_FALSE(sigismember(&now, SIGUSR1));  // restored by sigreturn
}

TEST(Sigaction, SaMaskAddedDuringHandler) {
  struct sigaction a = {};
  a.sa_handler = RecordMask;
  sigemptyset(&a.sa_mask);
  sigaddset(&a.sa_mask, SIGUSR2);
  sigaddset(&a.sa_mask, SIGRTMIN + 3);
  ScopedSigaction sa(SIGUSR1, a);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_TRUE(sigismember(&g_mask_in_handler, SIGUSR2));
  EXPECT_TRUE(sigismember(&g_mask_in_handler, SIGRTMIN + 3));
  sigset_t now;
  sigprocmask(SIG_SETMASK, nullptr, &now);
  EXPECT_FALSE(sigismember(&now, SIGUSR2));
}

siginfo_t g_info;
void RecordInfo(int, siginfo_t* si, void*) { g_info = *si; }

TEST(Sigaction, SiginfoFromKill) {
  ScopedSigaction sa(SIGUSR1, RecordInfo);
  memset(&g_info, 0, sizeof g_info);
  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  EXPECT_EQ(g_info.si_signo, SIGUSR1);
  EXPECT_EQ(g_info.si_code, SI_USER);
  EXPECT_EQ(g_info.si_pid, getpid());
  EXPECT_EQ(g_info.si_uid, getuid());
}

TEST(Sigaction, SiginfoFromSigqueue) {
  ScopedSigaction sa(SIGUSR1, RecordInfo);
  memset(&g_info, 0, sizeof g_info);
  union sigval v;
  v.sival_int = 4242;
  ASSERT_EQ(sigqueue(getpid(), SIGUSR1, v), 0);
  EXPECT_EQ(g_info.si_signo, SIGUSR1);
  EXPECT_EQ(g_info.si_code, SI_QUEUE);
  EXPECT_EQ(g_info.si_pid, getpid());
  EXPECT_EQ(g_info.si_value.sival_int, 4242);
}

void RaiseUsr2FromUsr1(int) {
  g_order->push_back(1);
  raise(SIGUSR2);
  g_order->push_back(3);
}
void RecordUsr2(int) { g_order->push_back(2); }

TEST(Sigaction, RaiseInsideHandlerNests) {
  std::vector<int> order;
  g_order = &order;
  ScopedSigaction s1(SIGUSR1, RaiseUsr2FromUsr1);
  ScopedSigaction s2(SIGUSR2, RecordUsr2);
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Sigaction, IgnoringDiscardsPendingSignal) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ScopedSigmask mask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(raise(SIGUSR1), 0);
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_TRUE(sigismember(&pending, SIGUSR1));
  signal(SIGUSR1, SIG_IGN);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

TEST(Sigaction, IgnoredSignalIsNotQueued) {
  ScopedSigaction sa(SIGUSR1, SIG_IGN);
  ScopedSigmask mask(SIG_BLOCK, {SIGUSR1});
  ASSERT_EQ(raise(SIGUSR1), 0);
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  // A blocked signal stays pending even when ignored (it might be unignored first)...
  bool pending_while_blocked = sigismember(&pending, SIGUSR1);
  EXPECT_TRUE(pending_while_blocked);
  DrainSignal(SIGUSR1);
  // ...but an unblocked ignored one is simply dropped.
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, SIGUSR1);
  sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  ASSERT_EQ(raise(SIGUSR1), 0);
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

// ---- masks -------------------------------------------------------------------------------

TEST(Sigprocmask, BlockPendUnblockDelivers) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  g_count = 0;
  {
    ScopedSigmask mask(SIG_BLOCK, {SIGUSR1});
    ASSERT_EQ(raise(SIGUSR1), 0);
    EXPECT_EQ(g_count.load(), 0);
    sigset_t pending;
    ASSERT_EQ(sigpending(&pending), 0);
    EXPECT_TRUE(sigismember(&pending, SIGUSR1));
  }  // unblocked here: delivered before sigprocmask returns
  EXPECT_EQ(g_count.load(), 1);
  sigset_t pending;
  ASSERT_EQ(sigpending(&pending), 0);
  EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

TEST(Sigprocmask, HowVariantsAndOldSet) {
  ScopedSigmask restore;
  sigset_t set, old, cur;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ASSERT_EQ(sigprocmask(SIG_SETMASK, &set, nullptr), 0);
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  ASSERT_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
  EXPECT_TRUE(sigismember(&old, SIGUSR1));
  EXPECT_FALSE(sigismember(&old, SIGUSR2));
  ASSERT_EQ(sigprocmask(SIG_SETMASK, nullptr, &cur), 0);
  EXPECT_TRUE(sigismember(&cur, SIGUSR1));
  EXPECT_TRUE(sigismember(&cur, SIGUSR2));
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ASSERT_EQ(sigprocmask(SIG_UNBLOCK, &set, nullptr), 0);
  ASSERT_EQ(sigprocmask(SIG_SETMASK, nullptr, &cur), 0);
  EXPECT_FALSE(sigismember(&cur, SIGUSR1));
  EXPECT_TRUE(sigismember(&cur, SIGUSR2));
  // `how` is ignored when set is NULL.
  EXPECT_EQ(RawSigprocmask(12345, nullptr, &cur, 8), 0);
}

TEST(Sigprocmask, SigkillAndSigstopAreSilentlyNotBlocked) {
  ScopedSigmask restore;
  uint64_t all = ~0ull, cur = 0;
  ASSERT_EQ(RawSigprocmask(SIG_SETMASK, &all, nullptr, 8), 0);
  ASSERT_EQ(RawSigprocmask(SIG_SETMASK, nullptr, &cur, 8), 0);
  EXPECT_EQ(cur & (1ull << (SIGKILL - 1)), 0u);
  EXPECT_EQ(cur & (1ull << (SIGSTOP - 1)), 0u);
  EXPECT_NE(cur & (1ull << (SIGUSR1 - 1)), 0u);
  EXPECT_NE(cur & (1ull << (SIGRTMAX - 1)), 0u);
}

TEST(Sigprocmask, Errors) {
  uint64_t set = 0, old;
  EXPECT_ERRNO(EINVAL, RawSigprocmask(99, &set, nullptr, 8));
  EXPECT_ERRNO(EINVAL, RawSigprocmask(SIG_BLOCK, &set, nullptr, 4));
  EXPECT_ERRNO(EINVAL, RawSigprocmask(SIG_BLOCK, &set, nullptr, 16));
  EXPECT_ERRNO(EFAULT, RawSigprocmask(SIG_BLOCK, BadPointer(), nullptr, 8));
  EXPECT_ERRNO(EFAULT, RawSigprocmask(SIG_BLOCK, nullptr, UnmappedAddress(), 8));
  EXPECT_ERRNO(EFAULT, syscall(SYS_rt_sigpending, BadPointer(), 8));
  EXPECT_ERRNO(EINVAL, syscall(SYS_rt_sigpending, &old, 16));
}

TEST(Sigprocmask, StandardSignalsCoalesceRealtimeSignalsQueue) {
  ScopedSigaction s1(SIGUSR1, CountHandler);
  ScopedSigaction s2(SIGRTMIN + 1, CountHandler);
  g_count = 0;
  {
    ScopedSigmask mask(SIG_BLOCK, {SIGUSR1});
    for (int i = 0; i < 3; i++) ASSERT_EQ(raise(SIGUSR1), 0);
  }
  EXPECT_EQ(g_count.load(), 1);
  g_count = 0;
  {
    ScopedSigmask mask(SIG_BLOCK, {SIGRTMIN + 1});
    for (int i = 0; i < 3; i++) ASSERT_EQ(raise(SIGRTMIN + 1), 0);
  }
  EXPECT_EQ(g_count.load(), 3);
}

void RecordSignal(int sig) { g_order->push_back(sig); }

TEST(Sigprocmask, LowestNumberedPendingDeliveredFirst) {
  // Each handler blocks all three signals, so exactly one is delivered per return to user
  // mode and the order is the kernel's choice of which pending signal goes first. (Without
  // that, Linux sets up every frame at once and the last one set up runs first.)
  std::vector<int> order;
  g_order = &order;
  struct sigaction act = {};
  act.sa_handler = RecordSignal;
  sigemptyset(&act.sa_mask);
  for (int s : {SIGRTMIN + 1, SIGRTMIN + 2, SIGUSR2}) sigaddset(&act.sa_mask, s);
  ScopedSigaction a(SIGRTMIN + 2, act);
  ScopedSigaction b(SIGRTMIN + 1, act);
  ScopedSigaction c(SIGUSR2, act);
  {
    ScopedSigmask mask(SIG_BLOCK, {SIGRTMIN + 1, SIGRTMIN + 2, SIGUSR2});
    raise(SIGRTMIN + 2);
    raise(SIGRTMIN + 1);
    raise(SIGUSR2);
  }
  EXPECT_EQ(order, (std::vector<int>{SIGUSR2, SIGRTMIN + 1, SIGRTMIN + 2}));
}

TEST(Sigprocmask, ForkInheritsMaskButNotPending) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ScopedSigmask mask(SIG_BLOCK, {SIGUSR1, SIGUSR2});
  ASSERT_EQ(raise(SIGUSR1), 0);
  EXPECT_CHILD_OK([] {
    sigset_t cur, pending;
    CHILD_CHECK(sigprocmask(SIG_SETMASK, nullptr, &cur) == 0);
    CHILD_CHECK(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2));
    CHILD_CHECK(sigpending(&pending) == 0);
    CHILD_CHECK(!sigismember(&pending, SIGUSR1));
    return 0;
  });
  DrainSignal(SIGUSR1);
}

TEST(Sigprocmask, MaskIsPerThread) {
  ScopedSigmask restore;
  sigset_t before;
  sigprocmask(SIG_SETMASK, nullptr, &before);
  pthread_t t;
  sigset_t thread_initial;
  ASSERT_EQ(pthread_create(
                &t, nullptr,
                [](void* arg) -> void* {
                  sigprocmask(SIG_SETMASK, nullptr, static_cast<sigset_t*>(arg));
                  sigset_t all;
                  sigfillset(&all);
                  sigprocmask(SIG_BLOCK, &all, nullptr);
                  return nullptr;
                },
                &thread_initial),
            0);
  ASSERT_EQ(pthread_join(t, nullptr), 0);
  // The new thread started with our mask; its changes did not affect us.
  EXPECT_EQ(sigismember(&thread_initial, SIGUSR1), sigismember(&before, SIGUSR1));
  sigset_t after;
  sigprocmask(SIG_SETMASK, nullptr, &after);
  EXPECT_FALSE(sigismember(&after, SIGUSR2));
  EXPECT_FALSE(sigismember(&after, SIGTERM));
}

}  // namespace
}  // namespace conformance
