// The container store: <root>/<id>/ holds one container's state. Every change happens under a
// per-container flock and is written atomically (temp file, rename), so concurrent CLI calls
// never see or leave a half-written state. No fsync: the state describes processes, which do
// not survive the power loss that fsync would guard against (and --root is usually a tmpfs);
// it cost a quarter of a container's start-to-exit time on disk-backed roots.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::runtime {

// OCI statuses.
inline constexpr char kCreating[] = "creating";
inline constexpr char kCreated[] = "created";
inline constexpr char kRunning[] = "running";
inline constexpr char kPaused[] = "paused";
inline constexpr char kStopped[] = "stopped";

struct ContainerState {
  std::string id;
  std::string bundle;
  std::string rootfs;
  std::string status = kCreating;
  std::string created;  // RFC 3339
  std::string owner;
  std::string platform = "native";
  std::string sandbox_id;        // equals id for the sandbox's root container
  pid_t sandbox_pid = 0;         // the `stockade boot` process
  uint64_t sandbox_start = 0;    // its start time, to detect PID reuse
  pid_t init_pid = 0;            // the container's init on the host
  uint64_t init_start = 0;
  pid_t waiter_pid = 0;          // subcontainers: the process the pid file names
  pid_t creator_pid = 0;         // the CLI making it, while it is being created
  uint64_t creator_start = 0;
  nlohmann::json cgroup;         // cgroup::Cgroup::ToJson() or null
  std::map<std::string, std::string> annotations;
  nlohmann::json spec;           // config.json at create, for hooks and delete
  bool systemd_cgroup = false;

  bool IsRoot() const { return sandbox_id == id; }
};

nlohmann::json ToJson(const ContainerState& s);
Result<ContainerState> StateFromJson(const nlohmann::json& j);

class Store;

// A container's directory held under its exclusive lock. The lock is released on destruction.
class LockedContainer {
 public:
  LockedContainer(LockedContainer&&) = default;
  LockedContainer& operator=(LockedContainer&&) = default;

  const std::string& dir() const { return dir_; }
  ContainerState& state() { return state_; }
  const ContainerState& state() const { return state_; }
  Status Save();
  // Removes the directory (the lock goes with it).
  Status Remove();
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  friend class Store;
  LockedContainer(std::string dir, UniqueFd lock) : dir_(std::move(dir)), lock_(std::move(lock)) {}
  std::string dir_;
  UniqueFd lock_;
  ContainerState state_;
};

class Store {
 public:
  explicit Store(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string Dir(const std::string& id) const { return root_ + "/" + id; }

  // Makes <root>/<id>/ (EEXIST: "container with id exists") and locks it.
  Result<LockedContainer> Create(const std::string& id);
  // Locks and loads an existing container (ENOENT: "container \"id\" does not exist").
  Result<LockedContainer> Open(const std::string& id);
  // Loads without the lock, for list/state readers: a consistent snapshot thanks to rename.
  Result<ContainerState> Peek(const std::string& id) const;
  std::vector<std::string> List() const;

 private:
  std::string root_;
};

// The status a reader should see: a stored running/created/paused state whose processes are
// gone reads as stopped.
std::string EffectiveStatus(const ContainerState& s);

}  // namespace stockade::runtime
