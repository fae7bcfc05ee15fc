// DevPts: the container's /dev/pts, served from a private devpts instance
// that the sandbox mounted for itself before it dropped into its empty root
// (the host's own ptys are never visible). The host kernel provides the line
// discipline of each pty; the Sentry adds what depends on its own tasks:
// sessions, the controlling terminal and the foreground process group
// (TtyState, used by the kernel's job-control ioctls).
//
// Terminals are made for `-t` containers and `exec -t` (NewPty, whose master
// goes to the console socket) and by the application through /dev/ptmx.
// The signals the host line discipline raises for a pty (^C, ^Z, a window
// resize, a hang-up) come back through a TtySignalRelay to the signal sink,
// which is the kernel's job control.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "base/unique_fd.h"
#include "sentry/vfs/host_file.h"
#include "sentry/vfs/host_fs.h"
#include "sentry/vfs/tty_signal_relay.h"

namespace stockade::sentry::vfs {

class DevPts;

// Job-control state of one terminal, shared by all its open descriptions.
// `sid` and `fg_pgid` are the kernel's: read and written under Kernel::mu only.
struct TtyState {
  int index = 0;  // N of /dev/pts/N
  std::weak_ptr<DevPts> fs;
  int sid = 0;      // the session it is the controlling terminal of (0: none)
  int fg_pgid = 0;  // its foreground process group
  // The host process that receives the pty's signals (null when none could
  // be started: the terminal then works without them).
  std::unique_ptr<TtyHolder> holder;
};

// A pty replica (/dev/pts/N). Termios and window-size requests go to the
// host's line discipline; job-control requests are the kernel's (they need
// the caller's session), see tty_ops in the syscall layer.
class TerminalFile : public HostFile {
 public:
  TerminalFile(UniqueFd fd, int flags, std::shared_ptr<TtyState> tty);
  Result<int64_t> Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) override;
  const std::shared_ptr<TtyState>& tty() const { return tty_; }

 private:
  std::shared_ptr<TtyState> tty_;
};

// A pty master (/dev/ptmx): TIOCGPTN and TIOCSPTLCK besides the termios
// requests.
class PtyMasterFile : public HostFile {
 public:
  PtyMasterFile(UniqueFd fd, int flags) : HostFile(std::move(fd), flags, true) {}
  Result<int64_t> Ioctl(mm::MemoryManager& mm, uint64_t cmd, uint64_t arg) override;
};

// What /dev/tty's node opens: a stand-in that the kernel replaces with the
// opener's controlling terminal, since which terminal that is depends on the
// calling task (kernel::OpenControllingTty). Never installed in an FD table.
class ControllingTtyRef : public File {
 public:
  using File::File;
  Result<struct stat> Stat() override { return Error(ENXIO, ""); }
};

class DevPts : public HostFs {
 public:
  // `dir`: a directory FD of the sandbox's devpts instance.
  static std::shared_ptr<DevPts> New(UniqueFd dir);

  // "/N" opens replica N, "/ptmx" a new master; the rest is the host devpts.
  Result<std::shared_ptr<File>> Open(const std::string& path, const OpenRequest& req) override;

  struct Pty {
    UniqueFd master;                        // a host FD, for the console socket
    std::shared_ptr<TerminalFile> replica;  // the application's side
  };
  // A new, unlocked pty whose replica is opened read-write.
  Result<Pty> NewPty();
  // Reopens replica N (e.g. for /dev/tty).
  Result<std::shared_ptr<File>> OpenReplica(int index, int flags);

  // Where the terminals' signals go (the kernel's job control).
  void SetSignalSink(TtySignalRelay::Sink sink) { relay_.SetSink(std::move(sink)); }

 private:
  DevPts(UniqueFd dir, UniqueFd root) : HostFs(std::move(root), false), dir_(std::move(dir)) {}
  // The state of terminal N, made (with its signal holder) on first use.
  std::shared_ptr<TtyState> StateFor(int index);

  UniqueFd dir_;
  TtySignalRelay relay_;
  std::mutex mu_;
  std::map<int, std::weak_ptr<TtyState>> ttys_;
};

// Parses "/N" (a replica's path inside devpts); -1 for anything else.
int PtyIndexOf(const std::string& path);

}  // namespace stockade::sentry::vfs
