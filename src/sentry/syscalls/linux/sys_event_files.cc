// eventfd and timerfd. Each is backed by the host's own eventfd or timerfd
// object, made non-blocking and close-on-exec in the Sentry: those objects
// reach no host resource, their semantics are exactly Linux's (counter,
// semaphore mode, overflow, clock and interval rules), and their readiness is
// a host FD's, which poll and the task's Block already wait on. The
// application's own O_NONBLOCK is kept on the file description (HostFile
// waits in the Sentry when it is clear).
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "sentry/syscalls/linux/sys_common.h"
#include "sentry/vfs/host_file.h"

namespace stockade::sentry::syscalls {
namespace {

int64_t InstallHostObject(Task& t, int host_fd, int flags, bool cloexec, const char* name) {
  if (host_fd < 0) return -errno;
  auto f = std::make_shared<vfs::HostFile>(UniqueFd(host_fd), O_RDWR | (flags & O_NONBLOCK), true);
  f->name = name;
  SYS_ASSIGN(int fd, t.fds->Install(f, cloexec, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  return fd;
}

int64_t Eventfd2(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[1]);
  if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) return -EINVAL;
  int fd = eventfd(static_cast<unsigned>(a[0]), EFD_NONBLOCK | EFD_CLOEXEC | (flags & EFD_SEMAPHORE));
  return InstallHostObject(t, fd, flags & EFD_NONBLOCK ? O_NONBLOCK : 0, flags & EFD_CLOEXEC, "anon_inode:[eventfd]");
}

int64_t Eventfd(Task& t, const SyscallArgs& a) { return Eventfd2(t, {{a[0], 0, 0, 0, 0, 0}}); }

int64_t TimerfdCreate(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[1]);
  if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return -EINVAL;
  // The host checks the clock (EINVAL) and the alarm clocks' CAP_WAKE_ALARM.
  int fd = timerfd_create(static_cast<int>(a[0]), TFD_NONBLOCK | TFD_CLOEXEC);
  return InstallHostObject(t, fd, flags & TFD_NONBLOCK ? O_NONBLOCK : 0, flags & TFD_CLOEXEC, "anon_inode:[timerfd]");
}

// The host object behind a timerfd FD (the host answers EINVAL for a host FD
// that is not a timerfd); held for the call, whatever the table does meanwhile.
Result<std::shared_ptr<vfs::HostFile>> HostObjectOf(Task& t, uint64_t fd) {
  auto f = t.fds->Get(static_cast<int>(fd));
  if (!f) return Error(EBADF, "");
  auto h = std::dynamic_pointer_cast<vfs::HostFile>(f);
  if (!h) return Error(EINVAL, "");
  return h;
}

int64_t TimerfdSettime(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto h, HostObjectOf(t, a[0]));
  struct itimerspec nv, old;
  SYS_TRY(t.memory().CopyIn(a[2], &nv, sizeof nv));
  if (timerfd_settime(h->host_fd(), static_cast<int>(a[1]), &nv, &old) < 0) return -errno;
  if (a[3]) SYS_TRY(t.memory().CopyOut(a[3], &old, sizeof old));
  return 0;
}

int64_t TimerfdGettime(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto h, HostObjectOf(t, a[0]));
  struct itimerspec cur;
  if (timerfd_gettime(h->host_fd(), &cur) < 0) return -errno;
  SYS_TRY(t.memory().CopyOut(a[1], &cur, sizeof cur));
  return 0;
}

}  // namespace

void RegisterEventFileSyscalls(kernel::Kernel& k) {
  k.SetSyscall(SYS_eventfd, &Eventfd);
  k.SetSyscall(SYS_eventfd2, &Eventfd2);
  k.SetSyscall(SYS_timerfd_create, &TimerfdCreate);
  k.SetSyscall(SYS_timerfd_settime, &TimerfdSettime);
  k.SetSyscall(SYS_timerfd_gettime, &TimerfdGettime);
}

}  // namespace stockade::sentry::syscalls
