// process.capabilities: parsing names, the bounding set, and the final capability sets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::native {

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

// Names -> masks. Like runc, names that are unknown or not supported by the running kernel are
// left out and returned in `ignored` (the caller warns) instead of failing.
CapabilitySets ResolveCapabilities(const oci::Capabilities& caps,
                                   std::vector<std::string>* ignored);

// The highest capability number the running kernel knows.
int LastCapability();

// Drops every capability not in `keep` from the bounding set. Needs CAP_SETPCAP, so it runs
// before the uid change.
Status DropBoundingSet(uint64_t keep);

// Sets effective/permitted/inheritable, then the ambient set (failures to raise an ambient
// capability only warn, as in runc, for compatibility).
Status ApplyCapabilities(const CapabilitySets& sets);

}  // namespace stockade::native
