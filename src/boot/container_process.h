// What runs inside a native container's processes: the init's staged setup (rootfs, hooks,
// pivot, then credentials and exec) and an exec'd process's setup. Both are SpawnRequests for
// Spawn(); the code in child_main runs in the new single-threaded process.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "boot/native/seccomp.h"
#include "boot/spawn.h"
#include "boot/supervisor.h"
#include "oci/spec.h"
#include "runtime/cgroup/cgroup.h"

namespace stockade::boot {

Result<SpawnRequest> InitSpawnRequest(const ContainerArgs& args, cgroup::Cgroup* cg);
// `seccomp` is the container's filter compiled ahead of time, or null to build it in the child.
Result<SpawnRequest> ExecSpawnRequest(const oci::Spec& spec, const oci::Process& p,
                                      std::vector<UniqueFd> stdio,
                                      std::vector<std::pair<int, UniqueFd>> join,
                                      cgroup::Cgroup* cg,
                                      std::shared_ptr<const native::CompiledSeccomp> seccomp);

// The kSeccomp message: 4 bytes of flags, then the BPF program.
std::string EncodeCompiledSeccomp(const native::CompiledSeccomp& c);

}  // namespace stockade::boot
