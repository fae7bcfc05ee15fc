#include "runtime/cgroup/fsutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <thread>

#include "base/io.h"
#include "base/unique_fd.h"

namespace stockade::cgroup {

std::vector<std::string_view> SplitLines(std::string_view text) { return SplitOn(text, '\n'); }

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::vector<std::string_view> SplitOn(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> ParseUint(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<std::string> ReadControl(const std::string& dir, const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(JoinPath(dir, file)));
  return std::string(TrimSpace(text));
}

Result<uint64_t> ReadControlUint(const std::string& dir, const std::string& file) {
  ASSIGN_OR_RETURN(std::string text, ReadControl(dir, file));
  if (text == "max") return std::numeric_limits<uint64_t>::max();
  std::optional<uint64_t> v = ParseUint(text);
  if (!v) {
    // v1 reports "-1"-style unlimited values as large positives, but a few files (e.g.
    // cpu.cfs_quota_us) really hold -1; callers that expect those use ReadControl.
    return Error(EINVAL, "parsing \"" + text + "\" from \"" + JoinPath(dir, file) + "\"");
  }
  return *v;
}

Status WriteControl(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = JoinPath(dir, file);
  auto fail = [&] { return Error::FromErrno("writing \"" + value + "\" to \"" + path + "\""); };
  // O_TRUNC matters only for the plain files that tests use as a fake cgroupfs.
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return fail();
  UniqueFd owned(fd);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail();
  if (static_cast<size_t>(n) != value.size()) {
    return Error(EIO, "short write of \"" + value + "\" to \"" + path + "\"");
  }
  return Ok();
}

bool ControlExists(const std::string& dir, const std::string& file) {
  return ::access(JoinPath(dir, file).c_str(), F_OK) == 0;
}

bool IsUnder(std::string_view path, std::string_view root) {
  if (!path.starts_with(root)) return false;
  if (path.size() == root.size() || root == "/") return true;
  return path[root.size()] == '/';
}

std::map<std::string, uint64_t> ParseFlatKeyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  for (std::string_view line : SplitLines(text)) {
    std::vector<std::string_view> f = SplitFields(line);
    if (f.size() != 2) continue;
    if (auto v = ParseUint(f[1])) out[std::string(f[0])] = *v;
  }
  return out;
}

namespace {

// Child cgroups of `dir` (subdirectories; control files are never directories).
Result<std::vector<std::string>> ChildCgroups(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Error::FromErrno("reading \"" + dir + "\"");
  while (struct dirent* e = ::readdir(d)) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (e->d_type == DT_DIR) out.push_back(JoinPath(dir, e->d_name));
  }
  ::closedir(d);
  return out;
}

}  // namespace

Status RemoveCgroupTree(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  auto children = ChildCgroups(dir);
  if (!children.ok()) {
    if (children.error().code() == ENOENT) return Ok();
    return children.error();
  }
  for (const auto& child : *children) TRY(RemoveCgroupTree(child, deadline));
  // Plain rmdir: cgroupfs control files cannot be unlinked, and rmdir of a cgroup removes them.
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Ok();
    if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) {
      return Error::FromErrno("removing cgroup \"" + dir + "\"");
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

namespace {

Status CollectProcs(const std::string& dir, std::vector<pid_t>* out) {
  auto text = ReadFile(JoinPath(dir, "cgroup.procs"));
  if (!text.ok()) return text.error();
  for (std::string_view line : SplitLines(*text)) {
    if (auto v = ParseInt(TrimSpace(line)); v && *v > 0) out->push_back(static_cast<pid_t>(*v));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> children, ChildCgroups(dir));
  for (const auto& child : children) {
    Status st = CollectProcs(child, out);
    // A child cgroup removed while we walk is not an error.
    if (!st.ok() && st.error().code() != ENOENT) return st;
  }
  return Ok();
}

}  // namespace

Result<std::vector<pid_t>> ReadProcsRecursive(const std::string& dir) {
  std::vector<pid_t> pids;
  Status st = CollectProcs(dir, &pids);
  if (!st.ok()) {
    if (st.error().code() == ENOENT) return std::vector<pid_t>{};
    return st.error();
  }
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

}  // namespace stockade::cgroup
