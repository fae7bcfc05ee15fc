// What the CLI tells `stockade gofer --config-fd N`: the roots to serve, each
// on its own socket (an FD the gofer inherits), and where to chroot.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace stockade::gofer {

struct ServedRoot {
  std::string source;  // absolute host path: the rootfs, or a bind mount's source
  bool readonly = false;
  int fd = -1;         // the gofer's end of this root's SOCK_SEQPACKET socketpair
};

struct Config {
  std::string rootfs;  // chrooted into once every root is open
  std::vector<ServedRoot> roots;
  int sync_fd = -1;    // gets 'K' once confined, or 'E' and a one-line error
  bool debug = false;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ServedRoot, source, readonly, fd)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Config, rootfs, roots, sync_fd, debug)

// `stockade gofer --config-fd N`: opens the roots, confines itself and serves
// until the Sentry closes every socket. Returns the process's exit code.
int GoferMain(int config_fd);

}  // namespace stockade::gofer
