// Pod support: the CRI annotations that make a container join an existing sandbox.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace stockade::runtime {

// The sandbox a container should join, if its annotations say it is a pod's (non-sandbox)
// container: containerd's io.kubernetes.cri.* or cri-o's io.kubernetes.cri-o.* keys.
std::optional<std::string> SandboxToJoin(const std::map<std::string, std::string>& annotations);

}  // namespace stockade::runtime
