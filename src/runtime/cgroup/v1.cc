// cgroup v1: applying oci::Resources to the per-controller hierarchies, following runc's fs
// driver (libcontainer/cgroups/fs) so values, write order and errors match.
#include <string>

#include "base/io.h"
#include "base/log.h"
#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/devices.h"
#include "runtime/cgroup/fsutil.h"
#include "runtime/cgroup/raw_resources.h"

namespace stockade::cgroup::v1 {

namespace {

Result<std::string> DirOf(const ControllerDirs& dirs, const std::string& controller) {
  auto it = dirs.find(controller);
  if (it == dirs.end()) {
    return Error(ENOENT, "the cgroup v1 \"" + controller +
                             "\" controller is not mounted, but the spec sets its resources");
  }
  return it->second;
}

Status ApplyCpuset(const ControllerDirs& dirs, const oci::Resources& r) {
  if (!r.cpu || (r.cpu->cpus.empty() && r.cpu->mems.empty())) return Ok();
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "cpuset"));
  if (!r.cpu->cpus.empty()) TRY(WriteControl(dir, "cpuset.cpus", r.cpu->cpus));
  if (!r.cpu->mems.empty()) TRY(WriteControl(dir, "cpuset.mems", r.cpu->mems));
  return Ok();
}

Status ApplyDevices(const ControllerDirs& dirs, const oci::Resources& r) {
  if (r.devices.empty()) return Ok();
  // runc treats a missing devices controller as fatal: silently running without the device
  // allow-list would be a security hole.
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "devices"));
  for (const auto& rule : r.devices) {
    ASSIGN_OR_RETURN(std::string line, DeviceRuleLine(rule));
    TRY(WriteControl(dir, rule.allow ? "devices.allow" : "devices.deny", line));
  }
  return Ok();
}

Status SetMemoryLimit(const std::string& dir, int64_t limit) {
  if (limit == 0) return Ok();
  Status st = WriteControl(dir, "memory.limit_in_bytes", std::to_string(limit));
  if (!st.ok() && st.error().code() == EBUSY) {
    // The kernel refuses a limit below what the cgroup already uses; say so, as runc does.
    auto usage = ReadControl(dir, "memory.usage_in_bytes");
    auto peak = ReadControl(dir, "memory.max_usage_in_bytes");
    return Error(EBUSY, "unable to set memory limit to " + std::to_string(limit) +
                            " (current usage: " + (usage.ok() ? *usage : "?") +
                            ", peak usage: " + (peak.ok() ? *peak : "?") + ") in \"" + dir + "\"");
  }
  return st;
}

Status SetSwapLimit(const std::string& dir, int64_t swap, int64_t limit, bool has_memsw) {
  if (swap == 0) return Ok();
  if (!has_memsw) {
    // Without swap accounting (swapaccount=0) there is no memsw file. Asking for "no limit" or
    // "no swap beyond memory" is then already true; anything else cannot be honoured.
    if (swap == -1 || swap == limit) return Ok();
    return Error(ENOENT, "setting memory+swap limit " + std::to_string(swap) + ": \"" + dir +
                             "/memory.memsw.limit_in_bytes\" is missing (swap accounting is off)");
  }
  return WriteControl(dir, "memory.memsw.limit_in_bytes", std::to_string(swap));
}

