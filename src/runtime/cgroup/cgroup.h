// A container's cgroup: created from linux.cgroupsPath, given oci::Resources, and later loaded
// back from the container state to update, freeze, inspect, signal or remove it.
//
// The same API covers cgroup v1, v2 and hybrid hosts (see mode.h, README.md). A Cgroup is a
// handle: it names directories and owns nothing, so it is copyable and its destructor leaves
// the cgroup alone; Destroy() removes it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"
#include "runtime/cgroup/mode.h"
#include "runtime/cgroup/path.h"

namespace stockade::cgroup {

class Cgroup {
 public:
  // The container's directory in one hierarchy.
  struct Dir {
    bool v2 = false;
    std::vector<std::string> controllers;  // As Hierarchy::controllers.
    std::string mountpoint;                // The hierarchy's mountpoint.
    std::string path;                      // Absolute, strictly below `mountpoint`.

    std::string Key() const;  // As Hierarchy::Key(): "cpu,cpuacct", "name=systemd", "unified".
  };

  Cgroup(const Cgroup&) = default;
  Cgroup& operator=(const Cgroup&) = default;
  Cgroup(Cgroup&&) noexcept = default;
  Cgroup& operator=(Cgroup&&) noexcept = default;

  // Detects the layout, interprets `cgroups_path` (see ParseCgroupsPath; with `systemd` the
  // "slice:prefix:name" form is converted to the path systemd would use, without talking to
  // systemd over D-Bus) and creates the directory in every hierarchy: each v1 hierarchy with
  // controllers plus name=systemd, and the unified one on hybrid hosts (process tracking) or v2
  // hosts (where the parents' cgroup.subtree_control get every available controller). An
  // existing directory is joined, not an error. On failure, directories created so far are
  // removed. `planned`, if given, sees the cgroup once its directories are known and before
  // any is made (to record them where a dead caller's clean-up finds them); its error stops
  // the creation.
  using PlannedFn = std::function<Status(const Cgroup&)>;
  static Result<Cgroup> Create(const std::string& cgroups_path, bool systemd,
                               const std::string& container_id, const PlannedFn& planned = nullptr);
  // Create with the layout and our own cgroups (a ParseProcCgroup map, only consulted for
  // relative paths) supplied by the caller.
  static Result<Cgroup> CreateIn(const Layout& layout,
                                 const std::map<std::string, std::string>& own,
                                 const CgroupPath& path, const PlannedFn& planned = nullptr);

  // Round trip through the container state. Load validates the shape and that every directory
  // is a clean absolute path strictly below its mountpoint.
  static Result<Cgroup> Load(const nlohmann::json& j);
  nlohmann::json ToJson() const;

  Mode mode() const { return mode_; }
  // The cgroup path as interpreted: "/stockade/<id>", "/machine.slice/libpod-abc.scope", or a
  // relative "a/b" (below our own cgroup in each hierarchy).
  const std::string& Path() const { return path_; }
  const std::vector<Dir>& dirs() const { return dirs_; }
  // Dir::Key() -> absolute directory, for debugging and `stockade state`-style output.
  std::map<std::string, std::string> Dirs() const;

  // Writes the limits. Only fields that are set are written, so Apply(partial) leaves the rest
  // untouched. Errors name the file and value. v1 ignores `unified` only when it is empty (a
  // non-empty map is an error, as in runc); v2 logs and skips `devices` (needs eBPF).
  Status Apply(const oci::Resources& resources);
  // `stockade update`: the same writes as Apply. Merging with the previous resources, as
  // runc's update does, is the caller's job.
  Status Update(const oci::Resources& resources) { return Apply(resources); }

  // Moves `pid` (a whole thread group) into the cgroup in every hierarchy.
  Status AddProcess(pid_t pid);

  // Freezes every task: v1 freezer.state (waiting until it reads FROZEN), otherwise v2
  // cgroup.freeze (waiting for "frozen 1" in cgroup.events). Hybrid hosts without a v1 freezer
  // use the unified hierarchy's cgroup.freeze.
  Status Freeze();
  Status Thaw();
  Result<bool> Frozen() const;

  // Every pid in the cgroup and its descendants, sorted. Unreadable cgroups (e.g. already
  // removed) give an empty list, with a warning logged when the cause is not ENOENT.
  std::vector<pid_t> Pids() const;

  // runc `events --stats` "data": {"cpu","memory","pids","blkio","hugetlb"}.
  Result<nlohmann::json> Stats() const;

  // Sends `sig` to every process in the cgroup (delete --force, kill --all). The cgroup is
  // frozen first so nothing forks between listing and signalling; v2 with SIGKILL uses
  // cgroup.kill when the kernel has it. Afterwards the cgroup is thawed for SIGKILL (so the
  // tasks can die, even if the container was paused) and otherwise left as it was found.
  Status KillAll(int sig);

  // Removes the directory (and any child cgroups) in every hierarchy, retrying EBUSY for up to
  // two seconds in total while exited tasks drain. Kills nothing; fails with EBUSY if processes
  // remain. Missing directories are fine, so Destroy is idempotent. Parent directories (e.g.
  // "/stockade") are left, as runc leaves them, since other containers may share them.
  Status Destroy();

  // The CPUs this cgroup lets its tasks use: its cpuset (else the online CPUs), capped by
  // ceil(quota/period) of it and its ancestors; at least 1.
  int EffectiveCpus() const;
  // The smallest memory limit of this cgroup and its ancestors; nullopt if unlimited.
  std::optional<int64_t> MemoryLimit() const;

 private:
  Cgroup() = default;

  const Dir* FindController(const std::string& controller) const;
  const Dir* Unified() const;
  std::map<std::string, std::string> V1Dirs() const;  // controller -> directory

  Mode mode_ = Mode::kV1;
  std::string path_;
  std::vector<Dir> dirs_;
};

}  // namespace stockade::cgroup
