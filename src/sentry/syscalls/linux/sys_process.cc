// Processes and threads: ids, clone/fork/vfork, execve, exit, wait, sessions,
// credentials, rlimits, uname, prctl, arch_prctl.
#include <algorithm>
#include <asm/prctl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <cstring>

#include "abi/linux/errno.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/syscalls/linux/sys_common.h"

namespace stockade::sentry::syscalls {
namespace {

using kernel::Kernel;
using kernel::ThreadGroup;

int64_t Getpid(Task& t, const SyscallArgs&) { return t.tg->tgid; }
int64_t Gettid(Task& t, const SyscallArgs&) { return t.tid; }
int64_t Getppid(Task& t, const SyscallArgs&) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  return t.tg->parent ? t.tg->parent->tgid : 0;
}

// --- credentials -------------------------------------------------------------

int64_t Getuid(Task& t, const SyscallArgs&) { return t.creds().ruid; }
int64_t Geteuid(Task& t, const SyscallArgs&) { return t.creds().euid; }
int64_t Getgid(Task& t, const SyscallArgs&) { return t.creds().rgid; }
int64_t Getegid(Task& t, const SyscallArgs&) { return t.creds().egid; }

int64_t Getresuid(Task& t, const SyscallArgs& a) {
  const auto& c = t.creds();
  uint32_t v[3] = {c.ruid, c.euid, c.suid};
  for (int i = 0; i < 3; i++) SYS_TRY(t.memory().CopyOut(a[i], &v[i], 4));
  return 0;
}
int64_t Getresgid(Task& t, const SyscallArgs& a) {
  const auto& c = t.creds();
  uint32_t v[3] = {c.rgid, c.egid, c.sgid};
  for (int i = 0; i < 3; i++) SYS_TRY(t.memory().CopyOut(a[i], &v[i], 4));
  return 0;
}

int64_t Getgroups(Task& t, const SyscallArgs& a) {
  int size = static_cast<int>(a[0]);
  const auto& g = t.creds().groups;
  if (size < 0) return -EINVAL;
  if (size == 0) return static_cast<int64_t>(g.size());
  if (static_cast<size_t>(size) < g.size()) return -EINVAL;
  if (!g.empty()) SYS_TRY(t.memory().CopyOut(a[1], g.data(), g.size() * 4));
  return static_cast<int64_t>(g.size());
}

int64_t Setgroups(Task& t, const SyscallArgs& a) {
  int64_t size = static_cast<int64_t>(static_cast<int32_t>(a[0]));
  if (size < 0 || size > 65536) return -EINVAL;
  if (!t.creds().HasCap(CAP_SETGID)) return -EPERM;
  std::vector<uint32_t> g(static_cast<size_t>(size));
  if (size) SYS_TRY(t.memory().CopyIn(a[1], g.data(), g.size() * 4));
  std::lock_guard<std::mutex> l(t.kernel->mu);
  t.tg->creds.groups = std::move(g);
  t.tg->creds.Renew();
  return 0;
}

// setresuid's rules: unprivileged callers may only pick among their current ids.
int64_t SetIds(Task& t, int64_t r, int64_t e, int64_t s, bool gid) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  auto& c = t.tg->creds;
  uint32_t& cr = gid ? c.rgid : c.ruid;
  uint32_t& ce = gid ? c.egid : c.euid;
  uint32_t& cs = gid ? c.sgid : c.suid;
  uint32_t& cf = gid ? c.fsgid : c.fsuid;
  bool priv = c.HasCap(gid ? CAP_SETGID : CAP_SETUID);
  auto ok = [&](int64_t v) { return v == -1 || priv || v == cr || v == ce || v == cs; };
  if (!ok(r) || !ok(e) || !ok(s)) return -EPERM;
  c.Renew();
  bool was_root = c.ruid == 0 || c.euid == 0 || c.suid == 0;
  if (r != -1) cr = static_cast<uint32_t>(r);
  if (e != -1) ce = static_cast<uint32_t>(e);
  if (s != -1) cs = static_cast<uint32_t>(s);
  cf = ce;
  // Leaving root drops capabilities, as Linux does without SECBIT_KEEP_CAPS.
  if (!gid && was_root && c.ruid != 0 && c.euid != 0 && c.suid != 0) {
    if (!c.keep_caps) c.cap_permitted = 0;
    c.cap_effective = 0;
    c.cap_ambient = 0;
  } else if (!gid && c.euid != 0) {
    c.cap_effective = 0;
  } else if (!gid && c.euid == 0) {
    c.cap_effective = c.cap_permitted;
  }
  return 0;
}

