#include "sentry/vfs/host_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "abi/linux/errno.h"
#include "abi/linux/termios.h"
#include "sentry/vfs/host_fs.h"

namespace stockade::sentry::vfs {
namespace {
Error Errno() { return Error(errno, ""); }
}  // namespace

HostFile::HostFile(UniqueFd fd, int flags, bool stream) : File(flags), fd_(std::move(fd)), stream_(stream) {
  struct stat st;
  if (fstat(fd_.get(), &st) == 0) {
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)) stream_ = true;
  }
}

Result<size_t> HostFile::Read(Waiter& w, void* buf, size_t len) {
  if (!readable()) return Error(EBADF, "");
  while (true) {
    if (stream_ && !(flags() & O_NONBLOCK)) {
      // Wait in the Sentry, not in read(2), so that a signal can interrupt.
      struct pollfd p = {fd_.get(), POLLIN, 0};
      if (poll(&p, 1, 0) == 0) {
        BlockResult r = w.Block(std::nullopt, fd_.get(), POLLIN);
        if (r == BlockResult::kInterrupted) return Error(abi::kERESTARTSYS, "");
        continue;
      }
    }
    ssize_t n = read(fd_.get(), buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Another reader took it first (host objects are non-blocking): wait again.
      if (errno == EAGAIN && stream_ && !(flags() & O_NONBLOCK)) continue;
      return Errno();
    }
    return static_cast<size_t>(n);
  }
}

Result<size_t> HostFile::Write(Waiter& w, const void* buf, size_t len) {
  if (!writable()) return Error(EBADF, "");
  size_t done = 0;
  while (done < len || len == 0) {
    if (stream_ && !(flags() & O_NONBLOCK)) {
      struct pollfd p = {fd_.get(), POLLOUT, 0};
      if (poll(&p, 1, 0) == 0) {
        BlockResult r = w.Block(std::nullopt, fd_.get(), POLLOUT);
        if (r == BlockResult::kInterrupted) {
          if (done) return done;
          return Error(abi::kERESTARTSYS, "");
        }
        continue;
      }
    }
    ssize_t n = write(fd_.get(), static_cast<const char*>(buf) + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (done && errno == EAGAIN) return done;
      if (errno == EAGAIN && stream_ && !(flags() & O_NONBLOCK)) continue;  // full again: wait
      return Errno();
    }
    done += static_cast<size_t>(n);
    if (len == 0 || !stream_) break;
  }
  return done;
}

Result<size_t> HostFile::PRead(void* buf, size_t len, uint64_t off) {
  if (stream_) return Error(ESPIPE, "");
  if (!readable()) return Error(EBADF, "");
  ssize_t n = pread(fd_.get(), buf, len, static_cast<off_t>(off));
  if (n < 0) return Errno();
  return static_cast<size_t>(n);
}

Result<size_t> HostFile::PWrite(const void* buf, size_t len, uint64_t off) {
  if (stream_) return Error(ESPIPE, "");
  if (!writable()) return Error(EBADF, "");
  ssize_t n = pwrite(fd_.get(), buf, len, static_cast<off_t>(off));
  if (n < 0) return Errno();
  return static_cast<size_t>(n);
}

Result<int64_t> HostFile::Seek(int64_t off, int whence) {
  if (stream_) return Error(ESPIPE, "");
  off_t r = lseek(fd_.get(), off, whence);
  if (r < 0) return Errno();
  if (whence == SEEK_SET && off == 0) dir_pos = 0;  // rewinddir
  return static_cast<int64_t>(r);
}

Result<struct stat> HostFile::Stat() {
  struct stat st;
  if (fstat(fd_.get(), &st) < 0) return Errno();
  HostFs::FixOwner(st);
  return st;
}

Result<struct statfs> HostFile::StatFs() {
  struct statfs s;
  if (fstatfs(fd_.get(), &s) < 0) return Errno();
  return s;
}

Result<std::vector<Dirent>> HostFile::ReadDir() {
  // A fresh FD per listing so the shared one's position is untouched.
  int dfd = openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno();
  UniqueFd d(dfd);
  std::vector<Dirent> out;
  alignas(8) char buf[16384];
  while (true) {
    long n = syscall(SYS_getdents64, d.get(), buf, sizeof buf);
    if (n < 0) return Errno();
    if (n == 0) break;
    for (long pos = 0; pos < n;) {
      auto* e = reinterpret_cast<struct dirent64*>(buf + pos);
      out.push_back({e->d_ino, e->d_type, e->d_name});
      pos += e->d_reclen;
    }
  }
  return out;
}

Status HostFile::Truncate(uint64_t len) {
  if (ftruncate(fd_.get(), static_cast<off_t>(len)) < 0) return Errno();
  return Ok();
}

Status HostFile::Allocate(int mode, uint64_t off, uint64_t len) {
  // The host file system decides which modes it supports.
  if (fallocate(fd_.get(), mode, static_cast<off_t>(off), static_cast<off_t>(len)) < 0) return Errno();
  return Ok();
}

Status HostFile::Sync() {
  // The host answers for its file: EINVAL for a pipe or a terminal.
  if (fsync(fd_.get()) < 0) return Errno();
  return Ok();
}

Status HostFile::Chmod(mode_t mode) {
  if (fchmod(fd_.get(), mode) < 0) return Errno();
  return Ok();
}

Status HostFile::Chown(uid_t uid, gid_t gid) {
  if (fchown(fd_.get(), uid, gid) < 0) return Errno();
  return Ok();
}

Result<int64_t> HostFile::Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) {
  // Only requests whose argument layout we know, so nothing unchecked
  // reaches the host.
  switch (cmd) {
    case TCGETS: {
      abi::KernelTermios t;
      if (ioctl(fd_.get(), TCGETS, &t) < 0) return Errno();
      TRY(mm.CopyOut(arg, &t, sizeof t));
      return 0;
    }
    case TCSETS: case TCSETSW: case TCSETSF: {
      abi::KernelTermios t;
      TRY(mm.CopyIn(arg, &t, sizeof t));
      if (ioctl(fd_.get(), cmd, &t) < 0) return Errno();
      return 0;
    }
    case TIOCGWINSZ: {
      struct winsize ws;
      if (ioctl(fd_.get(), TIOCGWINSZ, &ws) < 0) return Errno();
      TRY(mm.CopyOut(arg, &ws, sizeof ws));
      return 0;
    }
    case TIOCSWINSZ: {
      struct winsize ws;
      TRY(mm.CopyIn(arg, &ws, sizeof ws));
      if (ioctl(fd_.get(), TIOCSWINSZ, &ws) < 0) return Errno();
      return 0;
    }
    case FIONREAD: {
      int n = 0;
      if (ioctl(fd_.get(), FIONREAD, &n) < 0) return Errno();
      TRY(mm.CopyOut(arg, &n, sizeof n));
      return 0;
    }
    default:
      return Error(ENOTTY, "");
  }
}

Result<std::shared_ptr<mm::Mappable>> HostFile::Mappable() {
  if (stream_) return Error(ENODEV, "");
  return std::shared_ptr<mm::Mappable>(std::static_pointer_cast<HostFile>(shared_from_this()));
}

short HostFile::Readiness(short events) {
  struct pollfd p = {fd_.get(), events, 0};
  if (poll(&p, 1, 0) < 0) return 0;
  return p.revents;
}

Result<uint64_t> HostFile::Size() {
  struct stat st;
  if (fstat(fd_.get(), &st) < 0) return Errno();
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace stockade::sentry::vfs
