// Lexical path cleaning with Go's filepath.Clean semantics, so that paths we derive from a
// spec (the rootfs, mount targets) compare equal to the ones runc would compute.
#pragma once

#include <string>

namespace stockade::oci {

// Collapses "//", "/./" and "x/.." without touching the file system. "" becomes ".", and ".."
// cannot climb above "/" in an absolute path.
std::string CleanPath(const std::string& path);

inline bool IsAbsolutePath(const std::string& path) { return !path.empty() && path[0] == '/'; }

}  // namespace stockade::oci
