// start, state, list, kill, delete, wait, ps, pause, resume, events, update.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/io.h"
#include "base/log.h"
#include "base/proc.h"
#include "boot/api/api.h"
#include "oci/parse.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/container.h"
#include "runtime/control.h"
#include "runtime/hooks/hooks.h"
#include "runtime/sandbox.h"

namespace stockade::runtime {
namespace {

// The spec saved at create, for hooks.
oci::Spec SavedSpec(const ContainerState& s) {
  auto spec = oci::ParseSpec(s.spec.dump());
  return spec.ok() ? std::move(spec).value() : oci::Spec{};
}

Status RequireStatus(const ContainerState& s, const std::string& st,
                     std::initializer_list<const char*> allowed, const std::string& verb) {
  for (const char* a : allowed) {
    if (st == a) return Ok();
  }
  return Error::Msg("cannot " + verb + " container \"" + s.id + "\" that is " + st);
}

// Exit code recorded by a sandbox that has exited (see boot's exit file).
std::optional<int> RecordedExit(const Store& store, const ContainerState& s) {
  auto text = ReadFile(store.Dir(s.sandbox_id) + "/" + kExitFile);
  if (!text.ok() || text->empty()) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  if (s.IsRoot()) return j.value("exitStatus", 255);
  auto subs = j.value("containers", nlohmann::json::object());
  if (subs.contains(s.id)) return subs[s.id].get<int>();
  return std::nullopt;
}

}  // namespace

nlohmann::json OciState(const ContainerState& s, const std::string& status) {
  nlohmann::json j = {{"ociVersion", "1.0.2"},
                      {"id", s.id},
                      {"pid", status == kStopped ? 0 : s.init_pid},
                      {"status", status},
                      {"bundle", s.bundle},
                      {"rootfs", s.rootfs},
                      {"created", s.created},
                      {"owner", s.owner}};
  j["annotations"] = s.annotations;
  return j;
}

Status Start(const Globals& g, const std::string& id) {
  Store store(g.root);
  ASSIGN_OR_RETURN(LockedContainer c, store.Open(id));
  ContainerState& s = c.state();
  std::string st = EffectiveStatus(s);
  if (st != kCreated) {
    if (st == kStopped) return Error::Msg("cannot start a container that has stopped");
    return Error::Msg("cannot start an already running container");
  }
  oci::Spec spec = SavedSpec(s);
  ASSIGN_OR_RETURN(urpc::Reply reply,
                   CallSandbox(g.root, s, s.IsRoot() ? boot_api::kStartRoot : boot_api::kStartSubcontainer,
                               {{"CID", id}, {"State", OciState(s, kCreated)}}));
  s.status = kRunning;
  TRY(c.Save());
  if (reply.result.value(boot_api::kNoLongerCreated, false)) {
    // A start whose CLI died after the sandbox had started the container left "created"
    // in the state: the sandbox knows better. The state now records the truth; refuse as runc does.
    return Error::Msg("cannot start an already running container");
  }
  auto hooks_st = hooks::RunHooks("poststart", spec.hooks.poststart, OciState(s, kRunning).dump());
  if (!hooks_st.ok()) LOG_WARN("%s", hooks_st.error().ToString().c_str());
  return Ok();
}

Result<nlohmann::json> State(const Globals& g, const std::string& id) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  return OciState(s, EffectiveStatus(s));
}

std::vector<nlohmann::json> ListStates(const Globals& g) {
  Store store(g.root);
  std::vector<nlohmann::json> out;
  for (const auto& id : store.List()) {
    auto s = store.Peek(id);
    if (s.ok()) out.push_back(OciState(*s, EffectiveStatus(*s)));
  }
  return out;
}

Status Kill(const Globals& g, const std::string& id, int sig, bool all) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  std::string st = EffectiveStatus(s);
  if (st == kStopped && !all) return Error::Msg("container \"" + id + "\" is not running");
  if (st == kStopped) return Ok();
  int mode = all ? boot_api::kDeliverToAllProcesses : boot_api::kDeliverToProcess;
  TRY(CallSandbox(g.root, s, boot_api::kSignal, {{"CID", id}, {"Signo", sig}, {"PID", 0}, {"Mode", mode}}));
  return Ok();
}

Status Delete(const Globals& g, const std::string& id, bool force) {
  Store store(g.root);
  auto opened = store.Open(id);
  if (!opened.ok()) {
    if (opened.error().code() == ENOENT && force) return Ok();
    return std::move(opened).take_error();
  }
  LockedContainer c = std::move(opened).value();
  ContainerState& s = c.state();
  std::string st = EffectiveStatus(s);
  if (!force && st != kStopped && st != kCreated) {
    return Error::Msg("cannot delete container \"" + id + "\" that is not stopped: " + st);
  }
  oci::Spec spec = SavedSpec(s);

  if (st != kStopped) {
    if (st == kPaused) (void)CallSandbox(g.root, s, boot_api::kResume, {{"CID", id}}, {}, 5000);
    if (s.IsRoot()) {
      (void)CallSandbox(g.root, s, boot_api::kSignal,
                        {{"CID", id}, {"Signo", SIGKILL}, {"PID", 0}, {"Mode", boot_api::kDeliverToAllProcesses}},
                        {}, 5000);
    } else {
      (void)CallSandbox(g.root, s, boot_api::kDestroySubcontainer, {{"CID", id}}, {}, 10000);
    }
  }
  // The root's sandbox goes with it; a subcontainer's waiter goes with the subcontainer.
  if (s.IsRoot() && s.sandbox_pid != 0 && !WaitGone(s.sandbox_pid, s.sandbox_start, 5000)) {
    kill(s.sandbox_pid, SIGKILL);
    WaitGone(s.sandbox_pid, s.sandbox_start, 5000);
  }
  if (!s.IsRoot() && s.waiter_pid != 0 && ProcessAlive(s.waiter_pid, 0)) {
    kill(s.waiter_pid, SIGKILL);
    waitpid(s.waiter_pid, nullptr, WNOHANG);
  }
  if (!s.cgroup.is_null()) {
    auto cg = cgroup::Cgroup::Load(s.cgroup);
    if (cg.ok()) {
      (void)cg->Thaw();
      (void)cg->KillAll(SIGKILL);
      TRY_CTX(cg->Destroy(), "removing cgroup of container \"" + id + "\"");
    }
  }
  auto hooks_st = hooks::RunHooks("poststop", spec.hooks.poststop, OciState(s, kStopped).dump());
  if (!hooks_st.ok()) LOG_WARN("%s", hooks_st.error().ToString().c_str());
  return c.Remove();
}