int64_t Setuid(Task& t, const SyscallArgs& a) {
  int64_t id = static_cast<int64_t>(static_cast<uint32_t>(a[0]));
  if (id == 0xffffffff) return -EINVAL;
  if (t.creds().HasCap(CAP_SETUID)) return SetIds(t, id, id, id, false);
  return SetIds(t, -1, id, -1, false);
}
int64_t Setgid(Task& t, const SyscallArgs& a) {
  int64_t id = static_cast<int64_t>(static_cast<uint32_t>(a[0]));
  if (id == 0xffffffff) return -EINVAL;
  if (t.creds().HasCap(CAP_SETGID)) return SetIds(t, id, id, id, true);
  return SetIds(t, -1, id, -1, true);
}
int64_t Id(uint64_t v) { return static_cast<uint32_t>(v) == 0xffffffffu ? -1 : static_cast<int64_t>(static_cast<uint32_t>(v)); }
int64_t Setreuid(Task& t, const SyscallArgs& a) { return SetIds(t, Id(a[0]), Id(a[1]), -1, false); }
int64_t Setregid(Task& t, const SyscallArgs& a) { return SetIds(t, Id(a[0]), Id(a[1]), -1, true); }
int64_t Setresuid(Task& t, const SyscallArgs& a) { return SetIds(t, Id(a[0]), Id(a[1]), Id(a[2]), false); }
int64_t Setresgid(Task& t, const SyscallArgs& a) { return SetIds(t, Id(a[0]), Id(a[1]), Id(a[2]), true); }
int64_t Setfsuid(Task& t, const SyscallArgs& a) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  auto& c = t.tg->creds;
  uint32_t old = c.fsuid;
  uint32_t v = static_cast<uint32_t>(a[0]);
  if (v != old && (c.HasCap(CAP_SETUID) || v == c.ruid || v == c.euid || v == c.suid)) {
    c.fsuid = v;
    c.Renew();
  }
  return old;
}
int64_t Setfsgid(Task& t, const SyscallArgs& a) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  auto& c = t.tg->creds;
  uint32_t old = c.fsgid;
  uint32_t v = static_cast<uint32_t>(a[0]);
  if (v != old && (c.HasCap(CAP_SETGID) || v == c.rgid || v == c.egid || v == c.sgid)) {
    c.fsgid = v;
    c.Renew();
  }
  return old;
}

int64_t Capget(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto hdr, t.memory().CopyInObj(mm::UserPtr<__user_cap_header_struct>(a[0])));
  if (hdr.version != _LINUX_CAPABILITY_VERSION_3 && hdr.version != _LINUX_CAPABILITY_VERSION_2 &&
      hdr.version != _LINUX_CAPABILITY_VERSION_1) {
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    SYS_TRY(t.memory().CopyOutObj(mm::UserPtr<__user_cap_header_struct>(a[0]), hdr));
    return a[1] ? -EINVAL : 0;
  }
  if (hdr.pid < 0) return -EINVAL;
  if (hdr.pid != 0) {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    if (!t.kernel->TaskByTidLocked(hdr.pid)) return -ESRCH;
  }
  if (!a[1]) return 0;
  const auto& c = t.creds();
  __user_cap_data_struct d[2] = {};
  d[0].effective = static_cast<uint32_t>(c.cap_effective);
  d[0].permitted = static_cast<uint32_t>(c.cap_permitted);
  d[0].inheritable = static_cast<uint32_t>(c.cap_inheritable);
  d[1].effective = static_cast<uint32_t>(c.cap_effective >> 32);
  d[1].permitted = static_cast<uint32_t>(c.cap_permitted >> 32);
  d[1].inheritable = static_cast<uint32_t>(c.cap_inheritable >> 32);
  size_t n = hdr.version == _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
  SYS_TRY(t.memory().CopyOut(a[1], d, n * sizeof d[0]));
  return 0;
}

int64_t Capset(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto hdr, t.memory().CopyInObj(mm::UserPtr<__user_cap_header_struct>(a[0])));
  if (hdr.version != _LINUX_CAPABILITY_VERSION_3 && hdr.version != _LINUX_CAPABILITY_VERSION_2) return -EINVAL;
  if (hdr.pid != 0 && hdr.pid != t.tid) return -EPERM;
  __user_cap_data_struct d[2];
  SYS_TRY(t.memory().CopyIn(a[1], d, sizeof d));
  uint64_t eff = d[0].effective | (uint64_t{d[1].effective} << 32);
  uint64_t perm = d[0].permitted | (uint64_t{d[1].permitted} << 32);
  uint64_t inh = d[0].inheritable | (uint64_t{d[1].inheritable} << 32);
  std::lock_guard<std::mutex> l(t.kernel->mu);
  auto& c = t.tg->creds;
  if (perm & ~c.cap_permitted) return -EPERM;
  if (eff & ~perm) return -EPERM;
  if (inh & ~(c.cap_inheritable | c.cap_permitted)) return -EPERM;
  c.cap_effective = eff;
  c.cap_permitted = perm;
  c.cap_inheritable = inh;
  c.Renew();
  return 0;
}

// --- process groups and sessions ---------------------------------------------

int64_t Getpgid(Task& t, const SyscallArgs& a) {
  int pid = static_cast<int>(a[0]);
  std::lock_guard<std::mutex> l(t.kernel->mu);
  if (pid == 0) return t.tg->pgid;
  auto* g = t.kernel->GroupByTgidLocked(pid);
  if (!g) return -ESRCH;
  return g->pgid;
}
int64_t Getpgrp(Task& t, const SyscallArgs&) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  return t.tg->pgid;
}
int64_t Getsid(Task& t, const SyscallArgs& a) {
  int pid = static_cast<int>(a[0]);
  std::lock_guard<std::mutex> l(t.kernel->mu);
  if (pid == 0) return t.tg->sid;
  auto* g = t.kernel->GroupByTgidLocked(pid);
  if (!g) return -ESRCH;
  return g->sid;
}
int64_t Setsid(Task& t, const SyscallArgs&) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  for (ThreadGroup* g : t.kernel->GroupsLocked()) {
    if (g->pgid == t.tg->tgid) return -EPERM;
  }
  t.tg->sid = t.tg->pgid = t.tg->tgid;
  return t.tg->sid;
}
int64_t Setpgid(Task& t, const SyscallArgs& a) {
  int pid = static_cast<int>(a[0]);
  int pgid = static_cast<int>(a[1]);
  if (pgid < 0) return -EINVAL;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  ThreadGroup* g = pid == 0 ? t.tg : t.kernel->GroupByTgidLocked(pid);
  if (!g || g->zombie) return -ESRCH;
  if (g != t.tg) {
    if (g->parent != t.tg) return -ESRCH;
    if (g->sid != t.tg->sid) return -EPERM;
    if (g->execed) return -EACCES;
  }
  if (g->sid == g->tgid) return -EPERM;  // a session leader
  if (pgid == 0) pgid = g->tgid;
  if (pgid != g->tgid) {
    bool found = false;
    for (ThreadGroup* o : t.kernel->GroupsLocked()) {
      if (o->pgid == pgid && o->sid == t.tg->sid && !o->zombie) found = true;
    }
    if (!found) return -EPERM;
  }
  g->pgid = pgid;
  return 0;
}

