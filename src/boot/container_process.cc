#include "boot/container_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/io.h"
#include "base/log.h"
#include "boot/native/exec.h"
#include "boot/native/process_setup.h"
#include "boot/native/rootfs.h"
#include "runtime/hooks/hooks.h"

namespace stockade::boot {
namespace {

const std::map<std::string, int>& NamespaceFlags() {
  static const std::map<std::string, int> m = {
      {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
      {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
      {"cgroup", CLONE_NEWCGROUP}};
  return m;
}

// Closes every FD except those in `keep`: the container must inherit nothing of the sandbox.
void CloseAllExcept(const std::set<int>& keep) {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return;
  std::vector<int> fds;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != dirfd(d) && keep.count(fd) == 0) fds.push_back(fd);
  }
  closedir(d);
  for (int fd : fds) close(fd);
}

// Installs the container's stdio as FDs 0.. (/dev/null when it will get a terminal instead),
// moving the channel out of the way first, and closes everything else of the sandbox's.
Status InstallStdio(Channel& ch, const std::vector<int>& stdio) {
  int chfd = fcntl(ch.fd(), F_DUPFD_CLOEXEC, 256);
  if (chfd < 0) return Error::FromErrno("moving channel");
  ch = Channel(UniqueFd(chfd));  // closes the old FD
  // The sandbox's logs stay reachable from here until exec (they are close-on-exec), moved
  // out of the way of the stdio FDs first.
  int log_fd = log::MainFd() >= 0 ? fcntl(log::MainFd(), F_DUPFD_CLOEXEC, 256) : -1;
  int debug_fd = log::DebugFd() >= 0 ? fcntl(log::DebugFd(), F_DUPFD_CLOEXEC, 256) : -1;
  if (setsid() < 0) return Error::FromErrno("setsid");
  std::vector<int> moved;
  if (stdio.empty()) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) return Error::FromErrno("opening /dev/null");
    moved = {null, null, null};
  } else {
    for (int fd : stdio) moved.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 256));
  }
  for (size_t i = 0; i < moved.size(); ++i) {
    if (dup2(moved[i], static_cast<int>(i)) < 0) return Error::FromErrno("installing stdio");
  }
  std::set<int> keep = {chfd, log_fd, debug_fd};
  for (size_t i = 0; i < moved.size(); ++i) keep.insert(static_cast<int>(i));
  CloseAllExcept(keep);
  log::Options lo = log::Current();
  lo.fd = log_fd;
  lo.debug_fd = debug_fd;
  lo.file.clear();
  lo.debug_log.clear();
  (void)log::Init(lo);
  return Ok();
}

// Makes a terminal from the container's own devpts instance, as runc does, so that `tty` names
// /dev/pts/N inside the container. The replica becomes stdio and the controlling terminal;
// the master goes to the sandbox (and from there to the console socket). When console_target
// is set, the replica is also bind-mounted there (the container's /dev/console).
Status AttachNewTerminal(const std::string& ptmx, Channel& ch, const std::string& console_target) {
  int master = open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Error::FromErrno("opening \"" + ptmx + "\" for the terminal");
  UniqueFd m(master);
  if (unlockpt(master) != 0) return Error::FromErrno("unlocking the terminal");
  int replica = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (replica < 0) return Error::FromErrno("opening the terminal's replica");
  UniqueFd r(replica);
  if (!console_target.empty()) {
    int f = open(console_target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f >= 0) close(f);
    std::string src = "/proc/self/fd/" + std::to_string(replica);
    if (mount(src.c_str(), console_target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Error::FromErrno("bind-mounting the terminal on /dev/console");
    }
  }
  if (ioctl(replica, TIOCSCTTY, 0) != 0) return Error::FromErrno("setting the controlling terminal");
  for (int i = 0; i < 3; ++i) {
    if (dup2(replica, i) < 0) return Error::FromErrno("installing the terminal as stdio");
  }
  return ch.Send(kConsole, "", master);
}

Status LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Error::FromErrno("socket for loopback");
  UniqueFd owned(s);
  struct ifreq ifr {};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return Error::FromErrno("reading lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return Error::FromErrno("bringing lo up");
  return Ok();
}

// The last steps shared by init and exec: credentials, capabilities, seccomp, then execve.
// The channel stays open (close-on-exec) so that a successful exec reads as EOF.
Status ExecAsContainerProcess(const oci::Spec& spec, const oci::Process& p, const Channel& ch,
                              int preserve_fds, const native::CompiledSeccomp* compiled) {
  native::ProcessOptions opts;
  if (spec.linux && spec.linux->seccomp) opts.seccomp = &*spec.linux->seccomp;
  opts.compiled_seccomp = compiled;
  opts.preserve_fds = preserve_fds;
  opts.keep_fds = {ch.fd()};
  // After the credential change, which resets it: die with the sandbox.
  opts.before_exec = [] {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    return Ok();
  };
  TRY(native::ApplyProcess(p, opts));
  return native::ExecProcess(p, opts);
}

}  // namespace

std::string EncodeCompiledSeccomp(const native::CompiledSeccomp& c) {
  std::string out(4, '\0');
  memcpy(out.data(), &c.flags, 4);
  return out + c.bpf;
}

