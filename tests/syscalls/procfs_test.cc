// /proc as programs read it: self, <pid>/{stat,status,cmdline,environ,comm,maps,limits,fd,
// exe,cwd,root}, and the system-wide files (uptime, meminfo, cpuinfo, loadavg, mounts,
// sys/kernel/*).
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <algorithm>

#include <fstream>
#include <thread>
#include <sstream>

#include "test_util.h"

extern char** environ;

namespace conformance {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string Link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// The value of "Key:\t..." in a status-style file.
std::string Field(const std::string& text, const std::string& key) {
  size_t p = text.find("\n" + key + ":");
  if (text.rfind(key + ":", 0) == 0) p = 0;
  else if (p == std::string::npos) return "";
  else p++;
  size_t start = text.find_first_not_of(" \t", p + key.size() + 1);
  size_t end = text.find('\n', start);
  return text.substr(start, end - start);
}

TEST(Procfs, SelfIsTheCallersPid) {
  EXPECT_EQ(std::to_string(getpid()), Link("/proc/self"));
  struct stat a, b;
  ASSERT_EQ(0, stat("/proc/self", &a));
  ASSERT_EQ(0, stat(("/proc/" + std::to_string(getpid())).c_str(), &b));
  EXPECT_TRUE(S_ISDIR(a.st_mode));
  EXPECT_EQ(a.st_ino, b.st_ino);
  struct stat l;
  ASSERT_EQ(0, lstat("/proc/self", &l));
  EXPECT_TRUE(S_ISLNK(l.st_mode));
  // A child sees itself.
  EXPECT_CHILD_OK([] { return Link("/proc/self") == std::to_string(getpid()) ? 0 : 1; });
}

TEST(Procfs, StatusHasIdsAndCredentials) {
  std::string s = Slurp("/proc/self/status");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(std::to_string(getpid()), Field(s, "Pid"));
  EXPECT_EQ(std::to_string(getppid()), Field(s, "PPid"));
  EXPECT_EQ(std::to_string(getuid()), Field(s, "Uid").substr(0, Field(s, "Uid").find('\t')));
  EXPECT_EQ(std::to_string(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)), Field(s, "NoNewPrivs"));
  EXPECT_EQ("1", Field(s, "Threads"));
  EXPECT_EQ(16u, Field(s, "CapEff").size());
  char comm[32] = {};
  prctl(PR_GET_NAME, comm);
  EXPECT_EQ(std::string(comm), Field(s, "Name"));
  EXPECT_EQ(std::string(comm) + "\n", Slurp("/proc/self/comm"));
}

TEST(Procfs, StatFieldsMatchTheProcess) {
  std::string s = Slurp("/proc/self/stat");
  size_t close = s.rfind(')');
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(std::to_string(getpid()), s.substr(0, s.find(' ')));
  std::istringstream rest(s.substr(close + 2));
  char state;
  int ppid, pgrp, session;
  rest >> state >> ppid >> pgrp >> session;
  EXPECT_TRUE(state == 'R' || state == 'S') << state;
  EXPECT_EQ(getppid(), ppid);
  EXPECT_EQ(getpgrp(), pgrp);
  EXPECT_EQ(getsid(0), session);
}

TEST(Procfs, CmdlineAndEnvironAreTheInitialOnes) {
  std::string cmd = Slurp("/proc/self/cmdline");
  ASSERT_FALSE(cmd.empty());
  EXPECT_EQ('\0', cmd.back());
  EXPECT_EQ(std::string(program_invocation_name), std::string(cmd.c_str()));
  std::string env = Slurp("/proc/self/environ");
  if (environ && environ[0]) EXPECT_NE(std::string::npos, env.find(environ[0]));
}

TEST(Procfs, LinksOutOfProc) {
  std::string exe = Link("/proc/self/exe");
  ASSERT_FALSE(exe.empty());
  EXPECT_EQ('/', exe[0]);
  EXPECT_NE(std::string::npos, exe.find("procfs_test"));
  struct stat via, direct;
  ASSERT_EQ(0, stat("/proc/self/exe", &via));
  ASSERT_EQ(0, stat(exe.c_str(), &direct));
  EXPECT_EQ(direct.st_ino, via.st_ino);
  EXPECT_EQ("/", Link("/proc/self/root"));
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(chdir("/tmp") == 0);
    CHILD_CHECK(Link("/proc/self/cwd") == "/tmp");
    return 0;
  });
}

TEST(Procfs, FdDirectoryListsOpenFiles) {
  TempDir dir;
  std::string path = dir.Join("f");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::string entry = "/proc/self/fd/" + std::to_string(fd);
  EXPECT_EQ(path, Link(entry));
  struct stat st;
  EXPECT_EQ(0, stat(entry.c_str(), &st));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  DIR* d = opendir("/proc/self/fd");
  ASSERT_NE(nullptr, d);
  bool seen = false;
  while (struct dirent* e = readdir(d)) seen |= std::string(e->d_name) == std::to_string(fd);
  closedir(d);
  EXPECT_TRUE(seen);
  close(fd);
  EXPECT_EQ("", Link(entry));
  EXPECT_EQ(ENOENT, errno);
}

