// process.capabilities: the spec's names, resolved to the sets caps::ApplyCapabilities sets.
#pragma once

#include <string>
#include <vector>

#include "caps/process_capabilities.h"
#include "oci/spec.h"

namespace stockade::native {

// Names -> masks. Like runc, names that are unknown or not supported by the running kernel are
// left out and returned in `ignored` (the caller warns) instead of failing.
caps::CapabilitySets ResolveCapabilities(const oci::Capabilities& spec,
                                         std::vector<std::string>* ignored);

}  // namespace stockade::native
