// Time and randomness: clocks, sleeps (with restart_syscall), getrandom, times.
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>

#include "abi/linux/errno.h"
#include "sentry/syscalls/linux/sys_common.h"

namespace stockade::sentry::syscalls {
namespace {

bool ValidClock(clockid_t c) {
  switch (c) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
    case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
    case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM: case CLOCK_TAI:
      return true;
  }
  return false;
}

// CPU clocks: the application's time is spent in its stub threads, which the
// Sentry does not account per task yet; the task thread's own CPU time is the
// closest measure we have.
clockid_t HostClock(clockid_t c) {
  if (c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID) return CLOCK_THREAD_CPUTIME_ID;
  if (c == CLOCK_REALTIME_ALARM) return CLOCK_REALTIME;
  if (c == CLOCK_BOOTTIME_ALARM) return CLOCK_BOOTTIME;
  return c;
}

int64_t ClockGettime(Task& t, const SyscallArgs& a) {
  clockid_t c = static_cast<clockid_t>(a[0]);
  if (!ValidClock(c)) return -EINVAL;
  struct timespec ts;
  clock_gettime(HostClock(c), &ts);
  SYS_TRY(t.memory().CopyOut(a[1], &ts, sizeof ts));
  return 0;
}

int64_t ClockGetres(Task& t, const SyscallArgs& a) {
  clockid_t c = static_cast<clockid_t>(a[0]);
  if (!ValidClock(c)) return -EINVAL;
  if (!a[1]) return 0;
  struct timespec ts;
  clock_getres(HostClock(c), &ts);
  SYS_TRY(t.memory().CopyOut(a[1], &ts, sizeof ts));
  return 0;
}

int64_t Gettimeofday(Task& t, const SyscallArgs& a) {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  if (a[0]) SYS_TRY(t.memory().CopyOut(a[0], &tv, sizeof tv));
  if (a[1]) {
    struct timezone tz {};
    SYS_TRY(t.memory().CopyOut(a[1], &tz, sizeof tz));
  }
  return 0;
}

int64_t Time(Task& t, const SyscallArgs& a) {
  time_t now = time(nullptr);
  if (a[0]) SYS_TRY(t.memory().CopyOut(a[0], &now, sizeof now));
  return now;
}

Result<struct timespec> CopyInTimespec(Task& t, uint64_t addr) {
  struct timespec ts;
  TRY(t.memory().CopyIn(addr, &ts, sizeof ts));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) return Error(EINVAL, "");
  return ts;
}

int64_t ToNs(const struct timespec& ts) {
  if (ts.tv_sec > INT64_MAX / 1000000000 - 1) return INT64_MAX;
  return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

// Sleeps until the clock reads `deadline_ns`. Interrupted: writes the time
// left to `rem` (relative sleeps) and arranges restart_syscall.
int64_t SleepUntil(Task& t, clockid_t clock, int64_t deadline_ns, bool relative, uint64_t rem) {
  while (true) {
    int64_t now = kernel::NowNs(clock);
    if (now >= deadline_ns) return 0;
    auto left = std::chrono::nanoseconds(deadline_ns - now);
    vfs::BlockResult r = t.Block(std::chrono::steady_clock::now() + left);
    if (r == vfs::BlockResult::kInterrupted) {
      int64_t remain = std::max<int64_t>(0, deadline_ns - kernel::NowNs(clock));
      if (relative && rem) {
        struct timespec ts{remain / 1000000000, remain % 1000000000};
        if (!t.memory().CopyOut(rem, &ts, sizeof ts).ok()) return -EFAULT;
      }
      // Without a handler the call resumes through restart_syscall with the
      // same deadline, as Linux's restart block does.
      t.restart = [clock, deadline_ns, relative, rem](Task& tt) {
        return SleepUntil(tt, clock, deadline_ns, relative, rem);
      };
      return -abi::kERESTART_RESTARTBLOCK;
    }
  }
}

int64_t Nanosleep(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(struct timespec ts, CopyInTimespec(t, a[0]));
  int64_t d = ToNs(ts);
  int64_t now = kernel::NowNs(CLOCK_MONOTONIC);
  return SleepUntil(t, CLOCK_MONOTONIC, d > INT64_MAX - now ? INT64_MAX : now + d, true, a[1]);
}

int64_t ClockNanosleep(Task& t, const SyscallArgs& a) {
  clockid_t c = static_cast<clockid_t>(a[0]);
  int flags = static_cast<int>(a[1]);
  if (c == CLOCK_THREAD_CPUTIME_ID) return -EINVAL;
  if (!ValidClock(c) || c == CLOCK_MONOTONIC_RAW || c == CLOCK_REALTIME_COARSE || c == CLOCK_MONOTONIC_COARSE) {
    return -EINVAL;
  }
  if (c == CLOCK_PROCESS_CPUTIME_ID) return -ENOTSUP;
  SYS_ASSIGN(struct timespec ts, CopyInTimespec(t, a[2]));
  clockid_t hc = HostClock(c);
  int64_t d = ToNs(ts);
  if (flags & TIMER_ABSTIME) return SleepUntil(t, hc, d, false, 0);
  int64_t now = kernel::NowNs(hc);
  return SleepUntil(t, hc, d > INT64_MAX - now ? INT64_MAX : now + d, true, a[3]);
}

int64_t RestartSyscall(Task& t, const SyscallArgs&) {
  if (!t.restart) return -EINTR;
  auto fn = std::move(t.restart);
  t.restart = nullptr;
  return fn(t);
}

int64_t Getrandom(Task& t, const SyscallArgs& a) {
  unsigned flags = static_cast<unsigned>(a[2]);
  if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -EINVAL;
  if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM)) return -EINVAL;
  size_t len = std::min<uint64_t>(a[1], 33554431);
  char buf[4096];
  size_t done = 0;
  while (done < len) {
    size_t n = std::min(sizeof buf, len - done);
    ssize_t got = getrandom(buf, n, GRND_NONBLOCK);
    if (got < 0) return done ? static_cast<int64_t>(done) : -errno;
    size_t out = t.memory().CopyOutPartial(a[0] + done, buf, static_cast<size_t>(got));
    done += out;
    if (out < static_cast<size_t>(got)) return done ? static_cast<int64_t>(done) : -EFAULT;
  }
  return static_cast<int64_t>(done);
}

int64_t Times(Task& t, const SyscallArgs& a) {
  struct tms tm {};
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  tm.tms_utime = ts.tv_sec * 100 + ts.tv_nsec / 10000000;
  if (a[0]) SYS_TRY(t.memory().CopyOut(a[0], &tm, sizeof tm));
  return (kernel::NowNs(CLOCK_MONOTONIC) - static_cast<int64_t>(t.kernel->boot_monotonic_ns())) / 10000000 + 1;
}

}  // namespace

void RegisterTimeSyscalls(Kernel& k) {
  k.SetSyscall(SYS_clock_gettime, ClockGettime);
  k.SetSyscall(SYS_clock_getres, ClockGetres);
  k.SetSyscall(SYS_gettimeofday, Gettimeofday);
  k.SetSyscall(SYS_time, Time);
  k.SetSyscall(SYS_nanosleep, Nanosleep);
  k.SetSyscall(SYS_clock_nanosleep, ClockNanosleep);
  k.SetSyscall(SYS_restart_syscall, RestartSyscall);
  k.SetSyscall(SYS_getrandom, Getrandom);
  k.SetSyscall(SYS_times, Times);
}

}  // namespace stockade::sentry::syscalls
