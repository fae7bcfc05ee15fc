// cgroup v2: applying oci::Resources to the unified hierarchy, following runc's fs2 driver
// (libcontainer/cgroups/fs2) for file names, value conversions and write order.
#include <set>
#include <string>

#include "base/io.h"
#include "base/log.h"
#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/fsutil.h"
#include "runtime/cgroup/raw_resources.h"

namespace stockade::cgroup {

uint64_t SharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  // Maps [2, 262144] linearly onto [1, 10000]; values below 2 are clamped by the kernel in v1.
  if (shares < 2) shares = 2;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t BlkioWeightToIoWeight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  return 1 + ((weight - 10) * 9999) / 990;
}

namespace v2 {

namespace {

// OCI's -1 means "max"; 0 means "leave alone".
std::string Limit(int64_t v) { return v == -1 ? "max" : std::to_string(v); }

Status ApplyCpuset(const std::string& dir, const oci::Resources& r) {
  if (!r.cpu) return Ok();
  if (!r.cpu->cpus.empty()) TRY(WriteControl(dir, "cpuset.cpus", r.cpu->cpus));
  if (!r.cpu->mems.empty()) TRY(WriteControl(dir, "cpuset.mems", r.cpu->mems));
  return Ok();
}

Status ApplyMemory(const std::string& dir, const oci::Resources& r) {
  if (!r.memory) return Ok();
  const oci::MemoryResources& m = *r.memory;
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  // OCI's swap is memory+swap (v1 memsw); v2's memory.swap.max is swap alone.
  std::string swap_value;
  if (limit == -1 && swap == 0) {
    swap_value = "max";  // Unlimited memory with swap unspecified: unlimited swap too.
  } else if (swap == -1) {
    swap_value = "max";
  } else if (swap != 0) {
    if (limit == 0 || limit == -1) {
      return Error(EINVAL, "unable to set swap limit without memory limit");
    }
    if (limit < 0) return Error(EINVAL, "invalid memory limit " + std::to_string(limit));
    if (swap < limit) {
      return Error(EINVAL, "memory+swap limit " + std::to_string(swap) +
                               " should be >= memory limit " + std::to_string(limit));
    }
    swap_value = std::to_string(swap - limit);
  }
  // runtime-spec 1.2's checkBeforeUpdate: refuse a limit at or below current usage instead of
  // letting the kernel reclaim (or OOM-kill) to fit, as runc does. Best effort: an unreadable
  // usage does not block the update.
  if (m.check_before_update.value_or(false) && limit > 0) {
    if (auto usage = ReadControlUint(dir, "memory.current");
        usage.ok() && *usage >= static_cast<uint64_t>(limit)) {
      return Error(EBUSY, "rejecting memory limit " + std::to_string(limit) +
                              " below current usage " + std::to_string(*usage) + " in \"" + dir +
                              "\"");
    }
  }
  // Swap first: lowering memory.max under an existing swap limit is always accepted.
  if (!swap_value.empty()) {
    Status st = WriteControl(dir, "memory.swap.max", swap_value);
    // Without swap support the file is missing; "max" and "0" then already hold.
    if (!st.ok() && !(st.error().code() == ENOENT && (swap_value == "max" || swap_value == "0"))) {
      return st;
    }
  }
  if (limit != 0) TRY(WriteControl(dir, "memory.max", Limit(limit)));
  if (m.reservation && *m.reservation != 0) {
    TRY(WriteControl(dir, "memory.low", Limit(*m.reservation)));
  }
  // swappiness, kernel, kernelTCP and disableOOMKiller have no v2 equivalent; runc ignores them.
  return Ok();
}

Status ApplyCpu(const std::string& dir, const oci::Resources& r) {
  if (!r.cpu) return Ok();
  const oci::CpuResources& c = *r.cpu;
  if (c.shares && *c.shares != 0) {
    TRY(WriteControl(dir, "cpu.weight", std::to_string(SharesToWeight(*c.shares))));
  }
  if (c.idle) TRY(WriteControl(dir, "cpu.idle", std::to_string(*c.idle)));
  int64_t quota = c.quota.value_or(0);
  uint64_t period = c.period.value_or(0);
  if (quota != 0 || period != 0) {
    std::string value;
    if (quota > 0) {
      value = std::to_string(quota);
    } else if (quota < 0) {
      value = "max";
    } else {
      // Only the period changes: cpu.max takes "QUOTA PERIOD", so keep the current quota rather
      // than resetting it to "max" (runc resets it; `update --cpu-period` alone then loses the
      // quota).
      ASSIGN_OR_RETURN(std::string current, ReadControl(dir, "cpu.max"));
      std::vector<std::string_view> f = SplitFields(current);
      value = f.empty() ? "max" : std::string(f[0]);
    }
    if (period != 0) value += " " + std::to_string(period);
    TRY(WriteControl(dir, "cpu.max", value));
  }
  if (c.burst) {
    // After cpu.max: the kernel checks burst <= quota. Kernels before 5.14 lack the file.
    Status st = WriteControl(dir, "cpu.max.burst", std::to_string(*c.burst));
    if (!st.ok() && !(st.error().code() == ENOENT && *c.burst == 0)) return st;
  }
  if ((c.realtime_runtime && *c.realtime_runtime != 0) ||
      (c.realtime_period && *c.realtime_period != 0)) {
    return Error(EINVAL,
                 "real-time cpu limits (cpu.realtimeRuntime/realtimePeriod) are not "
                 "supported by cgroup v2");
  }
  return Ok();
}

Status ApplyPids(const std::string& dir, const oci::Resources& r) {
  if (!r.pids) return Ok();
  return WriteControl(dir, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
}

Status ApplyIo(const std::string& dir, const oci::Resources& r) {
  ASSIGN_OR_RETURN(BlockIo b, ParseBlockIo(r.block_io));
  if (b.empty()) return Ok();
  bool bfq = ControlExists(dir, "io.bfq.weight");
  if (b.weight && *b.weight != 0) {
    // BFQ keeps blkio's 10-1000 scale; the generic io.weight uses 1-10000.
    if (bfq) {
      TRY(WriteControl(dir, "io.bfq.weight", std::to_string(*b.weight)));
    } else {
      TRY(WriteControl(dir, "io.weight", std::to_string(BlkioWeightToIoWeight(*b.weight))));
    }
  }
  for (const auto& d : b.weight_device) {
    if (!d.weight || *d.weight == 0) continue;
    std::string key = std::to_string(d.major) + ":" + std::to_string(d.minor);
    if (bfq) {
      TRY(WriteControl(dir, "io.bfq.weight", key + " " + std::to_string(*d.weight)));
    } else {
      TRY(WriteControl(dir, "io.weight",
                       key + " " + std::to_string(BlkioWeightToIoWeight(*d.weight))));
    }
  }
  auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* what) -> Status {
    for (const auto& d : list) {
      // 0 means "no limit" in v1 throttle files; v2 spells that "max".
      std::string rate = d.rate == 0 ? "max" : std::to_string(d.rate);
      TRY(WriteControl(
          dir, "io.max",
          std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + what + "=" + rate));
    }
    return Ok();
  };
  TRY(throttle(b.read_bps, "rbps"));
  TRY(throttle(b.write_bps, "wbps"));
  TRY(throttle(b.read_iops, "riops"));
  TRY(throttle(b.write_iops, "wiops"));
  return Ok();
}

Status ApplyHugetlb(const std::string& dir, const oci::Resources& r) {
  ASSIGN_OR_RETURN(std::vector<HugepageLimit> limits, ParseHugepageLimits(r.hugepage_limits));
  for (const auto& h : limits) {
    TRY(WriteControl(dir, "hugetlb." + h.page_size + ".max", std::to_string(h.limit)));
  }
  return Ok();
}

Status ApplyUnified(const std::string& dir, const oci::Resources& r) {
  for (const auto& [key, value] : r.unified) {
    // Keys name files in this one directory; moving processes is not a resource setting.
    if (key.empty() || key.find('/') != std::string::npos || key == "." || key == ".." ||
        key == "cgroup.procs" || key == "cgroup.threads" || key == "cgroup.subtree_control") {
      return Error(
          EINVAL, "linux.resources.unified key \"" + key + "\" is not a settable cgroup file name");
    }
    // Multi-line values (io.max for several devices) are one request per line.
    for (std::string_view line : SplitLines(value)) {
      if (TrimSpace(line).empty() && !value.empty()) continue;
      Status st = WriteControl(dir, key, std::string(line));
      if (st.ok()) continue;
      int err = st.error().code();
      size_t dot = key.find('.');
      if ((err == ENOENT || err == EPERM) && dot != std::string::npos) {
        std::string controller = key.substr(0, dot);
        auto available = ReadControl(dir, "cgroup.controllers");
        std::set<std::string_view> set;
        if (available.ok()) {
          for (auto c : SplitFields(*available)) set.insert(c);
        }
        if (controller != "cgroup" && available.ok() && set.count(controller) == 0) {
          return Error(err, "unified resource \"" + key + "\" can't be set: controller \"" +
                                controller + "\" is not available in \"" + dir + "\"");
        }
      }
      return st.error().Wrap("setting unified resource \"" + key + "\"");
    }
  }
  return Ok();
}

}  // namespace

Status Apply(const std::string& dir, const oci::Resources& r) {
  if (!r.devices.empty()) {
    // v2 has no devices.allow: device access is an eBPF program attached to the cgroup, which
    // Stockade does not generate yet. The sandboxed platforms never hand host devices to the
    // application, so only the native backend loses this layer.
    LOG_DEBUG("cgroup v2: not enforcing %zu linux.resources.devices rules on \"%s\" (needs eBPF)",
              r.devices.size(), dir.c_str());
  }
  TRY(ApplyCpuset(dir, r));
  TRY(ApplyMemory(dir, r));
  TRY(ApplyCpu(dir, r));
  TRY(ApplyPids(dir, r));
  TRY(ApplyIo(dir, r));
  TRY(ApplyHugetlb(dir, r));
  ASSIGN_OR_RETURN(std::vector<RdmaLimit> rdma, ParseRdma(r.rdma));
  for (const auto& l : rdma) TRY(WriteControl(dir, "rdma.max", RdmaLine(l)));
  ASSIGN_OR_RETURN(NetworkResources network, ParseNetwork(r.network));
  if (!network.empty()) {
    return Error(EINVAL,
                 "linux.resources.network (net_cls/net_prio) is not available on cgroup v2");
  }
  // Last, so explicit unified keys win over the converted values, as in runc.
  TRY(ApplyUnified(dir, r));
  return Ok();
}

void EnableControllers(const std::string& mountpoint, const std::string& dir) {
  if (!IsUnder(dir, mountpoint)) return;
  std::string cur = mountpoint;
  std::string rest = dir.substr(mountpoint.size());
  std::vector<std::string_view> parts;
  for (std::string_view p : SplitOn(rest, '/')) {
    if (!p.empty()) parts.push_back(p);
  }
  // Every level above the leaf; the leaf itself keeps its processes, so it must not delegate.
  for (size_t i = 0; i < parts.size(); ++i) {
    auto available = ReadControl(cur, "cgroup.controllers");
    if (available.ok() && !available->empty()) {
      std::string all;
      for (auto c : SplitFields(*available)) all += (all.empty() ? "+" : " +") + std::string(c);
      if (!WriteControl(cur, "cgroup.subtree_control", all).ok()) {
        // One refused controller fails the whole write; try them one at a time.
        for (auto c : SplitFields(*available)) {
          Status st = WriteControl(cur, "cgroup.subtree_control", "+" + std::string(c));
          if (!st.ok()) LOG_DEBUG("cgroup v2: %s", st.error().ToString().c_str());
        }
      }
    }
    cur = JoinPath(cur, std::string(parts[i]));
  }
}

}  // namespace v2
}  // namespace stockade::cgroup
