// The escape suite: attacks a hostile container makes on its host, each of which must fail.
// It runs only inside containers (tests/escape/run_escape.sh, on every platform, with the
// config `stockade spec` writes plus a pids limit), never on the host itself, where root
// would succeed. The runner checks the host side afterwards (the runtime binary, a canary
// outside the bundle, no leftover processes).
//
// A case asserts that the attack fails, not how: the Sentry refuses many of these calls
// (ENOSYS, EPERM) where native's seccomp profile, capabilities and namespaces refuse them
// differently. Every case here fails on native too; an attack only the Sentry stops would
// say so in its case and be listed in docs/security.md.
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../syscalls/test_util.h"

namespace {

std::string Platform() {
  const char* p = getenv("STOCKADE_CONFORMANCE_PLATFORM");
  return p ? p : "";
}

// The call failed; its errno names how.
#define EXPECT_BLOCKED(call)                                                               \
  do {                                                                                     \
    errno = 0;                                                                             \
    long r_ = static_cast<long>(call);                                                     \
    int e_ = errno;                                                                        \
    EXPECT_EQ(r_, -1) << #call << " succeeded (" << r_ << ") on " << Platform();         \
    if (r_ == -1) RecordProperty(#call, strerror(e_));                                     \
  } while (0)

// Runs `fn` in a child and returns its exit status (fn returns the exit code), so an attack
// that changes the process (namespaces, chroot) does not change the next case.
template <typename Fn>
int InChild(Fn fn) {
  pid_t p = fork();
  if (p == 0) _exit(fn());
  int st = 0;
  if (p < 0 || waitpid(p, &st, 0) != p) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool SameFile(const char* a, const char* b) {
  struct stat sa, sb;
  return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// --- the runtime binary and leaked host resources (CVE-2019-5736, CVE-2024-21626) ---------

TEST(Escape, NoProcessExeIsWritable) {
  // Every process the container sees; its exe must not open for writing (runc's
  // /proc/self/exe overwrite wrote the runtime through a container process's exe link).
  DIR* d = opendir("/proc");
  ASSERT_NE(d, nullptr);
  int seen = 0;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string exe = std::string("/proc/") + e->d_name + "/exe";
    int fd = open(exe.c_str(), O_WRONLY);
    EXPECT_LT(fd, 0) << exe << " opened for writing";
    if (fd >= 0) close(fd);
    seen++;
  }
  closedir(d);
  EXPECT_GE(seen, 1);
  int fd = open("/proc/self/exe", O_RDWR);
  EXPECT_LT(fd, 0) << "the running program opened for writing";
  if (fd >= 0) close(fd);
}

TEST(Escape, NoHostFileDescriptorIsLeaked) {
  // Only stdio, and nothing that is a directory (a directory FD of the host is a way out).
  DIR* d = opendir("/proc/self/fd");
  ASSERT_NE(d, nullptr);
  int own = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == own) continue;
    char target[256] = {};
    (void)!readlink((std::string("/proc/self/fd/") + e->d_name).c_str(), target, sizeof target - 1);
    EXPECT_LE(fd, 2) << "FD " << fd << " (" << target << ") was left open by the runtime";
    struct stat st;
    if (fstat(fd, &st) == 0) {
      EXPECT_FALSE(S_ISDIR(st.st_mode)) << "FD " << fd << " is a directory";
    }
  }
  closedir(d);
}

TEST(Escape, CwdAndParentsStayInTheRoot) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  EXPECT_EQ(cwd[0], '/') << "cwd outside the root: " << cwd;
  std::string up = ".";
  for (int i = 0; i < 40; i++) up += "/..";
  EXPECT_TRUE(SameFile(up.c_str(), "/"));
  EXPECT_TRUE(SameFile("/..", "/"));
}

TEST(Escape, ProcRootLinksLeadToTheContainersRoot) {
  EXPECT_TRUE(SameFile("/proc/1/root", "/"));
  EXPECT_TRUE(SameFile("/proc/self/root/../../..", "/"));
  EXPECT_TRUE(SameFile("/proc/1/cwd/../../../..", "/"));
}

