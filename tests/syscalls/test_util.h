// Shared helpers for the syscall conformance programs.
//
// Every program is built once and run twice: directly on the host and as the init process of
// a Stockade sandbox (see run_in_sandbox.sh). Helpers here must therefore behave the same in
// both places; the few differences that cannot be avoided are keyed on InSandbox().
#pragma once

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace conformance {

// Children killed by core-dumping signals (SIGSEGV, SIGABRT, ...) must not leave core files
// behind. A soft RLIMIT_CORE of 1 byte prevents both file dumps (smaller than a page) and
// piped ones (1 is the kernel's "no pipe dump" value); it is set once at program start.
inline const bool kNoCoreDumps = [] {
  struct rlimit rl;
  if (getrlimit(RLIMIT_CORE, &rl) != 0) return false;
  rl.rlim_cur = rl.rlim_max == 0 ? 0 : 1;
  return setrlimit(RLIMIT_CORE, &rl) == 0;
}();

// True when run_in_sandbox.sh started us (it sets STOCKADE_CONFORMANCE_SANDBOX=1).
inline bool InSandbox() {
  const char* v = getenv("STOCKADE_CONFORMANCE_SANDBOX");
  return v != nullptr && strcmp(v, "1") == 0;
}

// The directories file tests run in, one per kind of file system: natively /tmp (or
// $STOCKADE_CONFORMANCE_FS_DIRS); in a sandbox run_in_sandbox.sh sets /tmp (tmpfs),
// /conformance-bind (a host directory bind-mounted read-write: the gofer on the Sentry) and
// /conformance-rootfs (in the writable rootfs: the memory overlay on the Sentry).
inline std::vector<std::string> FsTestDirs() {
  const char* v = getenv("STOCKADE_CONFORMANCE_FS_DIRS");
  std::string list = v != nullptr && *v != '\0' ? v : "/tmp";
  std::vector<std::string> dirs;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) dirs.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return dirs;
}

// A fresh directory under `base`, removed with everything in it when the object goes.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& base) {
    std::string tmpl = base + "/conf-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    // Depth first, not following symlinks (the tests run as root, so modes do not stop it).
    nftw(path_.c_str(), [](const char* p, const struct stat* st, int type, struct FTW*) {
      if (type == FTW_DP) {
        rmdir(p);
      } else {
        unlink(p);
      }
      (void)st;
      return 0;
    }, 64, FTW_DEPTH | FTW_PHYS);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// gtest parameter names for FsTestDirs(): "/conformance-bind" -> "conformance_bind".
inline std::string FsDirName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n;
  for (char c : info.param) {
    if (isalnum(static_cast<unsigned char>(c))) n += c;
    else if (!n.empty() && n.back() != '_') n += '_';
  }
  while (!n.empty() && n.back() == '_') n.pop_back();
  while (!n.empty() && n.front() == '_') n.erase(n.begin());
  return n.empty() ? "root" : n;
}

// In a forked child gtest assertions are useless; CHILD_CHECK prints and exits 1.
#define CHILD_CHECK(cond)                                                                  \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      int e_ = errno;                                                                      \
      dprintf(2, "%s:%d: CHILD_CHECK(%s) failed (errno=%d %s)\n", __FILE__, __LINE__, #cond, \
              e_, strerror(e_));                                                           \
      _exit(1);                                                                            \
    }                                                                                      \
  } while (0)

// Child-side: a call that must fail with errno `err`.
#define CHILD_CHECK_ERRNO(call, err)                                                          \
  do {                                                                                        \
    errno = 0;                                                                                \
    long r_ = (long)(call);                                                                   \
    int e_ = errno;                                                                           \
    if (r_ != -1 || e_ != (err)) {                                                            \
      dprintf(2, "%s:%d: %s returned %ld errno=%d (%s), want -1 errno=%d\n", __FILE__, __LINE__, \
              #call, r_, e_, strerror(e_), (int)(err));                                       \
      _exit(1);                                                                               \
    }                                                                                         \
  } while (0)

// Parent-side: a call that must fail with errno `err`.
#define EXPECT_ERRNO(err, call)                                                 \
  do {                                                                          \
    errno = 0;                                                                  \
    long r_ = (long)(call);                                                     \
    int e_ = errno;                                                             \
    EXPECT_EQ(r_, -1) << #call;                                                 \
    EXPECT_EQ(e_, (err)) << #call << ": got " << strerror(e_) << ", want " << strerror(err); \
  } while (0)

#define ASSERT_SYSCALL_OK(call)                                                            \
  do {                                                                                     \
    errno = 0;                                                                             \
    long r_ = (long)(call);                                                                \
    ASSERT_NE(r_, -1) << #call << ": " << strerror(errno);                                 \
  } while (0)

inline std::string DescribeStatus(int status) {
  char buf[96];
  if (WIFEXITED(status)) {
    snprintf(buf, sizeof buf, "exited with %d", WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  } else if (WIFSTOPPED(status)) {
    snprintf(buf, sizeof buf, "stopped by signal %d", WSTOPSIG(status));
  } else {
    snprintf(buf, sizeof buf, "status 0x%x", status);
  }
  return buf;
}

// waitpid that retries EINTR; returns the raw status, or -1 on failure.
inline int WaitStatus(pid_t pid, int options = 0) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, options);
  } while (r == -1 && errno == EINTR);
  return r == pid ? status : -1;
}

