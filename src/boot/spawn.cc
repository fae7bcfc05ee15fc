#include "boot/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/io.h"
#include "base/user_namespace.h"

namespace stockade::boot {
namespace {

constexpr size_t kMaxMessage = 1 << 20;

std::string MapText(const std::vector<oci::IdMapping>& m) {
  std::string out;
  for (const auto& e : m) {
    out += std::to_string(e.container_id) + " " + std::to_string(e.host_id) + " " +
           std::to_string(e.size) + "\n";
  }
  return out;
}

[[noreturn]] void ChildFail(Channel& ch, const Error& e) {
  (void)ch.Send(kFailed, e.ToString());
  _exit(1);
}

}  // namespace

Status Channel::Send(char tag, const std::string& payload, int fd) {
  std::string msg(1, tag);
  msg += payload;
  struct iovec iov = {msg.data(), msg.size()};
  struct msghdr mh {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    mh.msg_control = ctl;
    mh.msg_controllen = sizeof ctl;
    struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t n;
  do {
    n = ::sendmsg(fd_.get(), &mh, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("sending to container process");
  return Ok();
}

Result<Channel::Message> Channel::Recv(int timeout_ms) {
  struct pollfd p = {fd_.get(), POLLIN, 0};
  for (;;) {
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Error::FromErrno("waiting for container process");
    if (r == 0) return Error(ETIMEDOUT, "container process did not answer in time");
    break;
  }
  std::string buf(kMaxMessage, '\0');
  struct iovec iov = {buf.data(), buf.size()};
  alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr mh {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = ctl;
  mh.msg_controllen = sizeof ctl;
  ssize_t n;
  do {
    n = ::recvmsg(fd_.get(), &mh, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("reading from container process");
  Message m;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      m.fd.reset(fd);
    }
  }
  if (n == 0) return m;
  m.tag = buf[0];
  m.payload = buf.substr(1, static_cast<size_t>(n) - 1);
  return m;
}

Status AwaitStage(Channel& ch, char expect, int timeout_ms, UniqueFd* fd) {
  ASSIGN_OR_RETURN(Channel::Message msg, ch.Recv(timeout_ms));
  if (msg.tag == kConsole) {
    // The terminal's master comes first, then the stage's own reply.
    if (fd != nullptr) *fd = std::move(msg.fd);
    ASSIGN_OR_RETURN(msg, ch.Recv(timeout_ms));
  }
  if (msg.tag == expect) return Ok();
  if (msg.tag == kFailed) return Error::Msg(msg.payload);
  if (msg.tag == 0) return Error::Msg("container process exited during setup");
  return Error::Msg(std::string("unexpected message from container process: ") + msg.tag);
}

Result<Spawned> Spawn(SpawnRequest& req) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error::FromErrno("socketpair");
  }
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);
  ASSIGN_OR_RETURN(auto pid_pipe, MakePipe(O_CLOEXEC));

  pid_t helper = fork();
  if (helper < 0) return Error::FromErrno("forking");
  if (helper == 0) {
    // Helper: single-threaded, so setns (incl. mount and user namespaces) is allowed.
    ours.reset();
    pid_pipe.first.reset();
    Channel ch(std::move(theirs));
    for (auto& [type, fd] : req.join) {
      if (setns(fd.get(), type) != 0) {
        ChildFail(ch, Error::FromErrno("joining namespace (type " + std::to_string(type) + ")"));
      }
    }
    long flags = CLONE_PARENT | SIGCHLD | static_cast<long>(req.new_namespaces);
    long child = syscall(SYS_clone, flags, 0, nullptr, nullptr, 0);
    if (child < 0) ChildFail(ch, Error::FromErrno("clone"));
    if (child > 0) {
      pid_t c = static_cast<pid_t>(child);
      (void)WriteAll(pid_pipe.second.get(), &c, sizeof c);
      _exit(0);
    }
    // The container process. It inherits nothing of the sandbox's signal state: the sandbox
    // blocks SIGCHLD/SIGTERM for its signalfd and ignores SIGPIPE, and both survive execve.
    pid_pipe.second.reset();
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    auto go = ch.Recv(-1);
    if (!go.ok() || go->tag != kGo) _exit(1);
    Status st = req.child_main(ch);
    ChildFail(ch, st.ok() ? Error::Msg("container process setup returned") : st.error());
  }
  theirs.reset();
  pid_pipe.second.reset();
  Channel ch(std::move(ours));
  pid_t child = 0;
  auto got = ReadAll(pid_pipe.first.get(), sizeof child);
  int status = 0;
  while (waitpid(helper, &status, 0) < 0 && errno == EINTR) {
  }
  if (!got.ok() || got->size() != sizeof child) {
    auto msg = ch.Recv(1000);
    if (msg.ok() && msg->tag == kFailed) return Error::Msg(msg->payload);
    return Error::Msg("creating container process failed");
  }
  memcpy(&child, got->data(), sizeof child);
  auto kill_child = [child] {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  };
  if (req.new_namespaces & CLONE_NEWUSER) {
    Status st = WriteIdMaps(child, MapText(req.uid_mappings), MapText(req.gid_mappings), /*deny_setgroups=*/false);
    if (!st.ok()) {
      kill_child();
      return st.error().Wrap("writing user namespace mappings");
    }
  }
  if (req.before_go) {
    Status st = req.before_go(child);
    if (!st.ok()) {
      kill_child();
      return st.error();
    }
  }
  if (Status st = ch.Send(kGo); !st.ok()) {
    kill_child();
    return st.error();
  }
  return Spawned{child, std::move(ch)};
}

}  // namespace stockade::boot