// --- uname, hostname ---------------------------------------------------------

int64_t Uname(Task& t, const SyscallArgs& a) {
  struct utsname u {};
  strcpy(u.sysname, "Linux");
  std::string host = t.kernel->hostname();
  strncpy(u.nodename, host.c_str(), sizeof u.nodename - 1);
  // The release the application sees is the host's: programs compare it to
  // decide which features to use, and the Sentry aims to behave as it.
  struct utsname h;
  ::uname(&h);
  strcpy(u.release, h.release);
  strcpy(u.version, h.version);
  strcpy(u.machine, "x86_64");
  strcpy(u.domainname, "(none)");
  SYS_TRY(t.memory().CopyOut(a[0], &u, sizeof u));
  return 0;
}

int64_t Sethostname(Task& t, const SyscallArgs& a) {
  if (!t.creds().HasCap(CAP_SYS_ADMIN)) return -EPERM;
  if (a[1] > 64) return -EINVAL;
  std::string name(a[1], '\0');
  if (a[1]) SYS_TRY(t.memory().CopyIn(a[0], name.data(), a[1]));
  t.kernel->set_hostname(name);
  return 0;
}

// --- rlimits -------------------------------------------------------------------

int64_t Prlimit(Task& t, int pid, int res, uint64_t new_addr, uint64_t old_addr) {
  if (res < 0 || res >= RLIM_NLIMITS) return -EINVAL;
  struct rlimit nl {};
  if (new_addr) {
    SYS_TRY(t.memory().CopyIn(new_addr, &nl, sizeof nl));
    if (nl.rlim_cur > nl.rlim_max) return -EINVAL;
  }
  std::lock_guard<std::mutex> l(t.kernel->mu);
  ThreadGroup* g = t.tg;
  if (pid != 0 && pid != t.tg->tgid) {
    g = t.kernel->GroupByTgidLocked(pid);
    if (!g) {
      kernel::Task* other = t.kernel->TaskByTidLocked(pid);
      if (!other) return -ESRCH;
      g = other->tg;
    }
  }
  struct rlimit old = g->rlimits[res];
  if (new_addr) {
    if (nl.rlim_max > old.rlim_max && !t.creds().HasCap(CAP_SYS_RESOURCE)) return -EPERM;
    if (res == RLIMIT_NOFILE && nl.rlim_max > 1048576) return -EPERM;  // fs.nr_open
    g->rlimits[res] = nl;
  }
  if (old_addr) {
    if (!t.memory().CopyOut(old_addr, &old, sizeof old).ok()) return -EFAULT;
  }
  return 0;
}

int64_t Getrlimit(Task& t, const SyscallArgs& a) { return Prlimit(t, 0, static_cast<int>(a[0]), 0, a[1]); }
int64_t Setrlimit(Task& t, const SyscallArgs& a) {
  if (!a[1]) return -EFAULT;
  return Prlimit(t, 0, static_cast<int>(a[0]), a[1], 0);
}
int64_t Prlimit64(Task& t, const SyscallArgs& a) {
  return Prlimit(t, static_cast<int>(a[0]), static_cast<int>(a[1]), a[2], a[3]);
}

int64_t Getrusage(Task& t, const SyscallArgs& a) {
  int who = static_cast<int>(a[0]);
  if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD) return -EINVAL;
  struct rusage ru {};
  ru.ru_maxrss = 1024;
  SYS_TRY(t.memory().CopyOut(a[1], &ru, sizeof ru));
  return 0;
}

// --- prctl / arch_prctl ---------------------------------------------------------

