// Section parsers shared by parse.cc and friends. Internal to the OCI library.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::oci::internal {

// Each parses the object `v` found at JSON path `path`.
Result<Process> ParseProcessAt(const nlohmann::json& v, const std::string& path);
Result<Linux> ParseLinuxAt(const nlohmann::json& v, const std::string& path);
Result<Resources> ParseResourcesAt(const nlohmann::json& v, const std::string& path);
Result<Seccomp> ParseSeccompAt(const nlohmann::json& v, const std::string& path);
Result<IdMapping> ParseIdMappingAt(const nlohmann::json& v, const std::string& path);

}  // namespace stockade::oci::internal
