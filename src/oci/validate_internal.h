// Section validators shared by validate.cc and friends. Internal to the OCI library.
#pragma once

#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::oci::internal {

// `path` is the JSON path of the section ("process", "linux", or "" for exec's process.json).
Status ValidateProcessAt(const Process& process, const std::string& path);
Status ValidateLinuxAt(const Spec& spec, const std::string& path);
Status ValidateSeccompAt(const Seccomp& seccomp, const std::string& path);
Status ValidateSysctlAt(const Spec& spec, const std::string& path);

// Common shapes of error message.
Error Required(const std::string& path);
Error NotAbsolute(const std::string& path, const std::string& value);

}  // namespace stockade::oci::internal
