// The seccomp profile `stockade spec` puts in linux.seccomp: Docker's default profile
// (moby/profiles/seccomp/default.json), compiled for x86 hosts and for the default capability
// set (no CAP_SYS_ADMIN, CAP_SYS_PTRACE, ...), then tightened where noted.
//
// Everything not allowed below fails with EPERM. Among the syscalls that therefore stay
// blocked, and why:
//   add_key, keyctl, request_key          the kernel keyring is not namespaced
//   bpf, perf_event_open                  kernel attack surface, host-wide observation
//   clone (namespace flags), unshare,     creating or entering namespaces: the classic first
//     setns                               step of container escapes
//   mount, umount2, pivot_root, fsopen,   reshaping the mount tree
//     fsmount, move_mount, open_tree, ...
//   init_module, finit_module,            loading code into the host kernel
//     delete_module, kexec_load, kexec_file_load
//   ptrace, process_vm_readv/writev,      reading and writing other processes' memory; Docker
//     kcmp, pidfd_getfd                   allows some of these on new kernels, we do not
//   userfaultfd                           widens race windows in kernel exploits
//   open_by_handle_at, name_to_handle_at  file handles bypass the mount namespace (shocker);
//                                         Docker allows name_to_handle_at, we do not
//   io_uring_setup/enter/register         bypasses seccomp for the operations it queues and
//                                         has a long CVE record; Docker still allows it
//   iopl, ioperm                          raw port I/O
//   swapon, swapoff, reboot, syslog,      host-wide administration
//     acct, quotactl, settimeofday, clock_settime, sethostname, setdomainname
//   lookup_dcookie, vm86, vm86old,        obsolete or debugging interfaces
//     uselib, ustat, sysfs, _sysctl, nfsservctl, get_kernel_syms, query_module
//   personality (other than the values   unusual execution domains and ASLR switches
//     allowed below)
#include <array>
#include <initializer_list>

#include "oci/default_spec.h"

