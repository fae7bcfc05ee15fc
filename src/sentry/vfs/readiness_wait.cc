#include "sentry/vfs/readiness_wait.h"

#include <poll.h>
#include <sys/epoll.h>

#include <chrono>

namespace stockade::sentry::vfs {
namespace {
constexpr auto kRecheck = std::chrono::milliseconds(10);
}  // namespace

void ReadinessWait::Add(const std::shared_ptr<File>& f, short events) {
  int host = f->HostPollFd();
  std::vector<WaitQueue*> queues;
  f->ReadinessQueues(&queues);
  if (host >= 0) {
    hosts_[host] |= events;
    if (host_epoll_) host_epoll_.reset();  // rebuilt with the new member on the next wait
  }
  if (!seen_.insert(f.get()).second) return;
  keep_.push_back(f);
  for (WaitQueue* q : queues) {
    if (queues_.insert(q).second) entries_.push_back(std::make_unique<WaitEntry>(*q, &w_));
  }
  if (host < 0 && queues.empty()) others_++;
}

BlockResult ReadinessWait::Wait(const Deadline& deadline) {
  Deadline dl = deadline;
  if (others_) {
    auto tick = std::chrono::steady_clock::now() + kRecheck;
    if (!dl || *dl > tick) dl = tick;
  }
  if (hosts_.empty()) return w_.Block(dl);
  if (hosts_.size() == 1) return w_.Block(dl, hosts_.begin()->first, hosts_.begin()->second);
  if (!host_epoll_) {
    host_epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    for (auto [fd, ev] : hosts_) {
      struct epoll_event e {};
      e.events = static_cast<uint32_t>(ev) | EPOLLERR | EPOLLHUP;
      e.data.fd = fd;
      if (host_epoll_) (void)epoll_ctl(host_epoll_.get(), EPOLL_CTL_ADD, fd, &e);
    }
  }
  if (!host_epoll_) {
    // No epoll instance to be had: fall back to re-checking.
    auto tick = std::chrono::steady_clock::now() + kRecheck;
    if (!dl || *dl > tick) dl = tick;
    return w_.Block(dl);
  }
  return w_.Block(dl, host_epoll_.get(), POLLIN);
}

}  // namespace stockade::sentry::vfs