// Forks; the child runs fn (with a 60 s alarm as a hang guard) and _exits with its result.
// Returns the child's pid; the caller reaps it.
inline pid_t ForkChild(const std::function<int()>& fn) {
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    _exit(fn());
  }
  return pid;
}

// Forks, runs fn in the child, reaps it and returns the raw wait status.
inline int RunInChild(const std::function<int()>& fn) {
  pid_t pid = ForkChild(fn);
  if (pid < 0) return -1;
  return WaitStatus(pid);
}

#define EXPECT_EXITED(status, code)                                                   \
  do {                                                                                \
    int s_ = (status);                                                                \
    EXPECT_TRUE(s_ != -1 && WIFEXITED(s_) && WEXITSTATUS(s_) == (code))               \
        << "child " << conformance::DescribeStatus(s_) << ", want exit " << (code);   \
  } while (0)

#define EXPECT_SIGNALED(status, sig)                                                  \
  do {                                                                                \
    int s_ = (status);                                                                \
    EXPECT_TRUE(s_ != -1 && WIFSIGNALED(s_) && WTERMSIG(s_) == (sig))                 \
        << "child " << conformance::DescribeStatus(s_) << ", want signal " << (sig);  \
  } while (0)

// The child must exit 0.
#define EXPECT_CHILD_OK(...) EXPECT_EXITED(conformance::RunInChild(__VA_ARGS__), 0)

// An address that is certainly not mapped: a page that was mapped and then unmapped.
inline void* UnmappedAddress() {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) abort();
  munmap(p, 4096);
  return p;
}

// An address in the first page, never mapped for an unprivileged-looking process.
inline void* BadPointer() { return reinterpret_cast<void*>(1); }

// Whether `cap` is in our effective set (raw capget; no libcap).
inline bool HasCap(int cap) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

// Restores a signal's disposition when it goes out of scope.
class ScopedSigaction {
 public:
  ScopedSigaction(int sig, void (*handler)(int), int flags = 0) : sig_(sig) {
    struct sigaction sa = {};
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    ok_ = sigaction(sig, &sa, &old_) == 0;
  }
  ScopedSigaction(int sig, void (*action)(int, siginfo_t*, void*), int flags = 0) : sig_(sig) {
    struct sigaction sa = {};
    sa.sa_sigaction = action;
    sa.sa_flags = flags | SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ok_ = sigaction(sig, &sa, &old_) == 0;
  }
  ScopedSigaction(int sig, const struct sigaction& sa) : sig_(sig) {
    ok_ = sigaction(sig, &sa, &old_) == 0;
  }
  ~ScopedSigaction() { sigaction(sig_, &old_, nullptr); }
  bool ok() const { return ok_; }
  ScopedSigaction(const ScopedSigaction&) = delete;
  ScopedSigaction& operator=(const ScopedSigaction&) = delete;

 private:
  int sig_;
  bool ok_;
  struct sigaction old_ = {};
};

// Restores the thread's signal mask when it goes out of scope.
class ScopedSigmask {
 public:
  ScopedSigmask() { sigprocmask(SIG_SETMASK, nullptr, &old_); }
  ScopedSigmask(int how, std::initializer_list<int> sigs) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : sigs) sigaddset(&set, s);
    sigprocmask(how, &set, &old_);
  }
  ~ScopedSigmask() { sigprocmask(SIG_SETMASK, &old_, nullptr); }
  ScopedSigmask(const ScopedSigmask&) = delete;
  ScopedSigmask& operator=(const ScopedSigmask&) = delete;

 private:
  sigset_t old_;
};

// Consumes a pending (blocked) signal so it cannot leak into later tests.
inline void DrainSignal(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&set, nullptr, &zero) == sig) {
  }
}

