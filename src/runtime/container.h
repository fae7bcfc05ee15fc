// Host-side container operations, one per CLI subcommand. They keep the store, the cgroup and
// the sandbox consistent; every failure undoes what the operation made.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "oci/spec.h"
#include "runtime/store.h"

namespace stockade::runtime {

struct Globals {
  std::string root = "/run/stockade";
  bool systemd_cgroup = false;
  std::string platform = "native";
  std::string network = "sandbox";
  bool strace = false;  // Sentry platforms: log system calls to the debug log
  bool systrap_no_patch = false;  // systrap: leave the application's syscall sites alone
  // Sentry platforms: "memory" keeps the container's changes to a writable
  // rootfs in an in-memory upper layer (runsc's default); "none" writes through.
  std::string overlay = "memory";
};

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  int preserve_fds = 0;
  bool attached = false;  // `run` without --detach: the sandbox dies with us
};

// A container made by Create; for attached runs it carries the console copier.
struct Created {
  pid_t sandbox_pid = 0;
  int console_master = -1;  // attached run with a terminal and no console socket
};

Result<Created> Create(const Globals& g, const CreateOptions& o);
Status Start(const Globals& g, const std::string& id);
// create + start (+ wait unless detached). Returns the exit code to exit with.
Result<int> Run(const Globals& g, const CreateOptions& o, bool detach);
Result<nlohmann::json> State(const Globals& g, const std::string& id);
std::vector<nlohmann::json> ListStates(const Globals& g);
Status Kill(const Globals& g, const std::string& id, int sig, bool all);
Status Delete(const Globals& g, const std::string& id, bool force);
// Waits for the container's init and returns its exit code (128+N for signal N).
Result<int> Wait(const Globals& g, const std::string& id);
// A container's processes: host PIDs on native; on the Sentry platforms the
// sandbox's own list (PIDs in the container's namespace, with PPID and Cmd),
// since those processes exist only inside the sandbox.
struct ProcessList {
  std::vector<pid_t> pids;
  nlohmann::json entries = nlohmann::json::array();  // [{"PID","PPID","Cmd"}]
  bool in_sandbox = false;
};
Result<ProcessList> Processes(const Globals& g, const std::string& id);
Status Pause(const Globals& g, const std::string& id);
Status Resume(const Globals& g, const std::string& id);
Result<nlohmann::json> Stats(const Globals& g, const std::string& id);
Status Update(const Globals& g, const std::string& id, const oci::Resources& r);
Result<nlohmann::json> DebugStacks(const Globals& g, const std::string& id);
Status Unsupported(const Globals& g, const std::string& id, const std::string& method);

struct ExecOptions {
  std::string id;
  std::optional<oci::Process> process;  // from --process
  std::vector<std::string> args;
  std::string cwd;
  std::vector<std::string> env;
  std::string user;  // uid[:gid]
  std::vector<std::string> caps;
  bool tty = false;
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
  bool no_new_privs = false;
};
// Returns the exit code (detached: 0 once started).
Result<int> Exec(const Globals& g, const ExecOptions& o);

// The OCI state document for hooks and `state`.
nlohmann::json OciState(const ContainerState& s, const std::string& status);

}  // namespace stockade::runtime
