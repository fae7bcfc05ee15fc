#include "boot/boot.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <thread>

#include "base/io.h"
#include "base/threads.h"
#include "base/log.h"
#include "boot/api/api.h"
#include "boot/controller.h"
#include "boot/isolation.h"
#include "boot/sentry_manager.h"
#include "boot/stacks.h"
#include "boot/supervisor.h"
#include "oci/parse.h"
#include "urpc/server.h"

namespace stockade::boot {
namespace {

void SyncError(int sync_fd, const std::string& msg) {
  if (sync_fd < 0) return;
  std::string line(1, boot_api::kSyncError);
  line += msg + "\n";
  (void)WriteAll(sync_fd, line);
}

void WriteExitRecord(int fd, const nlohmann::json& rec) {
  if (fd < 0) return;
  std::string text = rec.dump();
  // No fsync: the record matters only while this boot's processes could have existed.
  // Written over the old record, then trimmed, so a reader never sees an empty file.
  if (pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size())) {
    (void)!ftruncate(fd, static_cast<off_t>(text.size()));
  }
}

// The Sentry platforms: the container runs on the Sentry's kernel. Signals to
// the sandbox go to the container's init, as native forwards them.
template <typename Fail>
int RunSentry(const boot_api::BootConfig& cfg, const oci::Spec& spec, UniqueFd devpts, int sfd, Fail fail) {
  auto mgr = SentryManager::Create(cfg, spec, std::move(devpts));
  if (!mgr.ok()) return fail(mgr.error().ToString());
  ContainerArgs root;
  root.id = cfg.id;
  root.spec = spec;
  for (int fd : cfg.stdio_fds) root.stdio.emplace_back(fd);
  if (Status st = (*mgr)->CreateContainer(std::move(root)); !st.ok()) return fail(st.error().ToString());

  urpc::Server server;
  ControllerContext ctx{mgr->get(), cfg.id, cfg.platform, cfg.no_pivot, cfg.network};
  RegisterController(server, ctx);
  if (Status st = server.Start(UniqueFd(cfg.controller_fd)); !st.ok()) return fail(st.error().ToString());
  if (cfg.sync_fd >= 0) {
    char ok = boot_api::kSyncOk;
    (void)WriteAll(cfg.sync_fd, &ok, 1);
    close(cfg.sync_fd);
  }
  UniqueFd done(eventfd(0, EFD_CLOEXEC));
  int code = 0;
  std::thread waiter = NamedThread("root-waiter", [&] {
    code = (*mgr)->WaitRootExit();
    uint64_t one = 1;
    (void)!write(done.get(), &one, sizeof one);
  });
  int ended_by = 0;  // a signal that ended the sandbox before its container ran
  struct pollfd p[2] = {{sfd, POLLIN, 0}, {done.get(), POLLIN, 0}};
  while (poll(p, 2, -1) >= 0 || errno == EINTR) {
    if (p[1].revents) break;
    struct signalfd_siginfo si;
    if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof si) == static_cast<ssize_t>(sizeof si) &&
        si.ssi_signo != SIGCHLD) {
      int sig = static_cast<int>(si.ssi_signo);
      // Before the container has started there is no init to take it: a
      // termination signal then ends the sandbox itself.
      if (!(*mgr)->Signal(cfg.id, sig, 0, boot_api::kDeliverToProcess).ok() && sig != SIGWINCH &&
          sig != SIGUSR1 && sig != SIGUSR2) {
        (*mgr)->Shutdown();
        ended_by = sig;
        break;
      }
    }
  }
  waiter.join();
  if (ended_by) code = 128 + ended_by;
  WriteExitRecord(cfg.exit_fd, (*mgr)->ExitRecord());
  server.Stop();
  mgr->reset();
  LOG_DEBUG("sandbox %s exiting with %d", cfg.id.c_str(), code);
  return code;
}

}  // namespace

