#include "sentry/kernel/executing_files.h"

namespace stockade::sentry::kernel {

std::shared_ptr<void> ExecutingFiles::Hold(dev_t dev, ino_t ino) {
  auto key = std::make_pair(dev, ino);
  {
    std::lock_guard<std::mutex> l(mu_);
    counts_[key]++;
  }
  // The kernel outlives every address space, hence every hold.
  return std::shared_ptr<void>(nullptr, [this, key](void*) { Release(key); });
}

bool ExecutingFiles::Busy(dev_t dev, ino_t ino) const {
  std::lock_guard<std::mutex> l(mu_);
  return counts_.count({dev, ino}) != 0;
}

void ExecutingFiles::Release(std::pair<dev_t, ino_t> key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = counts_.find(key);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

}  // namespace stockade::sentry::kernel
