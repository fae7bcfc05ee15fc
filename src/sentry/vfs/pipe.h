// Pipes inside the Sentry: a bounded buffer shared by a read end and a write
// end, with Linux's semantics (EOF once all writers close, EPIPE/SIGPIPE once
// all readers close, atomic writes of up to PIPE_BUF bytes, O_NONBLOCK).
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

#include "sentry/vfs/file.h"

namespace stockade::sentry::vfs {

class Pipe {
 public:
  static constexpr size_t kDefaultCapacity = 65536;
  static constexpr size_t kPipeBuf = 4096;

  std::mutex mu;
  std::deque<char> buf;
  size_t capacity = kDefaultCapacity;
  int readers = 0;
  int writers = 0;
  WaitQueue readq;   // readers wait for data or writers gone
  WaitQueue writeq;  // writers wait for room or readers gone
  std::atomic<uint64_t> gen{0};  // bumped on every change (edge-triggered epoll)
  uint64_t ino;
  // Opens so far of each end, for a FIFO's open to see a peer that came and
  // went while it waited (Linux's r_counter and w_counter).
  uint64_t read_opens = 0;
  uint64_t write_opens = 0;
  // Wakes the queues after a change.
  void Changed(bool readers, bool writers) {
    gen++;
    if (readers) readq.NotifyAll();
    if (writers) writeq.NotifyAll();
  }
};

// Makes a connected (read end, write end) pair; `flags` may hold O_NONBLOCK.
std::pair<std::shared_ptr<File>, std::shared_ptr<File>> NewPipe(int flags);

class PipeFile : public File {
 public:
  PipeFile(std::shared_ptr<Pipe> p, int flags);
  ~PipeFile() override;
  Result<size_t> Read(Waiter& w, void* buf, size_t len) override;
  Result<size_t> Write(Waiter& w, const void* buf, size_t len) override;
  Result<struct stat> Stat() override;
  Result<int64_t> Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) override;
  short Readiness(short events) override;
  bool Pollable() const override { return true; }
  void ReadinessQueues(std::vector<WaitQueue*>* out) override {
    out->push_back(&pipe_->readq);
    out->push_back(&pipe_->writeq);
  }
  uint64_t ReadinessGeneration() const override { return pipe_->gen.load(); }
  Pipe& pipe() { return *pipe_; }

 private:
  std::shared_ptr<Pipe> pipe_;
};

}  // namespace stockade::sentry::vfs
