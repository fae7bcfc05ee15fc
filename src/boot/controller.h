// The control server's handlers, per runsc's controller.go: containerManager.*, debug.Stacks,
// Logging.Change. Each validates its arguments and maps onto the Supervisor.
#pragma once

#include "boot/container_manager.h"
#include "urpc/server.h"

namespace stockade::boot {

struct ControllerContext {
  ContainerManager* sup;
  std::string root_id;
  std::string platform;
  bool no_pivot = false;
  std::string network;
};

void RegisterController(urpc::Server& server, const ControllerContext& ctx);

}  // namespace stockade::boot
