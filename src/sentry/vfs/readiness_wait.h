// ReadinessWait: sleeping until any of a set of files may have become ready,
// for poll, select and epoll. Each file says how it is watched (file.h):
// Sentry files through their WaitQueues, host-backed files through their host
// FD. One host FD is watched by the task's Block itself; several are put
// into a host epoll instance made for the wait, which the Block then watches.
// Files with neither are re-checked every 10 ms.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "base/unique_fd.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/waiter.h"

namespace stockade::sentry::vfs {

class ReadinessWait {
 public:
  explicit ReadinessWait(Waiter& w) : w_(w) {}
  ReadinessWait(const ReadinessWait&) = delete;
  ReadinessWait& operator=(const ReadinessWait&) = delete;

  // Watches f for `events` (POLL* bits) from now on.
  void Add(const std::shared_ptr<File>& f, short events);
  // Blocks until something watched may have changed, a signal, or the deadline.
  BlockResult Wait(const Deadline& deadline);

 private:
  Waiter& w_;
  std::vector<std::shared_ptr<File>> keep_;  // outlives the entries (declared first)
  std::vector<std::unique_ptr<WaitEntry>> entries_;
  std::set<File*> seen_;
  std::set<WaitQueue*> queues_;
  std::map<int, short> hosts_;
  UniqueFd host_epoll_;  // made on the first wait with more than one host FD
  int others_ = 0;
};

}  // namespace stockade::sentry::vfs
