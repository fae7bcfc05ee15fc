#include "sentry/vfs/pipe.h"

#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <atomic>

#include "abi/linux/errno.h"

namespace stockade::sentry::vfs {
namespace {
std::atomic<uint64_t> next_ino{1};
}

std::pair<std::shared_ptr<File>, std::shared_ptr<File>> NewPipe(int flags) {
  auto p = std::make_shared<Pipe>();
  p->ino = next_ino++;
  int extra = flags & O_NONBLOCK;
  auto r = std::make_shared<PipeFile>(p, O_RDONLY | extra);
  auto w = std::make_shared<PipeFile>(p, O_WRONLY | extra);
  r->name = w->name = "pipe:[" + std::to_string(p->ino) + "]";
  return {r, w};
}

PipeFile::PipeFile(std::shared_ptr<Pipe> p, int flags) : File(flags), pipe_(std::move(p)) {
  std::lock_guard<std::mutex> l(pipe_->mu);
  if (readable()) pipe_->readers++;
  if (writable()) pipe_->writers++;
}

PipeFile::~PipeFile() {
  {
    std::lock_guard<std::mutex> l(pipe_->mu);
    if (readable()) pipe_->readers--;
    if (writable()) pipe_->writers--;
  }
  pipe_->Changed(true, true);
}

Result<size_t> PipeFile::Read(Waiter& w, void* buf, size_t len) {
  if (!readable()) return Error(EBADF, "");
  if (len == 0) return size_t{0};
  Pipe& p = *pipe_;
  while (true) {
    WaitEntry entry(p.readq, &w);
    {
      std::lock_guard<std::mutex> l(p.mu);
      if (!p.buf.empty()) {
        size_t n = std::min(len, p.buf.size());
        std::copy_n(p.buf.begin(), n, static_cast<char*>(buf));
        p.buf.erase(p.buf.begin(), p.buf.begin() + static_cast<long>(n));
        p.Changed(false, true);
        return n;
      }
      if (p.writers == 0) return size_t{0};
      if (flags() & O_NONBLOCK) return Error(EAGAIN, "");
    }
    if (w.Block(std::nullopt) == BlockResult::kInterrupted) return Error(abi::kERESTARTSYS, "");
  }
}

Result<size_t> PipeFile::Write(Waiter& w, const void* buf, size_t len) {
  if (!writable()) return Error(EBADF, "");
  Pipe& p = *pipe_;
  const char* src = static_cast<const char*>(buf);
  size_t done = 0;
  while (true) {
    WaitEntry entry(p.writeq, &w);
    {
      std::lock_guard<std::mutex> l(p.mu);
      if (p.readers == 0) {
        if (done) return done;
        return Error(EPIPE, "");
      }
      size_t room = p.capacity > p.buf.size() ? p.capacity - p.buf.size() : 0;
      size_t left = len - done;
      // Writes of up to PIPE_BUF bytes go in whole or not at all.
      bool atomic = len <= Pipe::kPipeBuf;
      if (room > 0 && (!atomic || room >= left)) {
        size_t n = std::min(room, left);
        p.buf.insert(p.buf.end(), src + done, src + done + n);
        done += n;
        p.Changed(true, false);
        if (done == len) return done;
      }
      if (flags() & O_NONBLOCK) {
        if (done) return done;
        return Error(EAGAIN, "");
      }
    }
    if (w.Block(std::nullopt) == BlockResult::kInterrupted) {
      if (done) return done;
      return Error(abi::kERESTARTSYS, "");
    }
  }
}

Result<struct stat> PipeFile::Stat() {
  struct stat st {};
  st.st_mode = S_IFIFO | 0600;
  st.st_ino = pipe_->ino;
  st.st_nlink = 1;
  st.st_blksize = 4096;
  st.st_dev = 0xd;  // pipefs
  return st;
}

Result<int64_t> PipeFile::Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) {
  if (cmd == FIONREAD) {
    int n;
    {
      std::lock_guard<std::mutex> l(pipe_->mu);
      n = static_cast<int>(pipe_->buf.size());
    }
    TRY(mm.CopyOut(arg, &n, sizeof n));
    return 0;
  }
  return Error(ENOTTY, "");
}

short PipeFile::Readiness(short events) {
  std::lock_guard<std::mutex> l(pipe_->mu);
  short r = 0;
  if (readable()) {
    if (!pipe_->buf.empty()) r |= POLLIN;
    if (pipe_->writers == 0) r |= POLLHUP;
  }
  if (writable()) {
    if (pipe_->buf.size() + Pipe::kPipeBuf <= pipe_->capacity) r |= POLLOUT;
    if (pipe_->readers == 0) r |= POLLERR;
  }
  return r & (events | POLLHUP | POLLERR);
}

}  // namespace stockade::sentry::vfs
