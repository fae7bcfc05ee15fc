// HostFile: an open file description backed by a host FD — a file or
// directory of the rootfs, or one of the container's stdio streams.
#pragma once

#include "base/unique_fd.h"
#include "sentry/vfs/file.h"

namespace stockade::sentry::vfs {

class HostFile : public File, public mm::Mappable {
 public:
  // `stream`: a pipe, socket or terminal (no offsets; reads and writes wait
  // for readiness so the task stays interruptible).
  HostFile(UniqueFd fd, int flags, bool stream);

  Result<size_t> Read(Waiter& w, void* buf, size_t len) override;
  Result<size_t> Write(Waiter& w, const void* buf, size_t len) override;
  Result<size_t> PRead(void* buf, size_t len, uint64_t off) override;
  Result<size_t> PWrite(const void* buf, size_t len, uint64_t off) override;
  Result<int64_t> Seek(int64_t off, int whence) override;
  Result<struct stat> Stat() override;
  Result<struct statfs> StatFs() override;
  Result<std::vector<Dirent>> ReadDir() override;
  Status Truncate(uint64_t len) override;
  Status Allocate(int mode, uint64_t off, uint64_t len) override;
  Status Sync() override;
  Status Chmod(mode_t mode) override;
  Status Chown(uid_t uid, gid_t gid) override;
  Result<int64_t> Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) override;
  Result<std::shared_ptr<mm::Mappable>> Mappable() override;
  short Readiness(short events) override;
  bool Pollable() const override { return stream_; }
  int HostPollFd() const override { return stream_ ? fd_.get() : -1; }

  // mm::Mappable
  Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) override { return PRead(buf, len, off); }
  Result<size_t> WriteAt(uint64_t off, const void* buf, size_t len) override { return PWrite(buf, len, off); }
  Result<uint64_t> Size() override;
  std::string MapsName() const override { return DisplayName(); }
  dev_t MapsDev() const override { return dev_; }
  ino_t MapsIno() const override { return ino_; }

  int host_fd() const { return fd_.get(); }
  bool stream() const { return stream_; }

 private:
  UniqueFd fd_;
  bool stream_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace stockade::sentry::vfs
