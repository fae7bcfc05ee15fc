#include "sentry/vfs/record_locks.h"

#include <fcntl.h>

#include <algorithm>

#include "abi/linux/errno.h"

namespace stockade::sentry::vfs {

RecordLockTable& RecordLockTable::Get() {
  static RecordLockTable* table = new RecordLockTable();  // lives as long as the Sentry
  return *table;
}

bool RecordLockTable::Conflicts(const Lock& a, const Lock& b) {
  if (a.owner == b.owner) return false;
  if (a.type != F_WRLCK && b.type != F_WRLCK) return false;
  return a.start <= b.end && b.start <= a.end;
}

bool RecordLockTable::Subtract(std::vector<Lock>& locks, const void* owner, uint64_t start, uint64_t end) {
  bool changed = false;
  std::vector<Lock> out;
  for (const Lock& l : locks) {
    if (l.owner != owner || l.end < start || l.start > end) {
      out.push_back(l);
      continue;
    }
    changed = true;
    if (l.start < start) {
      Lock left = l;
      left.end = start - 1;
      out.push_back(left);
    }
    if (l.end > end) {
      Lock right = l;
      right.start = end + 1;
      out.push_back(right);
    }
  }
  locks.swap(out);
  return changed;
}

Status RecordLockTable::Set(Key key, const Lock& want, bool wait, Waiter& w) {
  while (true) {
    WaitEntry entry(changed_, &w);
    {
      std::lock_guard<std::mutex> g(mu_);
      auto& locks = files_[key];
      if (want.type == F_UNLCK) {
        if (Subtract(locks, want.owner, want.start, want.end)) changed_.NotifyAll();
        if (locks.empty()) files_.erase(key);
        return Ok();
      }
      bool conflict = std::any_of(locks.begin(), locks.end(), [&](const Lock& l) { return Conflicts(l, want); });
      if (!conflict) {
        bool released = Subtract(locks, want.owner, want.start, want.end);
        // Merge with the owner's adjacent or overlapping locks of the same type.
        Lock merged = want;
        std::vector<Lock> rest;
        for (const Lock& l : locks) {
          bool touches = l.owner == want.owner && l.type == want.type &&
                         (l.end == UINT64_MAX || l.end + 1 >= merged.start) &&
                         (merged.end == UINT64_MAX || merged.end + 1 >= l.start);
          if (touches) {
            merged.start = std::min(merged.start, l.start);
            merged.end = std::max(merged.end, l.end);
          } else {
            rest.push_back(l);
          }
        }
        rest.push_back(merged);
        locks.swap(rest);
        // A write lock turned into a read lock lets others in.
        if (released) changed_.NotifyAll();
        return Ok();
      }
      if (locks.empty()) files_.erase(key);
      if (!wait) return Error(EAGAIN, "");
    }
    if (w.Block(std::nullopt) == BlockResult::kInterrupted) return Error(abi::kERESTARTSYS, "");
  }
}

std::optional<RecordLockTable::Lock> RecordLockTable::Test(Key key, const Lock& want) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = files_.find(key);
  if (it == files_.end()) return std::nullopt;
  for (const Lock& l : it->second) {
    if (Conflicts(l, want)) return l;
  }
  return std::nullopt;
}

void RecordLockTable::Release(Key key, const void* owner) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = files_.find(key);
  if (it == files_.end()) return;
  if (Subtract(it->second, owner, 0, UINT64_MAX)) changed_.NotifyAll();
  if (it->second.empty()) files_.erase(it);
}

void RecordLockTable::ReleaseAll(const void* owner) {
  std::lock_guard<std::mutex> g(mu_);
  bool any = false;
  for (auto it = files_.begin(); it != files_.end();) {
    any |= Subtract(it->second, owner, 0, UINT64_MAX);
    if (it->second.empty()) it = files_.erase(it);
    else ++it;
  }
  if (any) changed_.NotifyAll();
}

}  // namespace stockade::sentry::vfs
