#include "boot/native/mounts.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <cstdio>

#include "base/io.h"
#include "base/log.h"
#include "boot/native/mount_options.h"
#include "boot/native/safe_path.h"

namespace stockade::native {
namespace {

constexpr unsigned long kAtimeEnumFlags = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
constexpr unsigned long kAtimeFlags = kAtimeEnumFlags | MS_NODIRATIME;
// Flags the kernel locks on mounts inherited from a more privileged user namespace.
constexpr unsigned long kLockFlags = MS_RDONLY | MS_NODEV | MS_NOEXEC | MS_NOSUID | kAtimeFlags;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// One spec mount after option parsing.
struct Entry {
  std::string source;
  std::string dest;  // Clean, absolute, as written (not resolved).
  std::string type;
  MountOptions o;
  bool bind = false;
};

Status CheckInRoot(const MountContext& ctx, int fd, const std::string& dest) {
  ASSIGN_OR_RETURN(std::string real, FdPath(fd));
  if (!IsLexicallyInRoot(ctx.root_path, real)) {
    return Error(EXDEV, "mountpoint " + Quote(dest) + " resolved to " + Quote(real) +
                            ", outside of rootfs " + Quote(ctx.root_path));
  }
  return Ok();
}

// Covering the rootfs itself would hide everything set up so far, and the FD we hold on it.
Status CheckNotTop(const InRoot& dst, const std::string& dest) {
  if (dst.path == "/") {
    return Error(EINVAL, "mountpoint " + Quote(dest) + " is the top of the rootfs");
  }
  return Ok();
}

Result<bool> IsProcfs(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return Error::FromErrno("statfs " + Quote(path));
  return st.f_type == PROC_SUPER_MAGIC;
}

// After mounting on top of `dst`, its FD still names the covered directory. Re-resolve so later
// steps (propagation, remount) act on the new mount, and make sure nothing moved meanwhile.
Result<InRoot> ReopenAfterMount(const MountContext& ctx, const InRoot& dst) {
  ASSIGN_OR_RETURN(std::string before, FdPath(dst.fd.get()));
  ASSIGN_OR_RETURN(InRoot now, ResolveInRoot(ctx.root_fd, dst.path));
  ASSIGN_OR_RETURN(std::string after, FdPath(now.fd.get()));
  if (before != after) {
    return Error(EXDEV, "mountpoint " + Quote(dst.path) + " moved while re-opening (" +
                            Quote(before) + " -> " + Quote(after) + ")");
  }
  return now;
}

// Creates (if needed) and opens the mountpoint, then applies the safety checks.
Result<InRoot> OpenMountpoint(const MountContext& ctx, Entry& e) {
  auto found = ResolveInRoot(ctx.root_fd, e.dest);
  InRoot dst;
  if (found.ok()) {
    dst = std::move(found).value();
    if (e.type == "tmpfs") {
      // Keep the mode of the directory we cover (e.g. 1777 for /tmp); the user's own mode=
      // comes later in the data and wins.
      struct stat st;
      if (::fstat(dst.fd.get(), &st) != 0) return Error::FromErrno("stat tmpfs mountpoint");
      char mode[16];
      (void)snprintf(mode, sizeof mode, "mode=%04o", st.st_mode & 07777);
      e.o.data = e.o.data.empty() ? mode : std::string(mode) + "," + e.o.data;
    }
  } else if (found.error().code() != ENOENT) {
    return found.error().Wrap("looking up mountpoint");
  } else {
    // A file bind mount needs a file to cover; everything else a directory.
    bool file = false;
    if (e.bind) {
      struct stat st;
      if (::stat(e.source.c_str(), &st) != 0) return Error::FromErrno("stat " + Quote(e.source));
      file = !S_ISDIR(st.st_mode);
    }
    ResolveOptions ro{.create = file ? CreateMode::kFile : CreateMode::kDirs};
    auto made = ResolveInRoot(ctx.root_fd, e.dest, ro);
    if (!made.ok()) return made.error().Wrap("creating mountpoint");
    dst = std::move(made).value();
  }
  TRY(CheckInRoot(ctx, dst.fd.get(), e.dest));
  TRY(CheckNotTop(dst, e.dest));
  bool src_procfs = false;
  if (e.bind && IsLexicallyInRoot("/proc", dst.path)) {
    ASSIGN_OR_RETURN(src_procfs, IsProcfs(e.source));
  }
  TRY(CheckProcMount(dst.path, e.type, e.bind, src_procfs));
  return dst;
}

// mount(2) on the resolved target, then the propagation changes on the new mount.
Status MountPropagate(const MountContext& ctx, const Entry& e, InRoot& dst, unsigned long flags,
                      const std::string& fstype) {
  TRY(DoMount(e.source, ProcFdPath(dst.fd.get()), fstype, flags, e.o.data, e.dest));
  ASSIGN_OR_RETURN(dst, ReopenAfterMount(ctx, dst));
  for (unsigned long p : e.o.propagation) {
    TRY(DoMount("", ProcFdPath(dst.fd.get()), "", p, "", e.dest));
  }
  return Ok();
}

// A bind mount ignores every flag but MS_REC, so the requested flags need a second
// MS_BIND|MS_REMOUNT. In a user namespace the kernel refuses to drop locked flags; then, like
// runc, retry with the source's locked flags kept, unless the user explicitly asked to clear them.
Status RemountBind(const Entry& e, const InRoot& dst) {
  const std::string target = ProcFdPath(dst.fd.get());
  unsigned long flags = e.o.flags | MS_BIND | MS_REMOUNT;
  if (::mount("", target.c_str(), nullptr, flags, nullptr) == 0) return Ok();
  const int first = errno;
  if (first != EPERM) return DoMount("", target, "", flags, "", e.dest);
  struct statfs st;
  if (::statfs(target.c_str(), &st) != 0) return Error::FromErrno("statfs " + Quote(e.dest));
  unsigned long src = StatfsToMountFlags(st.f_flags);
  if (unsigned long locked = src & e.o.cleared & kLockFlags; locked != 0) {
    return Error(first, "cannot clear locked mount flags " + MountFlagsString(locked) + " on " +
                            Quote(e.dest));
  }
  if ((flags & kAtimeFlags) != 0 && (flags & kAtimeFlags) != (src & kAtimeFlags)) {
    return Error(first, "cannot change locked atime flags " + MountFlagsString(src & kAtimeFlags) +
                            " on " + Quote(e.dest));
  }
  flags |= src & kLockFlags;
  return DoMount("", target, "", flags, "", e.dest);
}

Status SetRecursiveAttrs(const Entry& e, const InRoot& dst) {
  if (e.o.rec_attr_set == 0 && e.o.rec_attr_clr == 0) return Ok();
  struct mount_attr attr = {};
  attr.attr_set = e.o.rec_attr_set;
  attr.attr_clr = e.o.rec_attr_clr;
  if (::mount_setattr(dst.fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0) {
    return Error::FromErrno("mount_setattr(AT_RECURSIVE) on " + Quote(e.dest));
  }
  return Ok();
}

Status MountBind(const MountContext& ctx, const Entry& e, InRoot& dst) {
  TRY(MountPropagate(ctx, e, dst, MS_BIND | (e.o.flags & MS_REC), ""));
  // runc remounts when any flag beyond the bind itself was set or explicitly cleared.
  if ((e.o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0 || e.o.cleared != 0) {
    TRY(RemountBind(e, dst));
  }
  return SetRecursiveAttrs(e, dst);
}

// `e` redirected to bind-mount a host directory recursively (sysfs and cgroup fallbacks).
Entry AsRecursiveBind(const Entry& e, const std::string& host_dir) {
  Entry b = e;
  b.type = "bind";
  b.bind = true;
  b.source = host_dir;
  b.o.flags |= MS_BIND | MS_REC;
  // "ro" on an rbind only covers the top mount; the submounts (e.g. cgroup controllers) must be
  // read-only too, or the container could write to the host's hierarchy through them.
  if (e.o.flags & MS_RDONLY) b.o.rec_attr_set |= MOUNT_ATTR_RDONLY;
  return b;
}

Status MountProcOrSysfs(const MountContext& ctx, Entry& e) {
  // runc: proc and sysfs must land on an ordinary directory, never through a final symlink.
  auto r = ResolveInRoot(ctx.root_fd, e.dest, {.create = CreateMode::kDirs, .nofollow_last = true});
  if (!r.ok() && r.error().code() != ELOOP && r.error().code() != ENOTDIR) return r.error();
  struct stat st;
  if (!r.ok() || ::fstat(r->fd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Error(ENOTDIR, "filesystem " + Quote(e.type) + " must be mounted on ordinary directory");
  }
  InRoot dst = std::move(r).value();
  TRY(CheckInRoot(ctx, dst.fd.get(), e.dest));
  TRY(CheckNotTop(dst, e.dest));
  TRY(CheckProcMount(dst.path, e.type, false, false));
  if (e.type == "proc") return MountPropagate(ctx, e, dst, e.o.flags, "proc");

  Status st2 = MountPropagate(ctx, e, dst, e.o.flags, "sysfs");
  if (st2.ok() || st2.error().code() != EPERM) return st2;
  // A user namespace that does not own the network namespace may not mount sysfs; show the
  // host's /sys instead, as crun and rootless runc (via "rbind,ro") do.
  LOG_DEBUG("sysfs mount on %s denied; bind-mounting /sys instead", e.dest.c_str());
  Entry b = AsRecursiveBind(e, "/sys");
  return MountBind(ctx, b, dst);
}

Status MountCgroup(const MountContext& ctx, Entry& e) {
  if (HostIsCgroup2Unified()) {
    ASSIGN_OR_RETURN(InRoot dst, OpenMountpoint(ctx, e));
    Entry c = e;
    if (c.source.empty()) c.source = "cgroup";
    Status st = MountPropagate(ctx, c, dst, e.o.flags, "cgroup2");
    if (st.ok() || (st.error().code() != EPERM && st.error().code() != EBUSY)) return st;
    // In a user namespace without its own cgroup namespace cgroup2 cannot be mounted (runc#2158).
    Entry b = AsRecursiveBind(e, "/sys/fs/cgroup");
    return MountBind(ctx, b, dst);
  }
  // cgroup v1 / hybrid host: expose the host hierarchy read-only (recursively) rather than
  // runc's tmpfs with one bind per controller of the container's own cgroup. See README.
  Entry b = AsRecursiveBind(e, "/sys/fs/cgroup");
  ASSIGN_OR_RETURN(InRoot dst, OpenMountpoint(ctx, b));
  return MountBind(ctx, b, dst);
}

}  // namespace

Status DoMount(const std::string& source, const std::string& target, const std::string& fstype,
               unsigned long flags, const std::string& data, const std::string& shown_target) {
  if (::mount(source.c_str(), target.c_str(), fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) == 0) {
    return Ok();
  }
  std::string msg =
      "mount " + Quote(source) + " on " + Quote(shown_target.empty() ? target : shown_target);
  if (!fstype.empty()) msg += " type " + Quote(fstype);
  msg += " flags " + MountFlagsString(flags);
  if (!data.empty()) msg += " data " + Quote(data);
  return Error::FromErrno(msg);
}

Status CheckProcMount(const std::string& dest, const std::string& type, bool is_bind,
                      bool source_is_procfs) {
  if (!IsLexicallyInRoot("/proc", dest)) return Ok();
  if (dest == "/proc") {
    if (is_bind ? source_is_procfs : type == "proc") return Ok();
    return Error(EPERM, Quote(dest) + " cannot be mounted because it is not of type proc");
  }
  // The entries lxcfs emulates (runc's list).
  static const char* const kAllowed[] = {
      "/proc/cpuinfo",
      "/proc/diskstats",
      "/proc/meminfo",
      "/proc/stat",
      "/proc/swaps",
      "/proc/uptime",
      "/proc/loadavg",
      "/proc/slabinfo",
      "/proc/sys/kernel/ns_last_pid",
      "/proc/sys/crypto/fips_enabled",
  };
  for (const char* a : kAllowed) {
    if (dest == a) return Ok();
  }
  return Error(EPERM, Quote(dest) + " cannot be mounted because it is inside /proc");
}

unsigned long StatfsToMountFlags(unsigned long st) {
  struct Map {
    unsigned long st, ms;
  };
  static constexpr Map kMap[] = {
      {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},
      {ST_NODEV, MS_NODEV},       {ST_NOEXEC, MS_NOEXEC},
      {ST_MANDLOCK, MS_MANDLOCK}, {ST_SYNCHRONOUS, MS_SYNCHRONOUS},
      {ST_NOATIME, MS_NOATIME},   {ST_NODIRATIME, MS_NODIRATIME},
      {ST_RELATIME, MS_RELATIME}, {0x2000 /* ST_NOSYMFOLLOW */, MS_NOSYMFOLLOW},
  };
  unsigned long flags = 0;
  for (const auto& m : kMap) {
    if ((st & m.st) == m.st) flags |= m.ms;
  }
  // MS_STRICTATIME is not stored per mount; it is what "no other atime mode" means.
  if ((flags & kAtimeEnumFlags) == 0) flags |= MS_STRICTATIME;
  return flags;
}

bool HostIsCgroup2Unified() {
  struct statfs st;
  return ::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

Status MountToRootfs(const MountContext& ctx, const oci::Mount& m) {
  Entry e;
  e.o = ParseMountOptions(m.options);
  e.type = m.type;
  e.source = m.source;
  e.dest = CleanPath(m.destination);
  if (m.destination.empty()) return Error(EINVAL, "mount destination is empty");
  if (e.o.idmap)
    return Error(ENOTSUP, "idmapped mounts (\"idmap\"/\"ridmap\") are not supported yet");
  // runc: any type is meaningless for a bind mount. Unlike runc we also accept type "bind"
  // without a "bind" option (crun does; mount(2) would fail with ENODEV otherwise).
  if ((e.o.flags & MS_BIND) != 0 || e.type == "bind") {
    e.bind = true;
    e.type = "bind";
    e.o.flags |= MS_BIND;
    if (!e.source.empty() && e.source[0] != '/') e.source = JoinPath(ctx.bundle_dir, e.source);
  }
  if (e.type == "proc" || e.type == "sysfs") return MountProcOrSysfs(ctx, e);
  if (e.type == "cgroup") return MountCgroup(ctx, e);

  ASSIGN_OR_RETURN(InRoot dst, OpenMountpoint(ctx, e));
  if (e.bind) return MountBind(ctx, e, dst);
  unsigned long flags = e.o.flags;
  if (e.type == "tmpfs" || e.dest == "/dev") {
    // Read-only comes in FinishRootfs: devices and symlinks must still be created here.
    flags &= ~MS_RDONLY;
  }
  if (e.type == "tmpfs" && e.o.tmpcopyup) {
    LOG_WARN("mount option \"tmpcopyup\" on %s is not supported yet; mounting an empty tmpfs",
             e.dest.c_str());
  }
  return MountPropagate(ctx, e, dst, flags, e.type);
}

}  // namespace stockade::native