// Removes a directory tree (used for temp dirs only).
inline void RemoveTree(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    if (DIR* d = opendir(path.c_str())) {
      while (struct dirent* e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        RemoveTree(path + "/" + e->d_name);
      }
      closedir(d);
    }
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

// A fresh directory under /tmp, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/conformance.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) abort();
    path_ = tmpl;
  }
  ~TempDir() { RemoveTree(path_); }
  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

 private:
  std::string path_;
};

// Writes `data` to a new file at path with the given mode. Returns false on failure.
inline bool WriteFile(const std::string& path, const std::string& data, mode_t mode = 0644) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      close(fd);
      return false;
    }
    off += n;
  }
  close(fd);
  return chmod(path.c_str(), mode) == 0;
}

// Reads fd to EOF.
inline std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, n);
  }
  return out;
}

// Absolute path of the running test program (from AT_EXECFN), resolved once at startup
// before any test changes the working directory.
inline const std::string& SelfPath() {
  static const std::string path = [] {
    const char* fn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
    std::string p = fn ? fn : "";
    if (!p.empty() && p[0] != '/') {
      char cwd[4096];
      if (getcwd(cwd, sizeof cwd)) p = std::string(cwd) + "/" + p;
    }
    return p;
  }();
  return path;
}

// Resolved at startup, before any test changes the working directory.
inline const bool kSelfPathResolved = !SelfPath().empty();

// The static helper program built next to the test programs (syscall_helper.cc).
inline std::string HelperPath() {
  const std::string& self = SelfPath();
  return self.substr(0, self.rfind('/') + 1) + "syscall_helper";
}

// Runs `argv` (argv[0] is the path) in a child with stdout captured; returns the raw wait
// status and stores the output.
inline int RunCapture(const std::vector<std::string>& args, std::string* out,
                      const std::vector<std::string>& env = {}) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    dup2(p[1], 1);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(p[1]);
  std::string s = ReadAll(p[0]);
  close(p[0]);
  if (out) *out = s;
  return WaitStatus(pid);
}

// Monotonic clock in nanoseconds.
inline int64_t NowNs(clockid_t clock = CLOCK_MONOTONIC) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Fault catching: runs fn and reports which of SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP it
// raised (0 if none), with the siginfo. Uses sigsetjmp/siglongjmp from the handler.
struct FaultInfo {
  int signo = 0;
  int code = 0;
  void* addr = nullptr;
};

namespace internal {
inline thread_local sigjmp_buf fault_jmp;
inline thread_local FaultInfo fault_info;
inline void FaultHandler(int sig, siginfo_t* si, void*) {
  fault_info.signo = sig;
  fault_info.code = si->si_code;
  fault_info.addr = si->si_addr;
  siglongjmp(fault_jmp, 1);
}
}  // namespace internal

inline FaultInfo CatchFault(const std::function<void()>& fn) {
  static const int kSigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
  struct sigaction sa = {}, old[5];
  sa.sa_sigaction = internal::FaultHandler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 5; i++) sigaction(kSigs[i], &sa, &old[i]);
  internal::fault_info = FaultInfo{};
  if (sigsetjmp(internal::fault_jmp, 1) == 0) {
    fn();
  }
  FaultInfo result = internal::fault_info;
  for (int i = 0; i < 5; i++) sigaction(kSigs[i], &old[i], nullptr);
  return result;
}

// ---- file-system tests -------------------------------------------------------------------

