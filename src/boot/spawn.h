// Creating container processes from the (multithreaded) sandbox: every spawn runs on the
// supervisor thread, forks a single-threaded helper that joins the target namespaces, and the
// helper clone()s the real process with CLONE_PARENT so that the sandbox is its parent and can
// reap it (and so its parent-death signal is tied to the long-lived supervisor thread).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace stockade::boot {

// The child's end of its control channel (SOCK_SEQPACKET, close-on-exec, so a successful exec
// reads as EOF on the sandbox's end).
class Channel {
 public:
  explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}
  Channel() = default;
  int fd() const { return fd_.get(); }
  bool valid() const { return fd_.valid(); }
  struct Message {
    char tag = 0;  // 0 on EOF
    std::string payload;
    UniqueFd fd;  // an FD that came with the message (a terminal's master)
  };
  // One message: a tag byte, a payload, and optionally one FD.
  Status Send(char tag, const std::string& payload = "", int fd = -1);
  // Blocks for one message; EOF gives tag 0. timeout_ms < 0 waits forever.
  Result<Message> Recv(int timeout_ms = -1);
  void Close() { fd_.reset(); }

 private:
  UniqueFd fd_;
};

// Messages on a channel.
inline constexpr char kGo = 'G';        // sandbox -> child: namespaces, maps and cgroup are set
inline constexpr char kPrepared = 'A';  // child: rootfs prepared (before pivot_root)
inline constexpr char kConsole = 'T';   // child: here is the terminal's master (with the FD)
inline constexpr char kFinish = 'C';    // sandbox: run createContainer hooks and pivot (payload: state)
inline constexpr char kCreated = 'B';   // child: pivoted, waiting for start
inline constexpr char kSeccomp = 'P';   // sandbox: the compiled seccomp filter (flags, BPF)
inline constexpr char kStart = 'S';     // sandbox: start (payload: state)
inline constexpr char kFailed = 'E';    // child: error (payload: message)

struct SpawnRequest {
  // Namespaces to join, in order (user first), as (CLONE_NEW* type, fd).
  std::vector<std::pair<int, UniqueFd>> join;
  // Namespaces to create for the child (CLONE_NEW* flags).
  int new_namespaces = 0;
  std::vector<oci::IdMapping> uid_mappings, gid_mappings;  // with CLONE_NEWUSER
  // Called by the sandbox between clone and kGo, e.g. to put the child in its cgroup.
  std::function<Status(pid_t)> before_go;
  // Runs in the child after kGo. Returns only on failure (the error is sent as kFailed).
  std::function<Status(Channel&)> child_main;
};

struct Spawned {
  pid_t pid = 0;
  Channel channel;  // the sandbox's end
};

// Must be called on the supervisor thread.
Result<Spawned> Spawn(SpawnRequest& req);

// Reads a child's reply to a stage: `expect` on success, the child's error, or its exit. An FD
// sent with the reply goes to *fd when given.
Status AwaitStage(Channel& ch, char expect, int timeout_ms, UniqueFd* fd = nullptr);

}  // namespace stockade::boot