int64_t Prctl(Task& t, const SyscallArgs& a) {
  int opt = static_cast<int>(a[0]);
  switch (opt) {
    case PR_SET_NAME: {
      char buf[16] = {};
      size_t n = t.memory().CopyInPartial(a[1], buf, 15);
      if (n == 0) return -EFAULT;
      buf[15] = 0;
      t.comm = std::string(buf, strnlen(buf, 15));
      return 0;
    }
    case PR_GET_NAME: {
      char buf[16] = {};
      memcpy(buf, t.comm.data(), std::min<size_t>(15, t.comm.size()));
      SYS_TRY(t.memory().CopyOut(a[1], buf, 16));
      return 0;
    }
    case PR_SET_PDEATHSIG:
      if (a[1] > kernel::kMaxSignal) return -EINVAL;
      t.pdeathsig = static_cast<int>(a[1]);
      return 0;
    case PR_GET_PDEATHSIG: {
      int v = t.pdeathsig;
      SYS_TRY(t.memory().CopyOut(a[1], &v, sizeof v));
      return 0;
    }
    case PR_GET_DUMPABLE:
      return t.tg->dumpable ? 1 : 0;
    case PR_SET_DUMPABLE: {
      if (a[1] > 1) return -EINVAL;
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.tg->dumpable = a[1] == 1;
      return 0;
    }
    case PR_SET_NO_NEW_PRIVS: {
      if (a[1] != 1 || a[2] || a[3] || a[4]) return -EINVAL;
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.tg->creds.no_new_privs = true;
      t.tg->creds.Renew();
      return 0;
    }
    case PR_GET_NO_NEW_PRIVS:
      if (a[1] || a[2] || a[3] || a[4]) return -EINVAL;
      return t.creds().no_new_privs ? 1 : 0;
    case PR_GET_KEEPCAPS:
      return t.creds().keep_caps ? 1 : 0;
    case PR_SET_KEEPCAPS: {
      if (a[1] > 1) return -EINVAL;
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.tg->creds.keep_caps = a[1] == 1;
      t.tg->creds.Renew();
      return 0;
    }
    case PR_SET_CHILD_SUBREAPER: {
      std::lock_guard<std::mutex> l(t.kernel->mu);
      t.tg->subreaper = a[1] != 0;
      return 0;
    }
    case PR_GET_CHILD_SUBREAPER: {
      int v = t.tg->subreaper ? 1 : 0;
      SYS_TRY(t.memory().CopyOut(a[1], &v, sizeof v));
      return 0;
    }
    case PR_CAPBSET_READ:
      if (a[1] > 63) return -EINVAL;
      return (t.creds().cap_bounding >> a[1]) & 1;
    case PR_CAPBSET_DROP: {
      if (a[1] > 63) return -EINVAL;
      std::lock_guard<std::mutex> l(t.kernel->mu);
      if (!t.tg->creds.HasCap(CAP_SETPCAP)) return -EPERM;
      t.tg->creds.cap_bounding &= ~(1ull << a[1]);
      t.tg->creds.Renew();
      return 0;
    }
    case PR_CAP_AMBIENT:
      if (a[1] == PR_CAP_AMBIENT_IS_SET) return a[2] > 63 ? -EINVAL : static_cast<int64_t>((t.creds().cap_ambient >> a[2]) & 1);
      if (a[1] == PR_CAP_AMBIENT_CLEAR_ALL) {
        std::lock_guard<std::mutex> l(t.kernel->mu);
        t.tg->creds.cap_ambient = 0;
        t.tg->creds.Renew();
        return 0;
      }
      return -EINVAL;
    case PR_GET_SECUREBITS:
      return 0;
    case PR_SET_SECCOMP:
    case PR_GET_SECCOMP:
      return opt == PR_GET_SECCOMP ? 0 : -EINVAL;
    case PR_GET_TIMERSLACK:
      return 50000;
    case PR_SET_TIMERSLACK:
    case PR_SET_MM:
    case PR_SET_VMA:
      return opt == PR_SET_TIMERSLACK ? 0 : -EINVAL;
    default:
      return -EINVAL;
  }
}

int64_t ArchPrctl(Task& t, const SyscallArgs& a) {
  switch (a[0]) {
    case ARCH_SET_FS:
      if (a[1] >= 0x800000000000ull) return -EPERM;
      t.regs.fs_base = a[1];
      return 0;
    case ARCH_SET_GS:
      if (a[1] >= 0x800000000000ull) return -EPERM;
      t.regs.gs_base = a[1];
      return 0;
    case ARCH_GET_FS:
      SYS_TRY(t.memory().CopyOut(a[1], &t.regs.fs_base, 8));
      return 0;
    case ARCH_GET_GS:
      SYS_TRY(t.memory().CopyOut(a[1], &t.regs.gs_base, 8));
      return 0;
    default:
      return -EINVAL;
  }
}

int64_t SetTidAddress(Task& t, const SyscallArgs& a) {
  t.clear_child_tid = a[0];
  return t.tid;
}

int64_t SetRobustList(Task& t, const SyscallArgs& a) {
  if (a[1] != 24) return -EINVAL;  // sizeof(struct robust_list_head)
  t.robust_list = a[0];
  t.robust_list_len = a[1];
  return 0;
}

int64_t GetRobustList(Task& t, const SyscallArgs& a) {
  int pid = static_cast<int>(a[0]);
  uint64_t head = t.robust_list, len = 24;
  if (pid != 0 && pid != t.tid) {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    Task* o = t.kernel->TaskByTidLocked(pid);
    if (!o) return -ESRCH;
    head = o->robust_list;
  }
  SYS_TRY(t.memory().CopyOut(a[1], &head, 8));
  SYS_TRY(t.memory().CopyOut(a[2], &len, 8));
  return 0;
}

// --- clone / fork / vfork ----------------------------------------------------------

