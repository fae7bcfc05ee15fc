#include "boot/supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "base/io.h"
#include "base/log.h"
#include "base/proc.h"
#include "boot/container_process.h"

namespace stockade::boot {
namespace {

constexpr int kStageTimeoutMs = 60000;

std::optional<ino_t> NsInode(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

// Namespaces of a running process that differ from ours, in the order they must be joined:
// user first (it grants the rights for the rest), mount last (it changes what paths mean).
Result<std::vector<std::pair<int, UniqueFd>>> NamespacesOf(pid_t pid) {
  static const std::pair<const char*, int> kOrder[] = {
      {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
      {"pid", CLONE_NEWPID},   {"cgroup", CLONE_NEWCGROUP}, {"mnt", CLONE_NEWNS}};
  std::vector<std::pair<int, UniqueFd>> out;
  for (const auto& [name, type] : kOrder) {
    std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + name;
    auto a = NsInode(theirs);
    auto b = NsInode(std::string("/proc/self/ns/") + name);
    if (!a) return Error(ESRCH, "container process " + std::to_string(pid) + " is gone");
    if (b && *a == *b) continue;
    ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(theirs, O_RDONLY));
    out.emplace_back(type, std::move(fd));
  }
  return out;
}

std::string ReadComm(pid_t pid) {
  auto cmd = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  if (!cmd.ok()) return "";
  std::string s = *cmd;
  for (char& c : s) {
    if (c == '\0') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

pid_t ParentOf(pid_t pid) {
  auto stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return 0;
  size_t p = stat->rfind(')');
  if (p == std::string::npos) return 0;
  char state;
  int ppid = 0;
  sscanf(stat->c_str() + p + 2, "%c %d", &state, &ppid);
  return ppid;
}

}  // namespace

int ExitCode(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

Supervisor::Supervisor(std::string root_id) : root_id_(std::move(root_id)) {
  wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

Supervisor::~Supervisor() = default;

void Supervisor::Wake() {
  uint64_t one = 1;
  (void)!write(wake_fd_.get(), &one, sizeof one);
}

Status Supervisor::RunOnLoop(std::function<Status()> fn) {
  auto task = std::make_shared<std::packaged_task<Status()>>(std::move(fn));
  auto fut = task->get_future();
  {
    std::lock_guard<std::mutex> l(q_mu_);
    queue_.push_back([task] { (*task)(); });
  }
  Wake();
  return fut.get();
}

std::shared_ptr<Supervisor::Container> Supervisor::Find(const std::string& cid) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = containers_.find(cid);
  return it == containers_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<Supervisor::Container>> Supervisor::FindOrError(const std::string& cid) {
  auto c = Find(cid);
  if (!c) return Error(ENOENT, "container \"" + cid + "\" not found in sandbox");
  return c;
}

Status Supervisor::CreateContainer(ContainerArgs args) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (containers_.count(args.id) != 0) {
      return Error(EEXIST, "container \"" + args.id + "\" already exists in sandbox");
    }
    if (root_exited_) return Error::Msg("sandbox is shutting down");
  }
  auto c = std::make_shared<Container>();
  c->id = args.id;
  c->spec = args.spec;
  if (!args.cgroup.is_null()) {
    ASSIGN_OR_RETURN(auto cg, cgroup::Cgroup::Load(args.cgroup));
    c->cg.emplace(std::move(cg));
  }

  // Compiling the filter overlaps with the child's rootfs setup; start and exec only load it.
  if (c->spec.linux && c->spec.linux->seccomp) {
    c->seccomp = std::async(std::launch::async, [seccomp = *c->spec.linux->seccomp]() {
                   auto compiled = native::CompileSeccomp(seccomp);
                   return compiled.ok() ? std::make_shared<const native::CompiledSeccomp>(std::move(compiled).value())
                                        : std::shared_ptr<const native::CompiledSeccomp>();
                 }).share();
  }
  ASSIGN_OR_RETURN(SpawnRequest req, InitSpawnRequest(args, c->cg ? &*c->cg : nullptr));
  std::optional<Spawned> spawned;
  TRY(RunOnLoop([&]() -> Status {
    ASSIGN_OR_RETURN(Spawned s, Spawn(req));
    std::lock_guard<std::mutex> l(mu_);
    c->init = s.pid;
    containers_[c->id] = c;
    spawned.emplace(std::move(s));
    return Ok();
  }));
  c->channel = std::move(spawned->channel);
  Status st = AwaitStage(c->channel, kPrepared, kStageTimeoutMs, &c->console_master);
  if (!st.ok()) {
    kill(c->init, SIGKILL);
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, std::chrono::seconds(5), [&] { return c->exit_code.has_value(); });
    containers_.erase(c->id);
    return st;
  }
  return Ok();
}

Result<UniqueFd> Supervisor::FinishCreate(const std::string& cid, const std::string& state_json) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  std::lock_guard<std::mutex> stage(c->stage_mu);
  if (c->status != "creating") return Error::Msg("container \"" + cid + "\" is already created");
  TRY(c->channel.Send(kFinish, state_json));
  TRY(AwaitStage(c->channel, kCreated, kStageTimeoutMs));
  std::lock_guard<std::mutex> l(mu_);
  c->status = "created";
  return std::move(c->console_master);
}

Result<ContainerManager::StartOutcome> Supervisor::StartContainer(const std::string& cid,
                                                                  const std::string& state_json) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  std::lock_guard<std::mutex> stage(c->stage_mu);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (c->status == "creating") {
      return Error::Msg("container \"" + cid + "\" cannot be started: it is not created yet");
    }
    if (c->status != "created") return StartOutcome::kNoLongerCreated;
  }
  if (c->seccomp.valid()) {
    if (auto compiled = c->seccomp.get()) TRY(c->channel.Send(kSeccomp, EncodeCompiledSeccomp(*compiled)));
  }
  TRY(c->channel.Send(kStart, state_json));
  // A successful execve closes the child's end: EOF, which AwaitStage(..., '\0') accepts.
  Status st = AwaitStage(c->channel, '\0', kStageTimeoutMs);
  c->channel.Close();
  std::lock_guard<std::mutex> l(mu_);
  if (!st.ok()) return st.error();
  c->status = c->exit_code ? "stopped" : "running";
  return StartOutcome::kStarted;
}