int BootMain(int config_fd) {
  auto text = ReadAll(config_fd);
  close(config_fd);
  if (!text.ok()) return 125;
  boot_api::BootConfig cfg;
  try {
    cfg = nlohmann::json::parse(*text).get<boot_api::BootConfig>();
  } catch (const nlohmann::json::exception& e) {
    return 125;
  }
  if (cfg.id.empty()) return 125;  // not a config our CLI wrote
  log::Options lo;
  lo.component = "boot";
  lo.fd = cfg.log_fd;
  lo.debug_fd = cfg.debug_log_fd;
  lo.debug_log = cfg.debug_log_dir;
  lo.debug = cfg.debug;
  bool ok_format;
  lo.format = log::ParseFormat(cfg.log_format, &ok_format);
  // Our stderr is /dev/null, but in the container processes we fork FD 2 is the container's:
  // the main log therefore always has an FD of its own, /dev/null when there is no --log.
  for (int fd : {cfg.controller_fd, cfg.sync_fd, cfg.exit_fd, cfg.log_fd, cfg.debug_log_fd}) {
    if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (cfg.log_fd < 0) lo.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  (void)log::Init(lo);
  LOG_DEBUG("sandbox %s starting, platform %s", cfg.id.c_str(), cfg.platform.c_str());

  auto fail = [&](const std::string& msg) {
    LOG_ERROR("%s", msg.c_str());
    SyncError(cfg.sync_fd, msg);
    return 1;
  };
  int devpts_dir = -1;
  if (Status st = IsolateSandbox(cfg, &devpts_dir); !st.ok()) return fail(st.error().ToString());

  // Orphans of the containers come to us, not to the host's init.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_NAME, "stockade-boot");
  static ThreadRegistration main_thread("boot-main");
  InstallStackDumper();
  sigset_t sigs;
  sigemptyset(&sigs);
  for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
    sigaddset(&sigs, s);
  }
  sigprocmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return fail("signalfd: " + std::string(strerror(errno)));

  auto spec = oci::ParseSpec(cfg.spec.dump());
  if (!spec.ok()) return fail(spec.error().ToString());
  if (!spec->process) return fail("spec has no process");
  if (cfg.platform != "native") return RunSentry(cfg, *spec, UniqueFd(devpts_dir), sfd, fail);


  Supervisor sup(cfg.id);
  ContainerArgs root;
  root.id = cfg.id;
  root.spec = *spec;
  root.rootfs = cfg.rootfs;
  root.cgroup = cfg.cgroup;
  root.no_pivot = cfg.no_pivot;
  root.network = cfg.network;
  for (int fd : cfg.stdio_fds) root.stdio.emplace_back(fd);

  // The root container's init is made on this thread, which will be the supervisor loop.
  std::thread::id loop_thread = std::this_thread::get_id();
  (void)loop_thread;
  Status created = Ok();
  {
    // Drive the loop's queue inline: the RunOnLoop inside CreateContainer needs a loop.
    std::atomic<bool> done{false};
    std::thread creator = NamedThread("creator", [&] {
      created = sup.CreateContainer(std::move(root));
      done = true;
      sup.Wake();
    });
    while (!done.load()) {
      // Serve the spawn request, then keep reaping until the creator finishes.
      sup.RunPending(sfd, -1);
    }
    creator.join();
  }
  if (!created.ok()) return fail(created.error().ToString());

  urpc::Server server;
  ControllerContext ctx{&sup, cfg.id, cfg.platform, cfg.no_pivot, cfg.network};
  RegisterController(server, ctx);
  if (Status st = server.Start(UniqueFd(cfg.controller_fd)); !st.ok()) {
    return fail(st.error().ToString());
  }
  if (cfg.sync_fd >= 0) {
    char ok = boot_api::kSyncOk;
    (void)WriteAll(cfg.sync_fd, &ok, 1);
    close(cfg.sync_fd);
  }

  int code = sup.Loop(sfd);
  WriteExitRecord(cfg.exit_fd, sup.ExitRecord());
  server.Stop();
  LOG_DEBUG("sandbox %s exiting with %d", cfg.id.c_str(), code);
  return code;
}

}  // namespace stockade::boot
