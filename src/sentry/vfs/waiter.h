// Blocking in the Sentry. A task that must wait (a pipe with no data, a
// child that has not exited, a futex) registers with a WaitQueue and blocks
// on its Waiter; whoever changes the state notifies the queue. A signal for
// the task wakes it too, so every wait is interruptible.
//
// The pattern, as Linux's prepare_to_wait: register, re-check the condition,
// then block; a notification between the check and the block is not lost
// because it leaves the waiter's wake-up pending.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <set>

namespace stockade::sentry::vfs {

enum class BlockResult { kWoken, kInterrupted, kTimedOut };

using Deadline = std::optional<std::chrono::steady_clock::time_point>;

class Waiter {
 public:
  virtual ~Waiter() = default;
  // Wakes this waiter (from any thread).
  virtual void Notify() = 0;
  // Blocks until Notify, a signal for the task, or the deadline. With a host
  // fd, also returns (kWoken) when it is ready for `events`.
  virtual BlockResult Block(const Deadline& deadline, int host_fd = -1, short events = 0) = 0;
  // True when a signal the task does not block is pending (an interrupted
  // wait then returns ERESTARTSYS or EINTR).
  virtual bool Interrupted() = 0;
};

class WaitQueue {
 public:
  void Add(Waiter* w) {
    std::lock_guard<std::mutex> l(mu_);
    waiters_.insert(w);
  }
  void Remove(Waiter* w) {
    std::lock_guard<std::mutex> l(mu_);
    waiters_.erase(w);
  }
  void NotifyAll() {
    std::lock_guard<std::mutex> l(mu_);
    for (Waiter* w : waiters_) w->Notify();
  }

 private:
  std::mutex mu_;  // a leaf lock
  std::set<Waiter*> waiters_;
};

// Registers on a queue for the scope of a wait.
class WaitEntry {
 public:
  WaitEntry(WaitQueue& q, Waiter* w) : q_(q), w_(w) { q_.Add(w_); }
  ~WaitEntry() { q_.Remove(w_); }
  WaitEntry(const WaitEntry&) = delete;
  WaitEntry& operator=(const WaitEntry&) = delete;

 private:
  WaitQueue& q_;
  Waiter* w_;
};

}  // namespace stockade::sentry::vfs
