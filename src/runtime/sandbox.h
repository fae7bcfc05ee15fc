// Launching `stockade boot`, per runsc's sandbox.go: the CLI forks, the child donates a fixed set
// of FDs, starts a new session, optionally dies with the CLI, and re-executes this binary as
// `stockade boot --config-fd 3`. The CLI then waits for the start-sync byte.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "boot/api/api.h"

namespace stockade::runtime {

struct LaunchRequest {
  boot_api::BootConfig config;  // FD fields are filled in by LaunchSandbox
  UniqueFd control_socket;      // listening
  UniqueFd exit_file;
  std::vector<int> stdio;       // borrowed; none for a terminal (made inside the container)
  std::vector<UniqueFd> gofer;  // Sentry platforms: the Sentry's ends of the gofer sockets,
                                // in config.gofer_mounts' order
  UniqueFd debug_log;           // the sandbox's own debug log (default: ours, if any)
  // Runs once the sandbox process exists and before it runs any of its own
  // code (e.g. to put it into the container's cgroup); a failure aborts.
  std::function<Status(pid_t)> on_spawned;
  bool attached = false;        // die with the CLI
  std::string exe;              // binary to run as `boot` (default: this one)
};

struct Sandbox {
  pid_t pid = 0;
  uint64_t start_time = 0;
};

// Starts the sandbox and waits until it reports ready (or fails, or times out). On failure the
// sandbox process is killed and reaped before returning.
Result<Sandbox> LaunchSandbox(LaunchRequest& req, int timeout_ms = 60000);

// Waits until `pid` exits (it need not be our child), up to timeout_ms. True if it is gone.
bool WaitGone(pid_t pid, uint64_t start_time, int timeout_ms);

// True when we may map IDs in a new user namespace (CAP_SETUID and CAP_SETGID), which the
// Sentry platforms need to run the sandbox as nobody.
bool CanSetIds();

// Path of the running binary, for re-execution.
std::string SelfExe();

}  // namespace stockade::runtime
