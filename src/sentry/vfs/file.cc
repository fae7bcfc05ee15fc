#include "sentry/vfs/file.h"

#include "sentry/vfs/dentry.h"
#include "sentry/vfs/flock.h"
#include "sentry/vfs/record_locks.h"

namespace stockade::sentry::vfs {

File::~File() {
  if (has_locks.load()) {
    FlockTable::Get().ReleaseAll(this);
    RecordLockTable::Get().ReleaseAll(this);
  }
}

std::string File::MountPath() const { return dentry ? dentry->Path() : std::string(); }

std::string File::FsPath() const {
  std::string abs = MountPath();
  if (mount_point.empty() || mount_point == "/") return abs;
  // Renames never cross mounts, so the path stays below the mount point.
  return abs.size() > mount_point.size() ? abs.substr(mount_point.size()) : "/";
}

std::string File::DisplayName() const {
  return dentry ? dentry->DisplayName() : name;
}

bool File::Removed() const { return dentry && dentry->removed(); }

Result<size_t> File::Read(Waiter&, void*, size_t) { return Error(EINVAL, ""); }
Result<size_t> File::Write(Waiter&, const void*, size_t) { return Error(EINVAL, ""); }
Result<size_t> File::PRead(void*, size_t, uint64_t) { return Error(ESPIPE, ""); }
Result<size_t> File::PWrite(const void*, size_t, uint64_t) { return Error(ESPIPE, ""); }
Result<int64_t> File::Seek(int64_t, int) { return Error(ESPIPE, ""); }
Result<struct statfs> File::StatFs() {
  struct statfs s {};
  s.f_type = 0x01021994;  // TMPFS_MAGIC
  s.f_bsize = 4096;
  s.f_namelen = 255;
  s.f_frsize = 4096;
  return s;
}
Result<std::vector<Dirent>> File::ReadDir() { return Error(ENOTDIR, ""); }
Status File::Truncate(uint64_t) { return Error(EINVAL, ""); }
Status File::Chmod(mode_t) { return Error(EPERM, ""); }
Status File::Chown(uid_t, gid_t) { return Error(EPERM, ""); }
Result<int64_t> File::Ioctl(mm::MemoryManager&, uint64_t, uint64_t) { return Error(ENOTTY, ""); }
Result<std::shared_ptr<mm::Mappable>> File::Mappable() { return Error(ENODEV, ""); }

}  // namespace stockade::sentry::vfs