Result<int> Wait(const Globals& g, const std::string& id) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  // Ask the sandbox while it lives, even if the init is already gone: it knows the status
  // before its exit record is written.
  if (s.sandbox_pid != 0 && ProcessAlive(s.sandbox_pid, s.sandbox_start)) {
    auto r = CallSandbox(g.root, s, boot_api::kWait, {{"CID", id}}, {}, -1);
    if (r.ok()) return r->result.value("ExitStatus", 255);
    // It is shutting down: its record is written before it exits.
    if (s.IsRoot()) WaitGone(s.sandbox_pid, s.sandbox_start, 10000);
  }
  if (auto code = RecordedExit(store, s)) return *code;
  return Error::Msg("exit status of container \"" + id + "\" is unknown");
}

Result<ProcessList> Processes(const Globals& g, const std::string& id) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  ProcessList out;
  out.in_sandbox = s.platform != "native";
  if (EffectiveStatus(s) == kStopped) return out;
  ASSIGN_OR_RETURN(auto r, CallSandbox(g.root, s, boot_api::kProcesses, {{"CID", id}}));
  if (r.result.is_array()) out.entries = r.result;
  for (const auto& p : out.entries) out.pids.push_back(p.value("PID", 0));
  return out;
}

namespace {
Status SetPaused(const Globals& g, const std::string& id, bool pause) {
  Store store(g.root);
  ASSIGN_OR_RETURN(LockedContainer c, store.Open(id));
  ContainerState& s = c.state();
  std::string st = EffectiveStatus(s);
  if (pause) {
    TRY(RequireStatus(s, st, {kRunning, kCreated}, "pause"));
  } else if (st != kPaused) {
    return Error::Msg("container \"" + id + "\" is not paused");
  }
  TRY(CallSandbox(g.root, s, pause ? boot_api::kPause : boot_api::kResume, {{"CID", id}}));
  s.status = pause ? kPaused : kRunning;
  return c.Save();
}
}  // namespace

Status Pause(const Globals& g, const std::string& id) { return SetPaused(g, id, true); }
Status Resume(const Globals& g, const std::string& id) { return SetPaused(g, id, false); }

Result<nlohmann::json> Stats(const Globals& g, const std::string& id) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  if (EffectiveStatus(s) == kStopped) return Error::Msg("container \"" + id + "\" is not running");
  ASSIGN_OR_RETURN(auto r, CallSandbox(g.root, s, boot_api::kEvent, {{"CID", id}}));
  nlohmann::json data = r.result.is_object() ? r.result : nlohmann::json::object();
  // On the Sentry platforms the sandbox counts only what it alone knows (its
  // tasks); the container's cgroup holds the whole sandbox, so CPU and memory
  // come from there, as runsc reports them.
  if (!s.cgroup.is_null() && !data.contains("cpu")) {
    auto cg = cgroup::Cgroup::Load(s.cgroup);
    auto cs = cg.ok() ? cg->Stats() : Result<nlohmann::json>(cg.error());
    if (cs.ok()) {
      for (auto& [k, v] : cs->items()) {
        if (!data.contains(k)) data[k] = v;
      }
    }
  }
  return nlohmann::json{{"type", "stats"}, {"id", id}, {"data", data}};
}

Status Update(const Globals& g, const std::string& id, const oci::Resources& r) {
  Store store(g.root);
  ASSIGN_OR_RETURN(LockedContainer c, store.Open(id));
  if (EffectiveStatus(c.state()) == kStopped) return Error::Msg("container \"" + id + "\" is not running");
  if (c.state().cgroup.is_null()) return Error::Msg("container \"" + id + "\" has no cgroup");
  ASSIGN_OR_RETURN(auto cg, cgroup::Cgroup::Load(c.state().cgroup));
  return cg.Update(r);
}

Result<nlohmann::json> DebugStacks(const Globals& g, const std::string& id) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  if (EffectiveStatus(s) == kStopped) return Error::Msg("container \"" + id + "\" is not running");
  ASSIGN_OR_RETURN(auto r, CallSandbox(g.root, s, boot_api::kDebugStacks, nlohmann::json::object()));
  return r.result;
}

Status Unsupported(const Globals& g, const std::string& id, const std::string& method) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(id));
  if (EffectiveStatus(s) == kStopped) return Error::Msg("container \"" + id + "\" is not running");
  TRY(CallSandbox(g.root, s, method, {{"CID", id}}));
  return Ok();
}

}  // namespace stockade::runtime
