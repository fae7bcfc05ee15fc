// Terminals for containers: a pty pair made on the host, the master handed to whoever asked for
// it over --console-socket (runc's protocol: one message, SCM_RIGHTS), the replica donated to
// the sandbox as the container's controlling terminal.
#pragma once

#include <string>
#include <thread>
#include <utility>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::runtime {

struct Pty {
  UniqueFd master;
  UniqueFd replica;
};

Result<Pty> OpenPty();
Status SetWinsize(int fd, unsigned rows, unsigned cols);
// Connects to the console socket and sends the master FD with the payload "/dev/ptmx".
Status SendConsole(const std::string& socket_path, int master_fd);
// For attached `run` with a terminal and no console socket: puts our stdin in raw mode and
// copies stdin->master and master->stdout until the master hangs up. Runs in a thread.
std::thread StartConsoleCopy(int master_fd);

}  // namespace stockade::runtime
