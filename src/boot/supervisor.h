// The native platform's supervisor: owns the sandbox's containers and their processes. One
// thread (the one that runs Loop) forks every process and reaps every child; RPC threads hand
// it work through RunOnLoop and wait on the condition variable for exits.
//
// Lock order: Supervisor::mu_ only; never held across a spawn, an RPC, or a wait on a child's
// channel (those use per-container stage locks taken before mu_).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"
#include "boot/api/api.h"
#include "boot/container_manager.h"
#include "boot/native/seccomp.h"
#include "boot/spawn.h"
#include "oci/spec.h"
#include "runtime/cgroup/cgroup.h"

namespace stockade::boot {


class Supervisor : public ContainerManager {
 public:
  explicit Supervisor(std::string root_id);
  ~Supervisor();

  // Loop thread: creates a container's init, stopped before pivot_root (stage A).
  Status CreateContainer(ContainerArgs args) override;
  // RPC threads:
  // Returns the terminal's master for terminal containers (invalid otherwise).
  Result<UniqueFd> FinishCreate(const std::string& cid, const std::string& state_json) override;
  Result<StartOutcome> StartContainer(const std::string& cid, const std::string& state_json) override;
  Status DestroyContainer(const std::string& cid) override;
  Result<Executed> Execute(const std::string& cid, const oci::Process& p, std::vector<UniqueFd> fds) override;
  Result<int> WaitContainer(const std::string& cid) override;  // exit code (128+N for signal N)
  Result<int> WaitPid(const std::string& cid, pid_t pid) override;
  Status Signal(const std::string& cid, int sig, pid_t pid, int mode) override;
  Result<nlohmann::json> Processes(const std::string& cid) override;
  Status Pause(const std::string& cid) override;
  Status Resume(const std::string& cid) override;
  Result<nlohmann::json> Stats(const std::string& cid) override;
  Result<nlohmann::json> RuntimeState(const std::string& cid) override;

  // Runs `fn` on the loop thread and returns its result; spawns must go through here.
  Status RunOnLoop(std::function<Status()> fn);

  // Serves until the root container has exited and its siblings are gone. Returns the root's
  // exit code. `signal_fd` delivers SIGCHLD and termination signals.
  int Loop(int signal_fd);
  // Wakes the loop (from any thread).
  void Wake();
  // One round of the loop: queued work, reaping, then waiting up to timeout_ms for more.
  void RunPending(int signal_fd, int timeout_ms);
  // The exit-status record: {"exitStatus": N, "containers": {id: N}}.
  nlohmann::json ExitRecord() override;

 private:
  struct Container {
    std::string id;
    oci::Spec spec;
    std::string status = "creating";  // creating, created, running, stopped
    pid_t init = 0;
    Channel channel;
    std::optional<cgroup::Cgroup> cg;
    UniqueFd console_master;  // held from stage A until FinishCreate hands it out
    std::optional<int> exit_code;
    std::set<pid_t> execs;
    std::mutex stage_mu;  // serializes create/finish/start/destroy stages
    // The spec's seccomp filter, compiled in the background from CreateContainer on; null when
    // there is none or it must be built in the child (notify filters, errors).
    std::shared_future<std::shared_ptr<const native::CompiledSeccomp>> seccomp;
  };
  struct Exited {
    std::string cid;
    int code;
  };

  std::shared_ptr<Container> Find(const std::string& cid);
  Result<std::shared_ptr<Container>> FindOrError(const std::string& cid);
  std::vector<pid_t> PidsOf(Container& c);
  void Reap();
  void KillContainer(Container& c, int sig);

  const std::string root_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Container>> containers_;
  std::map<pid_t, std::optional<int>> exec_status_;  // exec'd pid -> exit code once reaped
  std::map<std::string, int> exit_codes_;            // kept after a container is destroyed
  bool root_exited_ = false;

  std::mutex q_mu_;
  std::deque<std::function<void()>> queue_;
  UniqueFd wake_fd_;  // eventfd
};


}  // namespace stockade::boot
