#include "boot/sentry_manager.h"

#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/fsimpl/overlay/overlay_fs.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "base/log.h"
#include "boot/native/capabilities.h"
#include "boot/native/rlimits.h"
#include "boot/native/seccomp.h"
#include "boot/sandbox_seccomp.h"
#include "platform/ptrace/ptrace_platform.h"
#include "platform/systrap/systrap_platform.h"
#include "sentry/fsimpl/proc/procfs.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/path_ops.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/kernel/tty_ops.h"
#include "sentry/syscalls/linux/registry.h"
#include "sentry/vfs/host_file.h"
#include "sentry/vfs/host_fs.h"
#include "sentry/vfs/tmpfs.h"

namespace stockade::boot {

using sentry::kernel::Task;
using sentry::kernel::ThreadGroup;

namespace {

constexpr long kSysfsMagic = 0x62656572;

// The container's "/": the gofer's rootfs, under an in-memory upper layer
// when the CLI asked for the memory overlay (then the gofer serves it
// read-only).
Result<std::shared_ptr<sentry::vfs::Filesystem>> RootFs(std::shared_ptr<sentry::fsimpl::GoferClient> gofer,
                                                        const boot_api::GoferMount& gm) {
  // Read-only to the Sentry either way: its walks and listings can be cached.
  auto lower = std::make_shared<sentry::fsimpl::GoferFs>(std::move(gofer), gm.readonly || gm.overlay,
                                                         /*cache_walks=*/true);
  if (!gm.overlay) return std::shared_ptr<sentry::vfs::Filesystem>(lower);
  auto upper = std::make_shared<sentry::vfs::TmpFs>(makedev(0, 28), 0755);
  ASSIGN_OR_RETURN(auto overlay, sentry::fsimpl::OverlayFs::Create(std::move(upper), std::move(lower), makedev(0, 29)));
  return std::shared_ptr<sentry::vfs::Filesystem>(std::move(overlay));
}

// /dev as the Sentry serves it: the devices that need no host access, and
// the terminals of the sandbox's own devpts (if any). /dev/tty is the
// opener's controlling terminal; /dev/console is a terminal container's.
std::shared_ptr<sentry::vfs::TmpFs> MakeDevFs(std::shared_ptr<sentry::vfs::DevPts> devpts,
                                              const std::atomic<int>* console_index) {
  using sentry::vfs::File;
  using Opened = Result<std::shared_ptr<File>>;
  auto dev = std::make_shared<sentry::vfs::TmpFs>(makedev(0, 5), 0755);
  (void)dev->AddDevice("/null", 0666, makedev(1, 3), [](int f) { return Opened(sentry::vfs::NewNullFile(f)); });
  (void)dev->AddDevice("/zero", 0666, makedev(1, 5), [](int f) { return Opened(sentry::vfs::NewZeroFile(f, false)); });
  (void)dev->AddDevice("/full", 0666, makedev(1, 7), [](int f) { return Opened(sentry::vfs::NewZeroFile(f, true)); });
  (void)dev->AddDevice("/random", 0666, makedev(1, 8), [](int f) { return Opened(sentry::vfs::NewRandomFile(f)); });
  (void)dev->AddDevice("/urandom", 0666, makedev(1, 9), [](int f) { return Opened(sentry::vfs::NewRandomFile(f)); });
  (void)dev->AddDevice("/tty", 0666, makedev(5, 0), [](int f) {
    return Opened(std::make_shared<sentry::vfs::ControllingTtyRef>(f));
  });
  (void)dev->AddDevice("/ptmx", 0666, makedev(5, 2), [devpts](int f) -> Opened {
    if (!devpts) return Error(ENODEV, "");
    sentry::vfs::OpenRequest req;
    req.flags = f;
    return devpts->Open("/ptmx", req);
  });
  (void)dev->AddDevice("/console", 0620, makedev(5, 1), [devpts, console_index](int f) -> Opened {
    int n = console_index->load();
    if (!devpts || n < 0) return Error(ENXIO, "");
    return devpts->OpenReplica(n, f);
  });
  (void)dev->Mkdir("/pts", 0755, 0, 0);
  (void)dev->Mkdir("/shm", 01777, 0, 0);
  (void)dev->Mkdir("/mqueue", 01777, 0, 0);
  (void)dev->Symlink("/proc/self/fd", "/fd", 0, 0);
  (void)dev->Symlink("/proc/self/fd/0", "/stdin", 0, 0);
  (void)dev->Symlink("/proc/self/fd/1", "/stdout", 0, 0);
  (void)dev->Symlink("/proc/self/fd/2", "/stderr", 0, 0);
  return dev;
}

// PATH lookup of args[0] inside the container, as runc does before exec.
std::string FindExecutable(Task& t, const std::string& arg0, const std::vector<std::string>& env) {
  if (arg0.find('/') != std::string::npos) return arg0;
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + arg0;
    auto st = sentry::kernel::StatAt(t, AT_FDCWD, cand, true, false);
    if (st.ok() && S_ISREG(st->st_mode) && (st->st_mode & 0111)) return cand;
    i = j + 1;
  }
  return arg0;
}

// The process's working directory, made first (as runc makes it) when the
// rootfs lacks it.
Result<std::shared_ptr<sentry::vfs::File>> WorkingDirectory(Task& t, const std::string& abs) {
  constexpr int kFlags = O_PATH | O_DIRECTORY;
  auto dir = sentry::kernel::OpenAt(t, AT_FDCWD, abs, kFlags, 0);
  if (dir.ok() || dir.error().code() != ENOENT) return dir;
  std::string cur = "/";
  for (const auto& name : sentry::vfs::PathComponents(abs)) {
    cur = sentry::vfs::JoinPath(cur, name);
    auto st = sentry::kernel::StatAt(t, AT_FDCWD, cur, true, false);
    if (st.ok()) continue;
    if (st.error().code() != ENOENT) return st.error();
    auto [fs, rel] = sentry::kernel::ResolveMount(t, cur);
    if (!fs) return Error(ENOENT, "");
    TRY(fs->Mkdir(rel, 0755, 0, 0));
  }
  return sentry::kernel::OpenAt(t, AT_FDCWD, abs, kFlags, 0);
}

}  // namespace

