// The files some address space runs as its program: Linux refuses to open
// them for writing (ETXTBSY) while they do, so a running binary cannot be
// changed under its processes.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace stockade::sentry::kernel {

class ExecutingFiles {
 public:
  // Marks (dev, ino) as executing until the returned hold (shared by every
  // address space forked from the one exec made) is gone.
  std::shared_ptr<void> Hold(dev_t dev, ino_t ino);
  // Whether (dev, ino) is some address space's program.
  bool Busy(dev_t dev, ino_t ino) const;

 private:
  void Release(std::pair<dev_t, ino_t> key);

  mutable std::mutex mu_;  // a leaf
  std::map<std::pair<dev_t, ino_t>, int> counts_;
};

}  // namespace stockade::sentry::kernel
