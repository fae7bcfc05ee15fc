#include "boot/native/rlimits.h"

#include <sys/resource.h>

#include "oci/names.h"

namespace stockade::native {

// The name table is the OCI library's, shared with spec validation.
Result<int> RlimitResource(const std::string& name) {
  if (auto n = oci::RlimitNumber(name)) return *n;
  return Error(EINVAL, "unknown rlimit type \"" + name + "\"");
}

Status ApplyRlimits(const std::vector<oci::Rlimit>& rlimits) {
  for (const auto& r : rlimits) {
    ASSIGN_OR_RETURN(int resource, RlimitResource(r.type));
    // RLIM_INFINITY is ~0 on Linux, the same as the spec's uint64 maximum.
    struct rlimit lim = {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
    if (::setrlimit(static_cast<__rlimit_resource>(resource), &lim) != 0) {
      return Error::FromErrno("setting rlimit " + r.type);
    }
  }
  return Ok();
}

}  // namespace stockade::native
