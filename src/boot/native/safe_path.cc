#include "boot/native/safe_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <deque>
#include <vector>

namespace stockade::native {
namespace {

// Linux's own limit on symlinks followed in one lookup.
constexpr int kMaxSymlinks = 40;
// Bound on retries when a component appears or vanishes between our lookup and our mkdir.
constexpr int kMaxRaceRetries = 16;

std::deque<std::string> SplitComponents(const std::string& path) {
  std::deque<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) {
      std::string c = path.substr(i, j - i);
      if (c != ".") out.push_back(std::move(c));
    }
    i = j + 1;
  }
  return out;
}

Result<std::string> ReadLinkFd(int fd) {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(fd, "", buf, sizeof buf);
  if (n < 0) return Error::FromErrno("readlink");
  if (static_cast<size_t>(n) >= sizeof buf) return Error(ENAMETOOLONG, "readlink");
  return std::string(buf, static_cast<size_t>(n));
}

struct Level {
  UniqueFd fd;
  std::string name;
};

std::string StackPath(const std::vector<Level>& stack) {
  if (stack.size() <= 1) return "/";
  std::string p;
  for (size_t i = 1; i < stack.size(); ++i) p += "/" + stack[i].name;
  return p;
}

}  // namespace

std::string ProcFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Result<std::string> FdPath(int fd) {
  char buf[PATH_MAX];
  std::string link = ProcFdPath(fd);
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n < 0) return Error::FromErrno("readlink \"" + link + "\"");
  if (static_cast<size_t>(n) >= sizeof buf) return Error(ENAMETOOLONG, "readlink \"" + link + "\"");
  return std::string(buf, static_cast<size_t>(n));
}

std::string CleanPath(const std::string& path) {
  std::vector<std::string> parts;
  for (auto& c : SplitComponents(path)) {
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(std::move(c));
    }
  }
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out;
}

bool IsLexicallyInRoot(const std::string& root, const std::string& path) {
  if (root == "/") return !path.empty() && path[0] == '/';
  if (path.compare(0, root.size(), root) != 0) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

Result<InRoot> ResolveInRoot(int root_fd, const std::string& path, const ResolveOptions& opts) {
  const std::string shown = "\"" + path + "\"";
  std::vector<Level> stack;
  {
    int fd = ::openat(root_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error::FromErrno("opening the root to resolve " + shown);
    stack.push_back({UniqueFd(fd), ""});
  }
  std::deque<std::string> todo = SplitComponents(path);
  int links = 0;
  int races = 0;
  bool created_last = false;

  while (!todo.empty()) {
    std::string comp = std::move(todo.front());
    todo.pop_front();
    const bool last = todo.empty();
    if (comp == "..") {
      // Popping our own FD stack (instead of opening "..") keeps us inside the root even if a
      // directory is moved out from under us mid-walk.
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    const int dir = stack.back().fd.get();
    UniqueFd fd(::openat(dir, comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      const std::string where = StackPath(stack) + (stack.size() > 1 ? "/" : "") + comp;
      if (errno != ENOENT || opts.create == CreateMode::kNone) {
        return Error::FromErrno("resolving " + shown + " at \"" + where + "\"");
      }
      if (++races > kMaxRaceRetries)
        return Error(EAGAIN, "resolving " + shown + ": too many races");
      if (last && opts.create == CreateMode::kFile) {
        int f = ::openat(dir, comp.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
                         opts.file_mode);
        if (f < 0 && errno != EEXIST) return Error::FromErrno("creating file \"" + where + "\"");
        if (f >= 0) ::close(f);
      } else if (::mkdirat(dir, comp.c_str(), opts.mode) != 0 && errno != EEXIST) {
        return Error::FromErrno("creating directory \"" + where + "\"");
      }
      // Re-open through the normal path so whatever is there now (ours, or a racing symlink)
      // gets the same checks as a pre-existing entry.
      created_last = last;
      todo.push_front(std::move(comp));
      continue;
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("stat while resolving " + shown);
    if (S_ISLNK(st.st_mode)) {
      if (last && opts.nofollow_last) {
        return Error(ELOOP, "resolving " + shown + ": last component is a symlink");
      }
      if (++links > kMaxSymlinks) return Error(ELOOP, "resolving " + shown);
      ASSIGN_OR_RETURN(std::string target, ReadLinkFd(fd.get()));
      std::deque<std::string> parts = SplitComponents(target);
      todo.insert(todo.begin(), parts.begin(), parts.end());
      // Absolute targets restart at the container's root, not the host's.
      if (!target.empty() && target[0] == '/') stack.resize(1);
      created_last = false;
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) {
      return Error(ENOTDIR, "resolving " + shown + ": \"" + StackPath(stack) +
                                (stack.size() > 1 ? "/" : "") + comp + "\" is not a directory");
    }
    stack.push_back({std::move(fd), std::move(comp)});
  }

  InRoot out;
  out.path = StackPath(stack);
  out.created = created_last && stack.size() > 1;
  if (stack.size() == 1) {
    int fd = ::openat(stack[0].fd.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error::FromErrno("reopening the root for " + shown);
    out.fd = UniqueFd(fd);
  } else {
    out.fd = std::move(stack.back().fd);
  }
  return out;
}

Result<std::pair<InRoot, std::string>> MkdirParentInRoot(int root_fd, const std::string& path) {
  std::string clean = CleanPath(path);
  if (clean == "/") return Error(EINVAL, "\"" + path + "\" names the root, which has no parent");
  size_t slash = clean.find_last_of('/');
  std::string name = clean.substr(slash + 1);
  ASSIGN_OR_RETURN(InRoot parent, MkdirAllInRoot(root_fd, clean.substr(0, slash)));
  return std::make_pair(std::move(parent), std::move(name));
}

}  // namespace stockade::native
