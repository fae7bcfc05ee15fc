// `create` and `run`: validate, reserve the state directory, make the cgroup, launch or join the
// sandbox, run the create-time hooks, and write the pid file last. Any failure undoes it all.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/io.h"
#include "base/log.h"
#include "base/proc.h"
#include "boot/api/api.h"
#include "oci/parse.h"
#include "oci/validate.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/devices.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/container_id.h"
#include "runtime/control.h"
#include "runtime/cri.h"
#include "runtime/forwarding.h"
#include "runtime/hooks/hooks.h"
#include "runtime/gofer.h"
#include "runtime/sandbox.h"
#include "urpc/unix_socket.h"

namespace stockade::runtime {
namespace {

std::string OwnerName() {
  struct passwd* pw = getpwuid(getuid());
  return pw != nullptr ? pw->pw_name : std::to_string(getuid());
}

Status CheckConsoleOptions(const oci::Process& p, const CreateOptions& o) {
  if (p.terminal && o.console_socket.empty() && !o.attached) {
    return Error::Msg("cannot allocate tty if stockade will detach without setting console socket");
  }
  if (!p.terminal && !o.console_socket.empty()) {
    return Error::Msg("cannot use console socket if stockade will not allocate tty");
  }
  return Ok();
}

// The spec's resources plus, as runc does, access to the spec's own device nodes and the
// standard ones (/dev/null, tty, pts, ...) after the spec's rules, so "deny all" still works.
oci::Resources ResourcesToApply(const oci::Spec& spec) {
  oci::Resources r;
  if (spec.linux && spec.linux->resources) r = *spec.linux->resources;
  if (spec.linux) {
    for (const auto& d : spec.linux->devices) {
      if (d.type != "c" && d.type != "b" && d.type != "u") continue;
      oci::DeviceCgroupRule rule;
      rule.allow = true;
      rule.type = d.type == "u" ? "c" : d.type;
      rule.major = d.major;
      rule.minor = d.minor;
      rule.access = "rwm";
      r.devices.push_back(rule);
    }
  }
  for (auto& rule : cgroup::RuncDefaultDeviceRules()) r.devices.push_back(rule);
  return r;
}

// Writes the pid file atomically, as the last step of create.
Status WritePidFile(const std::string& path, pid_t pid) {
  if (path.empty()) return Ok();
  return WriteFileAtomic(AbsPath(path), std::to_string(pid), 0644);
}

// Subcontainers have no process of their own on the host that exits with them, so, as runsc
// does, a small waiter process stands in: it waits on the container over the control socket and
// exits with its status. Its PID goes into the pid file, where conmon and shims expect a process
// they can reap.
Result<pid_t> SpawnWaiter(const Globals& g, const ContainerState& s) {
  pid_t pid = fork();
  if (pid < 0) return Error::FromErrno("forking waiter");
  if (pid != 0) return pid;
  DetachHelper("stockade-wait");
  auto r = CallSandbox(g.root, s, boot_api::kWait, {{"CID", s.id}}, {}, -1);
  if (!r.ok()) _exit(255);
  _exit(r->result.value("ExitStatus", 255));
}

Status RunCreateHooks(const oci::Spec& spec, const ContainerState& s) {
  std::string state = OciState(s, kCreating).dump();
  TRY(hooks::RunHooks("prestart", spec.hooks.prestart, state));
  TRY(hooks::RunHooks("createRuntime", spec.hooks.create_runtime, state));
  return Ok();
}

}  // namespace

Result<Created> Create(const Globals& g, const CreateOptions& o) {
  TRY(ValidateContainerId(o.id));
  std::string bundle = AbsPath(o.bundle);
  if (!PathExists(bundle)) return Error(ENOENT, "bundle \"" + bundle + "\" does not exist");
  ASSIGN_OR_RETURN(oci::Spec spec, oci::LoadSpec(bundle));
  TRY(oci::ValidateSpec(spec, bundle));
  const oci::Process& proc = *spec.process;
  TRY(CheckConsoleOptions(proc, o));

  Store store(g.root);
  ASSIGN_OR_RETURN(LockedContainer c, store.Create(o.id));
  Cleanup undo;
  undo.Add([&] { (void)c.Remove(); });

  ContainerState& s = c.state();
  s.bundle = bundle;
  s.rootfs = oci::ResolveRootfs(spec, bundle);
  s.created = log::Rfc3339Now();
  s.owner = OwnerName();
  s.platform = g.platform;
  s.annotations = spec.annotations;
  s.spec = spec.raw;
  s.systemd_cgroup = g.systemd_cgroup;
  std::optional<std::string> join = SandboxToJoin(spec.annotations);
  s.sandbox_id = join.value_or(o.id);
  s.creator_pid = getpid();
  s.creator_start = ProcessStartTime(s.creator_pid).value_or(0);
  // No save yet: a directory without a state file already reads as a dead create.

  // The cgroup first, so that the container's processes are born into it.
  std::string cgroups_path = spec.linux ? spec.linux->cgroups_path : "";
  // Recorded before any directory is made: if this CLI dies from here on, the state names
  // the cgroup (and the CLI, now gone), so the container reads as stopped and `delete
  // --force` removes it.
  ASSIGN_OR_RETURN(cgroup::Cgroup cg,
                   cgroup::Cgroup::Create(cgroups_path, g.systemd_cgroup, o.id, [&](const cgroup::Cgroup& planned) {
                     s.cgroup = planned.ToJson();
                     return c.Save();
                   }));
  // Captured by value: undo runs after this scope's locals are gone.
  undo.Add([cg]() mutable {
    (void)cg.KillAll(SIGKILL);
    (void)cg.Destroy();
  });
  TRY(cg.Apply(ResourcesToApply(spec)));

  Created out;
  // A terminal container gets its terminal from inside the sandbox, after FinishCreate.
  std::vector<int> stdio;
  if (!proc.terminal) stdio = {0, 1, 2};
  for (int i = 0; !proc.terminal && i < o.preserve_fds; ++i) stdio.push_back(3 + i);

  if (join) {
    // A pod's container joins the sandbox that its annotations name.
    auto sandbox = store.Peek(*join);
    if (!sandbox.ok()) return Error::Msg("sandbox \"" + *join + "\" for container \"" + o.id + "\" does not exist");
    if (EffectiveStatus(*sandbox) == kStopped) {
      return Error::Msg("sandbox \"" + *join + "\" for container \"" + o.id + "\" is not running");
    }
    s.sandbox_pid = sandbox->sandbox_pid;
    s.sandbox_start = sandbox->sandbox_start;
    std::vector<int> fds = stdio;
    nlohmann::json arg = {{"CID", o.id}, {"Spec", spec.raw}, {"Bundle", bundle},
                          {"Rootfs", s.rootfs}, {"Cgroup", s.cgroup}, {"Terminal", proc.terminal}};
    ASSIGN_OR_RETURN(auto reply, CallSandbox(g.root, s, boot_api::kCreateSubcontainer, arg, fds));
    undo.Add([&] { (void)CallSandbox(g.root, s, boot_api::kDestroySubcontainer, {{"CID", o.id}}); });
    s.init_pid = reply.result.value("PID", 0);
  } else {
    boot_api::BootConfig cfg;
    cfg.id = o.id;
    cfg.bundle = bundle;
    cfg.rootfs = s.rootfs;
    cfg.spec = spec.raw;
    cfg.platform = g.platform;
    cfg.network = g.network;
    cfg.cgroup = s.cgroup;
    cfg.no_pivot = o.no_pivot;
    // The Sentry platforms run the sandbox as nobody in an empty chroot; native supervises a
    // host-kernel container and keeps the rights that needs.
    cfg.userns_nobody = g.platform != "native" && CanSetIds();
    cfg.chroot_empty = g.platform != "native";
    // --debug-log DIR/ means one file per process: the sandbox opens its own, except as nobody
    // (the Sentry platforms), which may not create files there: its file is opened here.
    const std::string& dl = log::Current().debug_log;
    UniqueFd boot_log;
    if (!dl.empty() && dl.back() == '/') {
      if (cfg.userns_nobody) {
        std::string err;
        boot_log = UniqueFd(log::OpenDebugLog(dl, "boot", &err));
        if (!boot_log) return Error::Msg(err);
      } else {
        cfg.debug_log_dir = dl;
      }
    }
    cfg.log_format = log::Current().format == log::Format::kJson ? "json" : "text";
    cfg.debug = log::Current().debug;
    cfg.cpus = cg.EffectiveCpus();
    cfg.memory_limit = cg.MemoryLimit().value_or(0);
    if (auto adj = ReadFile("/proc/self/oom_score_adj"); adj.ok()) cfg.saved_oom_score_adj = std::atoi(adj->c_str());

    LaunchRequest req;
    req.config = cfg;
    req.attached = o.attached;
    req.debug_log = std::move(boot_log);
    ASSIGN_OR_RETURN(req.control_socket, urpc::ListenUnix(c.Path(kSocketName)));
    ASSIGN_OR_RETURN(req.exit_file, OpenFile(c.Path(kExitFile), O_RDWR | O_CREAT | O_TRUNC, 0600));
    req.stdio = stdio;
    Gofer gofer;
    if (g.platform != "native") {
      // The Sentry reaches the rootfs and bind mounts only through the gofer.
      ASSIGN_OR_RETURN(gofer, LaunchGofer(spec, s.rootfs, bundle, g.overlay == "memory", [&cg](pid_t pid) { return cg.AddProcess(pid); }));
      undo.Add([pid = gofer.pid] { kill(pid, SIGKILL); });
      req.config.gofer_mounts = gofer.mounts;
      req.gofer = std::move(gofer.sentry_ends);
      // The application's stubs are the sandbox's children: with the sandbox in the
      // container's cgroup, the spec's limits (pids, memory, CPU) bind them, as in runsc.
      req.on_spawned = [&cg](pid_t pid) { return cg.AddProcess(pid); };
      req.config.strace = g.strace;
      req.config.systrap_no_patch = g.systrap_no_patch;
    }
    // The gofer and the sandbox start up side by side; a gofer that failed
    // explains a sandbox that did too.
    auto launched = LaunchSandbox(req);
    if (launched.ok()) {
      undo.Add([sb = *launched] {
        kill(sb.pid, SIGKILL);
        WaitGone(sb.pid, sb.start_time, 5000);
      });
    }
    TRY(AwaitGofer(gofer));
    if (!launched.ok()) return launched.error();
    const Sandbox& sb = *launched;
    s.sandbox_pid = sb.pid;
    s.sandbox_start = sb.start_time;
    ASSIGN_OR_RETURN(auto reply, CallSandbox(g.root, s, boot_api::kRuntimeState, {{"CID", o.id}}));
    s.init_pid = reply.result.value("PID", 0);
    // Under the Sentry the container's init is no host process: as runsc,
    // the container's PID is the sandbox's.
    if (s.init_pid == 0) s.init_pid = sb.pid;
  }
  s.init_start = ProcessStartTime(s.init_pid).value_or(0);
  TRY(c.Save());

  TRY(RunCreateHooks(spec, s));
  ASSIGN_OR_RETURN(auto finished, CallSandbox(g.root, s, boot_api::kFinishCreate,
                                             {{"CID", o.id}, {"State", OciState(s, kCreating)}}));
  if (proc.terminal) {
    UniqueFd master = finished.fds.empty() ? UniqueFd() : std::move(finished.fds[0]);
    ASSIGN_OR_RETURN(UniqueFd kept, DeliverConsole(std::move(master), proc.console_size, o.console_socket));
    out.console_master = kept.release();
  }

  if (join) {
    ASSIGN_OR_RETURN(s.waiter_pid, SpawnWaiter(g, s));
    out.sandbox_pid = s.waiter_pid;
  } else {
    out.sandbox_pid = s.sandbox_pid;
  }
  s.status = kCreated;
  TRY(c.Save());
  TRY(WritePidFile(o.pid_file, out.sandbox_pid));
  undo.Cancel();
  return out;
}

Result<int> Run(const Globals& g, const CreateOptions& o, bool detach) {
  CreateOptions co = o;
  co.attached = !detach;
  // Attached runs forward signals to the container, as runc does.
  if (!detach) BlockForwardedSignals();

  ASSIGN_OR_RETURN(Created created, Create(g, co));
  std::thread copier;
  if (created.console_master >= 0) copier = StartConsoleCopy(created.console_master);
  auto st = Start(g, o.id);
  if (!st.ok()) {
    (void)Delete(g, o.id, true);
    if (copier.joinable()) copier.detach();
    return std::move(st).take_error();
  }
  if (detach) return 0;

  Result<int> code = 0;
  {
    SignalForwarder forwarder([&](int sig) { (void)Kill(g, o.id, sig, false); });
    code = Wait(g, o.id);
  }
  if (copier.joinable()) copier.join();
  (void)Delete(g, o.id, true);
  return code;
}

}  // namespace stockade::runtime
