// Running test code in a forked child (in new namespaces if asked) whose output comes back over
// a pipe, and reading what it reports. The test process itself never changes its own
// namespaces, credentials or capabilities. Header-only; for tests of any library.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "base/io.h"
#include "base/result.h"

namespace stockade::testing {

struct ChildResult {
  int status = -1;     // As from waitpid.
  std::string output;  // Everything the child wrote to stdout and stderr.
  bool Exited(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
  bool Signaled(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
};

// Prints "FAIL: <error>" and returns 1, for child bodies.
inline int Fail(const Error& e) {
  printf("FAIL: %s\n", e.ToString().c_str());
  fflush(stdout);
  return 1;
}

// Forks; the child unshares `unshare_flags` (making "/" rslave first when a mount namespace is
// new, so nothing can propagate back to the host), points stdin at /dev/null and stdout/stderr
// at a pipe, runs `body`, and exits with its return value. SIGALRM ends a hung child.
// With CLONE_NEWUSER the parent maps container ids 0-65535 to the same host ids (as a
// supervisor would). With CLONE_NEWPID `body` runs in a grandchild, pid 1 of the new namespace.
inline ChildResult RunInChild(int unshare_flags, const std::function<int()>& body,
                              unsigned timeout_s = 10) {
  ChildResult r;
  int p[2], to_parent[2], to_child[2];
  if (pipe2(p, O_CLOEXEC) != 0 || pipe2(to_parent, O_CLOEXEC) != 0 ||
      pipe2(to_child, O_CLOEXEC) != 0) {
    return r;
  }
  pid_t pid = fork();
  if (pid < 0) return r;
  if (pid == 0) {
    alarm(timeout_s);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(p[1], 1);
    dup2(p[1], 2);
    setvbuf(stdout, nullptr, _IONBF, 0);
    if (unshare_flags != 0 && unshare(unshare_flags) != 0) {
      printf("FAIL: unshare: %s\n", strerror(errno));
      _exit(100);
    }
    if (unshare_flags & CLONE_NEWUSER) {
      char c = 0;
      if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1 || c != 1) {
        printf("FAIL: no id mappings\n");
        _exit(100);
      }
    }
    if ((unshare_flags & CLONE_NEWNS) && mount("", "/", nullptr, MS_SLAVE | MS_REC, nullptr)) {
      printf("FAIL: making / rslave: %s\n", strerror(errno));
      _exit(100);
    }
    if (unshare_flags & CLONE_NEWPID) {
      pid_t inner = fork();
      if (inner == 0) _exit(body());
      int st = 0;
      if (inner < 0 || waitpid(inner, &st, 0) != inner) _exit(100);
      if (WIFSIGNALED(st)) {
        signal(WTERMSIG(st), SIG_DFL);
        kill(getpid(), WTERMSIG(st));
      }
      _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 100);
    }
    int rc = body();
    fflush(stdout);
    _exit(rc);
  }
  close(p[1]);
  close(to_parent[1]);
  close(to_child[0]);
  if (unshare_flags & CLONE_NEWUSER) {
    char c = 0;
    const std::string proc = "/proc/" + std::to_string(pid);
    c = read(to_parent[0], &c, 1) == 1 && WriteExisting(proc + "/uid_map", "0 0 65536\n").ok() &&
        WriteExisting(proc + "/gid_map", "0 0 65536\n").ok();
    (void)!write(to_child[1], &c, 1);
  }
  close(to_parent[0]);
  close(to_child[1]);
  auto out = ReadAll(p[0]);
  close(p[0]);
  if (out.ok()) r.output = *out;
  waitpid(pid, &r.status, 0);
  return r;
}

// The value of "Key:" in /proc/self/status text, trimmed ("" when absent).
inline std::string StatusField(const std::string& status, const std::string& key) {
  size_t p = status.find("\n" + key + ":");
  if (p == std::string::npos) return "";
  p += key.size() + 2;
  size_t e = status.find('\n', p);
  std::string v = status.substr(p, e == std::string::npos ? std::string::npos : e - p);
  size_t b = v.find_first_not_of(" \t");
  size_t last = v.find_last_not_of(" \t");
  return b == std::string::npos ? "" : v.substr(b, last - b + 1);
}

// The value of "key=value" lines that test children print ("<missing>" when absent). Only at
// the start of a line: "pid=" must not match "id=".
inline std::string OutputField(const std::string& out, const std::string& key) {
  size_t p = out.compare(0, key.size() + 1, key + "=") == 0 ? 0 : out.find("\n" + key + "=");
  if (p == std::string::npos) return "<missing>";
  if (p != 0) ++p;
  size_t e = out.find('\n', p);
  return out.substr(p + key.size() + 1,
                    e == std::string::npos ? std::string::npos : e - p - key.size() - 1);
}

}  // namespace stockade::testing
