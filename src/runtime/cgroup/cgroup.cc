#include "runtime/cgroup/cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/cleanup.h"
#include "base/io.h"
#include "base/log.h"
#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/fsutil.h"
#include "runtime/cgroup/limits.h"

namespace stockade::cgroup {

namespace {

// Creates `dir` and any missing parents below `top` (which must exist), registering an rmdir
// of each directory it created in `undo`, so a failed Create leaves nothing behind.
Status MkdirTracked(const std::string& top, const std::string& dir, Cleanup* undo) {
  std::string cur = top;
  const std::string below = dir.substr(top.size());  // Named: SplitOn returns views into it.
  for (std::string_view part : SplitOn(below, '/')) {
    if (part.empty()) continue;
    cur = JoinPath(cur, std::string(part));
    if (::mkdir(cur.c_str(), 0755) == 0) {
      undo->Add([cur] { ::rmdir(cur.c_str()); });
    } else if (errno != EEXIST) {
      return Error::FromErrno("creating cgroup \"" + cur + "\"");
    }
  }
  return Ok();
}

Status ValidateDir(const Cgroup::Dir& d) {
  if (d.mountpoint.empty() || d.mountpoint.front() != '/' ||
      CleanPath(d.mountpoint) != d.mountpoint || d.path.empty() || d.path.front() != '/' ||
      CleanPath(d.path) != d.path || d.path == d.mountpoint || !IsUnder(d.path, d.mountpoint)) {
    return Error(EINVAL, "invalid cgroup directory \"" + d.path + "\" (mountpoint \"" +
                             d.mountpoint + "\")");
  }
  if (!d.v2 && d.controllers.empty()) {
    return Error(EINVAL, "cgroup directory \"" + d.path + "\" has no controllers");
  }
  return Ok();
}

}  // namespace

std::string Cgroup::Dir::Key() const {
  Hierarchy h;
  h.v2 = v2;
  h.controllers = controllers;
  return h.Key();
}

Result<Cgroup> Cgroup::Create(const std::string& cgroups_path, bool systemd,
                              const std::string& container_id, const PlannedFn& planned) {
  ASSIGN_OR_RETURN(CgroupPath path, ParseCgroupsPath(cgroups_path, systemd, container_id));
  ASSIGN_OR_RETURN(Layout layout, DetectLayout());
  std::map<std::string, std::string> own;
  if (path.relative) {
    ASSIGN_OR_RETURN(own, ReadOwnCgroups());
  }
  return CreateIn(layout, own, path, planned);
}

Result<Cgroup> Cgroup::CreateIn(const Layout& layout, const std::map<std::string, std::string>& own,
                                const CgroupPath& path, const PlannedFn& planned) {
  Cgroup cg;
  cg.mode_ = layout.mode;
  cg.path_ = path.path;
  std::vector<std::string> tops;
  for (const Hierarchy& h : layout.hierarchies) {
    std::string top = h.mountpoint;
    if (path.relative) {
      auto own_dir = OwnDir(h, own);
      if (!own_dir.ok()) return own_dir.error().Wrap("placing cgroup \"" + path.path + "\"");
      top = *own_dir;
    }
    Dir d{h.v2, h.controllers, h.mountpoint, JoinPath(top, path.path)};
    TRY(ValidateDir(d));
    cg.dirs_.push_back(std::move(d));
    tops.push_back(top);
  }
  if (cg.dirs_.empty())
    return Error(ENOENT, "no cgroup hierarchy to create \"" + path.path + "\" in");
  if (planned) TRY(planned(cg));
  Cleanup undo;
  for (size_t i = 0; i < cg.dirs_.size(); i++) {
    const Dir& d = cg.dirs_[i];
    TRY(MkdirTracked(tops[i], d.path, &undo));
    if (!d.v2 && std::count(d.controllers.begin(), d.controllers.end(), "cpuset") != 0) {
      TRY(v1::InheritCpuset(d.mountpoint, d.path));
    }
    // Only a real v2 host delegates controllers; hybrid's unified tree just tracks processes.
    if (d.v2 && layout.mode == Mode::kV2) v2::EnableControllers(d.mountpoint, d.path);
  }
  undo.Cancel();
  return cg;
}

Result<Cgroup> Cgroup::Load(const nlohmann::json& j) {
  auto bad = [](const std::string& what) {
    return Error(EINVAL, "loading cgroup from state: " + what);
  };
  if (!j.is_object()) return bad("not an object");
  auto mode = j.find("mode");
  auto path = j.find("path");
  auto dirs = j.find("dirs");
  if (mode == j.end() || !mode->is_string()) return bad("missing \"mode\"");
  if (path == j.end() || !path->is_string() || path->get<std::string>().empty()) {
    return bad("missing \"path\"");
  }
  if (dirs == j.end() || !dirs->is_array() || dirs->empty()) return bad("missing \"dirs\"");
  Cgroup cg;
  ASSIGN_OR_RETURN(cg.mode_, ParseMode(mode->get<std::string>()));
  cg.path_ = path->get<std::string>();
  int unified = 0;
  for (const auto& e : *dirs) {
    if (!e.is_object()) return bad("\"dirs\" entries must be objects");
    Dir d;
    try {
      d.v2 = e.value("v2", false);
      d.controllers = e.value("controllers", std::vector<std::string>{});
      d.mountpoint = e.at("mountpoint").get<std::string>();
      d.path = e.at("path").get<std::string>();
    } catch (const nlohmann::json::exception& ex) {
      return bad(ex.what());
    }
    TRY(ValidateDir(d));
    unified += d.v2 ? 1 : 0;
    cg.dirs_.push_back(std::move(d));
  }
  bool v2_only = cg.mode_ == Mode::kV2;
  if (unified > 1 || (v2_only && (unified != 1 || cg.dirs_.size() != 1)) ||
      (cg.mode_ == Mode::kV1 && unified != 0)) {
    return bad("directories do not match mode \"" + std::string(ModeName(cg.mode_)) + "\"");
  }
  return cg;
}

nlohmann::json Cgroup::ToJson() const {
  nlohmann::json dirs = nlohmann::json::array();
  for (const Dir& d : dirs_) {
    nlohmann::json e = {{"mountpoint", d.mountpoint}, {"path", d.path}};
    if (d.v2) {
      e["v2"] = true;
    } else {
      e["controllers"] = d.controllers;
    }
    dirs.push_back(std::move(e));
  }
  return {{"mode", ModeName(mode_)}, {"path", path_}, {"dirs", std::move(dirs)}};
}

std::map<std::string, std::string> Cgroup::Dirs() const {
  std::map<std::string, std::string> out;
  for (const Dir& d : dirs_) out[d.Key()] = d.path;
  return out;
}

const Cgroup::Dir* Cgroup::FindController(const std::string& controller) const {
  for (const Dir& d : dirs_) {
    if (!d.v2 &&
        std::find(d.controllers.begin(), d.controllers.end(), controller) != d.controllers.end()) {
      return &d;
    }
  }
  return nullptr;
}

const Cgroup::Dir* Cgroup::Unified() const {
  for (const Dir& d : dirs_) {
    if (d.v2) return &d;
  }
  return nullptr;
}

std::map<std::string, std::string> Cgroup::V1Dirs() const {
  std::map<std::string, std::string> out;
  for (const Dir& d : dirs_) {
    if (d.v2) continue;
    for (const auto& c : d.controllers) out[c] = d.path;
  }
  return out;
}

Status Cgroup::Apply(const oci::Resources& resources) {
  Status st =
      mode_ == Mode::kV2 ? v2::Apply(Unified()->path, resources) : v1::Apply(V1Dirs(), resources);
  if (!st.ok()) return st.error().Wrap("applying resources to cgroup \"" + path_ + "\"");
  return Ok();
}

Status Cgroup::AddProcess(pid_t pid) {
  for (const Dir& d : dirs_) {
    Status st = Ok();
    // EINVAL can mean the task is still being forked (TASK_NEW); runc retries, and so do we.
    for (int attempt = 0; attempt < 5; ++attempt) {
      st = WriteControl(d.path, "cgroup.procs", std::to_string(pid));
      if (st.ok() || st.error().code() != EINVAL) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    if (!st.ok()) return st.error().Wrap("adding pid " + std::to_string(pid) + " to cgroup");
  }
  return Ok();
}

Status Cgroup::Freeze() {
  if (const Dir* d = FindController("freezer")) return v1::Freeze(d->path);
  if (const Dir* d = Unified()) return v2::Freeze(d->path);
  return Error(ENOTSUP, "no freezer for cgroup \"" + path_ + "\": the v1 freezer is not mounted");
}

Status Cgroup::Thaw() {
  if (const Dir* d = FindController("freezer")) return v1::Thaw(d->path);
  if (const Dir* d = Unified()) return v2::Thaw(d->path);
  return Error(ENOTSUP, "no freezer for cgroup \"" + path_ + "\": the v1 freezer is not mounted");
}

Result<bool> Cgroup::Frozen() const {
  if (const Dir* d = FindController("freezer")) return v1::Frozen(d->path);
  if (const Dir* d = Unified()) return v2::Frozen(d->path);
  return false;
}

std::vector<pid_t> Cgroup::Pids() const {
  // Every hierarchy holds the same processes; read the one least likely to be shared with
  // other software's bookkeeping (pids/freezer), else the first.
  const Dir* d = FindController("pids");
  if (d == nullptr) d = FindController("freezer");
  if (d == nullptr) d = Unified();
  if (d == nullptr && !dirs_.empty()) d = &dirs_.front();
  if (d == nullptr) return {};
  auto pids = ReadProcsRecursive(d->path);
  if (!pids.ok()) {
    LOG_WARN("listing processes of cgroup \"%s\": %s", path_.c_str(),
             pids.error().ToString().c_str());
    return {};
  }
  return *pids;
}

Result<nlohmann::json> Cgroup::Stats() const {
  auto stats = mode_ == Mode::kV2 ? v2::Stats(Unified()->path) : v1::Stats(V1Dirs());
  if (!stats.ok()) return stats.error().Wrap("reading stats of cgroup \"" + path_ + "\"");
  return stats;
}

Status Cgroup::KillAll(int sig) {
  if (sig == SIGKILL) {
    if (const Dir* d = Unified();
        d != nullptr && mode_ == Mode::kV2 && ControlExists(d->path, "cgroup.kill")) {
      // The kernel kills every task atomically, forks included (Linux >= 5.14).
      return WriteControl(d->path, "cgroup.kill", "1");
    }
  }
  auto was_frozen = Frozen();
  bool froze = false;
  if (was_frozen.ok() && !*was_frozen) {
    Status st = Freeze();
    froze = st.ok();
    // Without a freezer we still signal; a process forked meanwhile may escape this round.
    if (!st.ok())
      LOG_DEBUG("signalling cgroup \"%s\" unfrozen: %s", path_.c_str(),
                st.error().ToString().c_str());
  }
  Status result = Ok();
  for (pid_t pid : Pids()) {
    if (::kill(pid, sig) != 0 && errno != ESRCH && result.ok()) {
      result = Error::FromErrno("sending signal " + std::to_string(sig) + " to pid " +
                                std::to_string(pid));
    }
  }
  // SIGKILL must reach frozen tasks (v1 delivers it only on thaw), even in a paused container.
  if (froze || (sig == SIGKILL && was_frozen.ok() && *was_frozen)) {
    Status st = Thaw();
    if (!st.ok() && result.ok()) result = st;
  }
  return result;
}

Status Cgroup::Destroy() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  Status result = Ok();
  for (const Dir& d : dirs_) {
    Status st = RemoveCgroupTree(d.path, deadline);
    if (!st.ok() && result.ok()) result = st;
  }
  return result;
}

int Cgroup::EffectiveCpus() const {
  int cpus = 0;
  if (mode_ == Mode::kV2) {
    if (auto text = ReadControl(Unified()->path, "cpuset.cpus.effective"); text.ok()) {
      cpus = CountCpuList(*text);
    }
  } else if (const Dir* d = FindController("cpuset")) {
    if (auto text = ReadControl(d->path, "cpuset.effective_cpus"); text.ok()) {
      cpus = CountCpuList(*text);
    }
  }
  if (cpus <= 0) cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  const Dir* d = mode_ == Mode::kV2 ? Unified() : FindController("cpu");
  std::optional<double> quota;
  if (d != nullptr) quota = CpuQuotaAlong(d->mountpoint, d->path, d->v2);
  return CpusFromQuota(cpus, quota);
}

std::optional<int64_t> Cgroup::MemoryLimit() const {
  const Dir* d = mode_ == Mode::kV2 ? Unified() : FindController("memory");
  if (d == nullptr) return std::nullopt;
  return MemoryLimitAlong(d->mountpoint, d->path, d->v2);
}

}  // namespace stockade::cgroup
