// Freezing and thawing: the v1 freezer controller and v2's cgroup.freeze.
#include <chrono>
#include <thread>

#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/fsutil.h"

namespace stockade::cgroup {

namespace {

using Clock = std::chrono::steady_clock;
// Freezing waits for every task to reach a freezable point; tasks in long uninterruptible
// sleeps (e.g. NFS I/O) can take a while, but a pause must not hang the CLI forever.
constexpr auto kFreezeTimeout = std::chrono::seconds(10);

}  // namespace

namespace v1 {

Status Freeze(const std::string& dir) {
  auto deadline = Clock::now() + kFreezeTimeout;
  for (int i = 0;; ++i) {
    // A v1 freeze can stall in FREEZING when a task forks or is stopped at the wrong moment;
    // runc's remedy is an occasional thaw and re-freeze, which we copy.
    if (i % 50 == 49) {
      TRY(WriteControl(dir, "freezer.state", "THAWED"));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    TRY(WriteControl(dir, "freezer.state", "FROZEN"));
    ASSIGN_OR_RETURN(std::string state, ReadControl(dir, "freezer.state"));
    if (state == "FROZEN") return Ok();
    if (state != "FREEZING") {
      return Error(EIO, "unexpected freezer state \"" + state + "\" in \"" + dir + "\"");
    }
    if (Clock::now() >= deadline) {
      (void)WriteControl(dir, "freezer.state", "THAWED");
      return Error(ETIMEDOUT, "freezing \"" + dir + "\": still FREEZING after " +
                                  std::to_string(kFreezeTimeout.count()) + "s");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(i < 10 ? 100 : 2000));
  }
}

Status Thaw(const std::string& dir) {
  TRY(WriteControl(dir, "freezer.state", "THAWED"));
  ASSIGN_OR_RETURN(std::string state, ReadControl(dir, "freezer.state"));
  // A frozen ancestor keeps us frozen whatever we write; that is the caller's to undo.
  if (state != "THAWED") {
    return Error(EBUSY, "thawing \"" + dir + "\": state is still \"" + state +
                            "\" (is a parent cgroup frozen?)");
  }
  return Ok();
}

Result<bool> Frozen(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string state, ReadControl(dir, "freezer.state"));
  return state == "FROZEN";
}

}  // namespace v1

namespace v2 {

namespace {

Result<bool> EventsFrozen(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string events, ReadControl(dir, "cgroup.events"));
  auto kv = ParseFlatKeyed(events);
  auto it = kv.find("frozen");
  if (it == kv.end()) return Error(EIO, "no \"frozen\" key in \"" + dir + "/cgroup.events\"");
  return it->second == 1;
}

}  // namespace

Status Freeze(const std::string& dir) {
  TRY(WriteControl(dir, "cgroup.freeze", "1"));
  // The write only requests the freeze; cgroup.events says when every task has stopped.
  auto deadline = Clock::now() + kFreezeTimeout;
  auto delay = std::chrono::microseconds(100);
  for (;;) {
    ASSIGN_OR_RETURN(bool frozen, EventsFrozen(dir));
    if (frozen) return Ok();
    if (Clock::now() >= deadline) {
      (void)WriteControl(dir, "cgroup.freeze", "0");
      return Error(ETIMEDOUT, "freezing \"" + dir + "\": cgroup.events did not report frozen " +
                                  "after " + std::to_string(kFreezeTimeout.count()) + "s");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds(10000));
  }
}

Status Thaw(const std::string& dir) {
  // Thawing takes effect at once; a frozen ancestor may still hold the tasks, which is the
  // ancestor's state, not ours.
  return WriteControl(dir, "cgroup.freeze", "0");
}

Result<bool> Frozen(const std::string& dir) { return EventsFrozen(dir); }

}  // namespace v2

}  // namespace stockade::cgroup