Result<std::unique_ptr<SentryManager>> SentryManager::Create(const boot_api::BootConfig& cfg, const oci::Spec& spec,
                                                             UniqueFd devpts) {
  std::unique_ptr<SentryManager> m(new SentryManager());
  if (devpts) m->devpts_ = sentry::vfs::DevPts::New(std::move(devpts));
  if (spec.linux && spec.linux->seccomp && native::SeccompEnabled(*spec.linux->seccomp)) {
    m->seccomp_ = std::async(std::launch::async, [profile = *spec.linux->seccomp]()
                                 -> Result<std::shared_ptr<const sentry::kernel::SeccompProgram>> {
                    auto compiled = native::CompileSeccomp(profile);
                    if (!compiled.ok()) return compiled.error().Wrap("seccomp profile");
                    return sentry::kernel::SeccompProgram::New(compiled->bpf);
                  }).share();
  }
  m->root_id_ = cfg.id;
  m->spec_ = spec;
  if (cfg.gofer_mounts.empty() || cfg.gofer_mounts[0].destination != "/" || cfg.gofer_mounts[0].fd < 0) {
    return Error(EINVAL, "the sandbox was given no gofer for its rootfs");
  }
  // Owned from here on, whatever fails below.
  std::vector<std::shared_ptr<sentry::fsimpl::GoferClient>> gofers;
  for (const auto& gm : cfg.gofer_mounts) {
    gofers.push_back(std::make_shared<sentry::fsimpl::GoferClient>(UniqueFd(gm.fd)));
  }
  ASSIGN_OR_RETURN(m->mf_, sentry::mm::MemoryFile::Create(platform::kMaxMemoryFileSize));
  if (cfg.platform == "ptrace") {
    ASSIGN_OR_RETURN(m->platform_, platform::ptrace::NewPtracePlatform(m->mf_->fd()));
  } else if (cfg.platform == "systrap") {
    ASSIGN_OR_RETURN(m->platform_, platform::systrap::NewSystrapPlatform(m->mf_->fd(), !cfg.systrap_no_patch));
  } else {
    return Error(ENOTSUP, "platform \"" + cfg.platform + "\" is not available; use systrap, ptrace or native");
  }
  // The platform's stub factory is forked: from here on the sandbox runs under its own
  // allowlist, before the first byte from the gofer (the overlay's stat of "/") is read.
  // The spec's profile finishes compiling first: libseccomp probes the kernel with seccomp(2)
  // while it builds a filter, a call the allowlist does not have (it overlaps the platform's
  // start-up, so this rarely waits).
  if (m->seccomp_.valid()) m->seccomp_.wait();
  TRY(LoadSandboxAllowlist());

  sentry::kernel::KernelConfig kc;
  kc.platform = m->platform_.get();
  kc.memory_file = m->mf_.get();
  kc.hostname = spec.hostname.empty() ? "stockade" : spec.hostname;
  if (cfg.strace) {
    kc.strace = [](const std::string& line) { LOG_DEBUG("strace: %s", line.c_str()); };
  }
  SentryManager* self = m.get();
  kc.on_exit = [self](int status) { self->OnProcessExit(1, status); };
  kc.on_process_exit = [self](int tgid, int status) { self->OnProcessExit(tgid, status); };
  m->kernel_ = std::make_unique<sentry::kernel::Kernel>(std::move(kc));
  sentry::syscalls::RegisterAllSyscalls(*m->kernel_);
  if (m->devpts_) {
    m->devpts_->SetSignalSink([k = m->kernel_.get()](const std::shared_ptr<sentry::vfs::TtyState>& tty, int sig) {
      sentry::kernel::DeliverTerminalSignal(*k, *tty, sig);
    });
  }

  auto& mounts = m->kernel_->mounts();
  ASSIGN_OR_RETURN(auto rootfs, RootFs(gofers[0], cfg.gofer_mounts[0]));
  mounts.Add("/", std::move(rootfs));
  mounts.Add("/dev", MakeDevFs(m->devpts_, &m->console_index_));
  if (m->devpts_) mounts.Add("/dev/pts", m->devpts_);
  // Tmpfs mounts of the spec (the /tmp one too) keep their mode= and size= options. Without
  // mode=, one takes the mode of the directory it covers, as runc gives it; 1777 (tmpfs's own)
  // where nothing is covered.
  auto tmpfs_of = [&mounts](dev_t dev, const oci::Mount* mt) -> Result<std::shared_ptr<sentry::vfs::TmpFs>> {
    sentry::vfs::TmpfsOptions opts;
    mode_t mode = 01777;
    if (mt) {
      auto parsed = sentry::vfs::ParseTmpfsOptions(mt->options);
      if (!parsed.ok()) return parsed.error().Wrap("tmpfs mount at " + mt->destination);
      opts = *parsed;
      auto [fs, inside] = mounts.Resolve(sentry::vfs::CleanPath("/", mt->destination));
      if (fs) {
        auto covered = fs->Stat(inside, /*follow=*/true);
        if (covered.ok() && S_ISDIR(covered->st_mode)) mode = covered->st_mode & 07777;
      }
    }
    auto fs = std::make_shared<sentry::vfs::TmpFs>(dev, opts.mode.value_or(mode));
    fs->SetSizeLimit(opts.size_limit);
    return fs;
  };
  const oci::Mount* spec_tmp = nullptr;
  for (const auto& mt : spec.mounts) {
    if (mt.type == "tmpfs" && sentry::vfs::CleanPath("/", mt.destination) == "/tmp") spec_tmp = &mt;
  }
  ASSIGN_OR_RETURN(auto tmp, tmpfs_of(makedev(0, 30), spec_tmp));
  mounts.Add("/tmp", std::move(tmp));
  mounts.Add("/proc", std::make_shared<sentry::fsimpl::ProcFs>(m->kernel_.get()));
  mounts.Add("/sys", std::make_shared<sentry::vfs::TmpFs>(makedev(0, 32), 0555, kSysfsMagic));
  // The spec's tmpfs mounts (e.g. /dev/shm, /run) become Sentry tmpfs.
  dev_t next = makedev(0, 40);
  for (const auto& mt : spec.mounts) {
    if (mt.type == "tmpfs" && mt.destination != "/dev" && mt.destination != "/tmp") {
      ASSIGN_OR_RETURN(auto fs, tmpfs_of(next++, &mt));
      mounts.Add(sentry::vfs::CleanPath("/", mt.destination), std::move(fs));
    }
  }
  // Bind mounts are served by the gofer, in the spec's order (a later one
  // on the same point wins, as on Linux).
  for (size_t i = 1; i < cfg.gofer_mounts.size(); ++i) {
    const auto& gm = cfg.gofer_mounts[i];
    mounts.Add(sentry::vfs::CleanPath("/", gm.destination),
               std::make_shared<sentry::fsimpl::GoferFs>(gofers[i], gm.readonly));
  }
  return m;
}

