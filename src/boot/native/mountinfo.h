// Parsing of /proc/self/mountinfo (proc(5)). Pure apart from ReadMountInfo.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace stockade::native {

struct MountInfo {
  int id = 0;
  int parent = 0;
  std::string root;         // Root of the mount within its filesystem ("/" for a full mount).
  std::string mount_point;  // Relative to the reading process's root; escapes decoded.
  std::string options;      // Per-mount options ("rw,nosuid").
  std::string optional;     // Optional fields ("shared:1 master:2"), space-separated.
  std::string fstype;
  std::string source;
  std::string super_options;
};

Result<std::vector<MountInfo>> ParseMountInfo(const std::string& text);
Result<std::vector<MountInfo>> ReadMountInfo();

}  // namespace stockade::native
