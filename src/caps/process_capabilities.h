// The calling process's capability sets: reading names, trimming the bounding set and
// setting the rest. Used by the native container's init (from process.capabilities), the
// sandbox (which keeps none) and the gofer (which keeps the few it serves files with).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace stockade::caps {

// Bit masks by capability number (CAP_KILL = 5 -> 1 << 5).
struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
};

// "CAP_KILL" -> 5 (case-insensitive, "CAP_" required); ENOENT for names libcap doesn't know.
Result<int> CapabilityFromName(const std::string& name);

// "CAP_KILL" for 5 (the number itself for one libcap doesn't name).
std::string CapabilityName(int cap);

// The highest capability number the running kernel knows.
int LastCapability();

// Drops every capability not in `keep` from the bounding set. Needs CAP_SETPCAP, so it runs
// before a change of uid clears the effective set.
Status DropBoundingSet(uint64_t keep);

// Sets effective/permitted/inheritable, then the ambient set (failures to raise an ambient
// capability only warn, as in runc, for compatibility).
Status ApplyCapabilities(const CapabilitySets& sets);

}  // namespace stockade::caps