Status ApplyMemory(const ControllerDirs& dirs, const oci::Resources& r) {
  if (!r.memory) return Ok();
  const oci::MemoryResources& m = *r.memory;
  if (!m.limit && !m.reservation && !m.swap && !m.kernel_tcp && !m.swappiness &&
      !m.disable_oom_killer) {
    return Ok();
  }
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "memory"));
  int64_t limit = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  bool has_memsw = ControlExists(dir, "memory.memsw.limit_in_bytes");
  // Unlimited memory with swap unspecified means unlimited swap too; otherwise the old memsw
  // limit would still cap memory.
  if (limit == -1 && swap == 0 && has_memsw) swap = -1;

  // The kernel keeps memory <= memory+swap at every step, so the order of the two writes
  // depends on whether the new memsw is above the current memory limit.
  bool swap_first = false;
  if (limit != 0 && swap != 0) {
    ASSIGN_OR_RETURN(uint64_t current, ReadControlUint(dir, "memory.limit_in_bytes"));
    swap_first = swap == -1 || current < static_cast<uint64_t>(swap);
  }
  if (swap_first) {
    TRY(SetSwapLimit(dir, swap, limit, has_memsw));
    TRY(SetMemoryLimit(dir, limit));
  } else {
    TRY(SetMemoryLimit(dir, limit));
    TRY(SetSwapLimit(dir, swap, limit, has_memsw));
  }
  if (m.reservation && *m.reservation != 0) {
    TRY(WriteControl(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
  }
  if (m.kernel_tcp && *m.kernel_tcp != 0) {
    TRY(WriteControl(dir, "memory.kmem.tcp.limit_in_bytes", std::to_string(*m.kernel_tcp)));
  }
  if (m.swappiness) {
    if (*m.swappiness > 100) {
      return Error(EINVAL, "invalid memory swappiness " + std::to_string(*m.swappiness) +
                               ": the valid range is 0-100");
    }
    TRY(WriteControl(dir, "memory.swappiness", std::to_string(*m.swappiness)));
  }
  if (m.disable_oom_killer && *m.disable_oom_killer) {
    TRY(WriteControl(dir, "memory.oom_control", "1"));
  }
  // memory.kernel is ignored like runc 1.1+: kernel-memory limits are deprecated and gone
  // from kernels >= 5.16; use_hierarchy is always on in recent kernels.
  return Ok();
}

Status ApplyCpu(const ControllerDirs& dirs, const oci::Resources& r) {
  if (!r.cpu) return Ok();
  const oci::CpuResources& c = *r.cpu;
  bool any = (c.shares && *c.shares != 0) || (c.quota && *c.quota != 0) ||
             (c.period && *c.period != 0) || c.realtime_runtime || c.realtime_period || c.idle ||
             c.burst;
  if (!any) return Ok();
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "cpu"));
  if (c.shares && *c.shares != 0) {
    TRY(WriteControl(dir, "cpu.shares", std::to_string(*c.shares)));
    // The kernel clamps out-of-range shares silently; read back to report it like runc.
    ASSIGN_OR_RETURN(uint64_t got, ReadControlUint(dir, "cpu.shares"));
    if (*c.shares > got) {
      return Error(EINVAL, "the maximum allowed cpu-shares is " + std::to_string(got));
    }
    if (*c.shares < got) {
      return Error(EINVAL, "the minimum allowed cpu-shares is " + std::to_string(got));
    }
  }
  int64_t quota = c.quota.value_or(0);
  bool retry_period = false;
  if (c.period && *c.period != 0) {
    Status st = WriteControl(dir, "cpu.cfs_period_us", std::to_string(*c.period));
    // A shorter period can be refused (EINVAL) because old_quota/new_period would exceed the
    // parent's limit; writing the new quota first makes it valid, so retry afterwards.
    if (!st.ok()) {
      if (st.error().code() != EINVAL || quota == 0) return st;
      retry_period = true;
    }
  }
  if (quota != 0) {
    TRY(WriteControl(dir, "cpu.cfs_quota_us", std::to_string(quota)));
    if (retry_period) TRY(WriteControl(dir, "cpu.cfs_period_us", std::to_string(*c.period)));
  }
  if (c.burst) {
    // After the quota: the kernel checks burst <= quota. Kernels before 5.14 have no burst
    // file, which is fine when no burst is wanted.
    Status st = WriteControl(dir, "cpu.cfs_burst_us", std::to_string(*c.burst));
    if (!st.ok() && !(st.error().code() == ENOENT && *c.burst == 0)) return st;
  }
  if (c.idle) TRY(WriteControl(dir, "cpu.idle", std::to_string(*c.idle)));
  // The real-time period must be set before the runtime that is checked against it.
  if (c.realtime_period && *c.realtime_period != 0) {
    TRY(WriteControl(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period)));
  }
  if (c.realtime_runtime && *c.realtime_runtime != 0) {
    TRY(WriteControl(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime)));
  }
  return Ok();
}

Status ApplyPids(const ControllerDirs& dirs, const oci::Resources& r) {
  if (!r.pids) return Ok();
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "pids"));
  return WriteControl(dir, "pids.max", r.pids->limit > 0 ? std::to_string(r.pids->limit) : "max");
}

