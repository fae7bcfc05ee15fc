#include "boot/controller.h"

#include "base/log.h"
#include "boot/api/api.h"
#include "boot/stacks.h"
#include "oci/parse.h"

namespace stockade::boot {
namespace {

using nlohmann::json;

Result<std::string> Cid(const json& arg) {
  if (!arg.is_object() || !arg.contains("CID") || !arg["CID"].is_string() ||
      arg["CID"].get<std::string>().empty()) {
    return Error(EINVAL, "missing container ID (\"CID\")");
  }
  return arg["CID"].get<std::string>();
}

template <typename T>
Result<T> Field(const json& arg, const char* key) {
  if (!arg.contains(key)) return Error(EINVAL, std::string("missing argument \"") + key + "\"");
  try {
    return arg[key].get<T>();
  } catch (const json::exception&) {
    return Error(EINVAL, std::string("argument \"") + key + "\" has the wrong type");
  }
}

urpc::Reply Empty() { return urpc::Reply(json::object()); }

void RegisterDebug(urpc::Server& server) {
  server.Register(boot_api::kDebugStacks, [](urpc::Call&) -> Result<urpc::Reply> {
    return urpc::Reply(json(DumpAllStacks()));
  });

  server.Register(boot_api::kLoggingChange, [](urpc::Call& c) -> Result<urpc::Reply> {
    log::Options o = log::Current();
    if (c.arg.is_object() && c.arg.contains("Level")) {
      std::string level = c.arg["Level"].is_string() ? c.arg["Level"].get<std::string>() : "";
      if (level == "debug") {
        o.debug = true;
      } else if (level == "info" || level == "warning") {
        o.debug = false;
      } else {
        return Error(EINVAL, "unknown log level \"" + level + "\"");
      }
    }
    // The log FDs stay ours: re-point at the same FDs, not the original paths.
    o.fd = log::MainFd();
    o.debug_fd = log::DebugFd();
    o.file.clear();
    o.debug_log.clear();
    std::string err = log::Init(o);
    if (!err.empty()) return Error::Msg(err);
    return Empty();
  });
}

}  // namespace

void RegisterController(urpc::Server& server, const ControllerContext& ctx) {
  ContainerManager* sup = ctx.sup;

  server.Register(boot_api::kRuntimeState, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(json j, sup->RuntimeState(cid));
    return urpc::Reply(j);
  });

  server.Register(boot_api::kFinishCreate, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    json state = c.arg.value("State", json::object());
    ASSIGN_OR_RETURN(UniqueFd master, sup->FinishCreate(cid, state.dump()));
    std::vector<UniqueFd> fds;
    if (master) fds.push_back(std::move(master));
    return urpc::Reply(json::object(), std::move(fds));
  });

  auto start = [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    json state = c.arg.value("State", json::object());
    ASSIGN_OR_RETURN(ContainerManager::StartOutcome outcome, sup->StartContainer(cid, state.dump()));
    if (outcome == ContainerManager::StartOutcome::kNoLongerCreated) {
      return urpc::Reply(json{{boot_api::kNoLongerCreated, true}});
    }
    return Empty();
  };
  server.Register(boot_api::kStartRoot, start);
  server.Register(boot_api::kStartSubcontainer, start);

  server.Register(boot_api::kCreateSubcontainer, [sup, ctx](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(json spec_json, Field<json>(c.arg, "Spec"));
    ASSIGN_OR_RETURN(std::string rootfs, Field<std::string>(c.arg, "Rootfs"));
    auto spec = oci::ParseSpec(spec_json.dump());
    if (!spec.ok()) return spec.error();
    if (!spec->process) return Error(EINVAL, "spec has no process");
    ContainerArgs args;
    args.id = cid;
    args.spec = std::move(spec).value();
    args.rootfs = rootfs;
    args.cgroup = c.arg.value("Cgroup", json());
    args.no_pivot = ctx.no_pivot;
    args.network = ctx.network;
    if (args.spec.process->terminal) {
      // The terminal is made inside the container; its master comes back from FinishCreate.
      if (!c.fds.empty()) return Error(EINVAL, "a terminal container takes no stdio FDs");
    } else {
      if (c.fds.size() < 3) return Error(EINVAL, "expected stdin, stdout and stderr FDs, got " + std::to_string(c.fds.size()));
      args.stdio = std::move(c.fds);
    }
    TRY(sup->CreateContainer(std::move(args)));
    ASSIGN_OR_RETURN(json st, sup->RuntimeState(cid));
    return urpc::Reply(st);
  });

  server.Register(boot_api::kDestroySubcontainer, [sup, ctx](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    if (cid == ctx.root_id) return Error(EINVAL, "the root container cannot be destroyed as a subcontainer");
    TRY(sup->DestroyContainer(cid));
    return Empty();
  });

  server.Register(boot_api::kExecuteAsync, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(json pj, Field<json>(c.arg, "Process"));
    auto p = oci::ParseProcess(pj.dump());
    if (!p.ok()) return p.error();
    if (p->args.empty()) return Error(EINVAL, "process args must not be empty");
    // A terminal process gets a new terminal inside the container; its master is returned.
    size_t want = p->terminal ? 0 : 3;
    if (c.fds.size() != want) {
      return Error(EINVAL, "expected " + std::to_string(want) + " stdio FDs, got " + std::to_string(c.fds.size()));
    }
    ASSIGN_OR_RETURN(ContainerManager::Executed e, sup->Execute(cid, *p, std::move(c.fds)));
    std::vector<UniqueFd> fds;
    if (e.console_master) fds.push_back(std::move(e.console_master));
    return urpc::Reply(json{{"PID", e.pid}}, std::move(fds));
  });

  server.Register(boot_api::kProcesses, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(json j, sup->Processes(cid));
    return urpc::Reply(j);
  });

  server.Register(boot_api::kWait, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(int code, sup->WaitContainer(cid));
    return urpc::Reply(json{{"ExitStatus", code}});
  });

  server.Register(boot_api::kWaitPID, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(int pid, Field<int>(c.arg, "PID"));
    ASSIGN_OR_RETURN(int code, sup->WaitPid(cid, pid));
    return urpc::Reply(json{{"ExitStatus", code}});
  });

  server.Register(boot_api::kSignal, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(int signo, Field<int>(c.arg, "Signo"));
    int pid = c.arg.value("PID", 0);
    int mode = c.arg.value("Mode", 0);
    TRY(sup->Signal(cid, signo, pid, mode));
    return Empty();
  });

  server.Register(boot_api::kPause, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    TRY(sup->Pause(cid));
    return Empty();
  });
  server.Register(boot_api::kResume, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    TRY(sup->Resume(cid));
    return Empty();
  });
  server.Register(boot_api::kEvent, [sup](urpc::Call& c) -> Result<urpc::Reply> {
    ASSIGN_OR_RETURN(std::string cid, Cid(c.arg));
    ASSIGN_OR_RETURN(json j, sup->Stats(cid));
    return urpc::Reply(j);
  });

  for (const char* m : {boot_api::kCheckpoint, boot_api::kRestore, boot_api::kPortForward}) {
    std::string platform = ctx.platform;
    server.Register(m, [platform, m](urpc::Call&) -> Result<urpc::Reply> {
      return Error(ENOTSUP, std::string(m) + " is not supported on platform \"" + platform + "\"");
    });
  }

  RegisterDebug(server);
}


}  // namespace stockade::boot
