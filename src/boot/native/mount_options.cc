#include "boot/native/mount_options.h"

#include <sys/mount.h>

#include <cstdio>
#include <string_view>

namespace stockade::native {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

// runc's table (libcontainer/specconv). "acl" is deliberately absent: runc passes it to the
// filesystem as data because MS_POSIXACL is not a per-mount flag (runc#3738).
constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
    {"symfollow", true, MS_NOSYMFOLLOW},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flag;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"rprivate", MS_PRIVATE | MS_REC},       {"private", MS_PRIVATE},
    {"rslave", MS_SLAVE | MS_REC},           {"slave", MS_SLAVE},
    {"rshared", MS_SHARED | MS_REC},         {"shared", MS_SHARED},
    {"runbindable", MS_UNBINDABLE | MS_REC}, {"unbindable", MS_UNBINDABLE},
};

struct RecAttrOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
};

constexpr RecAttrOption kRecAttrOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

}  // namespace

MountOptions ParseMountOptions(const std::vector<std::string>& options) {
  MountOptions m;
  for (const std::string& o : options) {
    bool handled = false;
    for (const auto& f : kFlagOptions) {
      if (f.name != o) continue;
      handled = true;
      if (f.flag == 0) break;  // "defaults"
      // Later options win over earlier ones ("ro,rw" is rw), as in mount(8).
      if (f.clear) {
        m.flags &= ~f.flag;
        m.cleared |= f.flag;
      } else {
        m.flags |= f.flag;
        m.cleared &= ~f.flag;
      }
      break;
    }
    if (handled) continue;
    for (const auto& p : kPropagationOptions) {
      if (p.name == o) {
        m.propagation.push_back(p.flag);
        handled = true;
        break;
      }
    }
    if (handled) continue;
    for (const auto& r : kRecAttrOptions) {
      if (r.name != o) continue;
      handled = true;
      if (r.clear) {
        m.rec_attr_clr |= r.attr;
        m.rec_attr_set &= ~r.attr;
      } else {
        m.rec_attr_set |= r.attr;
        m.rec_attr_clr &= ~r.attr;
      }
      // mount_setattr(2): an atime mode can only be set by also clearing the whole atime field.
      if ((r.attr & MOUNT_ATTR__ATIME) == r.attr) m.rec_attr_clr |= MOUNT_ATTR__ATIME;
      break;
    }
    if (handled) continue;
    if (o == "tmpcopyup") {
      m.tmpcopyup = true;
    } else if (o == "idmap" || o == "ridmap") {
      m.idmap = true;
    } else {
      if (!m.data.empty()) m.data += ",";
      m.data += o;
    }
  }
  return m;
}

Result<unsigned long> ParsePropagation(const std::string& name) {
  for (const auto& p : kPropagationOptions) {
    if (p.name == name) return p.flag;
  }
  return Error(EINVAL, "unknown mount propagation \"" + name + "\"");
}

std::string MountFlagsString(unsigned long flags) {
  struct Name {
    unsigned long flag;
    const char* name;
  };
  static constexpr Name kNames[] = {
      {MS_RDONLY, "ro"},
      {MS_NOSUID, "nosuid"},
      {MS_NODEV, "nodev"},
      {MS_NOEXEC, "noexec"},
      {MS_SYNCHRONOUS, "sync"},
      {MS_REMOUNT, "remount"},
      {MS_MANDLOCK, "mand"},
      {MS_DIRSYNC, "dirsync"},
      {MS_NOSYMFOLLOW, "nosymfollow"},
      {MS_NOATIME, "noatime"},
      {MS_NODIRATIME, "nodiratime"},
      {MS_BIND, "bind"},
      {MS_MOVE, "move"},
      {MS_REC, "rec"},
      {MS_SILENT, "silent"},
      {MS_UNBINDABLE, "unbindable"},
      {MS_PRIVATE, "private"},
      {MS_SLAVE, "slave"},
      {MS_SHARED, "shared"},
      {MS_RELATIME, "relatime"},
      {MS_I_VERSION, "iversion"},
      {MS_STRICTATIME, "strictatime"},
      {MS_LAZYTIME, "lazytime"},
  };
  std::string out;
  for (const auto& n : kNames) {
    if ((flags & n.flag) == 0) continue;
    if (!out.empty()) out += "|";
    out += n.name;
    flags &= ~n.flag;
  }
  if (flags != 0) {
    if (!out.empty()) out += "|";
    char buf[32];
    (void)snprintf(buf, sizeof buf, "%#lx", flags);
    out += buf;
  }
  return out.empty() ? "0" : out;
}

}  // namespace stockade::native
