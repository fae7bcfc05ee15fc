// The closed vocabularies of the runtime-spec on Linux: capability, rlimit, namespace and
// seccomp names. Validation checks against them and `features` reports them, so both stay in
// step by construction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stockade::oci {

// "CAP_CHOWN" ... "CAP_CHECKPOINT_RESTORE": the 41 capabilities of Linux 5.9 to 6.x, in
// kernel number order (the index is the capability number).
const std::vector<std::string>& KnownCapabilities();
// The capability's number, or nullopt for an unknown name.
std::optional<int> CapabilityNumber(std::string_view name);

// "RLIMIT_AS" ... as accepted in process.rlimits[].type, and the resource number for each.
const std::vector<std::string>& KnownRlimits();
std::optional<int> RlimitNumber(std::string_view name);

// Namespace types of linux.namespaces[].type.
const std::vector<std::string>& KnownNamespaceTypes();

// The six hook kinds, in the order the spec lists them (prestart is deprecated but honoured).
const std::vector<std::string>& KnownHookKinds();

// Seccomp vocabulary as libseccomp spells it.
const std::vector<std::string>& KnownSeccompActions();
const std::vector<std::string>& KnownSeccompOperators();
const std::vector<std::string>& KnownSeccompArchitectures();
const std::vector<std::string>& KnownSeccompFlags();

// Mount options the runtime understands (what `runc features` lists).
const std::vector<std::string>& KnownMountOptions();

// Root filesystem propagation modes of linux.rootfsPropagation.
const std::vector<std::string>& KnownRootfsPropagations();

bool Contains(const std::vector<std::string>& list, std::string_view name);

}  // namespace stockade::oci
