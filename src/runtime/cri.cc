#include "runtime/cri.h"

namespace stockade::runtime {

std::optional<std::string> SandboxToJoin(const std::map<std::string, std::string>& a) {
  struct Keys {
    const char* type;
    const char* sandbox;
  };
  static constexpr Keys kKeys[] = {
      {"io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"},
      {"io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"},
  };
  for (const auto& k : kKeys) {
    auto t = a.find(k.type);
    if (t == a.end() || t->second != "container") continue;
    auto s = a.find(k.sandbox);
    if (s != a.end() && !s->second.empty()) return s->second;
  }
  return std::nullopt;
}

}  // namespace stockade::runtime
