// The control server's handlers, per runsc's controller.go: containerManager.*, debug.Stacks,
// Logging.Change. Each validates its arguments and maps onto the Supervisor.
#pragma once

#include "boot/supervisor.h"
#include "urpc/server.h"

namespace stockade::boot {

struct ControllerContext {
  Supervisor* sup;
  std::string root_id;
  std::string platform;
  bool no_pivot = false;
  std::string network;
};

void RegisterController(urpc::Server& server, const ControllerContext& ctx);
// For a platform whose kernel is not built yet: every containerManager method answers that the
// platform is unavailable; debug.Stacks and Logging.Change work.
void RegisterUnavailablePlatform(urpc::Server& server, const std::string& platform);

}  // namespace stockade::boot
