// OCI hooks: each hook runs with the container's state JSON on stdin and honours its timeout.
// Used by the CLI (createRuntime, prestart, poststart, poststop: runtime namespace) and by the
// native container init (createContainer, startContainer: container namespace).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::hooks {

// Runs one hook to completion. Fails on a non-zero exit, a signal, or the timeout (the hook is
// then killed). The error names the hook kind and path and carries the hook's last stderr line.
Status RunHook(const std::string& kind, const oci::Hook& hook, const std::string& state_json);

// Runs hooks in order, stopping at the first failure.
Status RunHooks(const std::string& kind, const std::vector<oci::Hook>& hooks,
                const std::string& state_json);

}  // namespace stockade::hooks
