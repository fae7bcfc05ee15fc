// Internal: the per-version operations Cgroup dispatches to. v1 works on a map from controller
// to directory (controllers live in separate hierarchies); v2 on the one unified directory.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::cgroup {

// v1 controller name ("memory", "cpuacct", "name=systemd") -> the container's directory in it.
using ControllerDirs = std::map<std::string, std::string>;

// runc's conversion of v1 cpu.shares [2, 262144] to v2 cpu.weight [1, 10000]; 0 stays 0 (unset).
uint64_t SharesToWeight(uint64_t shares);
// runc's conversion of blkio weight [10, 1000] to v2 io.weight [1, 10000]; 0 stays 0.
uint64_t BlkioWeightToIoWeight(uint64_t weight);

namespace v1 {

Status Apply(const ControllerDirs& dirs, const oci::Resources& r);
// A new v1 cpuset cgroup starts with empty cpus and mems, and the kernel refuses to move tasks
// into it (ENOSPC). Copies them down from the nearest ancestor for every level from
// `mountpoint` (exclusive) to `dir` (inclusive) that is still empty.
Status InheritCpuset(const std::string& mountpoint, const std::string& dir);
Status Freeze(const std::string& freezer_dir);
Status Thaw(const std::string& freezer_dir);
Result<bool> Frozen(const std::string& freezer_dir);
Result<nlohmann::json> Stats(const ControllerDirs& dirs);

}  // namespace v1

namespace v2 {

Status Apply(const std::string& dir, const oci::Resources& r);
// Turns on, in cgroup.subtree_control of every directory from `mountpoint` down to the parent
// of `dir`, each controller that directory offers, so `dir` gets them all. Best effort like
// runc: a directory that holds processes refuses (EBUSY), and the controller-specific writes in
// Apply then report what is really missing.
void EnableControllers(const std::string& mountpoint, const std::string& dir);
Status Freeze(const std::string& dir);
Status Thaw(const std::string& dir);
Result<bool> Frozen(const std::string& dir);
Result<nlohmann::json> Stats(const std::string& dir);

}  // namespace v2

}  // namespace stockade::cgroup
