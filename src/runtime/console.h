// Terminals for containers. The sandbox makes the terminal inside the container (so the
// container sees its own /dev/pts/N) and hands its master back; we size it and pass it on over
// --console-socket (runc's protocol: one message, SCM_RIGHTS), or, for an attached `run` or
// `exec` without a socket, copy it to our own stdio.
#pragma once

#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace stockade::runtime {

// Sizes the master and sends it to the console socket. Without a socket, returns the master
// for the caller to copy from (attached runs); otherwise an invalid FD.
Result<UniqueFd> DeliverConsole(UniqueFd master, const std::optional<oci::ConsoleSize>& size,
                                const std::string& console_socket);
Status SetWinsize(int fd, unsigned rows, unsigned cols);
// Connects to the console socket and sends the master FD with the payload "/dev/ptmx".
Status SendConsole(const std::string& socket_path, int master_fd);
// For attached `run` with a terminal and no console socket: puts our stdin in raw mode and
// copies stdin->master and master->stdout until the master hangs up. Runs in a thread.
std::thread StartConsoleCopy(int master_fd);

}  // namespace stockade::runtime
