#include "sentry/fsimpl/proc/procfs.h"

#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <cstring>

#include "sentry/fsimpl/proc/proc_text.h"
#include "sentry/kernel/path_ops.h"

namespace stockade::sentry::fsimpl {
namespace {

using kernel::Task;
using kernel::ThreadGroup;

constexpr long kProcSuperMagic = 0x9fa0;

// statfs of procfs, its files and its directories alike.
struct statfs ProcStatfs() {
  struct statfs s {};
  s.f_type = kProcSuperMagic;
  s.f_bsize = 4096;
  s.f_namelen = 255;
  return s;
}
const dev_t kProcDev = makedev(0, 31);

int ParsePid(const std::string& s) {
  if (s.empty() || s.size() > 9 || s[0] == '0') return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string Join(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); i++) out += "/" + parts[i];
  return out;
}

ProcFs::Node MakeDir(std::function<std::vector<std::string>()> entries) {
  ProcFs::Node n;
  n.kind = ProcFs::Node::kDir;
  n.entries = std::move(entries);
  return n;
}

ProcFs::Node MakeFile(std::function<std::string()> content) {
  ProcFs::Node n;
  n.kind = ProcFs::Node::kFile;
  n.content = std::move(content);
  return n;
}

ProcFs::Node MakeLink(std::string target, bool leaves) {
  ProcFs::Node n;
  n.kind = ProcFs::Node::kLink;
  n.target = std::move(target);
  n.leaves_procfs = leaves;
  return n;
}

// A generated file: its text is taken when it is opened, as seq_file's
// first read would, and then read like a regular file.
class ProcFile : public vfs::File {
 public:
  ProcFile(std::string text, struct stat st) : File(O_RDONLY), text_(std::move(text)), st_(st) {}
  Result<size_t> Read(vfs::Waiter&, void* buf, size_t len) override {
    std::lock_guard<std::mutex> l(pos_mu);
    ASSIGN_OR_RETURN(size_t n, PRead(buf, len, pos_));
    pos_ += n;
    return n;
  }
  Result<size_t> PRead(void* buf, size_t len, uint64_t off) override {
    if (off >= text_.size()) return size_t{0};
    size_t n = std::min<size_t>(len, text_.size() - off);
    memcpy(buf, text_.data() + off, n);
    return n;
  }
  Result<size_t> Write(vfs::Waiter&, const void*, size_t) override { return Error(EBADF, ""); }
  Result<int64_t> Seek(int64_t off, int whence) override {
    std::lock_guard<std::mutex> l(pos_mu);
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<int64_t>(pos_)
                   : whence == SEEK_END ? static_cast<int64_t>(text_.size()) : -1;
    if (base < 0 || off + base < 0) return Error(EINVAL, "");
    pos_ = static_cast<uint64_t>(off + base);
    return static_cast<int64_t>(pos_);
  }
  Result<struct stat> Stat() override { return st_; }
  Result<struct statfs> StatFs() override { return ProcStatfs(); }

 private:
  std::string text_;
  struct stat st_;
  uint64_t pos_ = 0;
};

class ProcDir : public vfs::File {
 public:
  ProcDir(std::vector<vfs::Dirent> entries, struct stat st, int flags)
      : File(flags), entries_(std::move(entries)), st_(st) {}
  Result<size_t> Read(vfs::Waiter&, void*, size_t) override { return Error(EISDIR, ""); }
  Result<std::vector<vfs::Dirent>> ReadDir() override { return entries_; }
  Result<int64_t> Seek(int64_t off, int whence) override {
    if (whence != SEEK_SET || off < 0) return Error(EINVAL, "");
    dir_pos = static_cast<uint64_t>(off);
    return off;
  }
  Result<struct stat> Stat() override { return st_; }
  Result<struct statfs> StatFs() override { return ProcStatfs(); }

 private:
  std::vector<vfs::Dirent> entries_;
  struct stat st_;
};

}  // namespace