void Supervisor::KillContainer(Container& c, int sig) {
  std::vector<pid_t> pids = PidsOf(c);
  if (c.cg) (void)c.cg->KillAll(sig);
  for (pid_t p : pids) kill(p, sig);
}

Status Supervisor::DestroyContainer(const std::string& cid) {
  auto c = Find(cid);
  if (!c) return Ok();  // idempotent
  if (c->cg) (void)c->cg->Thaw();
  KillContainer(*c, SIGKILL);
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::seconds(10), [&] { return c->exit_code.has_value(); });
  if (!c->exit_code) return Error::Msg("container \"" + cid + "\" did not exit after SIGKILL");
  exit_codes_[cid] = *c->exit_code;
  if (cid != root_id_) containers_.erase(cid);
  return Ok();
}

Result<Supervisor::Executed> Supervisor::Execute(const std::string& cid, const oci::Process& p,
                                  std::vector<UniqueFd> fds) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  {
    std::lock_guard<std::mutex> l(mu_);
    if (c->status != "running" && c->status != "created") {
      return Error::Msg("cannot exec in container \"" + cid + "\": it is " + c->status);
    }
  }
  ASSIGN_OR_RETURN(auto join, NamespacesOf(c->init));
  std::shared_ptr<const native::CompiledSeccomp> compiled;
  if (c->seccomp.valid()) compiled = c->seccomp.get();
  ASSIGN_OR_RETURN(SpawnRequest req, ExecSpawnRequest(c->spec, p, std::move(fds), std::move(join),
                                                      c->cg ? &*c->cg : nullptr, compiled));
  std::optional<Spawned> spawned;
  TRY(RunOnLoop([&]() -> Status {
    ASSIGN_OR_RETURN(Spawned s, Spawn(req));
    std::lock_guard<std::mutex> l(mu_);
    c->execs.insert(s.pid);
    exec_status_[s.pid] = std::nullopt;
    spawned.emplace(std::move(s));
    return Ok();
  }));
  Executed out;
  out.pid = spawned->pid;
  Status st = AwaitStage(spawned->channel, '\0', kStageTimeoutMs, &out.console_master);
  if (!st.ok()) {
    kill(out.pid, SIGKILL);
    return st.error();
  }
  return out;
}