TEST(Procfs, ProcessDirectoriesComeAndGo) {
  int p[2];
  ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
  pid_t c = ForkChild([&] {
    close(p[1]);
    char x;
    (void)!read(p[0], &x, 1);
    return 0;
  });
  close(p[0]);
  std::string dir = "/proc/" + std::to_string(c);
  struct stat st;
  EXPECT_EQ(0, stat(dir.c_str(), &st));
  EXPECT_NE(std::string::npos, Slurp(dir + "/stat").find("(" ));
  bool listed = false;
  DIR* d = opendir("/proc");
  ASSERT_NE(nullptr, d);
  while (struct dirent* e = readdir(d)) listed |= std::string(e->d_name) == std::to_string(c);
  closedir(d);
  EXPECT_TRUE(listed);
  close(p[1]);
  EXPECT_EXITED(WaitStatus(c), 0);
  EXPECT_ERRNO(ENOENT, stat(dir.c_str(), &st));
}

TEST(Procfs, TaskDirectoryHasEveryThread) {
  pid_t main_tid = static_cast<pid_t>(syscall(SYS_gettid));
  std::string self = "/proc/self/task/" + std::to_string(main_tid);
  struct stat st;
  ASSERT_EQ(0, stat(self.c_str(), &st));
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(std::to_string(main_tid), Field(Slurp(self + "/status"), "Pid"));
  EXPECT_EQ(std::to_string(getpid()) + "/task/" + std::to_string(main_tid), Link("/proc/thread-self"));
  // A second thread shows up with its own tid and name.
  int go[2];
  ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
  pid_t tid = 0;
  std::thread t([&] {
    prctl(PR_SET_NAME, "worker");  // named before it is published
    __atomic_store_n(&tid, static_cast<pid_t>(syscall(SYS_gettid)), __ATOMIC_SEQ_CST);
    char x;
    (void)!read(go[0], &x, 1);
  });
  while (__atomic_load_n(&tid, __ATOMIC_SEQ_CST) == 0) usleep(1000);
  std::string other = "/proc/self/task/" + std::to_string(tid);
  EXPECT_EQ("worker\n", Slurp(other + "/comm"));
  EXPECT_EQ(std::to_string(tid), Slurp(other + "/stat").substr(0, std::to_string(tid).size()));
  EXPECT_EQ("2", Field(Slurp("/proc/self/status"), "Threads"));
  close(go[1]);
  t.join();
  close(go[0]);
}

TEST(Procfs, MountinfoListsProc) {
  std::string mi = Slurp("/proc/self/mountinfo");
  EXPECT_NE(std::string::npos, mi.find(" /proc ")) << mi;
  EXPECT_NE(std::string::npos, mi.find(" - proc ")) << mi;
}

TEST(Procfs, MapsAndLimits) {
  std::string maps = Slurp("/proc/self/maps");
  EXPECT_NE(std::string::npos, maps.find("[stack]"));
  std::string lim = Slurp("/proc/self/limits");
  struct rlimit rl;
  ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
  size_t p = lim.find("Max open files");
  ASSERT_NE(std::string::npos, p);
  std::istringstream line(lim.substr(p + strlen("Max open files")));
  uint64_t soft, hard;
  line >> soft >> hard;
  EXPECT_EQ(rl.rlim_cur, soft);
  EXPECT_EQ(rl.rlim_max, hard);
}

TEST(Procfs, SystemWideFiles) {
  double up = -1, idle = -1;
  std::istringstream(Slurp("/proc/uptime")) >> up >> idle;
  EXPECT_GE(up, 0);
  EXPECT_GE(idle, 0);
  EXPECT_NE(std::string::npos, Slurp("/proc/meminfo").find("MemTotal:"));
  EXPECT_NE(std::string::npos, Slurp("/proc/cpuinfo").find("processor"));
  std::string load = Slurp("/proc/loadavg");
  EXPECT_EQ(4, static_cast<int>(std::count(load.begin(), load.end(), ' '))) << load;
  EXPECT_EQ("Linux\n", Slurp("/proc/sys/kernel/ostype"));
  char host[256] = {};
  gethostname(host, sizeof host);
  EXPECT_EQ(std::string(host) + "\n", Slurp("/proc/sys/kernel/hostname"));
  struct utsname u;
  uname(&u);
  EXPECT_EQ(std::string(u.release) + "\n", Slurp("/proc/sys/kernel/osrelease"));
  EXPECT_NE(std::string::npos, Slurp("/proc/mounts").find(" /proc proc "));
  EXPECT_EQ(0, Slurp("/proc/version").rfind("Linux version ", 0));
  struct statfs sfs;
  ASSERT_EQ(0, statfs("/proc", &sfs));
  EXPECT_EQ(0x9fa0, sfs.f_type);
}

}  // namespace
}  // namespace conformance
