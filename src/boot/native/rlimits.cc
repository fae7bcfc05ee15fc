#include "boot/native/rlimits.h"

#include <sys/resource.h>

#include <string_view>

namespace stockade::native {

Result<int> RlimitResource(const std::string& name) {
  struct Entry {
    std::string_view name;
    int resource;
  };
  static constexpr Entry kTable[] = {
      {"RLIMIT_AS", RLIMIT_AS},
      {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},
      {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},
      {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
      {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},
      {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},
      {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
      {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
      {"RLIMIT_STACK", RLIMIT_STACK},
  };
  for (const auto& e : kTable) {
    if (e.name == name) return e.resource;
  }
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