Result<int> Supervisor::WaitContainer(const std::string& cid) {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    auto it = containers_.find(cid);
    if (it == containers_.end()) {
      auto rec = exit_codes_.find(cid);
      if (rec != exit_codes_.end()) return rec->second;
      return Error(ENOENT, "container \"" + cid + "\" not found in sandbox");
    }
    if (it->second->exit_code) return *it->second->exit_code;
    cv_.wait(l);
  }
}

Result<int> Supervisor::WaitPid(const std::string& cid, pid_t pid) {
  std::unique_lock<std::mutex> l(mu_);
  auto c = containers_.find(cid);
  if (c != containers_.end() && pid == c->second->init) {
    l.unlock();
    return WaitContainer(cid);
  }
  if (exec_status_.count(pid) == 0) {
    return Error(ESRCH, "process " + std::to_string(pid) + " not found in container \"" + cid + "\"");
  }
  cv_.wait(l, [&] { return exec_status_[pid].has_value(); });
  return *exec_status_[pid];
}

std::vector<pid_t> Supervisor::PidsOf(Container& c) {
  std::vector<pid_t> pids;
  if (c.cg) pids = c.cg->Pids();
  std::lock_guard<std::mutex> l(mu_);
  auto add = [&](pid_t p) {
    if (p > 0 && !c.exit_code.has_value() && std::find(pids.begin(), pids.end(), p) == pids.end()) {
      pids.push_back(p);
    }
  };
  if (!c.exit_code) add(c.init);
  for (pid_t e : c.execs) {
    auto it = exec_status_.find(e);
    if (it != exec_status_.end() && !it->second) add(e);
  }
  return pids;
}

Status Supervisor::Signal(const std::string& cid, int sig, pid_t pid, int mode) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  if (sig <= 0 || sig > SIGRTMAX) return Error(EINVAL, "invalid signal " + std::to_string(sig));
  switch (mode) {
    case boot_api::kDeliverToProcess: {
      pid_t target = pid == 0 ? c->init : pid;
      std::vector<pid_t> pids = PidsOf(*c);
      // Only the container's own processes may be signalled, never another host process.
      if (std::find(pids.begin(), pids.end(), target) == pids.end()) {
        if (pid == 0) return Error(ESRCH, "container \"" + cid + "\" is not running");
        return Error(ESRCH, "process " + std::to_string(pid) + " not found in container \"" + cid + "\"");
      }
      if (kill(target, sig) != 0) return Error::FromErrno("signalling process " + std::to_string(target));
      return Ok();
    }
    case boot_api::kDeliverToAllProcesses:
      if (pid != 0) return Error(EINVAL, "PID must be 0 when signalling all processes");
      KillContainer(*c, sig);
      return Ok();
    case boot_api::kDeliverToForegroundProcessGroup: {
      pid_t target = pid == 0 ? c->init : pid;
      auto stat = ReadFile("/proc/" + std::to_string(target) + "/stat");
      if (!stat.ok()) return Error(ESRCH, "process " + std::to_string(target) + " is gone");
      // Field 8 (tpgid) is the foreground process group of the process's terminal.
      size_t p = stat->rfind(')');
      char state;
      int ppid, pgrp, session, tty, tpgid = -1;
      sscanf(stat->c_str() + p + 2, "%c %d %d %d %d %d", &state, &ppid, &pgrp, &session, &tty, &tpgid);
      if (tpgid <= 0) return Error(ENOTTY, "process " + std::to_string(target) + " has no terminal");
      if (killpg(tpgid, sig) != 0) return Error::FromErrno("signalling process group");
      return Ok();
    }
    default:
      return Error(EINVAL, "unknown signal delivery mode " + std::to_string(mode));
  }
}

Result<nlohmann::json> Supervisor::Processes(const std::string& cid) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  nlohmann::json out = nlohmann::json::array();
  for (pid_t p : PidsOf(*c)) {
    out.push_back({{"PID", p}, {"PPID", ParentOf(p)}, {"Cmd", ReadComm(p)}});
  }
  return out;
}

Status Supervisor::Pause(const std::string& cid) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  if (!c->cg) return Error::Msg("container \"" + cid + "\" has no cgroup to freeze");
  return c->cg->Freeze();
}

Status Supervisor::Resume(const std::string& cid) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  if (!c->cg) return Error::Msg("container \"" + cid + "\" has no cgroup to thaw");
  return c->cg->Thaw();
}