SentryManager::~SentryManager() {
  if (devpts_) devpts_->SetSignalSink(nullptr);
  if (kernel_) {
    kernel_->KillAll();
    kernel_->WaitAllExited();
  }
}

void SentryManager::OnProcessExit(int tgid, int status) {
  std::lock_guard<std::mutex> l(mu_);
  int code = ExitCode(status);
  if (tgid == 1) {
    root_exit_ = code;
    status_ = "stopped";
  } else {
    exec_exits_[tgid] = code;
  }
  cv_.notify_all();
}

void SentryManager::DiscardProcess(Task& t) {
  std::lock_guard<std::mutex> l(kernel_->mu);
  kernel_->DropCttyLocked(t.tg->sid);  // its own session's, if it was given a terminal
  kernel_->ReapLocked(t.tg);
}

Result<sentry::vfs::DevPts::Pty> SentryManager::NewTerminal() {
  if (!devpts_) return Error(ENOTSUP, "the sandbox has no devpts instance, so it cannot make terminals");
  return devpts_->NewPty();
}

Result<std::shared_ptr<Task>> SentryManager::NewProcess(const oci::Process& p, std::vector<UniqueFd> stdio,
                                                        std::shared_ptr<sentry::vfs::TerminalFile> tty, bool init) {
  using namespace sentry;
  kernel::Kernel& k = *kernel_;
  std::shared_ptr<const kernel::SeccompProgram> seccomp;
  if (seccomp_.valid()) {
    auto prog = seccomp_.get();
    if (!prog.ok()) return prog.error();
    seccomp = *prog;
  }
  std::shared_ptr<Task> t;
  {
    std::lock_guard<std::mutex> l(k.mu);
    int tid = k.AllocatePidLocked();
    t = std::make_shared<Task>(&k, tid);
    ThreadGroup* g = k.NewThreadGroupLocked(tid);
    g->leader = t.get();
    g->handlers = std::make_shared<kernel::SignalHandlers>();
    g->container_id = root_id_;
    if (init) {
      k.set_init(g);
      g->pgid = g->sid = tid;
    } else if (k.init()) {
      // Exec'd processes start their own session, as runc's do.
      g->pgid = g->sid = tid;
    }
    auto& c = g->creds;
    c.ruid = c.euid = c.suid = c.fsuid = p.user.uid;
    c.rgid = c.egid = c.sgid = c.fsgid = p.user.gid;
    c.groups = p.user.additional_gids;
    if (p.capabilities) {
      std::vector<std::string> ignored;
      auto sets = native::ResolveCapabilities(*p.capabilities, &ignored);
      c.cap_effective = sets.effective;
      c.cap_permitted = sets.permitted;
      c.cap_inheritable = sets.inheritable;
      c.cap_bounding = sets.bounding;
      c.cap_ambient = sets.ambient;
    }
    c.no_new_privs = p.no_new_privileges;
    // Defaults as a fresh Linux process has them, then the spec's.
    for (int r = 0; r < RLIM_NLIMITS; r++) getrlimit(r, &g->rlimits[r]);
    g->rlimits[RLIMIT_NOFILE] = {1024, 1024 * 1024};
    g->rlimits[RLIMIT_STACK].rlim_cur = 8 << 20;
    for (const auto& rl : p.rlimits) {
      auto res = native::RlimitResource(rl.type);
      if (res.ok()) g->rlimits[*res] = {rl.soft, rl.hard};
    }
    t->tg = g;
    t->comm = "init";
    // A terminal process leads its own session, and the terminal is its
    // controlling terminal, as runc's TIOCSCTTY makes it.
    if (tty && g->sid == g->tgid) k.SetCttyLocked(g, tty->tty());
  }
  t->seccomp = std::move(seccomp);
  // Until it is started, a failure drops the process again.
  auto discard = [&](Error e) {
    DiscardProcess(*t);
    return e;
  };
  t->fds = std::make_shared<kernel::FdTable>();
  t->fs = std::make_shared<kernel::FsContext>();
  if (p.user.umask) t->fs->umask = *p.user.umask;
  std::string cwd = vfs::CleanPath("/", p.cwd.empty() ? "/" : p.cwd);
  auto cwd_dir = WorkingDirectory(*t, cwd);
  if (!cwd_dir.ok()) return discard(cwd_dir.error().Wrap("chdir to cwd (\"" + cwd + "\") set in config.json failed"));
  t->fs->cwd = std::move(*cwd_dir);
  for (size_t i = 0; i < stdio.size(); i++) {
    int fd = stdio[i].get();
    int fl = fcntl(fd, F_GETFL);
    auto f = std::make_shared<vfs::HostFile>(std::move(stdio[i]), fl < 0 ? O_RDWR : (fl & (O_ACCMODE | O_APPEND)), true);
    f->name = i == 0 ? "pipe:[stdin]" : i == 1 ? "pipe:[stdout]" : "pipe:[stderr]";
    if (Status st = t->fds->InstallAt(static_cast<int>(i), f, false, 1u << 20); !st.ok()) return discard(st.error());
  }
  for (int i = 0; tty && i < 3; i++) {
    if (Status st = t->fds->InstallAt(i, tty, false, 1u << 20); !st.ok()) return discard(st.error());
  }
  std::string exe = FindExecutable(*t, p.args[0], p.env);
  auto img = kernel::LoadProgram(*t, exe, p.args, p.env);
  if (!img.ok()) return discard(img.error().Wrap("starting container process \"" + p.args[0] + "\""));
  t->mm = img->mm;
  t->regs = img->regs;
  t->comm = img->comm;
  t->pending_fp = kernel::InitialFpState();
  return t;
}

