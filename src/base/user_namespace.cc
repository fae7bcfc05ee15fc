#include "base/user_namespace.h"

#include <sstream>

#include "base/io.h"

namespace stockade {

Status WriteIdMaps(pid_t pid, const std::string& uid_map, const std::string& gid_map, bool deny_setgroups) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (deny_setgroups) TRY(WriteExisting(proc + "/setgroups", "deny"));
  TRY(WriteExisting(proc + "/uid_map", uid_map));
  return WriteExisting(proc + "/gid_map", gid_map);
}

Result<std::string> IdentityMapOfOurs(const char* kind) {
  std::string path = std::string("/proc/self/") + kind + "_map";
  ASSIGN_OR_RETURN(std::string ours, ReadFile(path));
  // Each of our lines is "ID-here ID-in-parent count": the IDs we have are the first
  // column's ranges, and a child names them the same way.
  std::istringstream in(ours);
  std::string out;
  unsigned long long first, outside, count;
  while (in >> first >> outside >> count) {
    out += std::to_string(first) + " " + std::to_string(first) + " " + std::to_string(count) + "\n";
  }
  if (out.empty()) return Error::Msg("\"" + path + "\" maps no IDs");
  return out;
}

}  // namespace stockade
