// Device access rules for the v1 devices controller.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::cgroup {

// The v1 devices.allow/devices.deny line for one rule: "c 1:3 rwm", "b 8:* r", "a *:* rwm".
// An empty type means "a" and an empty access means "rwm", as in the runtime spec.
Result<std::string> DeviceRuleLine(const oci::DeviceCgroupRule& rule);

// The rules runc adds after the spec's own (libcontainer/specconv AllowedDevices): /dev/null,
// zero, full, tty, random, urandom, console, ptmx, pts/*, /dev/net/tun, and mknod of any char
// or block device. Apply does NOT add these on its own: the native backend should append them
// (as runc does) because images expect /dev/null; the sandboxed platforms may choose otherwise.
std::vector<oci::DeviceCgroupRule> RuncDefaultDeviceRules();

}  // namespace stockade::cgroup