// Owns a descriptor and closes it at scope exit.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Sets the umask, and restores the old one at scope exit.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t m) : old_(umask(m)) {}
  ~ScopedUmask() { umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

// Restores the working directory when it goes out of scope (a test failure if it cannot).
class CwdRestorer {
 public:
  CwdRestorer() : fd_(open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  ~CwdRestorer() {
    if (fd_ >= 0) {
      if (fchdir(fd_) != 0) ADD_FAILURE() << "cannot restore cwd";
      close(fd_);
    }
  }
  CwdRestorer(const CwdRestorer&) = delete;
  CwdRestorer& operator=(const CwdRestorer&) = delete;

 private:
  int fd_;
};

// The contents of the file at `path` (opened O_RDONLY | flags), or "<strerror>" if it
// cannot be opened.
inline std::string ReadPath(const std::string& path, int flags = 0) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return "<" + std::string(strerror(errno)) + ">";
  std::string s = ReadAll(fd);
  close(fd);
  return s;
}

// Reads `fd` (the result of an open call) to EOF and closes it; "<strerror>" if fd < 0.
inline std::string ReadFd(int fd) {
  if (fd < 0) return "<" + std::string(strerror(errno)) + ">";
  std::string s = ReadAll(fd);
  close(fd);
  return s;
}

// The target of the symlink at `path`, or "<strerror>".
inline std::string Readlink(const std::string& path) {
  char buf[PATH_MAX + 1];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "<" + std::string(strerror(errno)) + ">" : std::string(buf, n);
}

// Base fixture for tests parameterized over FsTestDirs(): each test runs in a fresh
// ScratchDir under its parameter, optionally with a fixed umask (restored afterwards).
class FsFixture : public ::testing::TestWithParam<std::string> {
 protected:
  FsFixture() = default;
  explicit FsFixture(mode_t test_umask) : set_umask_(true), test_umask_(test_umask) {}

  void SetUp() override {
    if (set_umask_) old_umask_ = umask(test_umask_);
    dir_ = std::make_unique<ScratchDir>(GetParam());
    ASSERT_TRUE(dir_->ok()) << GetParam() << ": " << strerror(errno);
  }
  void TearDown() override {
    if (set_umask_) umask(old_umask_);
  }

  // The path of `name` in the scratch directory, and the scratch directory itself.
  std::string P(const std::string& name) const { return *dir_ / name; }
  const std::string& D() const { return dir_->path(); }
  void File(const std::string& name, const std::string& data = "", mode_t mode = 0644) {
    ASSERT_TRUE(WriteFile(P(name), data, mode)) << name << ": " << strerror(errno);
  }
  void Dir(const std::string& name, mode_t mode = 0755) {
    ASSERT_EQ(mkdir(P(name).c_str(), mode), 0) << name << ": " << strerror(errno);
  }
  void Link(const std::string& target, const std::string& name) {
    ASSERT_EQ(symlink(target.c_str(), P(name).c_str()), 0) << name << ": " << strerror(errno);
  }
  // Opens `name` (O_CLOEXEC added); a test failure if that fails.
  int Open(const std::string& name, int flags, mode_t mode = 0644) {
    int fd = open(P(name).c_str(), flags | O_CLOEXEC, mode);
    EXPECT_GE(fd, 0) << name << ": " << strerror(errno);
    return fd;
  }
  // Opens the directory `name` ("" for the scratch directory); a test failure if that fails.
  int OpenDir(const std::string& name = "") {
    std::string p = name.empty() ? D() : P(name);
    int fd = open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(fd, 0) << p << ": " << strerror(errno);
    return fd;
  }
  struct stat St(const std::string& name, bool follow = true) {
    struct stat st = {};
    int r = follow ? stat(P(name).c_str(), &st) : lstat(P(name).c_str(), &st);
    EXPECT_EQ(r, 0) << name << ": " << strerror(errno);
    return st;
  }
  mode_t Mode(const std::string& name, bool follow = true) { return St(name, follow).st_mode; }
  std::string Contents(const std::string& name) { return ReadPath(P(name)); }

 private:
  std::unique_ptr<ScratchDir> dir_;
  bool set_umask_ = false;
  mode_t test_umask_ = 022;
  mode_t old_umask_ = 022;
};

// Declares `suite` as a `fixture` (an FsFixture) and runs its TEST_Ps in every FsTestDirs()
// entry, named Fs/suite.Test/<FsDirName>.
#define FS_SUITE(suite, fixture)          \
  class suite : public fixture {};        \
  INSTANTIATE_TEST_SUITE_P(Fs, suite, ::testing::ValuesIn(FsTestDirs()), conformance::FsDirName)

// Child-side: sets the soft RLIMIT_NOFILE to `soft`, keeping the hard limit.
inline void ChildLowerNofile(rlim_t soft) {
  struct rlimit rl;
  CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
  struct rlimit low = {soft, rl.rlim_max};
  CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
}

// Child-side: opens /dev/null until that fails, which must be with EMFILE; returns the last
// descriptor it got (-1 if none). With `limit` >= 0 every descriptor must be below it.
inline int ChildOpenUntilEMFILE(int limit = -1) {
  int last = -1;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      CHILD_CHECK(errno == EMFILE);
      break;
    }
    if (limit >= 0) CHILD_CHECK(fd < limit);
    last = fd;
  }
  return last;
}

// The record getdents64 returns (struct linux_dirent64).
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// Forks children that only wait, until fork fails or `max` exist, then kills and reaps
// them all. Returns how many there were; *err is fork's errno (0 if it never failed).
inline size_t ForkUntilRefused(int max, int* err) {
  std::vector<pid_t> kids;
  *err = 0;
  for (int i = 0; i < max; i++) {
    pid_t p = fork();
    if (p == 0) {
      pause();
      _exit(0);
    }
    if (p < 0) {
      *err = errno;
      break;
    }
    kids.push_back(p);
  }
  for (pid_t k : kids) kill(k, SIGKILL);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  return kids.size();
}

}  // namespace conformance
