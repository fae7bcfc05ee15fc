#include "runtime/control.h"

namespace stockade::runtime {

std::string SandboxSocketPath(const std::string& root, const std::string& sandbox_id) {
  return root + "/" + sandbox_id + "/" + kSocketName;
}

Result<urpc::Reply> CallSandbox(const std::string& root, const ContainerState& s,
                                const std::string& method, const nlohmann::json& arg,
                                const std::vector<int>& fds, int timeout_ms) {
  std::string path = SandboxSocketPath(root, s.sandbox_id);
  auto client = urpc::Client::Connect(path, 10000);
  if (!client.ok()) {
    return client.error().Wrap("connecting to sandbox \"" + s.sandbox_id + "\"");
  }
  return client->Call(method, arg, fds, timeout_ms);
}

}  // namespace stockade::runtime
