// Threads that the sandbox's stack dumper (debug --stacks) can name and
// signal without /proc: the Sentry's sandbox holds no procfs directory, so
// its threads register themselves here instead.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace stockade {

struct ThreadInfo {
  pid_t tid;
  std::string name;
};

// Registers the calling thread for the object's lifetime.
class ThreadRegistration {
 public:
  explicit ThreadRegistration(std::string name);
  ~ThreadRegistration();
  ThreadRegistration(const ThreadRegistration&) = delete;
  ThreadRegistration& operator=(const ThreadRegistration&) = delete;

 private:
  pid_t tid_;
};

// The registered threads, oldest first.
std::vector<ThreadInfo> RegisteredThreads();

// A std::thread that runs f(args...) registered as `name`; throws
// std::system_error as std::thread does when no thread can be made.
template <typename F, typename... Args>
std::thread NamedThread(std::string name, F&& f, Args&&... args) {
  return std::thread([name = std::move(name),
                      fn = std::bind_front(std::forward<F>(f), std::forward<Args>(args)...)]() mutable {
    ThreadRegistration registration(std::move(name));
    std::move(fn)();
  });
}

}  // namespace stockade