int64_t DoClone(Task& t, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls) {
  constexpr uint64_t kNsFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                                CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;
  if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) return -EINVAL;
  if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)) return -EINVAL;
  if ((flags & CLONE_FS) && (flags & CLONE_NEWNS)) return -EINVAL;
  if ((flags & (CLONE_PARENT | CLONE_THREAD)) && t.tg == t.kernel->init() && t.tg->leader == &t &&
      (flags & CLONE_PARENT)) {
    return -EINVAL;  // init has no parent to share
  }
  if (flags & kNsFlags) return -EPERM;  // namespaces inside the sandbox: not yet
  if (flags & (CLONE_PIDFD | CLONE_PTRACE | CLONE_UNTRACED | CLONE_IO)) {
    if (flags & CLONE_PIDFD) return -EINVAL;
  }
  Kernel* k = t.kernel;

  std::shared_ptr<mm::MemoryManager> child_mm;
  if (flags & CLONE_VM) {
    child_mm = t.mm;
  } else {
    auto as = k->platform().NewAddressSpace();
    if (!as.ok()) return -EAGAIN;
    auto forked = t.mm->Fork(std::move(as).value());
    if (!forked.ok()) return -ENOMEM;
    child_mm = std::move(forked).value();
  }
  auto fp = t.ctx->GetFpState(t.mm->as());
  if (!fp.ok()) return -EAGAIN;

  std::shared_ptr<Task> child = std::make_shared<Task>(k, 0);
  auto thread = k->NewTaskThread(child);
  if (!thread.ok()) return -EAGAIN;
  std::shared_ptr<std::atomic<bool>> vfork_done;
  auto vfork_q = std::make_shared<vfs::WaitQueue>();
  {
    std::lock_guard<std::mutex> l(k->mu);
    if (t.tg->exiting) return -EINTR;
    if (!(flags & CLONE_THREAD)) {
      // RLIMIT_NPROC counts the processes of the real user.
      uint64_t limit = t.rlimit_cur(RLIMIT_NPROC);
      // Root is exempt, as Linux exempts INIT_USER.
      if (limit != RLIM_INFINITY && t.creds().ruid != 0 && !t.creds().HasCap(CAP_SYS_RESOURCE) &&
          !t.creds().HasCap(CAP_SYS_ADMIN)) {
        uint64_t n = 0;
        for (ThreadGroup* g : k->GroupsLocked()) {
          if (!g->zombie && g->creds.ruid == t.creds().ruid) n++;
        }
        if (n >= limit) return -EAGAIN;
      }
    }
    int tid = k->AllocatePidLocked();
    child->tid = tid;
    if (flags & CLONE_THREAD) {
      child->tg = t.tg;
    } else {
      ThreadGroup* g = k->NewThreadGroupLocked(tid);
      g->leader = child.get();
      g->parent = (flags & CLONE_PARENT) ? t.tg->parent : t.tg;
      if (g->parent) g->parent->children.insert(g);
      g->handlers = (flags & CLONE_SIGHAND) ? t.tg->handlers : std::make_shared<kernel::SignalHandlers>(*t.tg->handlers);
      g->pgid = t.tg->pgid;
      g->sid = t.tg->sid;
      g->creds = t.tg->creds;
      g->creds.Renew();  // the child's are a copy, not the same credentials
      memcpy(g->rlimits, t.tg->rlimits, sizeof g->rlimits);
      g->exit_signal = static_cast<int>(flags & 0xff);
      g->container_id = t.tg->container_id;
      child->tg = g;
    }
    child->mm = child_mm;
    child->fds = (flags & CLONE_FILES) ? t.fds : t.fds->Fork();
    if (flags & CLONE_FS) {
      child->fs = t.fs;
    } else {
      child->fs = std::make_shared<kernel::FsContext>();
      std::lock_guard<std::mutex> fl(t.fs->mu);
      child->fs->cwd = t.fs->cwd;
      child->fs->umask = t.fs->umask;
    }
    child->regs = t.regs;
    child->regs.rax = 0;
    if (stack) child->regs.rsp = stack;
    if (flags & CLONE_SETTLS) child->regs.fs_base = tls;
    child->pending_fp = *fp;
    child->sigmask = t.sigmask;
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
      child->altstack = stack_t{nullptr, SS_DISABLE, 0};
    } else {
      child->altstack = t.altstack;
    }
    child->comm = t.comm;
    child->nice = t.nice;
    child->seccomp = t.seccomp;
    if (flags & CLONE_CHILD_CLEARTID) child->clear_child_tid = ctid;
    if (flags & CLONE_VFORK) {
      vfork_done = std::make_shared<std::atomic<bool>>(false);
      child->vfork_done = vfork_done;
      child->vfork_waitq = vfork_q.get();
      child->vfork_waitq_owner = vfork_q;
    }
    k->AddTaskLocked(child);
  }
  int32_t tid = child->tid;
  if (flags & CLONE_PARENT_SETTID) {
    (void)t.mm->CopyOut(ptid, &tid, 4);
    if (child_mm != t.mm) (void)child_mm->CopyOut(ptid, &tid, 4);
  }
  if (flags & CLONE_CHILD_SETTID) (void)child_mm->CopyOut(ctid, &tid, 4);
  (*thread)->Go(true);
  if (vfork_done) {
    vfs::WaitEntry e(*vfork_q, &t);
    while (!vfork_done->load()) {
      // vfork waits are killable only: other signals wait until the child lets go.
      (void)t.Block(std::nullopt);
      std::lock_guard<std::mutex> l(k->mu);
      if (t.exit_requested || t.tg->exiting) break;
    }
  }
  return tid;
}

int64_t Clone(Task& t, const SyscallArgs& a) {
  // x86-64 argument order: flags, stack, parent_tid, child_tid, tls.
  return DoClone(t, a[0], a[1], a[2], a[3], a[4]);
}
int64_t Fork(Task& t, const SyscallArgs&) { return DoClone(t, SIGCHLD, 0, 0, 0, 0); }
int64_t Vfork(Task& t, const SyscallArgs&) { return DoClone(t, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0); }

// --- execve -------------------------------------------------------------------------

Result<std::vector<std::string>> CopyInStrings(Task& t, uint64_t addr) {
  std::vector<std::string> out;
  if (!addr) return out;
  size_t total = 0;
  for (int i = 0;; i++) {
    uint64_t p;
    TRY(t.memory().CopyIn(addr + 8ull * static_cast<uint64_t>(i), &p, 8));
    if (!p) break;
    auto s = t.memory().CopyInString(p, 128 * 1024);
    if (!s.ok()) return Error(s.error().code() == ENAMETOOLONG ? E2BIG : s.error().code(), "");
    total += s->size() + 1 + 8;
    if (total > 6 * 1024 * 1024) return Error(E2BIG, "");
    out.push_back(std::move(s).value());
  }
  return out;
}

