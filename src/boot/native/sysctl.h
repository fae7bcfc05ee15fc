// linux.sysctl: writes under /proc/sys, after pivot_root (so it is the container's procfs).
#pragma once

#include <map>
#include <string>

#include "base/result.h"

namespace stockade::native {

// "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward". As sysctl(8), a key containing '/'
// is taken as a path already (so "net/ipv4/conf/eth0.100/forwarding" works). Keys that are empty
// or contain empty, "." or ".." components are rejected: they must not leave /proc/sys. Pure.
Result<std::string> SysctlPath(const std::string& key);

Status WriteSysctls(const std::map<std::string, std::string>& sysctls);

}  // namespace stockade::native
