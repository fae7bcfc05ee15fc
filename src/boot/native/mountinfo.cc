#include "boot/native/mountinfo.h"

#include <cstdlib>
#include <sstream>

#include "base/io.h"

namespace stockade::native {
namespace {

// The kernel escapes space, tab, newline and backslash in paths as \ooo octal.
std::string Unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Result<std::vector<MountInfo>> ParseMountInfo(const std::string& text) {
  std::vector<MountInfo> out;
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (line.empty()) continue;
    std::istringstream f(line);
    std::vector<std::string> fields;
    for (std::string w; f >> w;) fields.push_back(w);
    // id parent maj:min root mount_point options [optional...] - fstype source super_options
    size_t dash = 6;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (fields.size() < 6 || dash + 2 >= fields.size()) {
      return Error(EINVAL, "mountinfo line " + std::to_string(n) + " is malformed: " + line);
    }
    MountInfo m;
    m.id = static_cast<int>(std::strtol(fields[0].c_str(), nullptr, 10));
    m.parent = static_cast<int>(std::strtol(fields[1].c_str(), nullptr, 10));
    m.root = Unescape(fields[3]);
    m.mount_point = Unescape(fields[4]);
    m.options = fields[5];
    for (size_t i = 6; i < dash; ++i) {
      if (!m.optional.empty()) m.optional += " ";
      m.optional += fields[i];
    }
    m.fstype = fields[dash + 1];
    m.source = Unescape(fields[dash + 2]);
    if (dash + 3 < fields.size()) m.super_options = fields[dash + 3];
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<MountInfo>> ReadMountInfo() {
  ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/self/mountinfo"));
  return ParseMountInfo(text);
}

}  // namespace stockade::native
