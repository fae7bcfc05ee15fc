#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "base/io.h"
#include "urpc/unix_socket.h"

namespace stockade::runtime {

Result<UniqueFd> DeliverConsole(UniqueFd master, const std::optional<oci::ConsoleSize>& size,
                                const std::string& console_socket) {
  if (!master) return Error::Msg("the sandbox returned no terminal");
  if (size) TRY(SetWinsize(master.get(), size->height, size->width));
  if (console_socket.empty()) return master;
  TRY(SendConsole(console_socket, master.get()));
  return UniqueFd();
}

Status SetWinsize(int fd, unsigned rows, unsigned cols) {
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) return Error::FromErrno("setting console size");
  return Ok();
}

Status SendConsole(const std::string& socket_path, int master_fd) {
  auto sock = urpc::ConnectUnix(socket_path, 10000);
  if (!sock.ok()) return sock.error().Wrap("connecting to console socket \"" + socket_path + "\"");
  static const char kName[] = "/dev/ptmx";
  struct iovec iov = {const_cast<char*>(kName), sizeof(kName) - 1};
  alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master_fd, sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(sock->get(), &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::FromErrno("sending console to \"" + socket_path + "\"");
  return Ok();
}

std::thread StartConsoleCopy(int master_fd) {
  int in_fd = dup(STDIN_FILENO);
  int m = dup(master_fd);
  return std::thread([in_fd, m] {
    struct termios saved {};
    bool raw = tcgetattr(in_fd, &saved) == 0;
    if (raw) {
      struct termios t = saved;
      cfmakeraw(&t);
      tcsetattr(in_fd, TCSANOW, &t);
      struct winsize ws {};
      if (ioctl(in_fd, TIOCGWINSZ, &ws) == 0) ioctl(m, TIOCSWINSZ, &ws);
    }
    char buf[8192];
    bool in_open = true;
    for (;;) {
      struct pollfd fds[2] = {{m, POLLIN, 0}, {in_fd, static_cast<short>(in_open ? POLLIN : 0), 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = read(m, buf, sizeof buf);
        if (n <= 0) break;
        if (!WriteAll(STDOUT_FILENO, buf, static_cast<size_t>(n)).ok()) break;
      }
      if (in_open && (fds[1].revents & (POLLIN | POLLHUP))) {
        ssize_t n = read(in_fd, buf, sizeof buf);
        if (n <= 0) {
          in_open = false;
        } else if (!WriteAll(m, buf, static_cast<size_t>(n)).ok()) {
          break;
        }
      }
    }
    if (raw) tcsetattr(in_fd, TCSANOW, &saved);
    close(in_fd);
    close(m);
  });
}

}  // namespace stockade::runtime