int64_t DoExecve(Task& t, const std::string& path, uint64_t argv_addr, uint64_t envp_addr) {
  SYS_ASSIGN(auto argv, CopyInStrings(t, argv_addr));
  SYS_ASSIGN(auto envp, CopyInStrings(t, envp_addr));
  SYS_ASSIGN(auto img, kernel::LoadProgram(t, path, std::move(argv), std::move(envp)));
  Kernel* k = t.kernel;
  {
    // The other threads go first (de_thread).
    std::unique_lock<std::mutex> l(k->mu);
    if (t.tg->exiting) return kernel::kNoReturnValue;
    t.tg->exec_task = &t;
    for (Task* o : t.tg->tasks) {
      if (o != &t) {
        o->exit_requested = true;
        o->Kick();
      }
    }
    k->state_cv.wait(l, [&] { return t.tg->tasks.size() == 1 || t.exit_requested; });
    t.tg->exec_task = nullptr;
    if (t.exit_requested) return kernel::kNoReturnValue;
    if (t.tg->leader != &t) {
      Task* old = t.tg->leader;
      k->ChangeTidLocked(&t, t.tg->tgid);
      t.tg->leader = &t;
      (void)old;
    }
  }
  kernel::CommitExec(t, std::move(img));
  return kernel::kNoReturnValue;
}

int64_t Execve(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[0]));
  return DoExecve(t, path, a[1], a[2]);
}

int64_t Execveat(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[1]));
  int flags = static_cast<int>(a[4]);
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -EINVAL;
  SYS_ASSIGN(std::string abs, kernel::AbsolutePath(t, static_cast<int>(a[0]), path, flags & AT_EMPTY_PATH));
  return DoExecve(t, abs, a[2], a[3]);
}

// --- exit and wait -----------------------------------------------------------------

int64_t Exit(Task& t, const SyscallArgs& a) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  t.exit_requested = true;
  t.thread_exit_status = kernel::ExitStatus(static_cast<int>(a[0]));
  return 0;
}

int64_t ExitGroup(Task& t, const SyscallArgs& a) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  t.kernel->BeginGroupExitLocked(t.tg, kernel::ExitStatus(static_cast<int>(a[0])));
  return 0;
}

struct WaitResult {
  int pid = 0;
  int status = 0;  // wait4's status word
  int code = 0;    // waitid's si_code
  int child_status = 0;  // si_status
  uint32_t child_uid = 0;
};

// The core of wait4 and waitid. Returns the pid (0 with WNOHANG), or -errno.
int64_t DoWait(Task& t, int idtype, int id, int options, WaitResult* out) {
  Kernel* k = t.kernel;
  while (true) {
    vfs::WaitEntry entry(t.tg->child_waitq, &t);
    {
      std::lock_guard<std::mutex> l(k->mu);
      bool any = false;
      std::vector<ThreadGroup*> kids(t.tg->children.begin(), t.tg->children.end());
      for (ThreadGroup* c : kids) {
        if (idtype == P_PID && c->tgid != id) continue;
        if (idtype == P_PGID && c->pgid != id) continue;
        bool clone_child = c->exit_signal != SIGCHLD;
        if (!(options & __WALL) && (clone_child != ((options & __WCLONE) != 0))) continue;
        any = true;
        if (c->zombie && (options & WEXITED)) {
          out->pid = c->tgid;
          out->status = c->exit_status;
          out->child_uid = c->creds.ruid;
          if (WIFSIGNALED(c->exit_status)) {
            out->code = (c->exit_status & 0x80) ? CLD_DUMPED : CLD_KILLED;
            out->child_status = WTERMSIG(c->exit_status);
          } else {
            out->code = CLD_EXITED;
            out->child_status = WEXITSTATUS(c->exit_status);
          }
          if (!(options & WNOWAIT)) k->ReapLocked(c);
          return out->pid;
        }
        if (c->stopped && c->stop_to_report && (options & WSTOPPED)) {
          out->pid = c->tgid;
          out->status = (c->stop_signal << 8) | 0x7f;
          out->code = CLD_STOPPED;
          out->child_status = c->stop_signal;
          out->child_uid = c->creds.ruid;
          if (!(options & WNOWAIT)) c->stop_to_report = false;
          return out->pid;
        }
        if (c->cont_to_report && (options & WCONTINUED)) {
          out->pid = c->tgid;
          out->status = 0xffff;
          out->code = CLD_CONTINUED;
          out->child_status = SIGCONT;
          out->child_uid = c->creds.ruid;
          if (!(options & WNOWAIT)) c->cont_to_report = false;
          return out->pid;
        }
      }
      if (!any) return -ECHILD;
      if (options & WNOHANG) return 0;
    }
    if (t.Block(std::nullopt) == vfs::BlockResult::kInterrupted) return -abi::kERESTARTSYS;
  }
}

int64_t Wait4(Task& t, const SyscallArgs& a) {
  int pid = static_cast<int>(a[0]);
  int options = static_cast<int>(a[2]);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) return -EINVAL;
  int idtype = P_ALL, id = 0;
  if (pid > 0) {
    idtype = P_PID;
    id = pid;
  } else if (pid == 0) {
    idtype = P_PGID;
    std::lock_guard<std::mutex> l(t.kernel->mu);
    id = t.tg->pgid;
  } else if (pid < -1) {
    if (pid == INT32_MIN) return -ESRCH;
    idtype = P_PGID;
    id = -pid;
  }
  WaitResult r;
  int64_t ret = DoWait(t, idtype, id, options | WEXITED, &r);
  if (ret > 0) {
    if (a[1]) SYS_TRY(t.memory().CopyOut(a[1], &r.status, 4));
    if (a[3]) {
      struct rusage ru {};
      SYS_TRY(t.memory().CopyOut(a[3], &ru, sizeof ru));
    }
  }
  return ret;
}

