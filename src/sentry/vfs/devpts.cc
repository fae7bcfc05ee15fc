#include "sentry/vfs/devpts.h"

#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "base/log.h"

namespace stockade::sentry::vfs {
namespace {

Error Errno() { return Error(errno, ""); }

constexpr unsigned kPtyReplicaMajor = 136;  // UNIX98_PTY_SLAVE_MAJOR

}  // namespace

int PtyIndexOf(const std::string& path) {
  if (path.size() < 2 || path[0] != '/' || path.size() > 11) return -1;
  long n = 0;
  for (size_t i = 1; i < path.size(); i++) {
    if (path[i] < '0' || path[i] > '9') return -1;
    n = n * 10 + (path[i] - '0');
  }
  if (path.size() > 2 && path[1] == '0') return -1;  // "/01" is not a pty's name
  return n > INT32_MAX ? -1 : static_cast<int>(n);
}

TerminalFile::TerminalFile(UniqueFd fd, int flags, std::shared_ptr<TtyState> tty)
    : HostFile(std::move(fd), flags, true), tty_(std::move(tty)) {}

Result<int64_t> TerminalFile::Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) {
  // Requests whose argument is a value, not a pointer, and that only act on
  // this terminal's queues.
  switch (cmd) {
    case TCFLSH:
    case TCXONC:
      if (ioctl(host_fd(), cmd, static_cast<int>(arg)) < 0) return Errno();
      return 0;
    case TCSBRK:
      // tcdrain (arg != 0): wait for output to drain. A break (arg == 0) is
      // meaningless on a pty; Linux accepts it.
      if (ioctl(host_fd(), TCSBRK, 1) < 0) return Errno();
      return 0;
    case TIOCOUTQ: {
      int n = 0;
      if (ioctl(host_fd(), TIOCOUTQ, &n) < 0) return Errno();
      TRY(mm.CopyOut(arg, &n, sizeof n));
      return 0;
    }
    default:
      return HostFile::Ioctl(mm, cmd, arg);
  }
}

Result<int64_t> PtyMasterFile::Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) {
  switch (cmd) {
    case TIOCGPTN: {
      unsigned n = 0;
      if (ioctl(host_fd(), TIOCGPTN, &n) < 0) return Errno();
      TRY(mm.CopyOut(arg, &n, sizeof n));
      return 0;
    }
    case TIOCSPTLCK: {
      int lock = 0;
      TRY(mm.CopyIn(arg, &lock, sizeof lock));
      if (ioctl(host_fd(), TIOCSPTLCK, &lock) < 0) return Errno();
      return 0;
    }
    case TIOCGPTLCK: {
      int lock = 0;
      if (ioctl(host_fd(), TIOCGPTLCK, &lock) < 0) return Errno();
      TRY(mm.CopyOut(arg, &lock, sizeof lock));
      return 0;
    }
    case TCFLSH:
      if (ioctl(host_fd(), cmd, static_cast<int>(arg)) < 0) return Errno();
      return 0;
    default:
      return HostFile::Ioctl(mm, cmd, arg);
  }
}

std::shared_ptr<DevPts> DevPts::New(UniqueFd dir) {
  UniqueFd root(fcntl(dir.get(), F_DUPFD_CLOEXEC, 0));
  return std::shared_ptr<DevPts>(new DevPts(std::move(dir), std::move(root)));
}

std::shared_ptr<TtyState> DevPts::StateFor(int index) {
  std::lock_guard<std::mutex> l(mu_);
  // Forget terminals nobody has open any more.
  std::erase_if(ttys_, [](const auto& e) { return e.second.expired(); });
  auto& slot = ttys_[index];
  auto s = slot.lock();
  if (!s) {
    s = std::make_shared<TtyState>();
    s->index = index;
    s->fs = std::static_pointer_cast<DevPts>(shared_from_this());
    slot = s;
    // The holder needs a read-write FD of its own for TIOCSCTTY.
    UniqueFd rw(openat(dir_.get(), std::to_string(index).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW));
    auto holder = rw ? relay_.Start(rw.get(), s) : Result<std::unique_ptr<TtyHolder>>(Errno());
    if (holder.ok()) {
      s->holder = std::move(*holder);
    } else {
      LOG_WARN("terminal /dev/pts/%d gets no signals from its line discipline: %s", index,
               holder.error().ToString().c_str());
    }
  }
  return s;
}

Result<std::shared_ptr<File>> DevPts::OpenReplica(int index, int flags) {
  int fd = openat(dir_.get(), std::to_string(index).c_str(),
                  (flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)) | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Errno();
  UniqueFd f(fd);
  struct stat st;
  if (fstat(fd, &st) < 0) return Errno();
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != kPtyReplicaMajor) return Error(ENXIO, "");
  auto file = std::make_shared<TerminalFile>(std::move(f), flags & (O_ACCMODE | O_NONBLOCK | O_APPEND), StateFor(index));
  file->name = "/dev/pts/" + std::to_string(index);
  return std::shared_ptr<File>(file);
}

Result<std::shared_ptr<File>> DevPts::Open(const std::string& path, const OpenRequest& req) {
  int index = PtyIndexOf(path);
  if (index >= 0) {
    if (req.flags & O_CREAT && req.flags & O_EXCL) return Error(EEXIST, "");
    return OpenReplica(index, req.flags);
  }
  if (path == "/ptmx") {
    int fd = openat(dir_.get(), "ptmx", (req.flags & (O_ACCMODE | O_NONBLOCK)) | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return Errno();
    auto f = std::make_shared<PtyMasterFile>(UniqueFd(fd), req.flags & (O_ACCMODE | O_NONBLOCK | O_APPEND));
    return std::shared_ptr<File>(f);
  }
  return HostFs::Open(path, req);
}

Result<DevPts::Pty> DevPts::NewPty() {
  int m = openat(dir_.get(), "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
  if (m < 0) return Error::FromErrno("opening the sandbox's ptmx");
  UniqueFd master(m);
  int unlock = 0;
  unsigned index = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &index) < 0) {
    return Error::FromErrno("unlocking the new terminal");
  }
  auto replica = OpenReplica(static_cast<int>(index), O_RDWR);
  if (!replica.ok()) return replica.error().Wrap("opening the new terminal's replica");
  return Pty{std::move(master), std::static_pointer_cast<TerminalFile>(*replica)};
}

}  // namespace stockade::sentry::vfs
