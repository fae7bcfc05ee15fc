// `stockade boot`: the sandbox process. Reads its BootConfig, isolates itself, creates the root
// container, serves the control RPC, and exits with the root container's exit code.
#pragma once

namespace stockade::boot {

int BootMain(int config_fd);

}  // namespace stockade::boot
