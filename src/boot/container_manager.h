// ContainerManager: what the control server asks of a platform's backend.
// The native Supervisor runs containers on the host kernel; the Sentry
// backend runs them as Sentry tasks. The controller (controller.cc) maps the
// runsc RPCs onto this interface and knows nothing of either.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace stockade::boot {

struct ContainerArgs {
  std::string id;
  oci::Spec spec;
  std::string rootfs;
  nlohmann::json cgroup;        // may be null
  std::vector<UniqueFd> stdio;  // 0, 1, 2 (and preserved FDs); none for terminal containers
  bool no_pivot = false;
  std::string network = "sandbox";
};

class ContainerManager {
 public:
  virtual ~ContainerManager() = default;

  struct Executed {
    pid_t pid = 0;
    UniqueFd console_master;  // for terminal processes
  };

  // What StartContainer did.
  enum class StartOutcome {
    kStarted,
    // The container had already left "created" (an earlier start got there first, or it has
    // stopped): nothing was done.
    kNoLongerCreated,
  };

  virtual Status CreateContainer(ContainerArgs args) = 0;
  // Returns the terminal's master for terminal containers (invalid otherwise).
  virtual Result<UniqueFd> FinishCreate(const std::string& cid, const std::string& state_json) = 0;
  virtual Result<StartOutcome> StartContainer(const std::string& cid, const std::string& state_json) = 0;
  virtual Status DestroyContainer(const std::string& cid) = 0;
  virtual Result<Executed> Execute(const std::string& cid, const oci::Process& p, std::vector<UniqueFd> fds) = 0;
  virtual Result<int> WaitContainer(const std::string& cid) = 0;  // exit code (128+N for signal N)
  virtual Result<int> WaitPid(const std::string& cid, pid_t pid) = 0;
  virtual Status Signal(const std::string& cid, int sig, pid_t pid, int mode) = 0;
  virtual Result<nlohmann::json> Processes(const std::string& cid) = 0;
  virtual Status Pause(const std::string& cid) = 0;
  virtual Status Resume(const std::string& cid) = 0;
  virtual Result<nlohmann::json> Stats(const std::string& cid) = 0;
  virtual Result<nlohmann::json> RuntimeState(const std::string& cid) = 0;
  // The exit-status record: {"exitStatus": N, "containers": {id: N}}.
  virtual nlohmann::json ExitRecord() = 0;
};

// Exit code as runc reports it: the exit status, or 128+N for signal N.
int ExitCode(int wait_status);

}  // namespace stockade::boot
