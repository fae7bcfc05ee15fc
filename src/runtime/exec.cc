// `exec`: a new process in a running container, from --process or from args on top of the
// container's own process settings, as runc does.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "base/io.h"
#include "base/log.h"
#include "boot/api/api.h"
#include "oci/parse.h"
#include "oci/validate.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/control.h"
#include "runtime/forwarding.h"

namespace stockade::runtime {
namespace {

Status ApplyUser(const std::string& user, oci::Process& p) {
  size_t colon = user.find(':');
  std::string uid = user.substr(0, colon);
  std::string gid = colon == std::string::npos ? "" : user.substr(colon + 1);
  auto num = [](const std::string& s, uint32_t* out) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10) return false;
    *out = static_cast<uint32_t>(std::stoul(s));
    return true;
  };
  if (!num(uid, &p.user.uid)) return Error::Msg("invalid --user \"" + user + "\": expected UID[:GID]");
  if (!gid.empty() && !num(gid, &p.user.gid)) {
    return Error::Msg("invalid --user \"" + user + "\": expected UID[:GID]");
  }
  return Ok();
}

Result<oci::Process> BuildProcess(const ContainerState& s, const ExecOptions& o) {
  if (o.process) return *o.process;
  if (o.args.empty()) return Error::Msg("exec: no command given (pass arguments or --process)");
  oci::Process p;
  if (auto spec = oci::ParseSpec(s.spec.dump()); spec.ok() && spec->process) p = *spec->process;
  p.args = o.args;
  p.terminal = o.tty;
  p.console_size.reset();
  if (!o.cwd.empty()) p.cwd = o.cwd;
  for (const auto& e : o.env) {
    std::string key = e.substr(0, e.find('='));
    std::erase_if(p.env, [&](const std::string& x) { return x.substr(0, x.find('=')) == key; });
    p.env.push_back(e);
  }
  if (!o.user.empty()) TRY(ApplyUser(o.user, p));
  if (o.no_new_privs) p.no_new_privileges = true;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = oci::Capabilities{};
    for (const auto& c : o.caps) {
      for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                        &p.capabilities->permitted}) {
        set->push_back(c);
      }
    }
  }
  return p;
}

nlohmann::json ProcessToJson(const oci::Process& p) {
  nlohmann::json j = {{"terminal", p.terminal}, {"args", p.args}, {"env", p.env}, {"cwd", p.cwd},
                      {"noNewPrivileges", p.no_new_privileges}};
  nlohmann::json user = {{"uid", p.user.uid}, {"gid", p.user.gid}};
  if (!p.user.additional_gids.empty()) user["additionalGids"] = p.user.additional_gids;
  if (p.user.umask) user["umask"] = *p.user.umask;
  j["user"] = user;
  if (p.capabilities) {
    j["capabilities"] = {{"bounding", p.capabilities->bounding}, {"effective", p.capabilities->effective},
                         {"inheritable", p.capabilities->inheritable}, {"permitted", p.capabilities->permitted},
                         {"ambient", p.capabilities->ambient}};
  }
  nlohmann::json rl = nlohmann::json::array();
  for (const auto& r : p.rlimits) rl.push_back({{"type", r.type}, {"hard", r.hard}, {"soft", r.soft}});
  j["rlimits"] = rl;
  if (p.oom_score_adj) j["oomScoreAdj"] = *p.oom_score_adj;
  if (p.console_size) j["consoleSize"] = {{"height", p.console_size->height}, {"width", p.console_size->width}};
  return j;
}

// As runsc, a detached exec leaves behind a process that waits for the exec'd one and exits
// with its status, so that conmon (a subreaper) can reap it; the pid file names that process.
Result<pid_t> SpawnExecWaiter(const Globals& g, const ContainerState& s, int pid) {
  pid_t w = fork();
  if (w < 0) return Error::FromErrno("forking exec waiter");
  if (w != 0) return w;
  DetachHelper("stockade-exec");
  // Signals sent to the waiter go to the process it stands for. The forwarder lives until
  // _exit below ends the process (deliberately never destroyed).
  BlockForwardedSignals();
  auto* forwarder = new SignalForwarder([g, s, pid](int sig) {
    (void)CallSandbox(g.root, s, boot_api::kSignal,
                      {{"CID", s.id}, {"Signo", sig}, {"PID", pid}, {"Mode", boot_api::kDeliverToProcess}});
  });
  (void)forwarder;
  auto r = CallSandbox(g.root, s, boot_api::kWaitPID, {{"CID", s.id}, {"PID", pid}}, {}, -1);
  _exit(r.ok() ? r->result.value("ExitStatus", 255) : 255);
}

}  // namespace

Result<int> Exec(const Globals& g, const ExecOptions& o) {
  Store store(g.root);
  ASSIGN_OR_RETURN(ContainerState s, store.Peek(o.id));
  std::string st = EffectiveStatus(s);
  if (st == kPaused) return Error::Msg("cannot exec in a paused container");
  if (st != kRunning && st != kCreated) return Error::Msg("cannot exec in a stopped container");
  ASSIGN_OR_RETURN(oci::Process p, BuildProcess(s, o));
  TRY(oci::ValidateProcess(p));
  if (p.terminal && o.console_socket.empty() && o.detach) {
    return Error::Msg("cannot allocate tty if stockade will detach without setting console socket");
  }
  if (!p.terminal && !o.console_socket.empty()) {
    return Error::Msg("cannot use console socket if stockade will not allocate tty");
  }

  // A terminal process gets a new terminal inside the container; its master comes back.
  std::vector<int> fds;
  if (!p.terminal) fds = {0, 1, 2};
  std::thread copier;

  // Attached, our signals go to the process.
  if (!o.detach) BlockForwardedSignals();

  nlohmann::json arg = {{"CID", o.id}, {"Process", ProcessToJson(p)}};
  auto reply = CallSandbox(g.root, s, boot_api::kExecuteAsync, arg, fds);
  if (!reply.ok()) return std::move(reply).take_error();
  int pid = reply->result.value("PID", 0);
  if (p.terminal) {
    UniqueFd master = reply->fds.empty() ? UniqueFd() : std::move(reply->fds[0]);
    ASSIGN_OR_RETURN(UniqueFd kept, DeliverConsole(std::move(master), p.console_size, o.console_socket));
    if (kept) copier = StartConsoleCopy(kept.get());
  }

  if (o.detach) {
    ASSIGN_OR_RETURN(pid_t waiter, SpawnExecWaiter(g, s, pid));
    if (!o.pid_file.empty()) TRY(WriteFileAtomic(AbsPath(o.pid_file), std::to_string(waiter)));
    return 0;
  }
  if (!o.pid_file.empty()) TRY(WriteFileAtomic(AbsPath(o.pid_file), std::to_string(pid)));

  Result<urpc::Reply> r = Error::Msg("not waited");
  {
    SignalForwarder forwarder([&](int sig) {
      (void)CallSandbox(g.root, s, boot_api::kSignal,
                        {{"CID", o.id}, {"Signo", sig}, {"PID", pid}, {"Mode", boot_api::kDeliverToProcess}});
    });
    r = CallSandbox(g.root, s, boot_api::kWaitPID, {{"CID", o.id}, {"PID", pid}}, {}, -1);
  }
  if (copier.joinable()) copier.join();
  if (!r.ok()) return std::move(r).take_error();
  return r->result.value("ExitStatus", 255);
}

}  // namespace stockade::runtime
