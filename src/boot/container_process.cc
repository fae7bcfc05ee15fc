#include "boot/container_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
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

// Installs the container's stdio as FDs 0.. (or the terminal as 0-2 and its controlling tty),
// moving the channel out of the way first. Returns the channel's new FD.
Status InstallStdio(Channel& ch, const std::vector<int>& stdio, int tty) {
  int chfd = fcntl(ch.fd(), F_DUPFD_CLOEXEC, 256);
  if (chfd < 0) return Error::FromErrno("moving channel");
  int old = ch.fd();
  if (setsid() < 0) return Error::FromErrno("setsid");
  std::vector<int> moved;
  if (tty >= 0) {
    int t = fcntl(tty, F_DUPFD_CLOEXEC, 256);
    moved = {t, t, t};
    if (ioctl(t, TIOCSCTTY, 0) != 0) return Error::FromErrno("setting controlling terminal");
  } else {
    for (int fd : stdio) moved.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 256));
  }
  for (size_t i = 0; i < moved.size(); ++i) {
    if (dup2(moved[i], static_cast<int>(i)) < 0) return Error::FromErrno("installing stdio");
  }
  std::set<int> keep = {chfd};
  for (size_t i = 0; i < moved.size(); ++i) keep.insert(static_cast<int>(i));
  CloseAllExcept(keep);
  (void)old;
  ch = Channel(UniqueFd(chfd));
  return Ok();
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
                              int preserve_fds) {
  native::ProcessOptions opts;
  if (spec.linux && spec.linux->seccomp) opts.seccomp = &*spec.linux->seccomp;
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
  int tty = args.tty.get();
  std::string rootfs = args.rootfs;
  bool no_pivot = args.no_pivot;
  bool lo_up = args.network == "none";
  req.child_main = [spec, stdio, tty, rootfs, no_pivot, new_cgroup_ns, lo_up](Channel& ch) -> Status {
    TRY(InstallStdio(ch, stdio, tty));
    if (new_cgroup_ns && unshare(CLONE_NEWCGROUP) != 0) {
      return Error::FromErrno("creating cgroup namespace");
    }
    if (lo_up) TRY(LoopbackUp());
    native::RootfsOptions ropts;
    if (tty >= 0) ropts.console_fd = 0;
    TRY(native::PrepareRootfs(*spec, rootfs, ropts));
    TRY(ch.Send(kPrepared));

    ASSIGN_OR_RETURN(auto finish, ch.Recv(-1));
    if (finish.first != kFinish) _exit(1);
    TRY(hooks::RunHooks("createContainer", spec->hooks.create_container, finish.second));
    TRY(native::EnterRootfs(rootfs, no_pivot));
    TRY(native::FinishRootfs(*spec));
    TRY(ch.Send(kCreated));

    ASSIGN_OR_RETURN(auto start, ch.Recv(-1));
    if (start.first != kStart) _exit(1);
    TRY(hooks::RunHooks("startContainer", spec->hooks.start_container, start.second));
    return ExecAsContainerProcess(*spec, *spec->process, ch,
                                  std::max(0, static_cast<int>(stdio.size()) - 3));
  };
  return req;
}

Result<SpawnRequest> ExecSpawnRequest(const oci::Spec& spec_in, const oci::Process& p_in,
                                      std::vector<UniqueFd> stdio_in,
                                      std::vector<std::pair<int, UniqueFd>> join,
                                      cgroup::Cgroup* cg) {
  SpawnRequest req;
  req.join = std::move(join);
  if (cg != nullptr) req.before_go = [cg](pid_t pid) { return cg->AddProcess(pid); };
  auto spec = std::make_shared<oci::Spec>(spec_in);
  auto p = std::make_shared<oci::Process>(p_in);
  // The FDs must outlive this call until the child has installed them.
  auto fds = std::make_shared<std::vector<UniqueFd>>(std::move(stdio_in));
  req.child_main = [spec, p, fds](Channel& ch) -> Status {
    std::vector<int> stdio;
    int tty = -1;
    if (p->terminal) {
      if (fds->size() != 1) return Error::Msg("a terminal exec needs exactly one console FD");
      tty = (*fds)[0].get();
    } else {
      for (const auto& fd : *fds) stdio.push_back(fd.get());
    }
    TRY(InstallStdio(ch, stdio, tty));
    return ExecAsContainerProcess(*spec, *p, ch, 0);
  };
  return req;
}

}  // namespace stockade::boot