TEST(Escape, HostCanaryIsNotVisible) {
  const char* canary = getenv("STOCKADE_ESCAPE_CANARY");
  ASSERT_NE(canary, nullptr) << "run through tests/escape/run_escape.sh";
  struct stat st;
  EXPECT_NE(stat(canary, &st), 0) << "the host's canary " << canary << " is visible";
  std::string via = std::string("/proc/1/root") + canary;
  EXPECT_NE(stat(via.c_str(), &st), 0);
}

// --- kernel interfaces: /proc/sys, /sys, sysrq, kcore, devices ----------------------------

TEST(Escape, ProcSysIsNotWritable) {
  EXPECT_BLOCKED(open("/proc/sys/kernel/core_pattern", O_WRONLY));
  EXPECT_BLOCKED(open("/proc/sys/kernel/modprobe", O_WRONLY));
  EXPECT_BLOCKED(open("/proc/sys/vm/drop_caches", O_WRONLY));
}

TEST(Escape, SysIsNotWritable) {
  EXPECT_BLOCKED(open("/sys/kernel/uevent_helper", O_WRONLY));
  EXPECT_BLOCKED(open("/sys/power/state", O_WRONLY));
  EXPECT_BLOCKED(mkdir("/sys/fs/cgroup/escape", 0755));
}

TEST(Escape, SysrqTriggerIsNotWritable) { EXPECT_BLOCKED(open("/proc/sysrq-trigger", O_WRONLY)); }

TEST(Escape, KernelMemoryIsNotReadable) {
  char buf[64];
  int fd = open("/proc/kcore", O_RDONLY);
  if (fd >= 0) {
    EXPECT_LE(read(fd, buf, sizeof buf), 0) << "/proc/kcore reads";
    close(fd);
  }
  EXPECT_BLOCKED(open("/dev/mem", O_RDONLY));
  EXPECT_BLOCKED(open("/dev/kmem", O_RDONLY));
  EXPECT_BLOCKED(open("/dev/port", O_RDONLY));
}

TEST(Escape, KernelLogIsNotWritable) { EXPECT_BLOCKED(open("/dev/kmsg", O_WRONLY)); }

TEST(Escape, BlockDeviceCannotBeMadeOrMounted) {
  EXPECT_BLOCKED(mknod("/tmp/escape-sda", S_IFBLK | 0600, makedev(8, 0)));
  EXPECT_BLOCKED(mknod("/tmp/escape-mem", S_IFCHR | 0600, makedev(1, 1)));
  mkdir("/tmp/escape-mnt", 0755);
  EXPECT_BLOCKED(mount("/dev/sda", "/tmp/escape-mnt", "ext4", 0, nullptr));
  EXPECT_BLOCKED(mount("/dev/vda", "/tmp/escape-mnt", "ext4", 0, nullptr));
}

// --- mounts, namespaces, chroot (CVE-2022-0492 and friends) -------------------------------

TEST(Escape, MountsAreRefused) {
  mkdir("/tmp/escape-mnt", 0755);
  EXPECT_BLOCKED(mount("none", "/tmp/escape-mnt", "tmpfs", 0, nullptr));
  EXPECT_BLOCKED(mount("cgroup", "/tmp/escape-mnt", "cgroup", 0, "rdma"));  // release_agent
  EXPECT_BLOCKED(mount("/", "/tmp/escape-mnt", nullptr, MS_BIND, nullptr));
  EXPECT_BLOCKED(umount2("/proc", MNT_DETACH));
}

