#include "runtime/gofer.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/io.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/user_namespace.h"
#include "gofer/config.h"
#include "runtime/sandbox.h"

namespace stockade::runtime {
namespace {

constexpr int kFirstDonatedFd = 3;

bool HasOption(const oci::Mount& m, const char* opt) {
  return std::find(m.options.begin(), m.options.end(), opt) != m.options.end();
}

}  // namespace

bool IsBindMount(const oci::Mount& m) { return m.type == "bind" || HasOption(m, "bind") || HasOption(m, "rbind"); }

Result<Gofer> LaunchGofer(const oci::Spec& spec, const std::string& rootfs, const std::string& bundle,
                          bool memory_overlay, const std::function<Status(pid_t)>& on_spawned,
                          const std::string& exe_path) {
  gofer::Config cfg;
  cfg.rootfs = rootfs;
  Gofer g;
  const bool root_ro = spec.root && spec.root->readonly;
  // Under the memory overlay the gofer serves the rootfs read-only: the image
  // on the host cannot change whatever the Sentry asks.
  const bool overlay = memory_overlay && !root_ro;
  g.mounts.push_back({"/", -1, root_ro, overlay});
  cfg.roots.push_back({rootfs, root_ro || overlay, -1});
  for (const auto& m : spec.mounts) {
    if (!IsBindMount(m)) continue;
    std::string source = m.source;
    if (source.empty()) return Error::Msg("bind mount on \"" + m.destination + "\" has no source");
    if (source[0] != '/') source = bundle + "/" + source;
    bool ro = HasOption(m, "ro");
    g.mounts.push_back({m.destination, -1, ro});
    cfg.roots.push_back({source, ro, -1});
  }
  // The gofer's ends go to FD 4 on; FD 3 is its config.
  std::vector<UniqueFd> gofer_ends;
  for (size_t i = 0; i < cfg.roots.size(); ++i) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return Error::FromErrno("gofer socketpair");
    g.sentry_ends.emplace_back(sv[0]);
    gofer_ends.emplace_back(sv[1]);
    cfg.roots[i].fd = kFirstDonatedFd + 1 + static_cast<int>(i);
  }
  ASSIGN_OR_RETURN(auto sync, MakePipe(O_CLOEXEC));
  cfg.sync_fd = kFirstDonatedFd + 1 + static_cast<int>(cfg.roots.size());
  cfg.debug = log::Current().debug;
  UniqueFd config(memfd_create("stockade-gofer-config", MFD_CLOEXEC));
  if (!config) return Error::FromErrno("memfd_create");
  TRY(WriteAll(config.get(), nlohmann::json(cfg).dump()));
  lseek(config.get(), 0, SEEK_SET);

  std::vector<int> donated = {config.get()};
  for (auto& e : gofer_ends) donated.push_back(e.get());
  donated.push_back(sync.second.get());
  int log_fd = log::MainFd();
  std::string exe = exe_path.empty() ? SelfExe() : exe_path;
  ASSIGN_OR_RETURN(auto go, MakePipe(O_CLOEXEC));
  // The gofer is born in a user namespace of its own that maps every ID we have onto
  // itself: its file capabilities then reach every file's owner, as before, but none of
  // the initial namespace's privileges, and it serves as nobody (gofer/confine.h).
  // Without the right to write such maps (rootless without CAP_SETUID), it runs as we do.
  std::string uid_map, gid_map;
  const bool own_userns = CanSetIds();
  if (own_userns) {
    ASSIGN_OR_RETURN(uid_map, IdentityMapOfOurs("uid"));
    ASSIGN_OR_RETURN(gid_map, IdentityMapOfOurs("gid"));
  }
  pid_t pid = ForkInNamespaces(own_userns ? CLONE_NEWUSER : 0);
  if (pid < 0) return Error::FromErrno("starting the gofer");
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to execve.
    setsid();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Our copy of the write end goes first: if the CLI dies before releasing us, the read
    // sees EOF and we leave (instead of holding its FDs, the container's lock among them).
    close(go.second.get());
    char c;
    if (read(go.first.get(), &c, 1) != 1) _exit(125);
    int tmp[64];
    size_t n = donated.size() < 64 ? donated.size() : 64;
    for (size_t i = 0; i < n; ++i) tmp[i] = fcntl(donated[i], F_DUPFD_CLOEXEC, 200);
    int err = log_fd >= 0 ? fcntl(log_fd, F_DUPFD_CLOEXEC, 200) : -1;
    for (size_t i = 0; i < n; ++i) {
      if (dup2(tmp[i], kFirstDonatedFd + static_cast<int>(i)) < 0) _exit(126);
    }
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(err >= 0 ? err : devnull, 2);
    }
    syscall(SYS_close_range, kFirstDonatedFd + n, ~0U, 0);
    const char* argv[] = {"stockade", "gofer", "--config-fd", "3", nullptr};
    execv(exe.c_str(), const_cast<char* const*>(argv));
    _exit(127);
  }
  go.first.reset();
  sync.second.reset();
  auto kill_it = [pid] {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  };
  if (own_userns) {
    if (Status st = WriteIdMaps(pid, uid_map, gid_map, /*deny_setgroups=*/false); !st.ok()) {
      kill_it();
      return st.error().Wrap("mapping the gofer's user namespace");
    }
  }
  if (on_spawned) {
    if (Status st = on_spawned(pid); !st.ok()) {
      kill_it();
      return st.error();
    }
  }
  if (write(go.second.get(), "x", 1) != 1) {
    kill_it();
    return Error::FromErrno("releasing the gofer");
  }
  g.pid = pid;
  g.ready = std::move(sync.first);
  return g;
}

Status AwaitGofer(Gofer& g) {
  if (!g.ready) return Ok();
  auto reply = ReadAll(g.ready.get(), 4096);
  g.ready.reset();
  if (!reply.ok() || reply->empty() || (*reply)[0] != 'K') {
    kill(g.pid, SIGKILL);
    waitpid(g.pid, nullptr, 0);
    std::string msg = reply.ok() && reply->size() > 1 ? reply->substr(1) : "the gofer exited before it was ready";
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Error::Msg(msg);
  }
  return Ok();
}

}  // namespace stockade::runtime
