#include "runtime/cgroup/mode.h"

#include <algorithm>
#include <set>

#include "base/io.h"
#include "runtime/cgroup/fsutil.h"

namespace stockade::cgroup {

namespace {

constexpr std::string_view kStandardRoot = "/sys/fs/cgroup";

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

// Super-block options of a v1 cgroup mount that are not controllers.
bool IsMountFlag(std::string_view opt) {
  static const std::set<std::string_view> kFlags = {
      "rw", "ro", "xattr", "noprefix", "clone_children", "cpuset_v2_mode", "none", "all"};
  return kFlags.count(opt) != 0 || opt.starts_with("release_agent=");
}

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kV1:
      return "v1";
    case Mode::kV2:
      return "v2";
    case Mode::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

Result<Mode> ParseMode(std::string_view name) {
  if (name == "v1") return Mode::kV1;
  if (name == "v2") return Mode::kV2;
  if (name == "hybrid") return Mode::kHybrid;
  return Error(EINVAL, "unknown cgroup mode \"" + std::string(name) + "\"");
}

std::string Hierarchy::Key() const {
  if (v2) return "unified";
  std::string key;
  for (const auto& c : controllers) {
    if (!key.empty()) key += ",";
    key += c;
  }
  return key;
}

Result<Layout> ParseMountInfo(std::string_view mountinfo) {
  std::vector<Hierarchy> v1;
  std::vector<Hierarchy> v2;
  std::set<std::string> seen_v1;  // A hierarchy bind-mounted twice is managed once.
  for (std::string_view line : SplitLines(mountinfo)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
    std::vector<std::string_view> f = SplitFields(line);
    auto sep = std::find(f.begin(), f.end(), "-");
    if (f.size() < 7 || sep == f.end() || f.end() - sep < 3) continue;
    std::string_view fstype = sep[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.root = Unescape(f[3]);
    h.mountpoint = Unescape(f[4]);
    if (fstype == "cgroup2") {
      h.v2 = true;
      v2.push_back(std::move(h));
      continue;
    }
    std::string_view super = f.end() - sep >= 4 ? sep[3] : std::string_view();
    bool systemd = false;
    for (std::string_view opt : SplitOn(super, ',')) {
      if (opt.empty() || IsMountFlag(opt)) continue;
      if (opt.starts_with("name=")) {
        systemd = systemd || opt == "name=systemd";
        continue;
      }
      h.controllers.emplace_back(opt);
    }
    // Other named hierarchies belong to whoever mounted them; only systemd's is joined, as
    // runc does, so tools that read name=systemd see the container.
    if (h.controllers.empty()) {
      if (!systemd) continue;
      h.controllers.push_back("name=systemd");
    }
    if (!seen_v1.insert(h.Key()).second) continue;
    v1.push_back(std::move(h));
  }

  // Prefer the cgroup2 mount at the standard places over any extra bind mounts.
  auto pick_v2 = [&]() -> const Hierarchy* {
    for (std::string_view want : {kStandardRoot, std::string_view("/sys/fs/cgroup/unified")}) {
      for (const auto& h : v2) {
        if (h.mountpoint == want) return &h;
      }
    }
    return v2.empty() ? nullptr : &v2.front();
  };
  const Hierarchy* unified = pick_v2();
  bool has_v1_controllers = std::any_of(v1.begin(), v1.end(), [](const Hierarchy& h) {
    return h.controllers.front() != "name=systemd";
  });

  Layout layout;
  if (unified != nullptr && (unified->mountpoint == kStandardRoot || !has_v1_controllers)) {
    layout.mode = Mode::kV2;
    layout.hierarchies.push_back(*unified);
    return layout;
  }
  if (!has_v1_controllers) return Error(ENOENT, "no cgroup filesystem is mounted");
  layout.mode = unified != nullptr ? Mode::kHybrid : Mode::kV1;
  layout.hierarchies = std::move(v1);
  if (unified != nullptr) layout.hierarchies.push_back(*unified);
  return layout;
}

Result<Layout> DetectLayout() {
  ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/self/mountinfo"));
  auto layout = ParseMountInfo(text);
  if (!layout.ok()) return layout.error().Wrap("detecting the cgroup layout");
  return layout;
}

Result<Mode> DetectMode() {
  ASSIGN_OR_RETURN(Layout layout, DetectLayout());
  return layout.mode;
}

}  // namespace stockade::cgroup