Status SentryManager::CreateContainer(ContainerArgs args) {
  if (args.id != root_id_) return Error(ENOTSUP, "subcontainers are not supported on the Sentry platforms yet");
  std::lock_guard<std::mutex> l(mu_);
  if (args.spec.process && args.spec.process->terminal) {
    // The terminal is made now; its master goes out with FinishCreate.
    ASSIGN_OR_RETURN(auto pty, NewTerminal());
    root_console_ = std::move(pty.master);
    root_tty_ = std::move(pty.replica);
    console_index_ = root_tty_->tty()->index;
  }
  root_stdio_ = std::move(args.stdio);
  status_ = "created";
  return Ok();
}

Result<UniqueFd> SentryManager::FinishCreate(const std::string& cid, const std::string&) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  std::lock_guard<std::mutex> l(mu_);
  return std::move(root_console_);
}

Result<ContainerManager::StartOutcome> SentryManager::StartContainer(const std::string& cid, const std::string&) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  std::vector<UniqueFd> stdio;
  std::shared_ptr<sentry::vfs::TerminalFile> tty;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (status_ == "creating") return Error(EINVAL, "container \"" + cid + "\" is not created yet");
    if (status_ != "created") return StartOutcome::kNoLongerCreated;
    stdio = std::move(root_stdio_);
    tty = std::move(root_tty_);
  }
  auto t = NewProcess(*spec_.process, std::move(stdio), std::move(tty), true);
  Result<std::unique_ptr<sentry::kernel::Kernel::ParkedThread>> thread = Error(EAGAIN, "");
  if (t.ok()) {
    thread = kernel_->NewTaskThread(*t);
    if (!thread.ok()) t = thread.error().Wrap("starting the container's init");
  }
  if (!t.ok()) {
    std::lock_guard<std::mutex> l(mu_);
    status_ = "stopped";
    root_exit_ = 127;
    cv_.notify_all();
    return t.error();
  }
  {
    std::lock_guard<std::mutex> l(kernel_->mu);
    kernel_->AddTaskLocked(*t);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    status_ = "running";
  }
  (*thread)->Go(true);
  return StartOutcome::kStarted;
}

