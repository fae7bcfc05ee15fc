#include "base/io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>

namespace stockade {

Result<UniqueFd> OpenFile(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Error::FromErrno("opening \"" + path + "\"");
  return UniqueFd(fd);
}

Result<std::string> ReadAll(int fd, size_t limit) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("reading");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit) return Error(EFBIG, "reading: larger than " + std::to_string(limit) + " bytes");
  }
  return out;
}

Result<std::string> ReadFile(const std::string& path) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY));
  auto r = ReadAll(fd.get());
  if (!r.ok()) return r.error().Wrap("\"" + path + "\"");
  return r;
}

Status WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::FromErrno("writing");
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Ok();
}

Status WriteExisting(const std::string& path, const std::string& data) {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_WRONLY));
  ssize_t n;
  do {
    n = ::write(fd.get(), data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("writing \"" + data + "\" to \"" + path + "\"");
  return Ok();
}

Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode,
                       bool durable) {
  std::string dir = Dirname(path);
  std::string tmpl = path + ".tmpXXXXXX";
  int fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("creating temp file for \"" + path + "\"");
  UniqueFd owned(fd);
  auto fail = [&](const char* what) {
    Error e = Error::FromErrno(std::string(what) + " \"" + tmpl + "\"");
    ::unlink(tmpl.c_str());
    return e;
  };
  if (fchmod(fd, mode) != 0) return fail("chmod");
  if (auto st = WriteAll(fd, data); !st.ok()) {
    int e = st.error().code();
    ::unlink(tmpl.c_str());
    return Error(e, "writing \"" + tmpl + "\"");
  }
  if (durable && fsync(fd) != 0) return fail("fsync");
  owned.reset();
  if (::rename(tmpl.c_str(), path.c_str()) != 0) return fail("renaming");
  if (durable) {
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.valid()) fsync(dfd.get());
  }
  return Ok();
}

Result<std::pair<UniqueFd, UniqueFd>> MakePipe(int flags) {
  int p[2];
  if (pipe2(p, flags) != 0) return Error::FromErrno("pipe2");
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Status MkdirAll(const std::string& path, mode_t mode) {
  if (path.empty()) return Ok();
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    size_t next = path.find('/', pos + 1);
    cur = path.substr(0, next);
    pos = next;
    if (cur.empty() || cur == "/") continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) {
      return Error::FromErrno("creating directory \"" + cur + "\"");
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Error::FromErrno("stat \"" + path + "\"");
  if (!S_ISDIR(st.st_mode)) return Error(ENOTDIR, "\"" + path + "\" is not a directory");
  return Ok();
}

namespace {
Status RemoveAt(int parent, const char* name, const std::string& shown) {
  if (::unlinkat(parent, name, 0) == 0 || errno == ENOENT) return Ok();
  if (errno != EISDIR && errno != EPERM) return Error::FromErrno("removing \"" + shown + "\"");
  int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::FromErrno("opening \"" + shown + "\"");
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return Error::FromErrno("reading \"" + shown + "\"");
  }
  Status st = Ok();
  while (struct dirent* e = readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    st = RemoveAt(dirfd(d), e->d_name, shown + "/" + e->d_name);
    if (!st.ok()) break;
  }
  closedir(d);
  if (!st.ok()) return st;
  if (::unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return Error::FromErrno("removing \"" + shown + "\"");
  }
  return Ok();
}
}  // namespace

Status RemoveAll(const std::string& path) { return RemoveAt(AT_FDCWD, path.c_str(), path); }

std::string Dirname(const std::string& path) {
  size_t p = path.find_last_of('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (a.back() == '/') return b.front() == '/' ? a + b.substr(1) : a + b;
  return b.front() == '/' ? a + b : a + "/" + b;
}

std::string AbsPath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf) == nullptr) return path;
  return JoinPath(buf, path.empty() ? "." : path);
}

}  // namespace stockade