Result<nlohmann::json> Supervisor::Stats(const std::string& cid) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  if (!c->cg) return nlohmann::json::object();
  return c->cg->Stats();
}

Result<nlohmann::json> Supervisor::RuntimeState(const std::string& cid) {
  ASSIGN_OR_RETURN(auto c, FindOrError(cid));
  std::lock_guard<std::mutex> l(mu_);
  nlohmann::json j = {{"State", c->status}, {"PID", c->init}};
  if (c->exit_code) j["ExitStatus"] = *c->exit_code;
  return j;
}

nlohmann::json Supervisor::ExitRecord() {
  std::lock_guard<std::mutex> l(mu_);
  nlohmann::json subs = nlohmann::json::object();
  for (const auto& [id, code] : exit_codes_) subs[id] = code;
  for (const auto& [id, c] : containers_) {
    if (c->exit_code) subs[id] = *c->exit_code;
  }
  int root = subs.contains(root_id_) ? subs[root_id_].get<int>() : 255;
  return {{"exitStatus", root}, {"containers", subs}};
}

void Supervisor::Reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid <= 0) return;
    int code = ExitCode(status);
    std::lock_guard<std::mutex> l(mu_);
    for (auto& [id, c] : containers_) {
      if (c->init == pid && !c->exit_code) {
        c->exit_code = code;
        c->status = "stopped";
        exit_codes_[id] = code;
        LOG_DEBUG("container %s exited with %d", id.c_str(), code);
        if (id == root_id_) root_exited_ = true;
      }
      c->execs.erase(pid);
    }
    auto e = exec_status_.find(pid);
    if (e != exec_status_.end()) e->second = code;
    cv_.notify_all();
  }
}

void Supervisor::RunPending(int signal_fd, int timeout_ms) {
  // Queued work first: it may have spawned children we must reap.
  std::deque<std::function<void()>> work;
  {
    std::lock_guard<std::mutex> l(q_mu_);
    work.swap(queue_);
  }
  for (auto& fn : work) fn();
  Reap();
  {
    std::lock_guard<std::mutex> l(q_mu_);
    if (!queue_.empty()) return;
  }

  struct pollfd fds[2] = {{signal_fd, POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
  int r = poll(fds, 2, timeout_ms);
  if (r <= 0) return;
  if (fds[1].revents & POLLIN) {
    uint64_t v;
    (void)!read(wake_fd_.get(), &v, sizeof v);
  }
  if (fds[0].revents & POLLIN) {
    struct signalfd_siginfo si;
    while (read(signal_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGCHLD) continue;
      // The pid file names this process, so signals sent to it are meant for the root
      // container's init, as with runsc: forward them.
      LOG_DEBUG("forwarding signal %u to the root container", si.ssi_signo);
      auto root = Find(root_id_);
      if (root) (void)Signal(root_id_, static_cast<int>(si.ssi_signo), 0, boot_api::kDeliverToProcess);
    }
  }
  Reap();
}

int Supervisor::Loop(int signal_fd) {
  bool killed_rest = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  for (;;) {
    bool root_done;
    {
      std::lock_guard<std::mutex> l(mu_);
      root_done = root_exited_;
    }
    if (root_done) {
      if (!killed_rest) {
        // The sandbox ends with its root container: nothing else may outlive it.
        killed_rest = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        std::vector<std::shared_ptr<Container>> all;
        {
          std::lock_guard<std::mutex> l(mu_);
          for (auto& [id, c] : containers_) all.push_back(c);
        }
        for (auto& c : all) {
          if (c->cg) (void)c->cg->Thaw();
          KillContainer(*c, SIGKILL);
        }
      }
      bool all_gone = true;
      {
        std::lock_guard<std::mutex> l(mu_);
        for (auto& [id, c] : containers_) all_gone = all_gone && c->exit_code.has_value();
        for (auto& [pid, st] : exec_status_) {
          all_gone = all_gone && (st.has_value() || !ProcessAlive(pid, 0));
        }
      }
      if (all_gone || std::chrono::steady_clock::now() > deadline) {
        return ExitRecord()["exitStatus"].get<int>();
      }
    }
    RunPending(signal_fd, root_done ? 50 : -1);
  }
}

}  // namespace stockade::boot
