// EpollFile: an epoll instance. Its interest list holds (file, fd) pairs as
// Linux's does, and each entry lives until EPOLL_CTL_DEL or until its file
// description is gone.
//
// Host-backed files (stdio, terminals, eventfd, timerfd) are registered in a
// host epoll instance of the EpollFile's own, with the application's flags,
// so that their level, edge and one-shot semantics are the host kernel's.
// Sentry files (pipes) are scanned: level-triggered entries report whenever
// ready; edge-triggered ones only after the file's readiness generation moved
// (a state change) since the last report; one-shot ones are disabled once
// reported until EPOLL_CTL_MOD.
//
// Lock order: EpollFile::mu_ before whatever the members' Readiness takes
// (their own leaf locks; Kernel::mu for a signalfd). Nothing takes it while
// holding one of those.
#pragma once

#include <sys/epoll.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "base/unique_fd.h"
#include "sentry/vfs/file.h"

namespace stockade::sentry::vfs {

class EpollFile : public File {
 public:
  static Result<std::shared_ptr<EpollFile>> New();

  // EPOLL_CTL_ADD/MOD/DEL of `f` (the application's `fd`); `ev` unused for DEL.
  Status Ctl(int op, int fd, const std::shared_ptr<File>& f, const struct epoll_event& ev);
  // Up to `max` ready events, without blocking.
  std::vector<struct epoll_event> Collect(int max);
  // The members that are scanned rather than left to the host instance, with
  // the POLL* events asked of each: a wait watches them (ReadinessWait).
  std::vector<std::pair<std::shared_ptr<File>, short>> Members();

  Result<struct stat> Stat() override;
  short Readiness(short events) override;
  bool Pollable() const override { return true; }
  int HostPollFd() const override { return host_.get(); }
  void ReadinessQueues(std::vector<WaitQueue*>* out) override;

 private:
  explicit EpollFile(UniqueFd host) : File(O_RDWR), host_(std::move(host)) {}
  struct Interest {
    std::weak_ptr<File> file;
    uint32_t events = 0;
    uint64_t data = 0;
    bool on_host = false;    // registered in host_
    bool disabled = false;   // one-shot, reported
    uint64_t reported_gen = 0;
    bool reported = false;
  };
  using Key = std::pair<File*, int>;
  // Drops entries whose file has gone. Under mu_.
  void PruneLocked();

  UniqueFd host_;
  std::mutex mu_;
  std::map<Key, Interest> interests_;
  std::map<uint64_t, Key> host_ids_;  // host event data -> entry
  uint64_t next_id_ = 1;
};

}  // namespace stockade::sentry::vfs
