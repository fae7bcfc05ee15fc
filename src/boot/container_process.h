// What runs inside a native container's processes: the init's staged setup (rootfs, hooks,
// pivot, then credentials and exec) and an exec'd process's setup. Both are SpawnRequests for
// Spawn(); the code in child_main runs in the new single-threaded process.
#pragma once

#include <vector>

#include "base/result.h"
#include "boot/spawn.h"
#include "boot/supervisor.h"
#include "oci/spec.h"
#include "runtime/cgroup/cgroup.h"

namespace stockade::boot {

Result<SpawnRequest> InitSpawnRequest(const ContainerArgs& args, cgroup::Cgroup* cg);
Result<SpawnRequest> ExecSpawnRequest(const oci::Spec& spec, const oci::Process& p,
                                      std::vector<UniqueFd> stdio,
                                      std::vector<std::pair<int, UniqueFd>> join,
                                      cgroup::Cgroup* cg);

}  // namespace stockade::boot
