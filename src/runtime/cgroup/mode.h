// Which cgroup layout the host uses (v1, v2 or hybrid) and where each hierarchy is mounted,
// read from /proc/self/mountinfo.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stockade::cgroup {

enum class Mode {
  kV1,      // Only v1 hierarchies carry controllers.
  kV2,      // One unified cgroup2 hierarchy carries every controller.
  kHybrid,  // v1 hierarchies carry controllers; a controller-less cgroup2 tracks processes.
};

// "v1", "v2", "hybrid".
const char* ModeName(Mode mode);
Result<Mode> ParseMode(std::string_view name);

// One mounted hierarchy we manage.
struct Hierarchy {
  bool v2 = false;
  // v1: the controllers bound to this hierarchy in mount order ("cpu", "cpuacct"), or the single
  // entry "name=systemd" for systemd's named hierarchy. Empty for cgroup2.
  std::vector<std::string> controllers;
  std::string mountpoint;  // "/sys/fs/cgroup/memory"
  // The hierarchy path that is mounted at `mountpoint` (mountinfo field 4): "/" on hosts,
  // "/docker/<id>" or similar inside containers that bind a subtree.
  std::string root = "/";

  // "cpu,cpuacct", "name=systemd", or "unified" for cgroup2: the key used in Dirs() and state.
  std::string Key() const;
};

struct Layout {
  Mode mode = Mode::kV1;
  // v1 and hybrid: every v1 hierarchy with controllers plus name=systemd, then (hybrid only)
  // the cgroup2 hierarchy. v2: only the cgroup2 hierarchy.
  std::vector<Hierarchy> hierarchies;
};

// Parses the text of /proc/<pid>/mountinfo. Fails with ENOENT when no cgroup fs is mounted.
//
// The mode follows runc's statfs-based test, expressed on mountinfo: a cgroup2 mount at
// /sys/fs/cgroup itself means v2 (stray v1 mounts, e.g. a net_cls hierarchy for a VPN, do not
// change that); otherwise any v1 hierarchy with controllers means v1, or hybrid when a cgroup2
// mount also exists; a cgroup2 mount elsewhere alone means v2.
Result<Layout> ParseMountInfo(std::string_view mountinfo);

// Reads /proc/self/mountinfo.
Result<Layout> DetectLayout();
Result<Mode> DetectMode();

}  // namespace stockade::cgroup
