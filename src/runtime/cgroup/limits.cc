#include "runtime/cgroup/limits.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "base/io.h"
#include "runtime/cgroup/fsutil.h"
#include "runtime/cgroup/mode.h"
#include "runtime/cgroup/path.h"

namespace stockade::cgroup {

namespace {

// v1 reports "no limit" as LONG_MAX rounded down to a page; runsc uses the same cut-off.
constexpr uint64_t kV1Unlimited = 0x7ffffffffffff000ull;

// Calls fn on `dir`, its parent, ... up to and including `mountpoint`.
template <typename Fn>
void ForEachLevel(const std::string& mountpoint, const std::string& dir, Fn fn) {
  if (!IsUnder(dir, mountpoint)) return;
  std::string cur = dir;
  for (;;) {
    fn(cur);
    if (cur.size() <= mountpoint.size()) return;
    cur = Dirname(cur);
  }
}

std::optional<double> QuotaAt(const std::string& dir, bool v2) {
  if (v2) {
    auto text = ReadControl(dir, "cpu.max");
    if (!text.ok()) return std::nullopt;
    auto f = SplitFields(*text);
    if (f.size() != 2 || f[0] == "max") return std::nullopt;
    auto quota = ParseUint(f[0]);
    auto period = ParseUint(f[1]);
    if (!quota || !period || *period == 0) return std::nullopt;
    return static_cast<double>(*quota) / static_cast<double>(*period);
  }
  auto quota = ReadControl(dir, "cpu.cfs_quota_us");
  auto period = ReadControl(dir, "cpu.cfs_period_us");
  if (!quota.ok() || !period.ok()) return std::nullopt;
  auto q = ParseInt(*quota);
  auto p = ParseInt(*period);
  if (!q || !p || *q <= 0 || *p <= 0) return std::nullopt;  // -1: unlimited.
  return static_cast<double>(*q) / static_cast<double>(*p);
}

std::optional<int64_t> MemoryAt(const std::string& dir, bool v2) {
  auto v = ReadControlUint(dir, v2 ? "memory.max" : "memory.limit_in_bytes");
  if (!v.ok() || *v >= kV1Unlimited) return std::nullopt;  // Covers v2 "max" too.
  return static_cast<int64_t>(*v);
}

// Our own directory in the hierarchy holding `controller` (v1) or the unified one (v2).
std::optional<std::pair<Hierarchy, std::string>> OwnHierarchyDir(const std::string& controller) {
  auto layout = DetectLayout();
  auto own = ReadOwnCgroups();
  if (!layout.ok() || !own.ok()) return std::nullopt;
  for (const auto& h : layout->hierarchies) {
    bool match = layout->mode == Mode::kV2 ? h.v2
                                           : std::find(h.controllers.begin(), h.controllers.end(),
                                                       controller) != h.controllers.end();
    if (!match) continue;
    auto dir = OwnDir(h, *own);
    if (!dir.ok()) return std::nullopt;
    return std::make_pair(h, *dir);
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> CpuQuotaAlong(const std::string& mountpoint, const std::string& dir,
                                    bool v2) {
  std::optional<double> best;
  ForEachLevel(mountpoint, dir, [&](const std::string& level) {
    if (auto q = QuotaAt(level, v2); q && (!best || *q < *best)) best = q;
  });
  return best;
}

std::optional<int64_t> MemoryLimitAlong(const std::string& mountpoint, const std::string& dir,
                                        bool v2) {
  std::optional<int64_t> best;
  ForEachLevel(mountpoint, dir, [&](const std::string& level) {
    if (auto m = MemoryAt(level, v2); m && (!best || *m < *best)) best = m;
  });
  return best;
}

int CountCpuList(std::string_view list) {
  list = TrimSpace(list);
  if (list.empty()) return 0;
  int count = 0;
  for (std::string_view range : SplitOn(list, ',')) {
    auto ends = SplitOn(range, '-');
    auto lo = ParseUint(ends[0]);
    auto hi = ends.size() == 2 ? ParseUint(ends[1]) : lo;
    if (ends.size() > 2 || !lo || !hi || *hi < *lo) return 0;
    count += static_cast<int>(*hi - *lo + 1);
  }
  return count;
}

int CpusFromQuota(int cpus, std::optional<double> quota) {
  if (quota) cpus = std::min(cpus, static_cast<int>(std::ceil(*quota)));
  return std::max(cpus, 1);
}

int EffectiveCpus() {
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0
                 ? CPU_COUNT(&set)
                 : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  std::optional<double> quota;
  if (auto own = OwnHierarchyDir("cpu")) {
    quota = CpuQuotaAlong(own->first.mountpoint, own->second, own->first.v2);
  }
  return CpusFromQuota(cpus, quota);
}

std::optional<int64_t> MemoryLimit() {
  auto own = OwnHierarchyDir("memory");
  if (!own) return std::nullopt;
  return MemoryLimitAlong(own->first.mountpoint, own->second, own->first.v2);
}

}  // namespace stockade::cgroup
