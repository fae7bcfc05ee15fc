// The CLI's side of the control RPC: finding a container's sandbox socket and calling it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "runtime/store.h"
#include "urpc/client.h"

namespace stockade::runtime {

inline constexpr char kSocketName[] = "sandbox.sock";
inline constexpr char kExitFile[] = "exit.json";

// <root>/<sandbox id>/sandbox.sock; long paths are handled by urpc's path-length-safe connect.
std::string SandboxSocketPath(const std::string& root, const std::string& sandbox_id);

Result<urpc::Reply> CallSandbox(const std::string& root, const ContainerState& s,
                                const std::string& method, const nlohmann::json& arg,
                                const std::vector<int>& fds = {}, int timeout_ms = 60000);

}  // namespace stockade::runtime