TEST(Escape, ANewUserNamespaceGivesNoHostPower) {
  // Whether unshare itself is allowed differs (native's profile refuses it without
  // CAP_SYS_ADMIN); if it is, the new namespace's capabilities reach nothing of the host.
  int rc = InChild([] {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return 0;
    if (open("/proc/sys/kernel/core_pattern", O_WRONLY) >= 0) return 1;
    if (mknod("/tmp/escape-userns-sda", S_IFBLK | 0600, makedev(8, 0)) == 0) return 2;
    if (mount("/dev/sda", "/tmp", "ext4", 0, nullptr) == 0) return 3;
    return 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Escape, NamespacesOfOthersCannotBeJoined) {
  int fd = open("/proc/self/ns/mnt", O_RDONLY);
  if (fd >= 0) {
    EXPECT_BLOCKED(setns(fd, CLONE_NEWNS));
    close(fd);
  }
  EXPECT_BLOCKED(unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID));
}

TEST(Escape, ChrootBreakoutFails) {
  // The classic: chroot into a subdirectory while keeping the cwd outside, then climb.
  int rc = InChild([] {
    mkdir("/tmp/escape-jail", 0755);
    if (chroot("/tmp/escape-jail") != 0) return 0;  // refused: nothing to break out of
    for (int i = 0; i < 64; i++) (void)!chdir("..");
    if (chroot(".") != 0) return 0;
    const char* canary = getenv("STOCKADE_ESCAPE_CANARY");
    struct stat st;
    return canary && stat(canary, &st) == 0 ? 1 : 0;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Escape, PivotRootIsRefused) {
  mkdir("/tmp/escape-old", 0755);
  EXPECT_BLOCKED(syscall(SYS_pivot_root, "/tmp", "/tmp/escape-old"));
}

TEST(Escape, OpenByHandleIsRefused) {
  // "Shocker": open_by_handle_at reached any inode of the host file system.
  alignas(8) unsigned char buf[sizeof(struct file_handle) + 8] = {};
  auto* fh = reinterpret_cast<struct file_handle*>(buf);
  fh->handle_bytes = 8;
  fh->handle_type = 1;
  uint32_t ino = 2;  // the root inode of most host file systems
  memcpy(fh->f_handle, &ino, 4);
  EXPECT_BLOCKED(syscall(SYS_open_by_handle_at, AT_FDCWD, fh, O_RDONLY));
}

// --- host processes ------------------------------------------------------------------------

TEST(Escape, OnlyTheContainersProcessesCanBeNamed) {
  // Every PID that answers kill(pid, 0) is one of ours: /proc lists exactly those.
  for (pid_t p = 2; p < 4096; p++) {
    if (p == getpid()) continue;
    if (kill(p, 0) == 0) {
      std::string proc = "/proc/" + std::to_string(p);
      struct stat st;
      EXPECT_EQ(stat(proc.c_str(), &st), 0) << "pid " << p << " answers but is not ours";
    }
  }
}

TEST(Escape, HostProcessesCannotBeTracedOrWritten) {
  // PIDs outside the container's namespace do not exist here; a child of ours is the only
  // process ptrace may attach to.
  pid_t outside = 4000;  // no such process in the container
  EXPECT_BLOCKED(ptrace(PTRACE_ATTACH, outside, nullptr, nullptr));
  char buf[8] = {};
  struct iovec local = {buf, sizeof buf}, remote = {reinterpret_cast<void*>(0x400000), sizeof buf};
  EXPECT_BLOCKED(syscall(SYS_process_vm_writev, outside, &local, 1, &remote, 1, 0));
  EXPECT_BLOCKED(syscall(SYS_process_vm_readv, outside, &local, 1, &remote, 1, 0));
  EXPECT_BLOCKED(syscall(SYS_pidfd_open, outside, 0));
}

// --- network with network none: raw and packet sockets ------------------------------------

TEST(Escape, RawAndPacketSocketsAreRefused) {
  EXPECT_BLOCKED(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
  EXPECT_BLOCKED(socket(AF_INET, SOCK_RAW, IPPROTO_RAW));
  EXPECT_BLOCKED(socket(AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */));
}

TEST(Escape, TheRuntimesSocketsAreUnreachable) {
  // Neither the control socket nor the gofer's is in the container's file system, and an
  // abstract name of the runtime's answers nothing.
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0) return;  // the Sentry has no Unix sockets yet: nothing to connect with
  for (const char* name : {"/run/stockade", "/run/runc", "/var/run/docker.sock", "/run/containerd"}) {
    struct stat st;
    EXPECT_NE(stat(name, &st), 0) << name << " is visible";
  }
  struct sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  memcpy(a.sun_path + 1, "stockade", 8);
  EXPECT_BLOCKED(connect(s, reinterpret_cast<struct sockaddr*>(&a), sizeof(sa_family_t) + 9));
  close(s);
}

// --- kernel facilities no container needs -------------------------------------------------

TEST(Escape, KeyringsAreRefused) {
  EXPECT_BLOCKED(syscall(SYS_add_key, "user", "escape", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */));
  EXPECT_BLOCKED(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* user keyring */, 0));
  EXPECT_BLOCKED(syscall(SYS_request_key, "user", "escape", nullptr, 0));
}

TEST(Escape, BpfIsRefused) {
  union bpf_attr attr = {};
  struct bpf_insn prog[2] = {{0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};  // r0 = 0; exit
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = reinterpret_cast<uint64_t>(prog);
  attr.insn_cnt = 2;
  attr.license = reinterpret_cast<uint64_t>("GPL");
  EXPECT_BLOCKED(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr));
  attr = {};
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  EXPECT_BLOCKED(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr));
}

TEST(Escape, PerfEventOpenIsRefused) {
  struct perf_event_attr pe = {};
  pe.size = sizeof pe;
  pe.type = PERF_TYPE_SOFTWARE;
  pe.config = PERF_COUNT_SW_CPU_CLOCK;
  EXPECT_BLOCKED(syscall(SYS_perf_event_open, &pe, -1, 0, -1, 0));  // every process, CPU 0
}

TEST(Escape, UserfaultfdIsRefused) { EXPECT_BLOCKED(syscall(SYS_userfaultfd, O_CLOEXEC)); }

TEST(Escape, IoUringIsRefused) {
  unsigned char params[120] = {};
  EXPECT_BLOCKED(syscall(SYS_io_uring_setup, 4, params));
}

TEST(Escape, KernelModulesAndKexecAreRefused) {
  EXPECT_BLOCKED(syscall(SYS_init_module, "", 0, ""));
  EXPECT_BLOCKED(syscall(SYS_finit_module, 0, "", 0));
  EXPECT_BLOCKED(syscall(SYS_delete_module, "loop", 0));
  EXPECT_BLOCKED(syscall(SYS_kexec_load, 0, 0, nullptr, 0));
}

TEST(Escape, HostWideStateCannotBeChanged) {
  struct timespec ts = {};
  clock_gettime(CLOCK_REALTIME, &ts);
  EXPECT_BLOCKED(clock_settime(CLOCK_REALTIME, &ts));
  struct timeval tv = {};
  gettimeofday(&tv, nullptr);
  EXPECT_BLOCKED(settimeofday(&tv, nullptr));
  EXPECT_BLOCKED(swapon("/tmp/escape-swap", 0));
  EXPECT_BLOCKED(syscall(SYS_iopl, 3));
  EXPECT_BLOCKED(syscall(SYS_ioperm, 0x80, 1, 1));
  EXPECT_BLOCKED(syscall(SYS_acct, "/tmp/escape-acct"));
}

TEST(Escape, RebootDoesNotReachTheHost) {
  // In a PID namespace reboot(2) with CAP_SYS_BOOT would end the container; without it, it
  // is refused. Either way the host keeps running: the runner checks it is still here.
  EXPECT_BLOCKED(reboot(0x4321fedc /* LINUX_REBOOT_CMD_CAD_OFF: harmless if it ran */));
}

// --- the console ---------------------------------------------------------------------------

TEST(Escape, TiocstiCannotTypeIntoTheHost) {
  // stdio is the runtime's: injecting input there would type into whoever reads it.
  char c = 'x';
  for (int fd = 0; fd <= 2; fd++) EXPECT_BLOCKED(ioctl(fd, TIOCSTI, &c));
  EXPECT_BLOCKED(open("/dev/tty", O_RDWR));  // no controlling terminal of the host's
}

// --- resources past the limits -------------------------------------------------------------

TEST(Escape, ForksStopAtThePidsLimit) {
  // run_escape.sh sets pids.limit = 64: the container cannot take the host's PIDs.
  int err = 0;
  EXPECT_LT(conformance::ForkUntilRefused(200, &err), 200u) << "200 processes: no pids limit held";
  EXPECT_EQ(err, EAGAIN);
}

TEST(Escape, DiskStopsAtTheMountsSize) {
  // /tmp is a 256 MiB tmpfs: writing past it fails instead of filling the host.
  int fd = open("/tmp/escape-fill", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  std::vector<char> chunk(1 << 20, 'x');
  int err = 0;
  size_t written = 0;
  for (int i = 0; i < 400; i++) {
    ssize_t n = write(fd, chunk.data(), chunk.size());
    if (n < 0) {
      err = errno;
      break;
    }
    written += static_cast<size_t>(n);
  }
  close(fd);
  unlink("/tmp/escape-fill");
  EXPECT_LT(written, 400u << 20);
  EXPECT_EQ(err, ENOSPC);
}

}  // namespace
