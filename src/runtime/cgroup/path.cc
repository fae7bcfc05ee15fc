#include "runtime/cgroup/path.h"

#include <vector>

#include "base/io.h"
#include "runtime/cgroup/fsutil.h"

namespace stockade::cgroup {

namespace {
constexpr std::string_view kSliceSuffix = ".slice";
}  // namespace

std::string CleanPath(std::string_view path) {
  if (path.empty()) return "";
  bool absolute = path.front() == '/';
  std::vector<std::string_view> parts;
  for (std::string_view part : SplitOn(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      // Rooted cleaning: ".." at the top stays at the top, for both kinds of path.
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += "/";
    out += parts[i];
  }
  if (out.empty()) return ".";
  return out;
}

Result<std::string> ExpandSlice(std::string_view slice) {
  auto invalid = [&] { return Error(EINVAL, "invalid slice name \"" + std::string(slice) + "\""); };
  if (slice.size() < kSliceSuffix.size() || !slice.ends_with(kSliceSuffix)) return invalid();
  if (slice.find('/') != std::string_view::npos) return invalid();
  std::string_view name = slice.substr(0, slice.size() - kSliceSuffix.size());
  if (name == "-") return std::string("/");  // The root slice.
  std::string path;
  std::string prefix;
  for (std::string_view component : SplitOn(name, '-')) {
    // "a--b.slice", "-a.slice" and ".slice" have empty components, which systemd rejects.
    if (component.empty()) return invalid();
    path += "/" + prefix + std::string(component) + std::string(kSliceSuffix);
    prefix += std::string(component) + "-";
  }
  return path;
}

Result<std::string> SystemdPathToCgroupfs(std::string_view slice_prefix_name) {
  std::vector<std::string_view> parts = SplitOn(slice_prefix_name, ':');
  if (parts.size() != 3) {
    return Error(EINVAL,
                 "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd "
                 "cgroups, got \"" +
                     std::string(slice_prefix_name) + "\" instead");
  }
  std::string_view slice = parts[0].empty() ? std::string_view("system.slice") : parts[0];
  std::string_view prefix = parts[1];
  std::string_view name = parts[2];
  if (name.empty() || name.find('/') != std::string_view::npos ||
      prefix.find('/') != std::string_view::npos) {
    return Error(EINVAL, "invalid systemd unit name in cgroupsPath \"" +
                             std::string(slice_prefix_name) + "\"");
  }
  ASSIGN_OR_RETURN(std::string slice_path, ExpandSlice(slice));
  // Like runc: a scope unless the caller asked for a slice. runc keeps the '-' even when the
  // prefix is empty, and so do we, so both runtimes agree on where the container lives.
  std::string unit = name.ends_with(kSliceSuffix)
                         ? std::string(name)
                         : std::string(prefix) + "-" + std::string(name) + ".scope";
  return JoinPath(slice_path, unit);
}

Result<CgroupPath> ParseCgroupsPath(const std::string& cgroups_path, bool systemd,
                                    const std::string& container_id) {
  CgroupPath out;
  std::string raw = cgroups_path;
  if (raw.empty()) {
    if (container_id.empty() || container_id.find('/') != std::string::npos) {
      return Error(EINVAL, "invalid container id \"" + container_id + "\" for a cgroup name");
    }
    raw = systemd ? "system.slice:stockade:" + container_id : "/stockade/" + container_id;
  }
  if (systemd) {
    ASSIGN_OR_RETURN(std::string converted, SystemdPathToCgroupfs(raw));
    out.path = CleanPath(converted);
  } else {
    out.path = CleanPath(raw);
    out.relative = out.path.front() != '/';
  }
  if (out.path == "/" || out.path == ".") {
    return Error(EINVAL, "cgroupsPath \"" + cgroups_path +
                             "\" names a hierarchy root or our own cgroup; a container needs "
                             "its own cgroup");
  }
  return out;
}

std::map<std::string, std::string> ParseProcCgroup(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : SplitLines(text)) {
    // "ID:CONTROLLERS:PATH"; the path may itself contain ':'.
    size_t a = line.find(':');
    if (a == std::string_view::npos) continue;
    size_t b = line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view controllers = line.substr(a + 1, b - a - 1);
    std::string path(line.substr(b + 1));
    if (controllers.empty()) {
      out[""] = path;
      continue;
    }
    for (std::string_view c : SplitOn(controllers, ',')) out[std::string(c)] = path;
  }
  return out;
}

Result<std::map<std::string, std::string>> ReadOwnCgroups() {
  ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/self/cgroup"));
  return ParseProcCgroup(text);
}

Result<std::string> OwnDir(const Hierarchy& h, const std::map<std::string, std::string>& own) {
  std::string key = h.v2 ? "" : h.controllers.front();
  auto it = own.find(key);
  if (it == own.end()) {
    return Error(ENOENT, "our process is not in the \"" + h.Key() + "\" cgroup hierarchy");
  }
  const std::string& path = it->second;
  // Outside our cgroup namespace the kernel shows "/../..": there is nothing we can resolve.
  std::string rel;
  if (h.root == "/") {
    rel = path;
  } else if (path == h.root) {
    rel = "/";
  } else if (path.starts_with(h.root + "/")) {
    rel = path.substr(h.root.size());
  } else {
    return Error(ENOENT, "our \"" + h.Key() + "\" cgroup \"" + path +
                             "\" is not visible under its mount root \"" + h.root + "\"");
  }
  if (rel.empty() || rel.front() != '/' || CleanPath(rel) != rel) {
    return Error(EINVAL, "our \"" + h.Key() + "\" cgroup \"" + path + "\" is not a clean path");
  }
  return JoinPath(h.mountpoint, rel == "/" ? "" : rel);
}

}  // namespace stockade::cgroup
