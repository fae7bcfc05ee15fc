// The relay against real host ptys: the host line discipline raises the
// signals, the relay must report each for the right terminal.
#include "sentry/vfs/tty_signal_relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <thread>
#include <vector>

#include "sentry/vfs/devpts.h"

namespace stockade::sentry::vfs {
namespace {

using namespace std::chrono_literals;

struct HostPty {
  UniqueFd master, replica;
};

HostPty OpenHostPty() {
  HostPty p;
  p.master.reset(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(p.master.valid());
  EXPECT_EQ(grantpt(p.master.get()), 0);
  EXPECT_EQ(unlockpt(p.master.get()), 0);
  p.replica.reset(open(ptsname(p.master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  EXPECT_TRUE(p.replica.valid());
  return p;
}

// Collects what the relay delivers.
class Received {
 public:
  TtySignalRelay::Sink Sink() {
    return [this](const std::shared_ptr<TtyState>& tty, int sig) {
      std::lock_guard<std::mutex> l(mu_);
      got_.push_back({tty->index, sig});
      cv_.notify_all();
    };
  }
  // The signals delivered for terminal `index` once `n` have come (or 10 s passed).
  std::vector<int> Wait(int index, size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    std::vector<int> out;
    cv_.wait_for(l, 10s, [&] { return (out = For(index)).size() >= n; });
    return out;
  }
  std::vector<int> Now(int index) {
    std::lock_guard<std::mutex> l(mu_);
    return For(index);
  }

 private:
  std::vector<int> For(int index) {
    std::vector<int> v;
    for (auto [i, s] : got_) {
      if (i == index) v.push_back(s);
    }
    return v;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<int, int>> got_;
};

std::shared_ptr<TtyState> NewTty(TtySignalRelay& relay, const HostPty& p, int index) {
  auto tty = std::make_shared<TtyState>();
  tty->index = index;
  auto holder = relay.Start(p.replica.get(), tty);
  EXPECT_TRUE(holder.ok()) << holder.error().ToString();
  if (holder.ok()) tty->holder = std::move(*holder);
  return tty;
}

void Type(const HostPty& p, const char* bytes) {
  ASSERT_EQ(write(p.master.get(), bytes, strlen(bytes)), static_cast<ssize_t>(strlen(bytes)));
}

// What a terminal emulator does when its window changes size.
void Resize(const HostPty& p, unsigned short rows, unsigned short cols) {
  struct winsize ws{};
  ws.ws_row = rows;
  ws.ws_col = cols;
  ASSERT_EQ(ioctl(p.master.get(), TIOCSWINSZ, &ws), 0);
}

// A relay whose sink collects into rx.
class TtySignalRelayTest : public ::testing::Test {
 protected:
  void SetUp() override { relay.SetSink(rx.Sink()); }
  Received rx;
  TtySignalRelay relay;  // destroyed first: no sink call outlives rx
};

TEST_F(TtySignalRelayTest, ControlCharactersBecomeSignalsOfTheirTerminal) {
  HostPty a = OpenHostPty(), b = OpenHostPty();
  auto ta = NewTty(relay, a, 1);
  auto tb = NewTty(relay, b, 2);
  Type(a, "\x03");
  EXPECT_EQ(rx.Wait(1, 1), std::vector<int>{SIGINT});
  Type(a, "\x1c");
  Type(a, "\x1a");
  EXPECT_EQ(rx.Wait(1, 3), (std::vector<int>{SIGINT, SIGQUIT, SIGTSTP}));
  Type(b, "\x1a");
  EXPECT_EQ(rx.Wait(2, 1), std::vector<int>{SIGTSTP});
  EXPECT_EQ(rx.Now(1).size(), 3u);
}

TEST_F(TtySignalRelayTest, WindowResizeIsSigwinch) {
  HostPty p = OpenHostPty();
  auto tty = NewTty(relay, p, 5);
  Resize(p, 33, 101);
  EXPECT_EQ(rx.Wait(5, 1), std::vector<int>{SIGWINCH});
}

TEST_F(TtySignalRelayTest, TermiosDecidesWhetherControlCharactersSignal) {
  HostPty p = OpenHostPty();
  auto tty = NewTty(relay, p, 3);
  struct termios t;
  ASSERT_EQ(tcgetattr(p.replica.get(), &t), 0);
  t.c_lflag &= ~(ISIG | ICANON | ECHO);
  ASSERT_EQ(tcsetattr(p.replica.get(), TCSANOW, &t), 0);
  Type(p, "\x03");
  char c = 0;
  ASSERT_EQ(read(p.replica.get(), &c, 1), 1);
  EXPECT_EQ(c, '\x03');  // plain data in raw mode
  // A resize still signals, so the holder is alive and listening.
  Resize(p, 10, 20);
  EXPECT_EQ(rx.Wait(3, 1), std::vector<int>{SIGWINCH});
}

TEST_F(TtySignalRelayTest, MasterClosedIsHangUp) {
  HostPty p = OpenHostPty();
  auto tty = NewTty(relay, p, 4);
  p.master.reset();
  EXPECT_EQ(rx.Wait(4, 1), std::vector<int>{SIGHUP});
}

TEST_F(TtySignalRelayTest, HolderKeepsNoFdOfThePty) {
  // The console reader learns that the application is gone from EIO on the
  // master, which needs every replica FD closed, the holder's included.
  HostPty p = OpenHostPty();
  auto tty = NewTty(relay, p, 6);
  p.replica.reset();
  char buf[16];
  EXPECT_EQ(read(p.master.get(), buf, sizeof buf), -1);
  EXPECT_EQ(errno, EIO);
}

TEST_F(TtySignalRelayTest, NothingIsDeliveredAfterTheSinkIsCleared) {
  HostPty p = OpenHostPty();
  auto tty = NewTty(relay, p, 7);
  relay.SetSink(nullptr);
  Type(p, "\x03");
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(rx.Now(7).empty());
}

TEST_F(TtySignalRelayTest, DroppedTerminalStopsItsHolder) {
  HostPty p = OpenHostPty();
  auto tty = NewTty(relay, p, 8);
  tty.reset();  // kills the holder
  // The pty is nobody's terminal again: this process may take it.
  bool taken = false;
  for (int i = 0; i < 200 && !taken; i++) {
    pid_t child = fork();
    if (child == 0) _exit(setsid() >= 0 && ioctl(p.replica.get(), TIOCSCTTY, 0) == 0 ? 0 : 1);
    int status = 0;
    waitpid(child, &status, 0);
    taken = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!taken) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(taken);
}

TEST_F(TtySignalRelayTest, ReplicaThatIsNotATerminalIsAnError) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  UniqueFd r(fds[0]), w(fds[1]);
  auto tty = std::make_shared<TtyState>();
  auto holder = relay.Start(r.get(), tty);
  ASSERT_FALSE(holder.ok());
  EXPECT_EQ(holder.error().code(), ENOTTY);
}

}  // namespace
}  // namespace stockade::sentry::vfs
