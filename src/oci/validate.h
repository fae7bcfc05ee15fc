// Checks that a parsed spec means something runnable, following runc's rules so that a spec
// runc accepts is accepted here and vice versa. Each error names the field by its JSON path,
// e.g. `root.path: "/b/rootfs" does not exist` or `linux.namespaces[2].type: duplicate
// namespace "pid"`. The first problem found is reported.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::oci {

// Validates `spec` for `create`/`run` from the bundle at `bundle_dir`. Besides the document
// itself this looks at the host where runc does: the rootfs must be an existing directory,
// requested user/cgroup/time namespaces must be supported by the kernel, and net.* sysctls
// must not target the caller's own network namespace.
Status ValidateSpec(const Spec& spec, const std::string& bundle_dir);

// Validates a process for `exec` (process.json). Field paths are relative to the process
// object ("args: must not be empty").
Status ValidateProcess(const Process& process);

// The absolute, lexically cleaned rootfs path: root.path as is when absolute, otherwise
// resolved against the (absolute) bundle directory. Empty when the spec has no root.
std::string ResolveRootfs(const Spec& spec, const std::string& bundle_dir);

}  // namespace stockade::oci
