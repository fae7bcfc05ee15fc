#include "boot/native/capabilities.h"

namespace stockade::native {
namespace {

uint64_t ToMask(const std::vector<std::string>& names, std::vector<std::string>* ignored) {
  uint64_t mask = 0;
  for (const auto& n : names) {
    auto cap = caps::CapabilityFromName(n);
    if (!cap.ok() || *cap > caps::LastCapability() || *cap >= 64) {
      if (ignored != nullptr) ignored->push_back(n);
      continue;
    }
    mask |= uint64_t{1} << *cap;
  }
  return mask;
}

}  // namespace

caps::CapabilitySets ResolveCapabilities(const oci::Capabilities& spec,
                                         std::vector<std::string>* ignored) {
  caps::CapabilitySets s;
  s.bounding = ToMask(spec.bounding, ignored);
  s.effective = ToMask(spec.effective, ignored);
  s.permitted = ToMask(spec.permitted, ignored);
  s.inheritable = ToMask(spec.inheritable, ignored);
  s.ambient = ToMask(spec.ambient, ignored);
  return s;
}

}  // namespace stockade::native
