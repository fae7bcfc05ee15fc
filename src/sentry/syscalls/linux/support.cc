#include "sentry/syscalls/linux/support.h"

#include <map>
#include <sstream>

namespace stockade::sentry::syscalls {
namespace {

constexpr char kXattrNote[] =
    "user.*, trusted.* and security.* kept by tmpfs and the overlay's upper layer; on the gofer's mounts user.* "
    "of files and directories are the host file's, other namespaces EOPNOTSUPP (f* calls find the file by its "
    "current path, and a removed file's are ENOENT)";

// Handled, with known differences from Linux.
const std::map<std::string, std::string>& PartialNotes() {
  static const std::map<std::string, std::string> notes = {
      {"clone", "no new namespaces inside the sandbox (EPERM); CLONE_PIDFD unsupported"},
      {"fcntl", "record locks are enforced among the sandbox's processes only; leases, notifications and seals EINVAL"},
      {"mount", "tmpfs (with `mode=` and `size=`) and propagation changes only; bind, move and remount EINVAL, other types ENODEV"},
      {"umount2", "no busy check: a mount in use is detached as with MNT_DETACH"},
      {"flock", "enforced among the sandbox's own processes (not against locks taken on the host)"},
      {"mmap", "MAP_HUGETLB is EINVAL; MAP_SHARED file pages reach the file on msync/munmap (read/write see them at once)"},
      {"prctl", "the common options; others EINVAL"},
      {"ioctl", "terminals (TCGETS/TCSETS*, TCFLSH, TCXONC, TCSBRK, TIOCOUTQ, TIOCGWINSZ/TIOCSWINSZ, TIOCSCTTY, TIOCNOTTY, TIOCGPGRP/TIOCSPGRP, TIOCGSID, TIOCGPTN, TIOCSPTLCK/TIOCGPTLCK), FIONREAD, FIONBIO, FIOASYNC, FIOQSIZE, FIOCLEX/FIONCLEX"},
      {"sched_setaffinity", "applies to the task's Sentry thread"},
      {"getpriority", "nice values are kept but do not change how tasks are scheduled"},
      {"setpriority", "nice values are kept but do not change how tasks are scheduled"},
      {"futex", "PI futexes without priority inheritance; FUTEX_CMP_REQUEUE_PI ENOSYS"},
      {"clock_gettime", "CPU-time clocks report the task's Sentry thread"},
      {"mknod", "FIFOs, regular files and socket names; device nodes EPERM"},
      {"mknodat", "FIFOs, regular files and socket names; device nodes EPERM"},
      {"getrusage", "usage counters are zero"},
      {"times", "approximate"},
      {"mincore", "every mapped page reads as resident"},
      {"setuid", "credentials are the Sentry's own; they never reach the host"},
      {"execve", "no set-user-ID or file capabilities"},
      {"getxattr", kXattrNote},
      {"lgetxattr", kXattrNote},
      {"fgetxattr", kXattrNote},
      {"setxattr", kXattrNote},
      {"lsetxattr", kXattrNote},
      {"fsetxattr", kXattrNote},
      {"listxattr", kXattrNote},
      {"llistxattr", kXattrNote},
      {"flistxattr", kXattrNote},
      {"removexattr", kXattrNote},
      {"lremovexattr", kXattrNote},
      {"fremovexattr", kXattrNote},
  };
  return notes;
}

}  // namespace

std::vector<SyscallStatus> SyscallTable(const kernel::Kernel& k) {
  std::vector<SyscallStatus> out;
  for (const auto& n : kernel::SyscallNames()) {
    SyscallStatus s{n.nr, n.name, Support::kUnsupported, ""};
    if (k.syscall(static_cast<uint64_t>(n.nr)) != nullptr) {
      auto it = PartialNotes().find(n.name);
      if (it != PartialNotes().end()) {
        s.support = Support::kPartial;
        s.note = it->second;
      } else {
        s.support = Support::kSupported;
      }
    } else {
      s.note = "ENOSYS";
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string RenderSupportMarkdown(const std::vector<SyscallStatus>& table) {
  int counts[3] = {0, 0, 0};
  for (const auto& s : table) counts[static_cast<int>(s.support)]++;
  std::ostringstream o;
  o << "## System calls (Sentry, amd64)\n\n";
  o << "Generated from the Sentry's syscall table by `stockade-compat-doc` (a test checks that this\n"
       "section matches it). " << counts[0] << " supported, " << counts[1] << " partial, " << counts[2]
    << " unsupported (ENOSYS), of " << table.size() << " numbers.\n\n";
  o << "| nr | name | status | note |\n| ---: | --- | --- | --- |\n";
  for (const auto& s : table) {
    const char* st = s.support == Support::kSupported ? "supported"
                     : s.support == Support::kPartial ? "partial" : "unsupported";
    o << "| " << s.nr << " | `" << s.name << "` | " << st << " | " << s.note << " |\n";
  }
  return o.str();
}

}  // namespace stockade::sentry::syscalls