Status SentryManager::DestroyContainer(const std::string& cid) {
  return Error(EINVAL, "container \"" + cid + "\" is not a subcontainer");
}

Result<ContainerManager::Executed> SentryManager::Execute(const std::string& cid, const oci::Process& p,
                                                          std::vector<UniqueFd> fds) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  {
    std::lock_guard<std::mutex> l(mu_);
    if (status_ != "running") return Error(EINVAL, "container \"" + cid + "\" is not running");
  }
  Executed e;
  std::shared_ptr<sentry::vfs::TerminalFile> tty;
  if (p.terminal) {
    ASSIGN_OR_RETURN(auto pty, NewTerminal());
    e.console_master = std::move(pty.master);
    tty = std::move(pty.replica);
  }
  ASSIGN_OR_RETURN(auto t, NewProcess(p, std::move(fds), std::move(tty), false));
  auto thread = kernel_->NewTaskThread(t);
  if (!thread.ok()) {
    DiscardProcess(*t);
    return thread.error().Wrap("starting the process");
  }
  int pid = t->tid;
  {
    std::lock_guard<std::mutex> l(mu_);
    exec_exits_[pid] = std::nullopt;
  }
  {
    std::lock_guard<std::mutex> l(kernel_->mu);
    kernel_->AddTaskLocked(t);
  }
  (*thread)->Go(true);
  e.pid = pid;
  return e;
}

