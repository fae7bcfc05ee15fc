#include <unistd.h>

#include <iostream>

#include "base/log.h"
#include "cli/cli.h"

namespace stockade::cli {

int Fail(const std::string& msg) {
  // One line on stderr; the --log file (containerd reads it) gets it in its own format.
  std::string line = msg;
  for (char& c : line) {
    if (c == '\n') c = ' ';
  }
  if (log::MainFd() >= 0) log::Write(log::Level::kError, line);
  std::cerr << line << std::endl;
  return 1;
}

int Fail(const Error& e) { return Fail(e.ToString()); }

void PrintJson(const nlohmann::json& j, bool pretty) {
  std::cout << (pretty ? j.dump(2) : j.dump()) << std::endl;
}

void AddCreateFlags(CLI::App* sub, runtime::CreateOptions& o) {
  sub->add_option("-b,--bundle", o.bundle, "path to the bundle");
  sub->add_option("--pid-file", o.pid_file, "file to write the process id to");
  sub->add_option("--console-socket", o.console_socket, "unix socket to send the pty master to");
  sub->add_flag("--no-pivot", o.no_pivot, "use MS_MOVE+chroot instead of pivot_root");
  bool ignored = false;
  sub->add_flag("--no-new-keyring", ignored, "accepted for runc compatibility");
  sub->add_option("--preserve-fds", o.preserve_fds, "pass N extra FDs (3..) to the container")
      ->check(CLI::Range(0, 1000));
  sub->add_option("container-id", o.id, "container ID")->required();
}

}  // namespace stockade::cli
