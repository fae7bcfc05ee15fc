// `stockade do CMD [ARGS]`, as `runsc do`: runs a command in a fresh sandbox
// without a bundle. The host's root is the rootfs, seen read-only under the
// in-memory overlay (the command's writes stay in the sandbox); the sandbox
// is deleted when the command exits, whose exit code is returned.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/container.h"

namespace stockade::runtime {

struct DoOptions {
  std::vector<std::string> args;  // the command and its arguments
  std::string cwd;                // default: the caller's
};

// `g` names the platform (a Sentry one), network and overlay; the overlay
// must be "memory", or the host's root would be written.
Result<int> Do(const Globals& g, const DoOptions& o);

}  // namespace stockade::runtime
