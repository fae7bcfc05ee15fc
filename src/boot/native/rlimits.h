// process.rlimits.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::native {

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE. Pure.
Result<int> RlimitResource(const std::string& name);

// setrlimit for each entry, in order. Raising a hard limit needs CAP_SYS_RESOURCE, so this runs
// before capabilities are dropped.
Status ApplyRlimits(const std::vector<oci::Rlimit>& rlimits);

}  // namespace stockade::native