int64_t Waitid(Task& t, const SyscallArgs& a) {
  int idtype = static_cast<int>(a[0]);
  int id = static_cast<int>(a[1]);
  int options = static_cast<int>(a[3]);
  if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE)) return -EINVAL;
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return -EINVAL;
  if (idtype == P_PGID && id == 0) {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    id = t.tg->pgid;
  } else if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID) {
    return -EINVAL;
  }
  if ((idtype == P_PID || idtype == P_PGID) && id <= 0) return -EINVAL;
  WaitResult r;
  int64_t ret = DoWait(t, idtype, id, options, &r);
  if (ret < 0) return ret;
  if (a[2]) {
    siginfo_t si{};
    if (ret > 0) {
      si.si_signo = SIGCHLD;
      si.si_code = r.code;
      si.si_pid = r.pid;
      si.si_uid = r.child_uid;
      si.si_status = r.child_status;
    }
    SYS_TRY(t.memory().CopyOut(a[2], &si, sizeof si));
  }
  if (a[4]) {
    struct rusage ru {};
    SYS_TRY(t.memory().CopyOut(a[4], &ru, sizeof ru));
  }
  return 0;
}

// --- scheduling ------------------------------------------------------------------

int64_t SchedYield(Task&, const SyscallArgs&) {
  sched_yield();
  return 0;
}

int64_t Getcpu(Task& t, const SyscallArgs& a) {
  unsigned cpu = 0, node = 0;
  (void)!getcpu(&cpu, &node);
  if (a[0]) SYS_TRY(t.memory().CopyOut(a[0], &cpu, 4));
  if (a[1]) SYS_TRY(t.memory().CopyOut(a[1], &node, 4));
  return 0;
}

// The task's host thread answers getcpu, so affinity is applied to it.
bool TaskExists(Task& t, int pid) {
  if (pid == 0) return true;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  return t.kernel->TaskByTidLocked(pid) != nullptr;
}

int64_t SchedGetaffinity(Task& t, const SyscallArgs& a) {
  uint64_t len = a[1];
  if (len < 8 || (len & 7)) return -EINVAL;
  if (!TaskExists(t, static_cast<int>(a[0]))) return -ESRCH;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
  uint64_t n = std::min<uint64_t>(len, sizeof set);
  SYS_TRY(t.memory().CopyOut(a[2], &set, n));
  return static_cast<int64_t>(std::min<uint64_t>(n, 128));
}

int64_t SchedSetaffinity(Task& t, const SyscallArgs& a) {
  cpu_set_t set;
  CPU_ZERO(&set);
  SYS_TRY(t.memory().CopyIn(a[2], &set, std::min<uint64_t>(a[1], sizeof set)));
  if (!TaskExists(t, static_cast<int>(a[0]))) return -ESRCH;
  if (!CPU_COUNT(&set)) return -EINVAL;
  if (static_cast<int>(a[0]) == 0 || static_cast<int>(a[0]) == t.tid) {
    if (sched_setaffinity(0, sizeof set, &set) != 0) return -errno;
  }
  return 0;
}

int64_t SchedPriorityMax(Task&, const SyscallArgs& a) {
  switch (static_cast<int>(a[0])) {
    case SCHED_FIFO: case SCHED_RR: return 99;
    case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case 6 /* SCHED_DEADLINE */: return 0;
  }
  return -EINVAL;
}
int64_t SchedPriorityMin(Task&, const SyscallArgs& a) {
  switch (static_cast<int>(a[0])) {
    case SCHED_FIFO: case SCHED_RR: return 1;
    case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case 6: return 0;
  }
  return -EINVAL;
}

int64_t SchedGetscheduler(Task& t, const SyscallArgs& a) {
  if (static_cast<int>(a[0]) < 0) return -EINVAL;
  return TaskExists(t, static_cast<int>(a[0])) ? SCHED_OTHER : -ESRCH;
}
int64_t SchedGetparam(Task& t, const SyscallArgs& a) {
  int zero = 0;
  SYS_TRY(t.memory().CopyOut(a[1], &zero, 4));
  return 0;
}
// The tasks that getpriority/setpriority(which, who) name; false for a bad
// `which`. Under Kernel::mu.
bool PriorityTargetsLocked(Task& t, int which, int who, std::vector<Task*>* out) {
  Kernel& k = *t.kernel;
  switch (which) {
    case PRIO_PROCESS: {
      Task* o = who ? k.TaskByTidLocked(who) : &t;
      if (o && !o->tg->zombie) out->push_back(o);
      return true;
    }
    case PRIO_PGRP:
    case PRIO_USER: {
      int pgid = who ? who : t.tg->pgid;
      uint32_t uid = who ? static_cast<uint32_t>(who) : t.creds().euid;
      for (ThreadGroup* g : k.GroupsLocked()) {
        if (g->zombie) continue;
        if (which == PRIO_PGRP ? g->pgid != pgid : g->creds.ruid != uid) continue;
        for (Task* o : g->tasks) out->push_back(o);
      }
      return true;
    }
    default:
      return false;
  }
}

// The raw syscall answers 20 - nice (1..40) of the highest-priority target.
int64_t Getpriority(Task& t, const SyscallArgs& a) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  std::vector<Task*> targets;
  if (!PriorityTargetsLocked(t, static_cast<int>(a[0]), static_cast<int>(a[1]), &targets)) return -EINVAL;
  if (targets.empty()) return -ESRCH;
  int best = 19;
  for (Task* o : targets) best = std::min(best, o->nice);
  return 20 - best;
}

