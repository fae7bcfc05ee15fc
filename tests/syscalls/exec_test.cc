// execve: argv/envp, errors, #! scripts, exec from a threaded process, close-on-exec, what
// survives exec (pid, ignored signals, mask) and what does not (handlers); the auxiliary vector.
#include <pthread.h>
#include <sys/auxv.h>

#include "test_util.h"

namespace conformance {
namespace {

// Runs execve(path, argv, envp) in a child; returns the child's errno if execve failed
// (exit status 100 + errno), else the helper's status.
int ExecErrno(const char* path, char* const argv[], char* const envp[]) {
  int status = RunInChild([&] {
    execve(path, argv, envp);
    return 100 + errno;
  });
  if (WIFEXITED(status) && WEXITSTATUS(status) >= 100) return WEXITSTATUS(status) - 100;
  return -1;
}

// Copies the helper program to `path` with `mode`: a program of the test's own, to chmod or to
// keep busy. Returns false on failure.
bool CopyHelper(const std::string& path, mode_t mode) {
  int fd = open(HelperPath().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string helper = ReadAll(fd);
  close(fd);
  return !helper.empty() && WriteFile(path, helper, mode);
}

std::vector<std::string> SplitNul(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\0') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

TEST(Execve, HelperExitStatus) {
  std::string out;
  EXPECT_EXITED(RunCapture({HelperPath(), "exit", "0"}, &out), 0);
  EXPECT_EXITED(RunCapture({HelperPath(), "exit", "42"}, &out), 42);
  EXPECT_EXITED(RunCapture({HelperPath(), "exit", "255"}, &out), 255);
}

TEST(Execve, ArgvAndEnvpArePassedExactly) {
  std::string out;
  std::vector<std::string> args = {HelperPath(), "echo-args", "", "two words", "tab\there"};
  std::vector<std::string> env = {"A=1", "EMPTY=", "WITH_EQ=x=y", "NOEQUALS"};
  EXPECT_EXITED(RunCapture(args, &out, env), 0);
  std::vector<std::string> want = args;
  want.push_back("--env--");
  for (auto& e : env) want.push_back(e);
  EXPECT_EQ(SplitNul(out), want);
}

TEST(Execve, EmptyEnvironment) {
  std::string out;
  EXPECT_EXITED(RunCapture({HelperPath(), "echo-args"}, &out, {}), 0);
  std::vector<std::string> want = {HelperPath(), "echo-args", "--env--"};
  EXPECT_EQ(SplitNul(out), want);
}

TEST(Execve, Errors) {
  char* argv[] = {const_cast<char*>("x"), nullptr};
  char* envp[] = {nullptr};
  EXPECT_EQ(ExecErrno("/nonexistent/dir/prog", argv, envp), ENOENT);
  EXPECT_EQ(ExecErrno("/etc/passwd/x", argv, envp), ENOTDIR);
  EXPECT_EQ(ExecErrno("/tmp", argv, envp), EACCES);  // a directory
  EXPECT_EQ(ExecErrno("", argv, envp), ENOENT);
}

TEST(Execve, NonExecutableFileEACCES) {
  TempDir dir;
  std::string path = dir.Join("noexec");
  // A valid program copied without any execute bit: even root may not run it.
  ASSERT_TRUE(CopyHelper(path, 0644));
  char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("exit"),
                  const_cast<char*>("0"), nullptr};
  char* envp[] = {nullptr};
  EXPECT_EQ(ExecErrno(path.c_str(), argv, envp), EACCES);
  ASSERT_EQ(chmod(path.c_str(), 0755), 0);
  EXPECT_EQ(ExecErrno(path.c_str(), argv, envp), -1);  // now it runs (and exits 0)
}

TEST(Execve, GarbageFileENOEXEC) {
  TempDir dir;
  std::string path = dir.Join("garbage");
  ASSERT_TRUE(WriteFile(path, std::string("\x01\x02garbage, not a program\n", 25), 0755));
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  char* envp[] = {nullptr};
  EXPECT_EQ(ExecErrno(path.c_str(), argv, envp), ENOEXEC);
  // A truncated ELF header is no better.
  ASSERT_TRUE(WriteFile(path, "\x7f" "ELF\x02\x01", 0755));
  EXPECT_EQ(ExecErrno(path.c_str(), argv, envp), ENOEXEC);
}

TEST(Execve, ShebangScriptRunsInterpreter) {
  TempDir dir;
  std::string path = dir.Join("script.sh");
  ASSERT_TRUE(WriteFile(path, "#!/bin/sh\nprintf '%s|%s|%s' \"$0\" \"$1\" \"$2\"\nexit 42\n", 0755));
  std::string out;
  EXPECT_EXITED(RunCapture({path, "first", "second arg"}, &out, {"PATH=/bin:/usr/bin"}), 42);
  EXPECT_EQ(out, path + "|first|second arg");
}

TEST(Execve, ShebangInterpreterArgument) {
  TempDir dir;
  std::string path = dir.Join("script");
  // The interpreter gets: its optional argument, the script path, then our arguments.
  ASSERT_TRUE(WriteFile(path, "#!" + HelperPath() + " echo-args\n", 0755));
  std::string out;
  EXPECT_EXITED(RunCapture({path, "x"}, &out, {}), 0);
  std::vector<std::string> want = {HelperPath(), "echo-args", path, "x", "--env--"};
  EXPECT_EQ(SplitNul(out), want);
}

TEST(Execve, ShebangMissingInterpreterENOENT) {
  TempDir dir;
  std::string path = dir.Join("script");
  ASSERT_TRUE(WriteFile(path, "#!/nonexistent/interpreter\n", 0755));
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  char* envp[] = {nullptr};
  EXPECT_EQ(ExecErrno(path.c_str(), argv, envp), ENOENT);
}

TEST(Execve, BadPointersEFAULT) {
  char* argv[] = {const_cast<char*>("x"), nullptr};
  char* envp[] = {nullptr};
  EXPECT_EQ(ExecErrno(static_cast<const char*>(BadPointer()), argv, envp), EFAULT);
  std::string helper = HelperPath();
  EXPECT_EQ(ExecErrno(helper.c_str(), static_cast<char**>(BadPointer()), envp), EFAULT);
  EXPECT_EQ(ExecErrno(helper.c_str(), argv, static_cast<char**>(UnmappedAddress())), EFAULT);
  char* bad_arg[] = {const_cast<char*>("x"), static_cast<char*>(BadPointer()), nullptr};
  EXPECT_EQ(ExecErrno(helper.c_str(), bad_arg, envp), EFAULT);
}

TEST(Execve, KeepsPid) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::string helper = HelperPath();
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    const char* argv[] = {helper.c_str(), "ids", nullptr};
    execv(argv[0], const_cast<char**>(argv));
    _exit(127);
  }
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_EQ(out, std::to_string(pid) + " " + std::to_string(pid));
}

TEST(Execve, FromThreadKillsOtherThreadsAndTakesLeaderTid) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  static std::string helper;
  helper = HelperPath();
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);
    dup2(p[1], 1);
    for (int i = 0; i < 3; i++) {
      pthread_t t;
      pthread_create(
          &t, nullptr,
          [](void*) -> void* {
            for (;;) pause();
            return nullptr;
          },
          nullptr);
    }
    pthread_t t;
    pthread_create(
        &t, nullptr,
        [](void*) -> void* {
          const char* argv[] = {helper.c_str(), "ids", nullptr};
          execv(argv[0], const_cast<char**>(argv));
          _exit(127);
          return nullptr;
        },
        nullptr);
    for (;;) pause();
  }
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  // The exec completes (the other threads were killed), in a process with the same pid,
  // whose only thread has tid == pid even though a non-leader thread called execve.
  EXPECT_EXITED(WaitStatus(pid), 0);
  EXPECT_EQ(out, std::to_string(pid) + " " + std::to_string(pid));
}

