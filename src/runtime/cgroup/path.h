// How linux.cgroupsPath becomes a directory in each hierarchy.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"
#include "runtime/cgroup/mode.h"

namespace stockade::cgroup {

// A container's cgroup, before it is placed in a hierarchy.
struct CgroupPath {
  // True: `path` is below our own cgroup in each hierarchy (which may differ per hierarchy).
  // False: `path` is below each hierarchy's visible root (its mountpoint).
  bool relative = false;
  // Clean: no "." or ".." components, no trailing '/'. Starts with '/' unless `relative`.
  std::string path;

  // `path` as given to Create and shown by Cgroup::Path().
  const std::string& ToString() const { return path; }
};

// Go's filepath.Clean, with runc's twist for relative paths: they are cleaned as if rooted, so
// "../../x" becomes "x" and can never climb out of the cgroup it is relative to.
std::string CleanPath(std::string_view path);

// systemd's slice-name expansion: "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice",
// "-.slice" -> "/". Rejects names without the suffix, with '/', or with empty components.
Result<std::string> ExpandSlice(std::string_view slice);

// runc's systemd cgroupsPath form "slice:prefix:name" -> the cgroupfs path systemd would give
// the unit: "machine.slice:libpod:abc" -> "/machine.slice/libpod-abc.scope". An empty slice
// means "system.slice"; a name ending in ".slice" is used as the unit name itself.
Result<std::string> SystemdPathToCgroupfs(std::string_view slice_prefix_name);

// Interprets linux.cgroupsPath:
//   ""                       -> "/stockade/<id>" (systemd: "system.slice:stockade:<id>")
//   "/a/b"                   -> absolute, below each hierarchy's root
//   "a/b"                    -> relative to our own cgroup in each hierarchy
//   systemd "slice:pfx:name" -> absolute, converted by SystemdPathToCgroupfs
// Paths that clean to a hierarchy root ("/") or to our own cgroup (".") are rejected: the
// container must never share them, and Destroy would try to remove them.
Result<CgroupPath> ParseCgroupsPath(const std::string& cgroups_path, bool systemd,
                                    const std::string& container_id);

// /proc/<pid>/cgroup as a map: each v1 controller ("memory", "name=systemd") and "" for the
// cgroup2 hierarchy -> the path inside that hierarchy.
std::map<std::string, std::string> ParseProcCgroup(std::string_view text);
Result<std::map<std::string, std::string>> ReadOwnCgroups();

// The absolute directory of the cgroup that `own` (a ParseProcCgroup map) puts us in within
// hierarchy `h`, accounting for the hierarchy's mount root.
Result<std::string> OwnDir(const Hierarchy& h, const std::map<std::string, std::string>& own);

}  // namespace stockade::cgroup