// set_one_prio: another user's task needs CAP_SYS_NICE; lowering the nice
// value needs CAP_SYS_NICE or RLIMIT_NICE room. The last failure wins.
int64_t Setpriority(Task& t, const SyscallArgs& a) {
  int nice = std::clamp(static_cast<int>(a[2]), -20, 19);
  std::lock_guard<std::mutex> l(t.kernel->mu);
  std::vector<Task*> targets;
  if (!PriorityTargetsLocked(t, static_cast<int>(a[0]), static_cast<int>(a[1]), &targets)) return -EINVAL;
  if (targets.empty()) return -ESRCH;
  const auto& me = t.creds();
  bool cap = me.HasCap(CAP_SYS_NICE);
  int64_t err = 0;
  for (Task* o : targets) {
    const auto& them = o->creds();
    if (them.ruid != me.euid && them.euid != me.euid && !cap) {
      err = -EPERM;
      continue;
    }
    if (nice < o->nice && !cap && t.rlimit_cur(RLIMIT_NICE) < static_cast<uint64_t>(20 - nice)) {
      err = -EACCES;
      continue;
    }
    o->nice = nice;
  }
  return err;
}
int64_t Sysinfo(Task& t, const SyscallArgs& a) {
  struct sysinfo host {};
  ::sysinfo(&host);
  struct sysinfo si {};
  si.uptime = (kernel::NowNs(CLOCK_MONOTONIC) - static_cast<int64_t>(t.kernel->boot_monotonic_ns())) / 1000000000 + 1;
  si.totalram = host.totalram;
  si.freeram = host.freeram;
  si.mem_unit = host.mem_unit;
  {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    si.procs = static_cast<uint16_t>(t.kernel->GroupsLocked().size());
  }
  SYS_TRY(t.memory().CopyOut(a[0], &si, sizeof si));
  return 0;
}

int64_t Personality(Task&, const SyscallArgs& a) { return static_cast<uint32_t>(a[0]) == 0xffffffff || a[0] == 0 ? 0 : -EINVAL; }

}  // namespace

void RegisterProcessSyscalls(Kernel& k) {
  k.SetSyscall(SYS_getpid, Getpid);
  k.SetSyscall(SYS_gettid, Gettid);
  k.SetSyscall(SYS_getppid, Getppid);
  k.SetSyscall(SYS_getuid, Getuid);
  k.SetSyscall(SYS_geteuid, Geteuid);
  k.SetSyscall(SYS_getgid, Getgid);
  k.SetSyscall(SYS_getegid, Getegid);
  k.SetSyscall(SYS_getresuid, Getresuid);
  k.SetSyscall(SYS_getresgid, Getresgid);
  k.SetSyscall(SYS_getgroups, Getgroups);
  k.SetSyscall(SYS_setgroups, Setgroups);
  k.SetSyscall(SYS_setuid, Setuid);
  k.SetSyscall(SYS_setgid, Setgid);
  k.SetSyscall(SYS_setreuid, Setreuid);
  k.SetSyscall(SYS_setregid, Setregid);
  k.SetSyscall(SYS_setresuid, Setresuid);
  k.SetSyscall(SYS_setresgid, Setresgid);
  k.SetSyscall(SYS_setfsuid, Setfsuid);
  k.SetSyscall(SYS_setfsgid, Setfsgid);
  k.SetSyscall(SYS_capget, Capget);
  k.SetSyscall(SYS_capset, Capset);
  k.SetSyscall(SYS_getpgid, Getpgid);
  k.SetSyscall(SYS_getpgrp, Getpgrp);
  k.SetSyscall(SYS_getsid, Getsid);
  k.SetSyscall(SYS_setsid, Setsid);
  k.SetSyscall(SYS_setpgid, Setpgid);
  k.SetSyscall(SYS_uname, Uname);
  k.SetSyscall(SYS_sethostname, Sethostname);
  k.SetSyscall(SYS_getrlimit, Getrlimit);
  k.SetSyscall(SYS_setrlimit, Setrlimit);
  k.SetSyscall(SYS_prlimit64, Prlimit64);
  k.SetSyscall(SYS_getrusage, Getrusage);
  k.SetSyscall(SYS_prctl, Prctl);
  k.SetSyscall(SYS_arch_prctl, ArchPrctl);
  k.SetSyscall(SYS_set_tid_address, SetTidAddress);
  k.SetSyscall(SYS_set_robust_list, SetRobustList);
  k.SetSyscall(SYS_get_robust_list, GetRobustList);
  k.SetSyscall(SYS_clone, Clone);
  k.SetSyscall(SYS_fork, Fork);
  k.SetSyscall(SYS_vfork, Vfork);
  k.SetSyscall(SYS_execve, Execve);
  k.SetSyscall(SYS_execveat, Execveat);
  k.SetSyscall(SYS_exit, Exit);
  k.SetSyscall(SYS_exit_group, ExitGroup);
  k.SetSyscall(SYS_wait4, Wait4);
  k.SetSyscall(SYS_waitid, Waitid);
  k.SetSyscall(SYS_sched_yield, SchedYield);
  k.SetSyscall(SYS_getcpu, Getcpu);
  k.SetSyscall(SYS_sched_getaffinity, SchedGetaffinity);
  k.SetSyscall(SYS_sched_setaffinity, SchedSetaffinity);
  k.SetSyscall(SYS_sched_getscheduler, SchedGetscheduler);
  k.SetSyscall(SYS_sched_getparam, SchedGetparam);
  k.SetSyscall(SYS_sched_get_priority_max, SchedPriorityMax);
  k.SetSyscall(SYS_sched_get_priority_min, SchedPriorityMin);
  k.SetSyscall(SYS_getpriority, Getpriority);
  k.SetSyscall(SYS_setpriority, Setpriority);
  k.SetSyscall(SYS_personality, Personality);
  k.SetSyscall(SYS_sysinfo, Sysinfo);
}

}  // namespace stockade::sentry::syscalls
