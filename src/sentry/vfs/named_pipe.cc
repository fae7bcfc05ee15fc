#include "sentry/vfs/named_pipe.h"

#include <map>
#include <mutex>
#include <utility>

#include "abi/linux/errno.h"
#include "sentry/vfs/pipe.h"

namespace stockade::sentry::vfs {
namespace {

// A FIFO end: a pipe end whose fstat is the FIFO's own.
class NamedPipeFile : public PipeFile {
 public:
  NamedPipeFile(std::shared_ptr<Pipe> p, int flags, const struct stat& st) : PipeFile(std::move(p), flags), st_(st) {}
  Result<struct stat> Stat() override { return st_; }

 private:
  struct stat st_;
};

std::mutex registry_mu;  // a leaf lock, taken before no other
std::map<std::pair<dev_t, ino_t>, std::weak_ptr<Pipe>> registry;

std::shared_ptr<Pipe> PipeFor(const struct stat& st) {
  std::lock_guard<std::mutex> l(registry_mu);
  auto& slot = registry[{st.st_dev, st.st_ino}];
  auto p = slot.lock();
  if (!p) {
    // Drop entries whose pipes are gone, so the map stays small.
    std::erase_if(registry, [](const auto& e) { return e.second.expired(); });
    p = std::make_shared<Pipe>();
    p->ino = st.st_ino;
    registry[{st.st_dev, st.st_ino}] = p;
  }
  return p;
}

}  // namespace

Result<std::shared_ptr<File>> OpenNamedPipe(Waiter& w, const struct stat& st, int flags) {
  auto p = PipeFor(st);
  int acc = flags & O_ACCMODE;
  if (acc == O_WRONLY && (flags & O_NONBLOCK)) {
    std::lock_guard<std::mutex> l(p->mu);
    if (p->readers == 0) return Error(ENXIO, "");
  }
  auto f = std::make_shared<NamedPipeFile>(p, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), st);
  uint64_t seen = 0;
  bool peer = true;
  {
    std::lock_guard<std::mutex> l(p->mu);
    if (acc == O_RDONLY) seen = p->write_opens, p->read_opens++, peer = p->writers > 0;
    if (acc == O_WRONLY) seen = p->read_opens, p->write_opens++, peer = p->readers > 0;
  }
  p->Changed(true, true);
  if (acc == O_RDWR || (flags & O_NONBLOCK) || peer) return std::shared_ptr<File>(f);
  // Wait for the other end to have been opened at least once since.
  WaitQueue& q = acc == O_RDONLY ? p->readq : p->writeq;
  while (true) {
    WaitEntry entry(q, &w);
    {
      std::lock_guard<std::mutex> l(p->mu);
      uint64_t now = acc == O_RDONLY ? p->write_opens : p->read_opens;
      if (now != seen) return std::shared_ptr<File>(f);
    }
    if (w.Block(std::nullopt) == BlockResult::kInterrupted) return Error(abi::kERESTARTSYS, "");
  }
}

}  // namespace stockade::sentry::vfs