Result<ProcFs::Node> ProcFs::ProcessNode(int tgid, const std::vector<std::string>& rest) const {
  kernel::Kernel* k = k_;
  uid_t uid = 0;
  gid_t gid = 0;
  std::shared_ptr<mm::MemoryManager> mm;
  std::shared_ptr<vfs::File> cwd;
  std::shared_ptr<kernel::FdTable> fds;
  {
    std::lock_guard<std::mutex> l(k->mu);
    ThreadGroup* g = k->GroupByTgidLocked(tgid);
    if (!g || !g->leader) return Error(ENOENT, "");
    uid = g->creds.euid;
    gid = g->creds.egid;
    for (Task* t : g->tasks) {
      if (t->mm) mm = t->mm;
      if (t->fds) fds = t->fds;
      if (t->fs) {
        std::lock_guard<std::mutex> fl(t->fs->mu);
        cwd = t->fs->cwd;
      }
    }
  }
  Node n;
  std::string name = rest.empty() ? "" : rest[0];
  if (rest.empty()) {
    n = MakeDir([] {
      return std::vector<std::string>{"cmdline", "comm", "cwd", "environ", "exe", "fd", "limits",
                                      "maps", "mountinfo", "mounts", "root", "stat", "status", "task"};
    });
  } else if (name == "task") {
    // One directory per thread: its own stat, status and comm.
    if (rest.size() == 1) {
      n = MakeDir([k, tgid] {
        std::vector<std::string> out;
        std::lock_guard<std::mutex> l(k->mu);
        if (ThreadGroup* g = k->GroupByTgidLocked(tgid)) {
          for (Task* t : g->tasks) out.push_back(std::to_string(t->tid));
        }
        return out;
      });
    } else {
      int tid = ParsePid(rest[1]);
      bool found = false;
      {
        std::lock_guard<std::mutex> l(k->mu);
        Task* t = tid > 0 ? k->TaskByTidLocked(tid) : nullptr;
        found = t && t->tg && t->tg->tgid == tgid;
      }
      if (!found) return Error(ENOENT, "");
      if (rest.size() == 2) {
        n = MakeDir([] { return std::vector<std::string>{"comm", "stat", "status"}; });
      } else if (rest.size() == 3 && rest[2] == "stat") {
        n = MakeFile([k, tgid, tid] { return ProcStat(*k, tgid, tid); });
      } else if (rest.size() == 3 && rest[2] == "status") {
        n = MakeFile([k, tgid, tid] { return ProcStatus(*k, tgid, tid); });
      } else if (rest.size() == 3 && rest[2] == "comm") {
        n = MakeFile([k, tid] {
          std::lock_guard<std::mutex> l(k->mu);
          Task* t = k->TaskByTidLocked(tid);
          return t ? t->comm + "\n" : std::string();
        });
      } else {
        return Error(ENOENT, "");
      }
    }
    n.uid = uid;
    n.gid = gid;
    return n;
  } else if (name == "mountinfo") {
    n = MakeFile([k] { return ProcMountinfo(*k); });
  } else if (name == "stat") {
    n = MakeFile([k, tgid] { return ProcStat(*k, tgid); });
  } else if (name == "status") {
    n = MakeFile([k, tgid] { return ProcStatus(*k, tgid); });
  } else if (name == "limits") {
    n = MakeFile([k, tgid] { return ProcLimits(*k, tgid); });
  } else if (name == "cmdline" || name == "environ") {
    bool env = name == "environ";
    n = MakeFile([k, tgid, env] { return ProcCmdline(*k, tgid, env); });
  } else if (name == "comm") {
    n = MakeFile([k, tgid] {
      std::lock_guard<std::mutex> l(k->mu);
      ThreadGroup* g = k->GroupByTgidLocked(tgid);
      return g && g->leader ? g->leader->comm + "\n" : std::string();
    });
  } else if (name == "maps") {
    n = MakeFile([mm] { return mm ? mm->MapsText() : std::string(); });
  } else if (name == "mounts") {
    n = MakeFile([k] { return ProcMounts(*k); });
  } else if (name == "cwd" || name == "root" || name == "exe") {
    std::string target = name == "cwd"    ? (cwd ? cwd->DisplayName() : "")
                         : name == "root" ? "/"
                                          : (mm ? mm->image_info().exe : "");
    if (target.empty()) return Error(ENOENT, "");
    n = MakeLink(target, true);
    if (name == "cwd") n.link_file = cwd;
  } else if (name == "fd") {
    if (rest.size() == 1) {
      n = MakeDir([fds] {
        std::vector<std::string> out;
        if (fds) {
          for (int fd : fds->Fds()) out.push_back(std::to_string(fd));
        }
        return out;
      });
    } else {
      int fd = ParsePid(rest[1]);
      if (rest[1] == "0") fd = 0;
      auto f = fds && fd >= 0 ? fds->Get(fd) : nullptr;
      if (!f) return Error(ENOENT, "");
      std::string name = f->DisplayName();
      n = MakeLink(name.empty() ? "anon_inode:[unknown]" : name, true);
      n.link_file = f;
      if (rest.size() > 2) n.target += Join(rest, 2);
    }
    n.uid = uid;
    n.gid = gid;
    return n;
  } else {
    return Error(ENOENT, "");
  }
  if (rest.size() > 1) {
    // Below a link out of procfs: the rest is resolved at its target.
    if (n.kind == Node::kLink) {
      n.target += Join(rest, 1);
      n.link_file.reset();
    } else {
      return Error(ENOTDIR, "");
    }
  }
  n.uid = uid;
  n.gid = gid;
  return n;
}

