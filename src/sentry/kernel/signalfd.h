// signalfd: a file that hands out the reading task's pending signals in its
// mask as struct signalfd_siginfo (fs/signalfd.c). As in Linux, which signals
// it sees depends on the task that reads or polls it (CurrentTask), not on
// the one that made it.
#pragma once

#include <atomic>
#include <memory>

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

class SignalFile : public vfs::File {
 public:
  SignalFile(uint64_t mask, int flags) : File(O_RDWR | flags), mask_(mask) { name = "anon_inode:[signalfd]"; }

  void set_mask(uint64_t m) { mask_ = m; }
  uint64_t mask() const { return mask_.load(); }

  // Whole signalfd_siginfo records, at least one (or EAGAIN/ERESTARTSYS).
  Result<size_t> Read(vfs::Waiter& w, void* buf, size_t len) override;
  Result<size_t> Write(vfs::Waiter& w, const void* buf, size_t len) override { return Error(EINVAL, ""); }
  Result<struct stat> Stat() override;
  short Readiness(short events) override;
  bool Pollable() const override { return true; }
  void ReadinessQueues(std::vector<vfs::WaitQueue*>* out) override;

 private:
  std::atomic<uint64_t> mask_;
};

}  // namespace stockade::sentry::kernel
