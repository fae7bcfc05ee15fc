// linux.resources: the cgroup settings. Controllers the runtime does not interpret yet are
// kept as raw JSON so that they reach the cgroup code unchanged.
#include "oci/json_fields.h"
#include "oci/parse_internal.h"

namespace stockade::oci::internal {
namespace {

Result<DeviceCgroupRule> ParseDeviceRule(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  DeviceCgroupRule d;
  TRY(r.Bool("allow", &d.allow));
  TRY(r.String("type", &d.type));
  TRY(r.Int("major", &d.major));
  TRY(r.Int("minor", &d.minor));
  TRY(r.String("access", &d.access));
  return d;
}

Result<MemoryResources> ParseMemory(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  MemoryResources m;
  TRY(r.Int("limit", &m.limit));
  TRY(r.Int("reservation", &m.reservation));
  TRY(r.Int("swap", &m.swap));
  TRY(r.Int("kernel", &m.kernel));
  TRY(r.Int("kernelTCP", &m.kernel_tcp));
  TRY(r.Int("swappiness", &m.swappiness));
  TRY(r.Bool("disableOOMKiller", &m.disable_oom_killer));
  TRY(r.Bool("useHierarchy", &m.use_hierarchy));
  TRY(r.Bool("checkBeforeUpdate", &m.check_before_update));
  return m;
}

Result<CpuResources> ParseCpu(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  CpuResources c;
  TRY(r.Int("shares", &c.shares));
  TRY(r.Int("quota", &c.quota));
  TRY(r.Int("burst", &c.burst));
  TRY(r.Int("period", &c.period));
  TRY(r.Int("realtimeRuntime", &c.realtime_runtime));
  TRY(r.Int("realtimePeriod", &c.realtime_period));
  TRY(r.String("cpus", &c.cpus));
  TRY(r.String("mems", &c.mems));
  TRY(r.Int("idle", &c.idle));
  return c;
}

Result<PidsResources> ParsePids(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  PidsResources p;
  TRY(r.Int("limit", &p.limit));
  return p;
}

}  // namespace

Result<Resources> ParseResourcesAt(const json& v, const std::string& path) {
  ASSIGN_OR_RETURN(auto r, ObjectReader::Make(v, path));
  Resources res;
  TRY(r.Array("devices", &res.devices, ParseDeviceRule));
  TRY(r.Object("memory", &res.memory, ParseMemory));
  TRY(r.Object("cpu", &res.cpu, ParseCpu));
  TRY(r.Object("pids", &res.pids, ParsePids));
  TRY(r.Raw("blockIO", &res.block_io));
  TRY(r.Raw("hugepageLimits", &res.hugepage_limits));
  TRY(r.Raw("network", &res.network));
  TRY(r.Raw("rdma", &res.rdma));
  TRY(r.StringMap("unified", &res.unified));
  return res;
}

}  // namespace stockade::oci::internal
