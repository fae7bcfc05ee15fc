#include "caps/process_capabilities.h"

#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "base/log.h"

namespace stockade::caps {
namespace {

Status SetFlag(cap_t caps, cap_flag_t flag, uint64_t mask) {
  std::vector<cap_value_t> values;
  for (int c = 0; c < 64; ++c) {
    if (mask & (uint64_t{1} << c)) values.push_back(c);
  }
  if (values.empty()) return Ok();
  if (cap_set_flag(caps, flag, static_cast<int>(values.size()), values.data(), CAP_SET) != 0) {
    return Error::FromErrno("cap_set_flag");
  }
  return Ok();
}

}  // namespace

Result<int> CapabilityFromName(const std::string& name) {
  if (name.size() <= 4 || strncasecmp(name.c_str(), "CAP_", 4) != 0) {
    return Error(ENOENT, "unknown capability \"" + name + "\"");
  }
  std::string lower = name;
  for (auto& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  cap_value_t v;
  if (cap_from_name(lower.c_str(), &v) != 0) {
    return Error(ENOENT, "unknown capability \"" + name + "\"");
  }
  return static_cast<int>(v);
}

std::string CapabilityName(int cap) {
  char* n = cap_to_name(cap);
  std::string out = n != nullptr ? n : std::to_string(cap);
  cap_free(n);
  for (auto& c : out) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return out;
}

int LastCapability() { return static_cast<int>(cap_max_bits()) - 1; }

Status DropBoundingSet(uint64_t keep) {
  for (int c = 0; c <= LastCapability() && c < 64; ++c) {
    if (keep & (uint64_t{1} << c)) continue;
    int present = ::prctl(PR_CAPBSET_READ, c, 0, 0, 0);
    if (present <= 0) continue;
    if (::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
      return Error::FromErrno("dropping " + CapabilityName(c) + " from the bounding set");
    }
  }
  return Ok();
}

Status ApplyCapabilities(const CapabilitySets& sets) {
  cap_t caps = cap_init();
  if (caps == nullptr) return Error::FromErrno("cap_init");
  Status st = SetFlag(caps, CAP_EFFECTIVE, sets.effective);
  if (st.ok()) st = SetFlag(caps, CAP_PERMITTED, sets.permitted);
  if (st.ok()) st = SetFlag(caps, CAP_INHERITABLE, sets.inheritable);
  if (st.ok() && cap_set_proc(caps) != 0) {
    st = Error::FromErrno("setting capabilities (capset)");
  }
  cap_free(caps);
  TRY(st);

  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return Error::FromErrno("clearing ambient capabilities");
  }
  for (int c = 0; c < 64; ++c) {
    if ((sets.ambient & (uint64_t{1} << c)) == 0) continue;
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) != 0) {
      // runc only warns here: older runc silently ignored these errors.
      LOG_WARN("can't raise ambient capability %s: %s", CapabilityName(c).c_str(), strerrorname_np(errno));
    }
  }
  return Ok();
}

}  // namespace stockade::caps
