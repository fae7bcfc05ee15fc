#include "runtime/cgroup/devices.h"

namespace stockade::cgroup {

Result<std::string> DeviceRuleLine(const oci::DeviceCgroupRule& rule) {
  std::string type = rule.type.empty() ? "a" : rule.type;
  if (type != "a" && type != "c" && type != "b") {
    return Error(EINVAL, "invalid device cgroup rule type \"" + rule.type + "\"");
  }
  std::string access = rule.access.empty() ? "rwm" : rule.access;
  if (access.find_first_not_of("rwm") != std::string::npos || access.size() > 3) {
    return Error(EINVAL, "invalid device cgroup rule access \"" + rule.access + "\"");
  }
  auto number = [](const std::optional<int64_t>& n) {
    // Unset and negative numbers are wildcards, as in runc.
    return n && *n >= 0 ? std::to_string(*n) : std::string("*");
  };
  return type + " " + number(rule.major) + ":" + number(rule.minor) + " " + access;
}

std::vector<oci::DeviceCgroupRule> RuncDefaultDeviceRules() {
  auto rule = [](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                 const char* access) {
    oci::DeviceCgroupRule r;
    r.allow = true;
    r.type = type;
    r.major = major;
    r.minor = minor;
    r.access = access;
    return r;
  };
  return {
      rule("c", std::nullopt, std::nullopt, "m"),  // mknod of any char device
      rule("b", std::nullopt, std::nullopt, "m"),  // mknod of any block device
      rule("c", 1, 3, "rwm"),                      // /dev/null
      rule("c", 1, 8, "rwm"),                      // /dev/random
      rule("c", 1, 7, "rwm"),                      // /dev/full
      rule("c", 5, 0, "rwm"),                      // /dev/tty
      rule("c", 1, 5, "rwm"),                      // /dev/zero
      rule("c", 1, 9, "rwm"),                      // /dev/urandom
      rule("c", 5, 1, "rwm"),                      // /dev/console
      rule("c", 136, std::nullopt, "rwm"),         // /dev/pts/*
      rule("c", 5, 2, "rwm"),                      // /dev/ptmx
      rule("c", 10, 200, "rwm"),                   // /dev/net/tun
  };
}

}  // namespace stockade::cgroup
