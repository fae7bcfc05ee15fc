#include "boot/native/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <sstream>

#include "base/io.h"
#include "boot/native/mounts.h"
#include "boot/native/safe_path.h"

namespace stockade::native {
namespace {

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

oci::Device DefaultDevice(const char* path, int64_t major, int64_t minor) {
  oci::Device d;
  d.type = "c";
  d.path = path;
  d.major = major;
  d.minor = minor;
  d.file_mode = 0666;
  d.uid = 0;
  d.gid = 0;
  return d;
}

Result<mode_t> DeviceTypeBits(const oci::Device& d) {
  if (d.type == "c" || d.type == "u") return S_IFCHR;
  if (d.type == "b") return S_IFBLK;
  if (d.type == "p") return S_IFIFO;
  return Error(EINVAL, Quote(d.type) + " is not a valid device type for device " + Quote(d.path));
}

// An empty regular file with the host's node bind-mounted on it. mknod(S_IFREG) rather than
// open(O_CREAT) so that an existing node of the same name is never opened (opening a tty or a
// tape device has side effects).
Status BindDeviceNode(const InRoot& dir, const std::string& name, const oci::Device& d) {
  if (::mknodat(dir.fd.get(), name.c_str(), S_IFREG | 0, 0) != 0 && errno != EEXIST) {
    return Error::FromErrno("creating bind target for device " + Quote(d.path));
  }
  UniqueFd fd(::openat(dir.fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::FromErrno("opening bind target for device " + Quote(d.path));
  return DoMount(d.path, ProcFdPath(fd.get()), "bind", MS_BIND, "", d.path);
}

Status MknodDevice(const InRoot& dir, const std::string& name, const oci::Device& d, mode_t type) {
  const mode_t perm = d.file_mode.value_or(0666) & 07777;
  const dev_t dev = type == S_IFIFO ? 0 : makedev(d.major, d.minor);
  if (::mknodat(dir.fd.get(), name.c_str(), type | perm, dev) != 0) {
    return Error::FromErrno("mknod " + Quote(d.path));
  }
  // Verify what we are about to chmod/chown is the node we made, not something swapped in.
  UniqueFd fd(::openat(dir.fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return Error::FromErrno("opening new device node " + Quote(d.path));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("stat " + Quote(d.path));
  if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != dev)) {
    return Error(EEXIST, "new device node " + Quote(d.path) + " is not the one created");
  }
  // The umask may have cut permission bits.
  if (::chmod(ProcFdPath(fd.get()).c_str(), perm) != 0) {
    return Error::FromErrno("chmod " + Quote(d.path));
  }
  if (::fchownat(fd.get(), "", d.uid.value_or(0), d.gid.value_or(0), AT_EMPTY_PATH) != 0) {
    return Error::FromErrno("chown " + Quote(d.path));
  }
  return Ok();
}

Status Symlink(int dir_fd, const std::string& target, const std::string& name) {
  if (::symlinkat(target.c_str(), dir_fd, name.c_str()) != 0 && errno != EEXIST) {
    return Error::FromErrno("symlink /dev/" + name + " -> " + target);
  }
  return Ok();
}

}  // namespace

bool NeedsSetupDev(const oci::Spec& spec) {
  for (const auto& m : spec.mounts) {
    bool bind = m.type == "bind";
    for (const auto& o : m.options) bind = bind || o == "bind" || o == "rbind";
    if (bind && CleanPath(m.destination) == "/dev") return false;
  }
  return true;
}

std::vector<oci::Device> DevicesToCreate(const oci::Spec& spec) {
  static const oci::Device kDefaults[] = {
      DefaultDevice("/dev/null", 1, 3),    DefaultDevice("/dev/zero", 1, 5),
      DefaultDevice("/dev/full", 1, 7),    DefaultDevice("/dev/tty", 5, 0),
      DefaultDevice("/dev/urandom", 1, 9), DefaultDevice("/dev/random", 1, 8),
  };
  std::vector<oci::Device> out;
  for (const auto& d : kDefaults) {
    bool overridden = false;
    if (spec.linux) {
      for (const auto& s : spec.linux->devices) overridden = overridden || s.path == d.path;
    }
    if (!overridden) out.push_back(d);
  }
  if (spec.linux) out.insert(out.end(), spec.linux->devices.begin(), spec.linux->devices.end());
  return out;
}

bool RunningInUserNamespace() {
  auto map = ReadFile("/proc/self/uid_map");
  if (!map.ok()) return false;
  // The initial namespace maps everything: "0 0 4294967295".
  std::istringstream in(*map);
  unsigned long inside = 1, outside = 1, count = 0;
  if (!(in >> inside >> outside >> count)) return true;
  return !(inside == 0 && outside == 0 && count == 4294967295UL);
}

Status CreateDevices(int root_fd, const std::vector<oci::Device>& devices) {
  // mknod is never allowed in a non-initial user namespace; don't even try.
  const bool bind = RunningInUserNamespace();
  for (const auto& d : devices) {
    if (d.path.empty() || CleanPath(d.path) == "/dev/ptmx") continue;
    ASSIGN_OR_RETURN(mode_t type, DeviceTypeBits(d));
    auto parent = MkdirParentInRoot(root_fd, d.path);
    if (!parent.ok()) return parent.error().Wrap("creating parent of device " + Quote(d.path));
    const auto& [dir, name] = *parent;
    if (bind) {
      TRY(BindDeviceNode(dir, name, d));
      continue;
    }
    Status st = MknodDevice(dir, name, d, type);
    if (st.ok() || st.error().code() == EEXIST) continue;
    if (st.error().code() != EPERM) return st;
    TRY(BindDeviceNode(dir, name, d));
  }
  return Ok();
}

Status SetupPtmx(int root_fd) {
  ASSIGN_OR_RETURN(InRoot dev, MkdirAllInRoot(root_fd, "/dev"));
  if (::unlinkat(dev.fd.get(), "ptmx", 0) != 0 && errno != ENOENT) {
    return Error::FromErrno("removing /dev/ptmx");
  }
  return Symlink(dev.fd.get(), "pts/ptmx", "ptmx");
}

Status SetupDevSymlinks(int root_fd) {
  ASSIGN_OR_RETURN(InRoot dev, MkdirAllInRoot(root_fd, "/dev"));
  TRY(Symlink(dev.fd.get(), "/proc/self/fd", "fd"));
  TRY(Symlink(dev.fd.get(), "/proc/self/fd/0", "stdin"));
  TRY(Symlink(dev.fd.get(), "/proc/self/fd/1", "stdout"));
  TRY(Symlink(dev.fd.get(), "/proc/self/fd/2", "stderr"));
  // Kernels without CONFIG_PROC_KCORE have no /proc/kcore; a dangling link would only confuse.
  struct stat st;
  if (::stat("/proc/kcore", &st) == 0) TRY(Symlink(dev.fd.get(), "/proc/kcore", "core"));
  return Ok();
}

Status MountConsole(int root_fd, const std::string& console) {
  auto made =
      ResolveInRoot(root_fd, "/dev/console", {.create = CreateMode::kFile, .file_mode = 0666});
  if (!made.ok()) return made.error().Wrap("creating /dev/console");
  const std::string target = ProcFdPath(made->fd.get());
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) return Error::FromErrno("stat /dev/console");
  if (S_ISREG(st.st_mode) && ::chmod(target.c_str(), 0666) != 0) {
    return Error::FromErrno("chmod /dev/console");
  }
  return DoMount(console, target, "bind", MS_BIND, "", "/dev/console");
}

}  // namespace stockade::native