Result<SpawnRequest> InitSpawnRequest(const ContainerArgs& args, cgroup::Cgroup* cg) {
  SpawnRequest req;
  auto spec = std::make_shared<oci::Spec>(args.spec);
  bool new_cgroup_ns = false;
  bool new_net = false;
  if (spec->linux) {
    // User namespace first among joins.
    std::vector<std::pair<int, UniqueFd>> joins;
    for (const auto& ns : spec->linux->namespaces) {
      auto it = NamespaceFlags().find(ns.type);
      if (it == NamespaceFlags().end()) {
        LOG_WARN("namespace type \"%s\" is not supported on native; ignored", ns.type.c_str());
        continue;
      }
      int flag = it->second;
      if (flag == CLONE_NEWNET && args.network == "host") continue;
      if (!ns.path.empty() && !(flag == CLONE_NEWNET && args.network == "none")) {
        ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(ns.path, O_RDONLY));
        if (flag == CLONE_NEWUSER) {
          joins.insert(joins.begin(), {flag, std::move(fd)});
        } else {
          joins.emplace_back(flag, std::move(fd));
        }
        continue;
      }
      if (flag == CLONE_NEWCGROUP) {
        new_cgroup_ns = true;  // unshared after joining the cgroup, so it is the ns root
      } else {
        req.new_namespaces |= flag;
        if (flag == CLONE_NEWNET) new_net = true;
      }
    }
    req.join = std::move(joins);
    req.uid_mappings = spec->linux->uid_mappings;
    req.gid_mappings = spec->linux->gid_mappings;
  }
  if (args.network == "none" && !new_net) {
    req.new_namespaces |= CLONE_NEWNET;
    new_net = true;
  }
  // The init always needs its own mount namespace to build the rootfs in.
  req.new_namespaces |= CLONE_NEWNS;

  if (cg != nullptr) {
    req.before_go = [cg](pid_t pid) { return cg->AddProcess(pid); };
  }
  std::vector<int> stdio;
  for (const auto& fd : args.stdio) stdio.push_back(fd.get());
  bool terminal = spec->process && spec->process->terminal;
  std::string rootfs = args.rootfs;
  bool no_pivot = args.no_pivot;
  bool lo_up = args.network == "none";
  req.child_main = [spec, stdio, terminal, rootfs, no_pivot, new_cgroup_ns, lo_up](Channel& ch) -> Status {
    TRY(InstallStdio(ch, terminal ? std::vector<int>{} : stdio));
    if (new_cgroup_ns && unshare(CLONE_NEWCGROUP) != 0) {
      return Error::FromErrno("creating cgroup namespace");
    }
    if (lo_up) TRY(LoopbackUp());
    TRY(native::PrepareRootfs(*spec, rootfs, native::RootfsOptions{}));
    if (terminal) TRY(AttachNewTerminal(rootfs + "/dev/pts/ptmx", ch, rootfs + "/dev/console"));
    TRY(ch.Send(kPrepared));

    ASSIGN_OR_RETURN(auto finish, ch.Recv(-1));
    if (finish.tag != kFinish) _exit(1);
    TRY(hooks::RunHooks("createContainer", spec->hooks.create_container, finish.payload));
    TRY(native::EnterRootfs(rootfs, no_pivot));
    TRY(native::FinishRootfs(*spec));
    TRY(ch.Send(kCreated));

    ASSIGN_OR_RETURN(auto start, ch.Recv(-1));
    std::optional<native::CompiledSeccomp> compiled;
    if (start.tag == kSeccomp && start.payload.size() > 4) {
      compiled.emplace();
      memcpy(&compiled->flags, start.payload.data(), 4);
      compiled->bpf = start.payload.substr(4);
      ASSIGN_OR_RETURN(start, ch.Recv(-1));
    }
    if (start.tag != kStart) _exit(1);
    TRY(hooks::RunHooks("startContainer", spec->hooks.start_container, start.payload));
    return ExecAsContainerProcess(*spec, *spec->process, ch,
                                  std::max(0, static_cast<int>(stdio.size()) - 3),
                                  compiled ? &*compiled : nullptr);
  };
  return req;
}

Result<SpawnRequest> ExecSpawnRequest(const oci::Spec& spec_in, const oci::Process& p_in,
                                      std::vector<UniqueFd> stdio_in,
                                      std::vector<std::pair<int, UniqueFd>> join,
                                      cgroup::Cgroup* cg,
                                      std::shared_ptr<const native::CompiledSeccomp> seccomp) {
  SpawnRequest req;
  req.join = std::move(join);
  if (cg != nullptr) req.before_go = [cg](pid_t pid) { return cg->AddProcess(pid); };
  auto spec = std::make_shared<oci::Spec>(spec_in);
  auto p = std::make_shared<oci::Process>(p_in);
  // The FDs must outlive this call until the child has installed them.
  auto fds = std::make_shared<std::vector<UniqueFd>>(std::move(stdio_in));
  req.child_main = [spec, p, fds, seccomp](Channel& ch) -> Status {
    std::vector<int> stdio;
    for (const auto& fd : *fds) stdio.push_back(fd.get());
    TRY(InstallStdio(ch, p->terminal ? std::vector<int>{} : stdio));
    if (p->terminal) TRY(AttachNewTerminal("/dev/ptmx", ch, ""));
    return ExecAsContainerProcess(*spec, *p, ch, 0, seccomp.get());
  };
  return req;
}

}  // namespace stockade::boot
