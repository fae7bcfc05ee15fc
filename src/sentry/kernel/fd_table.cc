#include "sentry/kernel/fd_table.h"

#include "sentry/vfs/record_locks.h"

namespace stockade::sentry::kernel {

FdTable::~FdTable() {
  if (posix_locks_) vfs::RecordLockTable::Get().ReleaseAll(this);
}

void FdTable::Closed(const std::vector<std::shared_ptr<vfs::File>>& files) {
  if (!posix_locks_) return;
  for (const auto& f : files) {
    if (!f) continue;
    auto st = f->Stat();
    if (st.ok()) vfs::RecordLockTable::Get().Release({st->st_dev, st->st_ino}, this);
  }
}

Result<int> FdTable::Install(std::shared_ptr<vfs::File> f, bool cloexec, int min_fd, uint64_t limit) {
  if (min_fd < 0) return Error(EINVAL, "");
  std::lock_guard<std::mutex> l(mu_);
  int fd = min_fd;
  for (auto it = fds_.lower_bound(min_fd); it != fds_.end() && it->first == fd; ++it) fd++;
  if (static_cast<uint64_t>(fd) >= limit) return Error(min_fd > 0 && static_cast<uint64_t>(min_fd) >= limit ? EINVAL : EMFILE, "");
  fds_[fd] = {std::move(f), cloexec};
  return fd;
}

Status FdTable::InstallAt(int fd, std::shared_ptr<vfs::File> f, bool cloexec, uint64_t limit) {
  if (fd < 0 || static_cast<uint64_t>(fd) >= limit) return Error(EBADF, "");
  std::shared_ptr<vfs::File> old;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto& e = fds_[fd];
    old = std::move(e.file);
    e = {std::move(f), cloexec};
  }
  if (old) Closed({old});
  return Ok();
}

std::shared_ptr<vfs::File> FdTable::Get(int fd, bool* cloexec) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = fds_.find(fd);
  if (it == fds_.end()) return nullptr;
  if (cloexec) *cloexec = it->second.cloexec;
  return it->second.file;
}

Status FdTable::SetCloexec(int fd, bool cloexec) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = fds_.find(fd);
  if (it == fds_.end()) return Error(EBADF, "");
  it->second.cloexec = cloexec;
  return Ok();
}

Result<std::shared_ptr<vfs::File>> FdTable::Remove(int fd) {
  std::shared_ptr<vfs::File> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = fds_.find(fd);
    if (it == fds_.end()) return Error(EBADF, "");
    f = std::move(it->second.file);
    fds_.erase(it);
  }
  Closed({f});
  return f;
}

void FdTable::CloseRange(unsigned first, unsigned last, bool cloexec_only) {
  std::vector<std::shared_ptr<vfs::File>> closing;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = fds_.lower_bound(static_cast<int>(std::min<unsigned>(first, 0x7fffffff)));
         it != fds_.end() && static_cast<unsigned>(it->first) <= last;) {
      if (cloexec_only) {
        it->second.cloexec = true;
        ++it;
      } else {
        closing.push_back(std::move(it->second.file));
        it = fds_.erase(it);
      }
    }
  }
  Closed(closing);
}

void FdTable::CloseOnExec() {
  std::vector<std::shared_ptr<vfs::File>> closing;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = fds_.begin(); it != fds_.end();) {
      if (it->second.cloexec) {
        closing.push_back(std::move(it->second.file));
        it = fds_.erase(it);
      } else {
        ++it;
      }
    }
  }
  Closed(closing);
}

std::shared_ptr<FdTable> FdTable::Fork() const {
  auto t = std::make_shared<FdTable>();
  std::lock_guard<std::mutex> l(mu_);
  t->fds_ = fds_;
  return t;
}

std::vector<int> FdTable::Fds() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<int> out;
  for (const auto& [fd, e] : fds_) out.push_back(fd);
  return out;
}

size_t FdTable::Count() const {
  std::lock_guard<std::mutex> l(mu_);
  return fds_.size();
}

}  // namespace stockade::sentry::kernel
