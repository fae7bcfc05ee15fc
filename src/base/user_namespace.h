// ID maps of a child's new user namespace, written by its parent.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"

namespace stockade {

// Writes /proc/<pid>/{setgroups,uid_map,gid_map}. Map texts are uid_map(5) lines
// ("inside outside count\n"...). `deny_setgroups` must be set when an unprivileged
// parent maps a gid; it also keeps the child from dropping supplementary groups.
Status WriteIdMaps(pid_t pid, const std::string& uid_map, const std::string& gid_map, bool deny_setgroups);

// Every ID our own user namespace has, mapped onto itself: a child namespace with these
// maps sees the same owners on every file as we do, so capabilities held in it apply to
// every file (capable_wrt_inode_uidgid), but never to anything owned by the initial
// namespace. `kind` is "uid" or "gid".
Result<std::string> IdentityMapOfOurs(const char* kind);

}  // namespace stockade
