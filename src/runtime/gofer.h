// Starting `stockade gofer` for a container on a Sentry platform, as runsc's
// createGoferProcess: one SOCK_SEQPACKET socketpair per served root (the
// rootfs first, then each bind mount of the spec), the gofer's ends donated
// to it, the Sentry's ends returned for the sandbox.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "boot/api/api.h"
#include "oci/spec.h"

namespace stockade::runtime {

struct Gofer {
  pid_t pid = 0;
  // What the Sentry mounts, each with its socket's FD in `sentry_ends` (the
  // fd fields are filled in when they are donated to the sandbox).
  std::vector<boot_api::GoferMount> mounts;
  std::vector<UniqueFd> sentry_ends;
  // Its start-up pipe: 'K' once it has confined itself, else its one-line
  // error, or EOF if it died (AwaitGofer).
  UniqueFd ready;
};

// The spec's mounts that the gofer serves: bind mounts, by their host source.
bool IsBindMount(const oci::Mount& m);

// Starts the gofer; AwaitGofer then waits until it has confined itself. The
// sandbox may be started in between (its requests wait in the sockets), so
// the two start up side by side. `on_spawned` runs before the gofer opens
// anything (e.g. to put it into the container's cgroup).
// With `memory_overlay` a writable rootfs is served read-only and marked for
// the Sentry's in-memory overlay (--overlay=memory).
Result<Gofer> LaunchGofer(const oci::Spec& spec, const std::string& rootfs, const std::string& bundle,
                          bool memory_overlay, const std::function<Status(pid_t)>& on_spawned,
                          const std::string& exe = "");

// Waits until the gofer has confined itself; if it failed instead, it is
// killed and reaped and its one-line error returned.
Status AwaitGofer(Gofer& g);

}  // namespace stockade::runtime