Result<int> SentryManager::WaitContainer(const std::string& cid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return root_exit_.has_value() || shutdown_; });
  return root_exit_.value_or(128 + SIGKILL);
}

Result<int> SentryManager::WaitPid(const std::string& cid, pid_t pid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  std::unique_lock<std::mutex> l(mu_);
  if (pid == 1) {
    cv_.wait(l, [&] { return root_exit_.has_value() || shutdown_; });
    return root_exit_.value_or(128 + SIGKILL);
  }
  auto it = exec_exits_.find(pid);
  if (it == exec_exits_.end()) return Error(ESRCH, "no process " + std::to_string(pid) + " to wait for");
  cv_.wait(l, [&] { return exec_exits_[pid].has_value() || root_exit_.has_value() || shutdown_; });
  auto v = exec_exits_[pid];
  exec_exits_.erase(pid);
  return v.value_or(128 + SIGKILL);
}

Status SentryManager::Signal(const std::string& cid, int sig, pid_t pid, int mode) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  if (sig <= 0 || sig > sentry::kernel::kMaxSignal) return Error(EINVAL, "invalid signal " + std::to_string(sig));
  siginfo_t si{};
  si.si_signo = sig;
  si.si_code = SI_USER;  // from outside the PID namespace: pid 0
  std::lock_guard<std::mutex> l(kernel_->mu);
  auto& k = *kernel_;
  switch (mode) {
    case boot_api::kDeliverToAllProcesses:
      for (ThreadGroup* g : k.GroupsLocked()) {
        if (!g->zombie) k.SendToGroupLocked(g, si, true);
      }
      return Ok();
    case boot_api::kDeliverToForegroundProcessGroup: {
      ThreadGroup* target = pid ? k.GroupByTgidLocked(pid) : k.init();
      if (!target) return Error(ESRCH, "no process " + std::to_string(pid));
      // The foreground group of the process's terminal, as native reads
      // it from tpgid.
      auto tty = k.CttyLocked(target->sid);
      if (!tty || tty->fg_pgid <= 0) return Error(ENOTTY, "process " + std::to_string(target->tgid) + " has no terminal");
      k.SendToPgrpLocked(tty->fg_pgid, si, true);
      return Ok();
    }
    default: {
      ThreadGroup* target = pid ? k.GroupByTgidLocked(pid) : k.init();
      if (!target || target->zombie) return Error(ESRCH, "no process " + std::to_string(pid ? pid : 1));
      k.SendToGroupLocked(target, si, true);
      return Ok();
    }
  }
}

Result<nlohmann::json> SentryManager::Processes(const std::string& cid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard<std::mutex> l(kernel_->mu);
  for (ThreadGroup* g : kernel_->GroupsLocked()) {
    if (g->zombie || !g->leader) continue;
    out.push_back({{"UID", g->creds.ruid}, {"PID", g->tgid}, {"PPID", g->parent ? g->parent->tgid : 0},
                   {"Cmd", g->leader->comm}});
  }
  return out;
}

Status SentryManager::Pause(const std::string& cid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  kernel_->Freeze();
  return Ok();
}

Status SentryManager::Resume(const std::string& cid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  kernel_->Thaw();
  return Ok();
}

Result<nlohmann::json> SentryManager::Stats(const std::string& cid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  // Only the tasks: CPU and memory are the container cgroup's, which holds
  // the whole sandbox (the CLI adds them).
  nlohmann::json j = nlohmann::json::object();
  std::lock_guard<std::mutex> l(kernel_->mu);
  j["pids"] = {{"current", kernel_->GroupsLocked().size()}};
  return j;
}

Result<nlohmann::json> SentryManager::RuntimeState(const std::string& cid) {
  if (cid != root_id_) return Error(ENOENT, "no container \"" + cid + "\"");
  std::lock_guard<std::mutex> l(mu_);
  nlohmann::json j = {{"State", status_}, {"PID", 0}};
  if (root_exit_) j["ExitStatus"] = *root_exit_;
  return j;
}

nlohmann::json SentryManager::ExitRecord() {
  std::lock_guard<std::mutex> l(mu_);
  int code = root_exit_.value_or(255);
  return {{"exitStatus", code}, {"containers", {{root_id_, code}}}};
}

int SentryManager::WaitRootExit() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return root_exit_.has_value() || shutdown_; });
  return root_exit_.value_or(128 + SIGKILL);
}

void SentryManager::Shutdown() {
  kernel_->KillAll();
  std::lock_guard<std::mutex> l(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

}  // namespace stockade::boot