TEST(Execve, CloseOnExecDescriptorsAreClosed) {
  int keep = open("/dev/null", O_RDONLY);
  int drop = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int drop2 = fcntl(keep, F_DUPFD_CLOEXEC, 0);
  ASSERT_GE(keep, 0);
  ASSERT_GE(drop, 0);
  ASSERT_GE(drop2, 0);
  std::string out;
  EXPECT_EXITED(RunCapture({HelperPath(), "fd-state", std::to_string(keep), std::to_string(drop),
                            std::to_string(drop2)},
                           &out),
                0);
  EXPECT_EQ(out, "open closed closed");
  close(keep);
  close(drop);
  close(drop2);
}

void Nop(int) {}

TEST(Execve, HandlersResetIgnoredAndMaskKept) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  std::string helper = HelperPath();
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    signal(SIGUSR1, Nop);
    signal(SIGUSR2, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    std::string s1 = std::to_string(SIGUSR1), s2 = std::to_string(SIGUSR2),
                s3 = std::to_string(SIGINT), s4 = std::to_string(SIGTERM);
    const char* argv[] = {helper.c_str(), "sigstate", s1.c_str(), s2.c_str(), s3.c_str(),
                          s4.c_str(), nullptr};
    execv(argv[0], const_cast<char**>(argv));
    _exit(127);
  }
  close(p[1]);
  std::string out = ReadAll(p[0]);
  close(p[0]);
  EXPECT_EXITED(WaitStatus(pid), 0);
  // Caught -> default; ignored stays ignored; the blocked mask is inherited.
  EXPECT_EQ(out, "dfl,0 ign,0 dfl,1 dfl,0");
}

