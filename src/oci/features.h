// `stockade features`: the runtime-spec features document (features.md, runtime-spec 1.1+),
// shaped like `runc features` so that containerd and podman read it the same way.
#pragma once

#include <nlohmann/json.hpp>

namespace stockade::oci {

// What this build accepts and can apply. The vocabularies come from names.h, the same lists
// ValidateSpec checks against.
nlohmann::json Features();

}  // namespace stockade::oci
