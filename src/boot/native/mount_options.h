// Translation of OCI mount option strings into mount(2) flags, runc-compatible. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace stockade::native {

struct MountOptions {
  unsigned long flags = 0;    // MS_* to pass to mount(2) ("ro", "nosuid", "bind", ...).
  unsigned long cleared = 0;  // MS_* the user explicitly turned off ("rw", "suid", "exec", ...).
  // Propagation changes, applied one by one after the mount in a separate mount(2) each,
  // because the kernel rejects them combined with other flags.
  std::vector<unsigned long> propagation;
  // Recursive attributes ("rro", "rnosuid", ...), applied with mount_setattr(AT_RECURSIVE).
  uint64_t rec_attr_set = 0;
  uint64_t rec_attr_clr = 0;
  bool tmpcopyup = false;  // Accepted but not implemented (see README).
  bool idmap = false;      // "idmap"/"ridmap": idmapped mounts are not supported yet.
  std::string data;        // Every unknown option, comma-joined, for the filesystem.
};

// Never fails: unknown options are filesystem data, as in runc and mount(8).
MountOptions ParseMountOptions(const std::vector<std::string>& options);

// "rprivate" -> MS_PRIVATE|MS_REC etc., for linux.rootfsPropagation.
Result<unsigned long> ParsePropagation(const std::string& name);

// "ro|nosuid|bind" for error messages and logs.
std::string MountFlagsString(unsigned long flags);

}  // namespace stockade::native
