// The sandbox's published interface: the boot configuration handed to `stockade boot`, and the
// control-RPC method names and argument keys. Both the host side (src/runtime) and the sandbox
// (src/boot) include this; nothing else is shared between them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stockade::boot_api {

// Method names follow runsc's controller.go.
inline constexpr char kStartRoot[] = "containerManager.StartRoot";
inline constexpr char kFinishCreate[] = "containerManager.FinishCreate";  // Stockade: createContainer hooks + pivot
inline constexpr char kCreateSubcontainer[] = "containerManager.CreateSubcontainer";
inline constexpr char kStartSubcontainer[] = "containerManager.StartSubcontainer";
inline constexpr char kDestroySubcontainer[] = "containerManager.DestroySubcontainer";
inline constexpr char kExecuteAsync[] = "containerManager.ExecuteAsync";
inline constexpr char kProcesses[] = "containerManager.Processes";
inline constexpr char kWait[] = "containerManager.Wait";
inline constexpr char kWaitPID[] = "containerManager.WaitPID";
inline constexpr char kSignal[] = "containerManager.Signal";
inline constexpr char kPause[] = "containerManager.Pause";
inline constexpr char kResume[] = "containerManager.Resume";
inline constexpr char kEvent[] = "containerManager.Event";
inline constexpr char kUpdate[] = "containerManager.Update";  // Stockade: `update --resources`
inline constexpr char kRuntimeState[] = "containerManager.ContainerRuntimeState";
inline constexpr char kCheckpoint[] = "containerManager.Checkpoint";
inline constexpr char kRestore[] = "containerManager.Restore";
inline constexpr char kPortForward[] = "containerManager.PortForward";
inline constexpr char kDebugStacks[] = "debug.Stacks";
inline constexpr char kLoggingChange[] = "Logging.Change";

// In the result of StartRoot and StartSubcontainer: true when the container had already left
// "created", so the call started nothing (an earlier start got there first, perhaps one whose
// CLI died before recording it). Absent when the call started the container.
inline constexpr char kNoLongerCreated[] = "NoLongerCreated";

// Signal delivery modes, as runsc's SignalDeliveryMode.
enum SignalMode : int { kDeliverToProcess = 0, kDeliverToAllProcesses = 1, kDeliverToForegroundProcessGroup = 2 };

// A file system the gofer serves, as the Sentry mounts it.
struct GoferMount {
  std::string destination;  // "/" for the rootfs
  int fd = -1;              // the Sentry's end of its gofer socket (a donated FD number)
  bool readonly = false;     // as the container sees it
  bool overlay = false;      // served read-only under an in-memory upper layer
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GoferMount, destination, fd, readonly, overlay)

// Written by the CLI into a sealed memfd donated to `stockade boot --config-fd N`.
struct BootConfig {
  std::string id;          // the root container's ID (also the sandbox ID)
  std::string bundle;
  std::string rootfs;      // absolute host path
  nlohmann::json spec;     // config.json as parsed
  std::string platform = "native";
  std::string network = "sandbox";  // sandbox | host | none
  nlohmann::json cgroup;   // cgroup::Cgroup::ToJson(), null when none
  bool no_pivot = false;
  bool attached = false;   // `run` without --detach: die with the CLI
  // Donated FD numbers in the boot process (-1 when absent).
  int controller_fd = -1;  // listening control socket
  int sync_fd = -1;        // start-sync pipe (write end)
  int exit_fd = -1;        // exit-status file, written before boot exits
  std::vector<int> stdio_fds;  // 0,1,2 (+ preserved); none for a terminal, made inside
  std::vector<GoferMount> gofer_mounts;  // Sentry platforms: the rootfs first, then bind mounts
  bool strace = false;         // Sentry platforms: log every system call (--strace)
  bool systrap_no_patch = false;  // systrap: no syscall-site patching (--systrap-no-patch)
  int log_fd = -1;
  int debug_log_fd = -1;
  std::string debug_log_dir;  // --debug-log DIR/: the sandbox opens a file of its own there
  std::string log_format = "text";
  bool debug = false;
  bool userns_nobody = false;  // Sentry platforms: run as nobody in a new user namespace
  bool chroot_empty = false;   // Sentry platforms: chroot into an empty directory
  int cpus = 0;                // from the cgroup, for the Sentry
  int64_t memory_limit = 0;
  int saved_oom_score_adj = 0;
};

// One definition for both directions, so the keys cannot drift apart; absent keys keep the
// defaults above. Only our own CLI writes this, for the same binary's `boot`.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BootConfig, id, bundle, rootfs, spec, platform, network,
                                                cgroup, no_pivot, attached, controller_fd, sync_fd,
                                                exit_fd, stdio_fds, gofer_mounts, strace, systrap_no_patch, log_fd, debug_log_fd,
                                                debug_log_dir, log_format, debug, userns_nobody,
                                                chroot_empty, cpus, memory_limit,
                                                saved_oom_score_adj)

// The sync pipe carries one byte: kSyncOk when the sandbox is ready, or kSyncError followed by
// a one-line message.
inline constexpr char kSyncOk = 'K';
inline constexpr char kSyncError = 'E';

}  // namespace stockade::boot_api