std::string DeviceKey(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

Status ApplyBlkio(const ControllerDirs& dirs, const oci::Resources& r) {
  ASSIGN_OR_RETURN(BlockIo b, ParseBlockIo(r.block_io));
  if (b.empty()) return Ok();
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "blkio"));
  // CFQ is gone from modern kernels; BFQ exposes the same scale as blkio.bfq.weight.
  std::string weight_file =
      ControlExists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  if (b.weight && *b.weight != 0) TRY(WriteControl(dir, weight_file, std::to_string(*b.weight)));
  if (b.leaf_weight && *b.leaf_weight != 0) {
    TRY(WriteControl(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight)));
  }
  std::string device_file =
      weight_file == "blkio.weight" ? "blkio.weight_device" : "blkio.bfq.weight_device";
  for (const auto& d : b.weight_device) {
    if (d.weight && *d.weight != 0) {
      TRY(WriteControl(dir, device_file,
                       DeviceKey(d.major, d.minor) + " " + std::to_string(*d.weight)));
    }
    if (d.leaf_weight && *d.leaf_weight != 0) {
      TRY(WriteControl(dir, "blkio.leaf_weight_device",
                       DeviceKey(d.major, d.minor) + " " + std::to_string(*d.leaf_weight)));
    }
  }
  auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* file) -> Status {
    for (const auto& d : list) {
      TRY(WriteControl(dir, file, DeviceKey(d.major, d.minor) + " " + std::to_string(d.rate)));
    }
    return Ok();
  };
  TRY(throttle(b.read_bps, "blkio.throttle.read_bps_device"));
  TRY(throttle(b.write_bps, "blkio.throttle.write_bps_device"));
  TRY(throttle(b.read_iops, "blkio.throttle.read_iops_device"));
  TRY(throttle(b.write_iops, "blkio.throttle.write_iops_device"));
  return Ok();
}

Status ApplyHugetlb(const ControllerDirs& dirs, const oci::Resources& r) {
  ASSIGN_OR_RETURN(std::vector<HugepageLimit> limits, ParseHugepageLimits(r.hugepage_limits));
  if (limits.empty()) return Ok();
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "hugetlb"));
  for (const auto& h : limits) {
    TRY(WriteControl(dir, "hugetlb." + h.page_size + ".limit_in_bytes", std::to_string(h.limit)));
  }
  return Ok();
}

Status ApplyRdma(const ControllerDirs& dirs, const oci::Resources& r) {
  ASSIGN_OR_RETURN(std::vector<RdmaLimit> limits, ParseRdma(r.rdma));
  if (limits.empty()) return Ok();
  ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "rdma"));
  for (const auto& l : limits) TRY(WriteControl(dir, "rdma.max", RdmaLine(l)));
  return Ok();
}

Status ApplyNetwork(const ControllerDirs& dirs, const oci::Resources& r) {
  ASSIGN_OR_RETURN(NetworkResources n, ParseNetwork(r.network));
  if (n.class_id) {
    ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "net_cls"));
    TRY(WriteControl(dir, "net_cls.classid", std::to_string(*n.class_id)));
  }
  if (!n.priorities.empty()) {
    ASSIGN_OR_RETURN(std::string dir, DirOf(dirs, "net_prio"));
    for (const auto& [iface, prio] : n.priorities) {
      TRY(WriteControl(dir, "net_prio.ifpriomap", iface + " " + std::to_string(prio)));
    }
  }
  return Ok();
}

}  // namespace

Status Apply(const ControllerDirs& dirs, const oci::Resources& r) {
  if (!r.unified.empty()) {
    return Error(EINVAL,
                 "linux.resources.unified needs cgroup v2, but this host's controllers "
                 "are on cgroup v1");
  }
  // runc's subsystem order: cpuset first so later controllers see a usable cgroup.
  TRY(ApplyCpuset(dirs, r));
  TRY(ApplyDevices(dirs, r));
  TRY(ApplyMemory(dirs, r));
  TRY(ApplyCpu(dirs, r));
  TRY(ApplyPids(dirs, r));
  TRY(ApplyBlkio(dirs, r));
  TRY(ApplyHugetlb(dirs, r));
  TRY(ApplyNetwork(dirs, r));
  TRY(ApplyRdma(dirs, r));
  return Ok();
}

Status InheritCpuset(const std::string& mountpoint, const std::string& dir) {
  if (dir.size() <= mountpoint.size() || !IsUnder(dir, mountpoint)) return Ok();
  std::string parent = mountpoint;
  std::string rest = dir.substr(mountpoint.size());
  for (std::string_view part : SplitOn(rest, '/')) {
    if (part.empty()) continue;
    std::string cur = JoinPath(parent, std::string(part));
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      ASSIGN_OR_RETURN(std::string value, ReadControl(cur, file));
      if (!value.empty()) continue;
      ASSIGN_OR_RETURN(std::string inherited, ReadControl(parent, file));
      TRY(WriteControl(cur, file, inherited));
    }
    parent = cur;
  }
  return Ok();
}

}  // namespace stockade::cgroup::v1
