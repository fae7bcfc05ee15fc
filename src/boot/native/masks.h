// linux.maskedPaths and linux.readonlyPaths, applied inside the new root (after pivot_root, so
// paths resolve in the container and cannot reach the host).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace stockade::native {

// Files get /dev/null bind-mounted over them, directories an empty read-only tmpfs. Missing
// paths are skipped. The container's /dev/null must be the real 1:3 node (it was just created
// by us), so an image cannot substitute a writable file as the mask.
Status MaskPaths(const std::vector<std::string>& paths);

// Bind-mounts each path onto itself and remounts it read-only, keeping nosuid/nodev/noexec as
// they were. Missing paths are skipped.
Status ReadonlyPaths(const std::vector<std::string>& paths);

}  // namespace stockade::native