Result<ProcFs::Node> ProcFs::Lookup(const std::string& path, bool follow) const {
  auto parts = vfs::PathComponents(path);
  kernel::Kernel* k = k_;
  Node n;
  if (parts.empty()) {
    n = MakeDir([k] {
      std::vector<std::string> out = {"cpuinfo", "filesystems", "loadavg",     "meminfo", "mounts",
                                      "self",    "sys",         "thread-self", "uptime",  "version"};
      std::lock_guard<std::mutex> l(k->mu);
      for (ThreadGroup* g : k->GroupsLocked()) {
        if (!g->zombie && g->leader) out.push_back(std::to_string(g->tgid));
      }
      return out;
    });
  } else if (parts[0] == "thread-self") {
    Task* cur = kernel::CurrentTask();
    if (!cur) return Error(ENOENT, "");
    int tgid, tid;
    {
      std::lock_guard<std::mutex> l(k->mu);
      tgid = cur->tg->tgid;
      tid = cur->tid;
    }
    if (parts.size() == 1 && !follow) {
      n = MakeLink(std::to_string(tgid) + "/task/" + std::to_string(tid), false);
    } else {
      std::vector<std::string> rest = {"task", std::to_string(tid)};
      rest.insert(rest.end(), parts.begin() + 1, parts.end());
      ASSIGN_OR_RETURN(n, ProcessNode(tgid, rest));
      n.path = "/" + std::to_string(tgid) + "/task/" + std::to_string(tid) + Join(parts, 1);
      return n;
    }
  } else if (parts[0] == "self") {
    Task* cur = kernel::CurrentTask();
    if (!cur) return Error(ENOENT, "");
    int tgid;
    {
      std::lock_guard<std::mutex> l(k->mu);
      tgid = cur->tg->tgid;
    }
    if (parts.size() == 1 && !follow) {
      n = MakeLink(std::to_string(tgid), false);
    } else {
      ASSIGN_OR_RETURN(n, ProcessNode(tgid, std::vector<std::string>(parts.begin() + 1, parts.end())));
      // The same inode as through its number.
      n.path = "/" + std::to_string(tgid) + Join(parts, 1);
      return n;
    }
  } else if (int pid = ParsePid(parts[0]); pid > 0) {
    ASSIGN_OR_RETURN(n, ProcessNode(pid, std::vector<std::string>(parts.begin() + 1, parts.end())));
  } else if (parts.size() == 1) {
    const std::string& f = parts[0];
    if (f == "cpuinfo") n = MakeFile([] { return ProcCpuinfo(); });
    else if (f == "meminfo") n = MakeFile([k] { return ProcMeminfo(*k); });
    else if (f == "uptime") n = MakeFile([k] { return ProcUptime(*k); });
    else if (f == "loadavg") n = MakeFile([k] { return ProcLoadavg(*k); });
    else if (f == "version") n = MakeFile([k] { return ProcVersion(*k); });
    else if (f == "filesystems") n = MakeFile([] { return ProcFilesystems(); });
    else if (f == "mounts") n = MakeFile([k] { return ProcMounts(*k); });
    else if (f == "sys") n = MakeDir([] { return std::vector<std::string>{"kernel"}; });
    else return Error(ENOENT, "");
  } else if (parts[0] == "sys" && parts[1] == "kernel") {
    if (parts.size() == 2) {
      n = MakeDir([] { return std::vector<std::string>{"hostname", "ostype", "osrelease"}; });
    } else if (parts.size() == 3 && parts[2] == "hostname") {
      n = MakeFile([k] { return k->hostname() + "\n"; });
    } else if (parts.size() == 3 && parts[2] == "ostype") {
      n = MakeFile([] { return std::string("Linux\n"); });
    } else if (parts.size() == 3 && parts[2] == "osrelease") {
      n = MakeFile([] {
        struct utsname h {};
        uname(&h);
        return std::string(h.release) + "\n";
      });
    } else {
      return Error(ENOENT, "");
    }
  } else {
    return Error(ENOENT, "");
  }
  n.path = path;
  return n;
}