TEST(Execve, AuxvOfFreshImage) {
  std::string out;
  EXPECT_EXITED(RunCapture({HelperPath(), "auxv"}, &out), 0);
}

TEST(Auxv, PageSizeRandomPhdrEntry) {
  EXPECT_EQ(getauxval(AT_PAGESZ), 4096u);
  EXPECT_EQ((long)getauxval(AT_PAGESZ), sysconf(_SC_PAGESIZE));
  auto* rnd = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM));
  ASSERT_NE(rnd, nullptr);
  bool nonzero = false;
  for (int i = 0; i < 16; i++) nonzero |= rnd[i] != 0;  // 16 readable bytes
  EXPECT_TRUE(nonzero);
  EXPECT_NE(getauxval(AT_PHDR), 0u);
  EXPECT_NE(getauxval(AT_ENTRY), 0u);
  EXPECT_EQ(getauxval(AT_PHENT), 56u);  // sizeof(Elf64_Phdr)
  EXPECT_GT(getauxval(AT_PHNUM), 0u);
  EXPECT_EQ(getauxval(AT_SECURE), 0u);
  EXPECT_EQ(getauxval(AT_UID), getuid());
  EXPECT_EQ(getauxval(AT_EGID), getegid());
}

TEST(Auxv, ExecfnIsPathOfProgram) {
  const char* fn = reinterpret_cast<const char*>(getauxval(AT_EXECFN));
  ASSERT_NE(fn, nullptr);
  EXPECT_GT(strlen(fn), 0u);
  if (InSandbox()) {
    EXPECT_EQ(strncmp(fn, "/conformance/", 13), 0) << fn;  // process.args[0]
  }
  // It names this very program: its first bytes are an ELF header.
  int fd = open(fn, O_RDONLY);
  ASSERT_GE(fd, 0) << fn;
  char magic[4];
  EXPECT_EQ(read(fd, magic, 4), 4);
  EXPECT_EQ(memcmp(magic, "\x7f" "ELF", 4), 0);
  close(fd);
}

TEST(Auxv, StackCanaryComesFromAtRandom) {
  // Static glibc seeds the stack protector canary (%fs:0x28) from the AT_RANDOM bytes at
  // startup: a kernel that hands out AT_RANDOM but changes the bytes later breaks this.
  unsigned long canary;
  asm volatile("mov %%fs:0x28, %0" : "=r"(canary));
  auto* rnd = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM));
  unsigned long want;
  memcpy(&want, rnd, sizeof want);
  want &= ~0xfful;  // glibc zeroes the low byte (little-endian first byte) of the canary
  EXPECT_EQ(canary, want);
}

// A program some process runs cannot be opened for writing (ETXTBSY); once
// nobody runs it, it can.
TEST(Execve, RunningProgramIsNotWritable) {
  int fd = open("/proc/self/exe", O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, ETXTBSY);
  if (fd >= 0) close(fd);

  TempDir dir;
  std::string path = dir.Join("busy");
  ASSERT_TRUE(CopyHelper(path, 0755));
  int in[2];
  ASSERT_EQ(pipe(in), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dup2(in[0], 0);
    close(in[1]);
    char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("wait-stdin"), nullptr};
    execv(path.c_str(), argv);
    _exit(127);
  }
  close(in[0]);
  // Once the child runs the copy, its exe link names it.
  std::string exe = "/proc/" + std::to_string(child) + "/exe";
  for (int i = 0; i < 500; i++) {
    char target[4096] = {};
    if (readlink(exe.c_str(), target, sizeof target - 1) > 0 && path == target) break;
    usleep(10 * 1000);
  }
  fd = open(path.c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, ETXTBSY);
  if (fd >= 0) close(fd);
  EXPECT_EQ(open(path.c_str(), O_RDONLY | O_TRUNC), -1);
  EXPECT_EQ(errno, ETXTBSY);
  close(in[1]);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  fd = open(path.c_str(), O_WRONLY);
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
}

}  // namespace
}  // namespace conformance
