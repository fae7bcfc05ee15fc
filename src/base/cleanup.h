// Cleanup: runs a callable at scope exit unless Cancel()ed. Used to undo partial work on failure.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace stockade {

class Cleanup {
 public:
  Cleanup() = default;
  explicit Cleanup(std::function<void()> fn) { Add(std::move(fn)); }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() { Run(); }

  // Steps run in reverse order of addition, like destructors.
  void Add(std::function<void()> fn) { fns_.push_back(std::move(fn)); }
  void Cancel() { fns_.clear(); }
  void Run() {
    while (!fns_.empty()) {
      auto fn = std::move(fns_.back());
      fns_.pop_back();
      fn();
    }
  }

 private:
  std::vector<std::function<void()>> fns_;
};

}  // namespace stockade
