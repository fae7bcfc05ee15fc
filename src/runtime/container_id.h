#pragma once

#include <string>

#include "base/result.h"

namespace stockade::runtime {

// Container IDs follow runc: letters, digits, '_', '+', '-', '.', not "." or "..", bounded length.
// IDs become path components under --root, so this check is what keeps a hostile ID from
// escaping the state directory.
Status ValidateContainerId(const std::string& id);

}  // namespace stockade::runtime
