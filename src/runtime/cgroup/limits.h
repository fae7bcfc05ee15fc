// The CPU and memory budgets a cgroup imposes, for sizing the Sentry like runsc does (its
// sandbox gets --cpu-num from the CPU quota and --total-memory from the memory limit).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stockade::cgroup {

// CPUs our own process may use: min(CPUs in our affinity mask, ceil(quota/period)) over our cpu
// cgroup and its ancestors; at least 1. Cgroups that cannot be read count as unlimited.
// Callers wanting runsc's floor of 2 CPUs (fewer can make applications drop locking) apply it.
int EffectiveCpus();
// The smallest memory limit on our own memory cgroup and its ancestors; nullopt if unlimited.
std::optional<int64_t> MemoryLimit();

// Helpers shared with Cgroup; `dir` is an absolute cgroup directory inside the hierarchy
// mounted at `mountpoint`, and every level from `dir` up to `mountpoint` is consulted, since a
// parent's limit binds the child too.
std::optional<double> CpuQuotaAlong(const std::string& mountpoint, const std::string& dir, bool v2);
std::optional<int64_t> MemoryLimitAlong(const std::string& mountpoint, const std::string& dir,
                                        bool v2);
// "0-3,8,10-11" -> 7; 0 for an empty or malformed list.
int CountCpuList(std::string_view list);
// min(cpus, ceil(quota)), at least 1.
int CpusFromQuota(int cpus, std::optional<double> quota);

}  // namespace stockade::cgroup
