#include "boot/native/exec.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "base/io.h"

namespace stockade::native {
namespace {

// Go's syscall.Errno strings are glibc's strerror with a lowercase first letter.
std::string GoErrnoText(int err) {
  std::string s = strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string GoQuote(const std::string& s) { return "\"" + s + "\""; }

// Go's findExecutable: 0 when `path` is an executable regular file, else the errno, or -1 when
// stat itself failed (the caller words that differently).
int FindExecutable(const std::string& path, int* stat_errno) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *stat_errno = errno;
    return -1;
  }
  if (S_ISDIR(st.st_mode)) return EISDIR;
  if (::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) == 0) return 0;
  if (errno != ENOSYS && errno != EPERM) return errno;
  return (st.st_mode & 0111) != 0 ? 0 : EACCES;
}

std::string EnvValue(const std::vector<std::string>& env, const std::string& key, bool* found) {
  *found = false;
  std::string value;
  for (const auto& kv : env) {
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
      value = kv.substr(key.size() + 1);
      *found = true;
    }
  }
  return value;
}

// Closes every FD >= `first` except `keep` (made close-on-exec instead): a leaked runtime FD
// could name a host directory the program could escape through (CVE-2024-21626).
Status CloseFdsFrom(int first, std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  auto from = static_cast<unsigned int>(first);
  auto close_upto = [&](unsigned int last) -> Status {
    if (from > last) return Ok();
    if (::close_range(from, last, 0) == 0) return Ok();
    if (errno != ENOSYS) return Error::FromErrno("close_range");
    // Kernels before 5.9: walk /proc/self/fd.
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return Error::FromErrno("listing /proc/self/fd");
    std::vector<int> fds;
    while (struct dirent* e = ::readdir(d)) {
      if (!isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
      const int fd = static_cast<int>(strtol(e->d_name, nullptr, 10));
      if (fd != dirfd(d) && static_cast<unsigned>(fd) >= from &&
          static_cast<unsigned>(fd) <= last) {
        fds.push_back(fd);
      }
    }
    ::closedir(d);
    for (int fd : fds) ::close(fd);
    return Ok();
  };
  for (int k : keep) {
    if (k < first) continue;
    if (static_cast<unsigned int>(k) > from) TRY(close_upto(static_cast<unsigned int>(k) - 1));
    if (::fcntl(k, F_SETFD, FD_CLOEXEC) != 0 && errno != EBADF) {
      return Error::FromErrno("marking fd " + std::to_string(k) + " close-on-exec");
    }
    from = static_cast<unsigned int>(k) + 1;
  }
  return close_upto(~0U);
}

}  // namespace

std::string HomeFromPasswd(const std::string& passwd, uid_t uid) {
  std::istringstream in(passwd);
  std::string line;
  while (std::getline(in, line)) {
    // name:password:uid:gid:gecos:home:shell
    std::vector<std::string> f;
    size_t i = 0;
    while (true) {
      size_t j = line.find(':', i);
      f.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
      if (j == std::string::npos) break;
      i = j + 1;
    }
    if (f.size() < 7 || f[2].empty()) continue;
    char* end = nullptr;
    unsigned long id = strtoul(f[2].c_str(), &end, 10);
    if (*end == '\0' && id == uid) return f[5];
  }
  return "";
}

Result<std::vector<std::string>> PrepareEnv(const std::vector<std::string>& env, uid_t uid,
                                            const std::string& passwd) {
  // Walk backwards so the last value of each name wins, as in Go's dedupEnv.
  std::vector<std::string> out;
  std::map<std::string, bool> seen;
  bool home = false;
  for (auto it = env.rbegin(); it != env.rend(); ++it) {
    const std::string& kv = *it;
    size_t eq = kv.find('=');
    if (eq == std::string::npos) return Error::Msg("invalid environment variable: missing '='");
    if (eq == 0) return Error::Msg("invalid environment variable: name cannot be empty");
    std::string key = kv.substr(0, eq);
    if (seen[key]) continue;
    seen[key] = true;
    if (kv.find('\0') != std::string::npos) {
      return Error::Msg("invalid environment variable \"" + key + "\": contains nul byte (\\x00)");
    }
    if (key == "HOME") {
      // An empty HOME is replaced, like a missing one.
      if (eq + 1 == kv.size()) continue;
      home = true;
    }
    out.push_back(kv);
  }
  std::reverse(out.begin(), out.end());
  if (!home) {
    std::string h = HomeFromPasswd(passwd, uid);
    out.push_back("HOME=" + (h.empty() ? std::string("/") : h));
  }
  return out;
}

Result<std::string> ResolveExecutable(const std::string& name,
                                      const std::vector<std::string>& env) {
  const std::string prefix = "exec: " + GoQuote(name) + ": ";
  if (name.empty()) return Error::Msg(prefix + "executable file not found in $PATH");
  if (name.find('/') != std::string::npos) {
    int stat_errno = 0;
    int err = FindExecutable(name, &stat_errno);
    if (err == 0) return name;
    if (err < 0) return Error::Msg(prefix + "stat " + name + ": " + GoErrnoText(stat_errno));
    return Error::Msg(prefix + GoErrnoText(err));
  }
  bool found = false;
  std::string path = EnvValue(env, "PATH", &found);
  // Go's filepath.SplitList("") is empty: no PATH means nothing is found.
  if (!path.empty()) {
    size_t i = 0;
    while (true) {
      size_t j = path.find(':', i);
      std::string dir = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
      if (dir.empty()) dir = ".";
      std::string candidate = JoinPath(dir, name);
      int stat_errno = 0;
      if (FindExecutable(candidate, &stat_errno) == 0) {
        if (candidate[0] != '/') {
          return Error::Msg(prefix + "cannot run executable found relative to current directory");
        }
        return candidate;
      }
      if (j == std::string::npos) break;
      i = j + 1;
    }
  }
  return Error::Msg(prefix + "executable file not found in $PATH");
}

Result<std::string> ResolveExecutable(const oci::Process& p) {
  if (p.args.empty()) return Error(EINVAL, "process.args must not be empty");
  return ResolveExecutable(p.args[0], p.env);
}

Status ExecProcess(const oci::Process& p, const ProcessOptions& opts) {
  if (p.args.empty()) return Error(EINVAL, "process.args must not be empty");
  // Read after pivot_root: this is the container's passwd. A missing file just means no entry.
  auto passwd = ReadFile("/etc/passwd");
  ASSIGN_OR_RETURN(std::vector<std::string> env,
                   PrepareEnv(p.env, p.user.uid, passwd.ok() ? *passwd : ""));
  ASSIGN_OR_RETURN(std::string path, ResolveExecutable(p.args[0], env));
  if (opts.before_exec) TRY(opts.before_exec());
  if (p.no_new_privileges) TRY(InstallSeccomp(opts));
  TRY(CloseFdsFrom(3 + std::max(opts.preserve_fds, 0), opts.keep_fds));

  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  ::execve(path.c_str(), argv.data(), envp.data());
  return Error::FromErrno("exec " + GoQuote(path));
}

}  // namespace stockade::native