struct stat ProcFs::StatOf(const Node& n) const {
  struct stat st {};
  st.st_dev = kProcDev;
  st.st_ino = std::hash<std::string>()(n.path) | 1;
  st.st_nlink = n.kind == Node::kDir ? 2 : 1;
  st.st_uid = n.uid;
  st.st_gid = n.gid;
  st.st_blksize = 1024;
  st.st_mode = n.kind == Node::kDir ? (S_IFDIR | 0555) : n.kind == Node::kLink ? (S_IFLNK | 0777) : (S_IFREG | 0444);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  st.st_atim = st.st_mtim = st.st_ctim = now;
  return st;
}

Result<std::shared_ptr<vfs::File>> ProcFs::Open(const std::string& path, const vfs::OpenRequest& req) {
  if ((req.flags & O_ACCMODE) != O_RDONLY || (req.flags & (O_CREAT | O_TRUNC))) {
    auto exists = Lookup(path, true);
    if (!exists.ok()) return (req.flags & O_CREAT) ? Error(EACCES, "") : exists.error();
    return Error(EACCES, "");
  }
  ASSIGN_OR_RETURN(Node n, Lookup(path, !(req.flags & O_NOFOLLOW)));
  // Path walks follow links themselves (magic ones through MagicLink).
  if (n.kind == Node::kLink) return Error(ELOOP, "");
  if ((req.flags & O_DIRECTORY) && n.kind != Node::kDir) return Error(ENOTDIR, "");
  struct stat st = StatOf(n);
  if (n.kind == Node::kDir) {
    std::vector<vfs::Dirent> entries = {{st.st_ino, DT_DIR, "."}, {st.st_ino, DT_DIR, ".."}};
    for (const auto& name : n.entries()) {
      auto child = Lookup(vfs::JoinPath(path, name), false);
      if (!child.ok()) continue;
      uint8_t type = child->kind == Node::kDir ? DT_DIR : child->kind == Node::kLink ? DT_LNK : DT_REG;
      child->path = vfs::JoinPath(path, name);
      entries.push_back({StatOf(*child).st_ino, type, name});
    }
    auto dir = std::make_shared<ProcDir>(std::move(entries), st, req.flags);
    dir->name = path == "/" ? "/proc" : "/proc" + path;
    return std::shared_ptr<vfs::File>(dir);
  }
  auto file = std::make_shared<ProcFile>(n.content(), st);
  file->name = "/proc" + path;
  return std::shared_ptr<vfs::File>(file);
}

Result<struct stat> ProcFs::Stat(const std::string& path, bool follow) {
  ASSIGN_OR_RETURN(Node n, Lookup(path, follow));
  if (n.kind == Node::kLink && follow) {
    if (n.link_file) return n.link_file->Stat();
    Task* cur = kernel::CurrentTask();
    if (!cur) return Error(ENOENT, "");
    return kernel::StatAt(*cur, AT_FDCWD, n.target, true, false);
  }
  return StatOf(n);
}

std::shared_ptr<vfs::File> ProcFs::MagicLink(const std::string& path) {
  auto n = Lookup(path, false);
  return n.ok() && n->kind == Node::kLink ? n->link_file : nullptr;
}

Result<std::string> ProcFs::ReadLink(const std::string& path) {
  ASSIGN_OR_RETURN(Node n, Lookup(path, false));
  if (n.kind != Node::kLink) return Error(EINVAL, "");
  return n.target;
}

Result<struct statfs> ProcFs::StatFs() { return ProcStatfs(); }

}  // namespace stockade::sentry::fsimpl
