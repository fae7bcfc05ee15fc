#include "oci/features.h"

#include <seccomp.h>

#include <string>

#include "oci/default_spec.h"
#include "oci/names.h"

#ifndef STOCKADE_VERSION
#define STOCKADE_VERSION "unknown"
#endif

namespace stockade::oci {
namespace {

using nlohmann::json;

std::string LibseccompVersion() {
  const scmp_version* v = seccomp_version();
  if (v == nullptr) return "unknown";
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

}  // namespace

json Features() {
  // runc lists the namespaces it can create; time namespaces are valid in a spec but not
  // implemented by any backend yet, so they are left out here.
  json namespaces = json::array();
  for (const auto& ns : KnownNamespaceTypes()) {
    if (ns != "time") namespaces.push_back(ns);
  }
  json linux = {
      {"namespaces", std::move(namespaces)},
      {"capabilities", KnownCapabilities()},
      // --systemd-cgroup paths are mapped onto cgroupfs; there is no systemd (D-Bus) driver.
      {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
      {"seccomp",
       {{"enabled", true},
        {"actions", KnownSeccompActions()},
        {"operators", KnownSeccompOperators()},
        {"archs", KnownSeccompArchitectures()},
        {"knownFlags", KnownSeccompFlags()},
        {"supportedFlags", KnownSeccompFlags()}}},
      // No LSM integration: specs that ask for a profile or label are not refused, but the
      // label is not applied, so we must not claim support.
      {"apparmor", {{"enabled", false}}},
      {"selinux", {{"enabled", false}}},
      {"intelRdt", {{"enabled", false}}},
      {"mountExtensions", {{"idmap", {{"enabled", false}}}}},
  };
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", kSpecVersion},
      {"hooks", KnownHookKinds()},
      {"mountOptions", KnownMountOptions()},
      {"linux", std::move(linux)},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version", LibseccompVersion()},
        {"org.opencontainers.stockade.version", STOCKADE_VERSION}}},
  };
}

}  // namespace stockade::oci
