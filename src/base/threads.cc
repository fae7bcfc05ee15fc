#include "base/threads.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

namespace stockade {
namespace {

std::mutex& RegistryMu() {
  static std::mutex mu;
  return mu;
}
std::vector<ThreadInfo>& Registry() {
  static std::vector<ThreadInfo> threads;
  return threads;
}

}  // namespace

ThreadRegistration::ThreadRegistration(std::string name) : tid_(static_cast<pid_t>(syscall(SYS_gettid))) {
  std::lock_guard<std::mutex> l(RegistryMu());
  Registry().push_back({tid_, std::move(name)});
}

ThreadRegistration::~ThreadRegistration() {
  std::lock_guard<std::mutex> l(RegistryMu());
  std::erase_if(Registry(), [this](const ThreadInfo& t) { return t.tid == tid_; });
}

std::vector<ThreadInfo> RegisteredThreads() {
  std::lock_guard<std::mutex> l(RegistryMu());
  return Registry();
}

}  // namespace stockade
