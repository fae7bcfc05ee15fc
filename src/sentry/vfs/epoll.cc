#include "sentry/vfs/epoll.h"

#include <poll.h>

#include <cerrno>

namespace stockade::sentry::vfs {
namespace {

constexpr uint32_t kAlways = EPOLLERR | EPOLLHUP;
// The flags that are not events.
constexpr uint32_t kModes = EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE;

// The events an interest asks for, plus those always reported.
uint32_t Wanted(uint32_t events) { return (events & ~kModes) | kAlways; }

// What of `want` a scanned member is ready for now.
uint32_t ReadyMask(File& f, uint32_t want) {
  uint32_t ready = static_cast<uint16_t>(f.Readiness(static_cast<short>(want)));
  if (ready & POLLIN) ready |= EPOLLRDNORM;
  if (ready & POLLOUT) ready |= EPOLLWRNORM;
  return ready & want;
}

}  // namespace

Result<std::shared_ptr<EpollFile>> EpollFile::New() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return Error(errno, "");
  auto f = std::shared_ptr<EpollFile>(new EpollFile(UniqueFd(fd)));
  f->name = "anon_inode:[eventpoll]";
  return f;
}

void EpollFile::PruneLocked() {
  for (auto it = interests_.begin(); it != interests_.end();) {
    if (it->second.file.expired()) {
      it = interests_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = host_ids_.begin(); it != host_ids_.end();) {
    if (!interests_.count(it->second)) {
      it = host_ids_.erase(it);
    } else {
      ++it;
    }
  }
}

Status EpollFile::Ctl(int op, int fd, const std::shared_ptr<File>& f, const struct epoll_event& ev) {
  std::lock_guard<std::mutex> l(mu_);
  PruneLocked();
  Key key{f.get(), fd};
  auto it = interests_.find(key);
  switch (op) {
    case EPOLL_CTL_ADD: {
      if (it != interests_.end()) return Error(EEXIST, "");
      Interest in;
      in.file = f;
      in.events = ev.events;
      in.data = ev.data.u64;
      // A nested epoll instance is scanned: its host instance holds only its
      // own host members, not its Sentry ones.
      int host = dynamic_cast<EpollFile*>(f.get()) ? -1 : f->HostPollFd();
      if (host >= 0) {
        uint64_t id = next_id_++;
        struct epoll_event he {};
        he.events = ev.events & ~EPOLLWAKEUP;
        he.data.u64 = id;
        if (epoll_ctl(host_.get(), EPOLL_CTL_ADD, host, &he) == 0) {
          in.on_host = true;
          host_ids_[id] = key;
        } else if (errno != EEXIST) {
          return Error(errno, "");
        }
        // EEXIST: the same host file under another FD; it is scanned instead.
      }
      interests_.emplace(key, in);
      return Ok();
    }
    case EPOLL_CTL_MOD: {
      if (it == interests_.end()) return Error(ENOENT, "");
      if ((ev.events & EPOLLEXCLUSIVE) || (it->second.events & EPOLLEXCLUSIVE)) return Error(EINVAL, "");
      Interest& in = it->second;
      in.events = ev.events;
      in.data = ev.data.u64;
      in.disabled = false;
      in.reported = false;
      if (in.on_host) {
        for (auto& [id, k] : host_ids_) {
          if (k != key) continue;
          struct epoll_event he {};
          he.events = ev.events & ~EPOLLWAKEUP;
          he.data.u64 = id;
          if (epoll_ctl(host_.get(), EPOLL_CTL_MOD, f->HostPollFd(), &he) != 0) return Error(errno, "");
        }
      }
      return Ok();
    }
    case EPOLL_CTL_DEL: {
      if (it == interests_.end()) return Error(ENOENT, "");
      if (it->second.on_host) (void)epoll_ctl(host_.get(), EPOLL_CTL_DEL, f->HostPollFd(), nullptr);
      interests_.erase(it);
      PruneLocked();
      return Ok();
    }
    default:
      return Error(EINVAL, "");
  }
}

std::vector<struct epoll_event> EpollFile::Collect(int max) {
  std::vector<struct epoll_event> out;
  std::lock_guard<std::mutex> l(mu_);
  PruneLocked();
  // Host-backed members: the host epoll instance decides, with their own flags.
  if (!host_ids_.empty()) {
    std::vector<struct epoll_event> hev(static_cast<size_t>(std::min<int>(max, 1024)));
    int n = epoll_wait(host_.get(), hev.data(), static_cast<int>(hev.size()), 0);
    for (int i = 0; i < n; i++) {
      auto k = host_ids_.find(hev[i].data.u64);
      if (k == host_ids_.end()) continue;
      const Interest& in = interests_.at(k->second);
      struct epoll_event e {};
      e.events = hev[i].events;
      e.data.u64 = in.data;
      out.push_back(e);
    }
  }
  // Sentry members, scanned.
  for (auto& [key, in] : interests_) {
    if (static_cast<int>(out.size()) >= max) break;
    if (in.on_host || in.disabled) continue;
    auto f = in.file.lock();
    if (!f) continue;
    uint32_t ready = ReadyMask(*f, Wanted(in.events));
    if (!ready) continue;
    if (in.events & EPOLLET) {
      uint64_t gen = f->ReadinessGeneration();
      if (in.reported && gen == in.reported_gen) continue;
      in.reported_gen = gen;
      in.reported = true;
    }
    if (in.events & EPOLLONESHOT) in.disabled = true;
    struct epoll_event e {};
    e.events = ready;
    e.data.u64 = in.data;
    out.push_back(e);
  }
  return out;
}

std::vector<std::pair<std::shared_ptr<File>, short>> EpollFile::Members() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::pair<std::shared_ptr<File>, short>> out;
  for (auto& [key, in] : interests_) {
    if (in.on_host || in.disabled) continue;  // the host instance (HostPollFd) stands for those
    if (auto f = in.file.lock()) out.emplace_back(f, static_cast<short>(Wanted(in.events)));
  }
  return out;
}

void EpollFile::ReadinessQueues(std::vector<WaitQueue*>* out) {
  for (const auto& m : Members()) m.first->ReadinessQueues(out);
}

short EpollFile::Readiness(short events) {
  // Readable when a wait would return something. (A level check: for
  // edge-triggered members this may report an event that Collect then
  // withholds, as a poll on an epoll FD can on Linux too.)
  struct pollfd p = {host_.get(), POLLIN, 0};
  if (poll(&p, 1, 0) == 1) return events & POLLIN;
  for (const auto& [f, want] : Members()) {
    if (ReadyMask(*f, static_cast<uint16_t>(want))) return events & POLLIN;
  }
  return 0;
}

Result<struct stat> EpollFile::Stat() {
  struct stat st {};
  st.st_mode = 0600;  // an anonymous inode, as Linux reports it
  st.st_nlink = 1;
  st.st_blksize = 4096;
  return st;
}

}  // namespace stockade::sentry::vfs