namespace stockade::oci {
namespace {

using nlohmann::json;

struct SyscallGroup {
  const char* what;  // Documentation only; not emitted.
  std::initializer_list<const char*> names;
};

// Allowed without conditions, one group per family. Names that do not exist on an architecture
// are skipped when the filter is built (runc does the same), so the 32-bit x86 variants can sit
// beside the 64-bit ones.
//
// A plain array on purpose: aggregate initialisation extends the lifetime of each group's
// initializer_list; std::to_array would copy the lists out and leave them dangling. The names
// are wrapped by hand, hence clang-format off.
// clang-format off
const SyscallGroup kAllowed[] = {  // NOLINT(modernize-avoid-c-arrays)
    {"file descriptors and I/O",
     {"close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64", "read", "readv", "pread64",
      "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2", "lseek", "_llseek",
      "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "readahead", "pipe",
      "pipe2", "ioctl", "flock"}},
    {"creating, renaming and removing files (device nodes still need CAP_MKNOD)",
     {"open", "openat", "openat2", "creat", "link", "linkat", "symlink", "symlinkat", "unlink",
      "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "mknod",
      "mknodat", "truncate", "truncate64", "ftruncate", "ftruncate64", "fallocate", "umask"}},
    {"file metadata and directories",
     {"stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx",
      "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat", "faccessat2", "readlink",
      "readlinkat", "chmod", "fchmod", "fchmodat", "chown", "chown32", "fchown", "fchown32",
      "fchownat", "lchown", "lchown32", "utime", "utimes", "utimensat", "utimensat_time64",
      "futimesat", "getdents", "getdents64", "getcwd", "chdir", "fchdir"}},
    {"extended attributes",
     {"getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr", "listxattr",
      "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr"}},
    {"syncing and advice",
     {"sync", "syncfs", "fsync", "fdatasync", "sync_file_range", "fadvise64", "fadvise64_64"}},
    {"file change notification",
     {"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark"}},
    {"polling and event FDs",
     {"poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6", "pselect6_time64",
      "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old",
      "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
      "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
      "timerfd_settime64"}},
    {"asynchronous I/O (io_uring is deliberately absent)",
     {"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
      "io_pgetevents_time64"}},
    {"memory management",
     {"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync",
      "mlock", "mlock2", "mlockall", "munlock", "munlockall", "remap_file_pages", "membarrier",
      "memfd_create", "memfd_secret", "pkey_alloc", "pkey_free", "pkey_mprotect",
      "process_mrelease"}},
    {"processes and threads (clone is allowed below, without namespace flags)",
     {"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid",
      "set_tid_address", "set_robust_list", "get_robust_list", "futex", "futex_time64",
      "futex_waitv", "rseq", "restart_syscall", "prctl", "arch_prctl", "get_thread_area",
      "set_thread_area", "modify_ldt", "seccomp", "capget", "capset", "landlock_create_ruleset",
      "landlock_add_rule", "landlock_restrict_self"}},
    {"process identity",
     {"getpid", "getppid", "gettid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid", "getuid",
      "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32", "getresuid",
      "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32", "setuid", "setuid32",
      "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32", "setresuid",
      "setresuid32", "setresgid", "setresgid32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
      "setgroups", "setgroups32"}},
    {"signals",
     {"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigsuspend",
      "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
      "rt_sigreturn", "sigreturn", "sigprocmask", "sigaltstack", "pause", "pidfd_open",
      "pidfd_send_signal"}},
    {"scheduling, priorities and limits",
     {"sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
      "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
      "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
      "sched_rr_get_interval_time64", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
      "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage", "times", "getcpu"}},
    {"clocks and timers (setting the clock needs CAP_SYS_TIME and stays blocked)",
     {"time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
      "clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64", "nanosleep",
      "clock_adjtime", "clock_adjtime64", "adjtimex", "alarm", "getitimer", "setitimer",
      "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
      "timer_settime", "timer_settime64"}},
    {"System V and POSIX IPC (in the container's IPC namespace)",
     {"ipc", "msgget", "msgctl", "msgsnd", "msgrcv", "semget", "semctl", "semop", "semtimedop",
      "semtimedop_time64", "shmget", "shmctl", "shmat", "shmdt", "mq_open", "mq_unlink",
      "mq_getsetattr", "mq_notify", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive",
      "mq_timedreceive_time64"}},
    {"sockets (socket itself is allowed below, except AF_VSOCK)",
     {"socketpair", "socketcall", "bind", "connect", "listen", "accept", "accept4", "getsockname",
      "getpeername", "getsockopt", "setsockopt", "shutdown", "send", "sendto", "sendmsg",
      "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64"}},
    {"system information",
     {"uname", "sysinfo", "getrandom"}},
};
// clang-format on

constexpr uint64_t kAfVsock = 40;
// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
// CLONE_NEWNET: clone is allowed only when none of these is set.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;
constexpr uint32_t kEperm = 1;
constexpr uint32_t kEnosys = 38;
// personality(2) values programs legitimately use: PER_LINUX, PER_LINUX32, UNAME26,
// PER_LINUX32|UNAME26, and 0xffffffff (a query that changes nothing).
constexpr std::array<uint64_t, 5> kPersonalities = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

json Rule(std::initializer_list<const char*> names, const char* action) {
  json names_json = json::array();
  for (const char* n : names) names_json.push_back(n);
  return json{{"names", std::move(names_json)}, {"action", action}};
}

json ArgRule(const char* name, uint32_t index, uint64_t value, const char* op) {
  json rule = Rule({name}, "SCMP_ACT_ALLOW");
  rule["args"] = json::array({{{"index", index}, {"value", value}, {"valueTwo", 0}, {"op", op}}});
  return rule;
}

}  // namespace

json DefaultSeccompProfile() {
  json allowed = json::array();
  for (const auto& group : kAllowed) {
    for (const char* name : group.names) allowed.push_back(name);
  }
  json syscalls = json::array();
  syscalls.push_back({{"names", std::move(allowed)}, {"action", "SCMP_ACT_ALLOW"}});
  syscalls.push_back(ArgRule("socket", 0, kAfVsock, "SCMP_CMP_NE"));
  for (uint64_t persona : kPersonalities) {
    syscalls.push_back(ArgRule("personality", 0, persona, "SCMP_CMP_EQ"));
  }
  // MASKED_EQ: (flags & value) == valueTwo.
  syscalls.push_back(ArgRule("clone", 0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ"));
  // clone3 passes its flags in memory, where seccomp cannot look. ENOSYS (not EPERM) makes
  // glibc fall back to clone, which is checked above.
  json clone3 = Rule({"clone3"}, "SCMP_ACT_ERRNO");
  clone3["errnoRet"] = kEnosys;
  syscalls.push_back(std::move(clone3));

  return json{
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", kEperm},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls", std::move(syscalls)},
  };
}

}  // namespace stockade::oci
