#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/io.h"
#include "urpc/client.h"
#include "urpc/framing.h"
#include "urpc/server.h"
#include "urpc/transport.h"
#include "urpc/unix_socket.h"

namespace stockade::urpc {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A length header for `n` bytes, and a frame around a raw body: unlike EncodeFrame, these let
// tests send anything.
std::string RawHeader(uint32_t n) {
  std::string h(kHeaderSize, '\0');
  for (size_t i = 0; i < kHeaderSize; ++i) h[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return h;
}
std::string RawFrame(const std::string& body) {
  return RawHeader(static_cast<uint32_t>(body.size())) + body;
}

// Waits (bounded) for `fd` to report EOF; returns the bytes read before it, or -1 on timeout.
long DrainUntilEof(int fd, int timeout_ms) {
  long total = 0;
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    end - std::chrono::steady_clock::now())
                                    .count());
    struct pollfd p = {fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) <= 0) return -1;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return total;
    if (n > 0) total += n;
  }
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/urpc_test.XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)RemoveAll(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- Framing and the pure decoder ------------------------------------------------------------

TEST(Framing, EncodeDecodeRoundTrip) {
  json req = {{"method", "containerManager.Signal"}, {"arg", {{"signo", 9}, {"all", true}}}};
  auto frame = EncodeFrame(req);
  ASSERT_TRUE(frame.ok());
  // Little-endian length header.
  uint32_t len = static_cast<unsigned char>((*frame)[0]) | static_cast<unsigned char>((*frame)[1])
                                                               << 8;
  EXPECT_EQ(len, frame->size() - kHeaderSize);
  auto decoded = DecodeRequest(*frame);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  EXPECT_EQ(*decoded, req);
}

TEST(Framing, DecoderRejectsBadFrames) {
  struct Case {
    std::string frame;
    int code;
    std::string message;
  };
  std::string ok_body = R"({"method":"A.b","arg":1})";
  std::vector<Case> cases = {
      {"", EBADMSG, "truncated message header"},
      {"\x05\x00", EBADMSG, "truncated message header"},
      {RawHeader(16u << 20 | 1), EMSGSIZE, "exceeds the limit"},
      {RawHeader(0xffffffff), EMSGSIZE, "exceeds the limit"},
      {RawFrame(ok_body) + "x", EBADMSG, "body has"},
      {RawFrame(ok_body).substr(0, 10), EBADMSG, "body has"},
      {RawFrame(""), EBADMSG, "malformed message"},
      {RawFrame("{\"method\":"), EBADMSG, "malformed message"},
      {RawFrame("[1,2]"), EBADMSG, "expected a JSON object, got array"},
      {RawFrame("\"A.b\""), EBADMSG, "expected a JSON object"},
      {RawFrame("{\"arg\":1}"), EBADMSG, "no \"method\""},
      {RawFrame("{\"method\":7}"), EBADMSG, "not a string"},
      {RawFrame("{\"method\":\"nodot\"}"), EBADMSG, "invalid method name"},
      {RawFrame("{\"method\":\"s\xff.x\"}"), EBADMSG, "malformed message"},  // invalid UTF-8
      {RawFrame(std::string(200, '[') + std::string(200, ']')), EBADMSG, "nested deeper"},
  };
  for (const Case& c : cases) {
    auto r = DecodeRequest(c.frame);
    ASSERT_FALSE(r.ok()) << "accepted: "
                         << json(c.frame).dump(-1, ' ', true, json::error_handler_t::replace);
    EXPECT_EQ(r.error().code(), c.code) << r.error().ToString();
    EXPECT_THAT(r.error().message(), HasSubstr(c.message));
  }
}

TEST(Framing, DepthLimitCountsOnlyStructure) {
  Limits limits;
  limits.max_depth = 3;
  // Brackets inside strings (including after an escaped quote) don't count.
  std::string body = R"({"method":"A.b","arg":[[ "[[[[\"[[[" ]]})";
  EXPECT_TRUE(DecodeRequest(RawFrame(body), limits).ok());
  EXPECT_FALSE(DecodeRequest(RawFrame(R"({"method":"A.b","arg":[[[1]]]})"), limits).ok());
}

TEST(Framing, MethodNames) {
  for (const char* ok : {"A.b", "containerManager.StartRoot", "debug.Stacks", "x_1.Y_2"}) {
    EXPECT_TRUE(IsValidMethodName(ok)) << ok;
  }
  for (const char* bad :
       {"", ".", "A.", ".b", "A.b.c", "1A.b", "A.1b", "_A.b", "A b.c", "A.b ", "A-b.c", "A..b"}) {
    EXPECT_FALSE(IsValidMethodName(bad)) << bad;
  }
  EXPECT_FALSE(IsValidMethodName("A." + std::string(kMaxMethodLength, 'b')));
}

TEST(Framing, EncodingRefusesInvalidUtf8ButErrorsAreRepaired) {
  auto r = EncodeFrame(json{{"result", "bad \xff byte"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  std::string frame = EncodeErrorFrame("open \"/x\xff\": ENOENT");
  auto body = ParseBody(frame.substr(kHeaderSize), Limits{});
  ASSERT_TRUE(body.ok());
  EXPECT_EQ((*body)["error"], "open \"/x\xef\xbf\xbd\": ENOENT");
}

// Feeds the checked-in fuzz seeds (plus anything a fuzzer saved there) through the decoder.
// Seeds named ok_* must decode and bad_* must be rejected; others only must not crash.
TEST(FuzzCorpus, SeedsDecodeAsExpected) {
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(URPC_FUZZ_CORPUS_DIR)) {
    if (!entry.is_regular_file()) continue;
    auto data = ReadFile(entry.path());
    ASSERT_TRUE(data.ok()) << data.error().ToString();
    auto r = DecodeRequest(*data);
    std::string name = entry.path().filename();
    if (name.rfind("ok_", 0) == 0) {
      EXPECT_TRUE(r.ok()) << name << ": " << r.error().ToString();
    } else if (name.rfind("bad_", 0) == 0) {
      EXPECT_FALSE(r.ok()) << name;
    }
    ++seeds;
  }
  EXPECT_GE(seeds, 4);
}

// ---- Transport ---------------------------------------------------------------------------------

class SocketPair : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    a_.reset(sv[0]);
    b_.reset(sv[1]);
  }
  UniqueFd a_, b_;
};

TEST_F(SocketPair, CleanEofIsDistinguishableFromTruncation) {
  a_.reset();
  auto r = RecvMessage(b_.get(), Limits{}, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsPeerClosed(r.error())) << r.error().ToString();

  SetUp();
  ASSERT_TRUE(WriteAll(a_.get(), std::string("\x10\x00", 2)).ok());
  a_.reset();
  r = RecvMessage(b_.get(), Limits{}, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EPROTO);
}

TEST_F(SocketPair, FdsStayWithTheirMessage) {
  auto p1 = MakePipe();
  auto p2 = MakePipe();
  ASSERT_TRUE(p1.ok() && p2.ok());
  ASSERT_TRUE(SendMessage(a_.get(), json{{"n", 1}}, {p1->second.get()}, 1000).ok());
  ASSERT_TRUE(
      SendMessage(a_.get(), json{{"n", 2}}, {p2->second.get(), p2->second.get()}, 1000).ok());
  auto m1 = RecvMessage(b_.get(), Limits{}, 1000);
  ASSERT_TRUE(m1.ok()) << m1.error().ToString();
  EXPECT_EQ(m1->body["n"], 1);
  EXPECT_EQ(m1->fds.size(), 1u);
  auto m2 = RecvMessage(b_.get(), Limits{}, 1000);
  ASSERT_TRUE(m2.ok()) << m2.error().ToString();
  EXPECT_EQ(m2->body["n"], 2);
  EXPECT_EQ(m2->fds.size(), 2u);
  // Received FDs are close-on-exec (MSG_CMSG_CLOEXEC).
  EXPECT_NE(::fcntl(m2->fds[0].get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST_F(SocketPair, ReceiveTimesOut) {
  auto start = std::chrono::steady_clock::now();
  auto r = RecvMessage(b_.get(), Limits{}, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
}

// ---- Server and client -------------------------------------------------------------------------

class UrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override { socket_path_ = dir_.path() + "/ctl.sock"; }

  void TearDown() override {
    Release();
    if (server_) server_->Stop();
  }

  void StartServer(ServerOptions options = {}) {
    server_ = std::make_unique<Server>(options);
    RegisterHandlers(*server_);
    auto listener = ListenUnix(socket_path_);
    ASSERT_TRUE(listener.ok()) << listener.error().ToString();
    ASSERT_TRUE(server_->Start(std::move(*listener)).ok());
  }

  void RegisterHandlers(Server& s) {
    s.Register("Test.Echo", [](Call& c) -> Result<Reply> { return Reply(c.arg); });
    s.Register("Test.CountFds", [](Call& c) -> Result<Reply> { return Reply(c.fds.size()); });
    s.Register("Test.WriteTo", [](Call& c) -> Result<Reply> {
      if (c.fds.size() != 1) return Error::Msg("want one FD");
      TRY(WriteAll(c.fds[0].get(), c.arg.at("text").get<std::string>()));
      return Reply();
    });
    s.Register("Test.MakePipe", [](Call& c) -> Result<Reply> {
      ASSIGN_OR_RETURN(auto pipe, MakePipe());
      TRY(WriteAll(pipe.second.get(), c.arg.get<std::string>()));
      std::vector<UniqueFd> fds;
      fds.push_back(std::move(pipe.first));
      return Reply(json("here"), std::move(fds));
    });
    s.Register("Test.Fail",
               [](Call&) -> Result<Reply> { return Error::Msg("container \"x\" does not exist"); });
    s.Register("Test.Typed",
               [](Call& c) -> Result<Reply> { return Reply(c.arg.at("x").get<int>() * 2); });
    s.Register("Test.Block", [this](Call&) -> Result<Reply> {
      std::unique_lock lock(mu_);
      ++blocked_;
      cv_.notify_all();
      cv_.wait_for(lock, 5s, [this] { return released_; });
      return Reply("released");
    });
    s.Register("Test.Slow", [this](Call&) -> Result<Reply> {
      slow_entered_ = true;
      std::this_thread::sleep_for(300ms);
      slow_finished_ = true;
      return Reply("done");
    });
    s.Register("Test.Big", [](Call& c) -> Result<Reply> {
      return Reply(std::string(c.arg.get<size_t>(), 'x'));
    });
    s.Register("Test.Quit", [&s](Call&) -> Result<Reply> {
      s.Stop();  // from a handler: must not deadlock
      return Reply("bye");
    });
  }

  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  bool WaitBlocked(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 2s, [&] { return blocked_ >= n; });
  }

  Client MustConnect() {
    auto c = Client::Connect(socket_path_, 1000);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return std::move(*c);
  }

  UniqueFd RawConnect() {
    auto fd = ConnectUnix(socket_path_, 1000);
    EXPECT_TRUE(fd.ok()) << fd.error().ToString();
    return fd.ok() ? std::move(*fd) : UniqueFd();
  }

  // Sends raw bytes and returns the reply body.
  json RawCall(int fd, const std::string& frame) {
    EXPECT_TRUE(WriteAll(fd, frame).ok());
    auto m = RecvMessage(fd, Limits{}, 2000);
    EXPECT_TRUE(m.ok()) << m.error().ToString();
    return m.ok() ? m->body : json();
  }

  TempDir dir_;
  std::string socket_path_;
  std::unique_ptr<Server> server_;

  std::mutex mu_;
  std::condition_variable cv_;
  int blocked_ = 0;
  bool released_ = false;
  std::atomic<bool> slow_entered_{false};
  std::atomic<bool> slow_finished_{false};
};

TEST_F(UrpcServerTest, RoundTripsJson) {
  StartServer();
  Client c = MustConnect();
  json arg = {{"id", "ctr-1"},
              {"args", {"sh", "-c", "echo \xc3\xa9t\xc3\xa9"}},
              {"env", json::object()},
              {"n", -42},
              {"big", 18446744073709551615ull},
              {"f", 0.5},
              {"nested", {{"a", {1, {2, {3, nullptr}}}}}},
              {"yes", true}};
  for (int i = 0; i < 3; ++i) {  // several calls on one connection
    auto r = c.Call("Test.Echo", arg, {}, 2000);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->result, arg);
    EXPECT_TRUE(r->fds.empty());
  }
  // A missing arg arrives as null.
  ASSERT_TRUE(WriteAll(c.fd(), RawFrame(R"({"method":"Test.Echo"})")).ok());
  auto m = RecvMessage(c.fd(), Limits{}, 2000);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->body, json({{"result", nullptr}}));
}

TEST_F(UrpcServerTest, HandlerErrorsArriveVerbatim) {
  StartServer();
  Client c = MustConnect();
  auto r = c.Call("Test.Fail", nullptr, {}, 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), 0);
  EXPECT_EQ(r.error().message(), "container \"x\" does not exist");
  // An error reply leaves the connection usable.
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.Call("Test.Echo", 1, {}, 2000).ok());
}

TEST_F(UrpcServerTest, HandlerExceptionBecomesErrorReply) {
  StartServer();
  Client c = MustConnect();
  auto r = c.Call("Test.Typed", {{"x", "not a number"}}, {}, 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), 0);
  EXPECT_THAT(r.error().message(), HasSubstr("Test.Typed: invalid argument"));
  EXPECT_THAT(r.error().message(), HasSubstr("type must be number"));
  r = c.Call("Test.Typed", json::array(), {}, 2000);  // at() on an array throws too
  ASSERT_FALSE(r.ok());
  auto ok = c.Call("Test.Typed", {{"x", 21}}, {}, 2000);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok->result, 42);
}

TEST_F(UrpcServerTest, PassesFdsToHandler) {
  StartServer();
  Client c = MustConnect();
  auto pipe = MakePipe();
  ASSERT_TRUE(pipe.ok());
  auto r = c.Call("Test.WriteTo", {{"text", "through the pipe"}}, {pipe->second.get()}, 2000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  pipe->second.reset();  // the server closed its copy after the call, so this gives EOF
  auto data = ReadAll(pipe->first.get());
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "through the pipe");
}

TEST_F(UrpcServerTest, RepliesCarryFds) {
  StartServer();
  Client c = MustConnect();
  auto r = c.Call("Test.MakePipe", "from the server", {}, 2000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->result, "here");
  ASSERT_EQ(r->fds.size(), 1u);
  auto data = ReadAll(r->fds[0].get());
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, "from the server");
}

TEST_F(UrpcServerTest, AcceptsMaxFdsAndRejectsOneMore) {
  StartServer();
  Client c = MustConnect();
  auto pipe = MakePipe();
  ASSERT_TRUE(pipe.ok());
  int w = pipe->second.get();

  auto r = c.Call("Test.CountFds", nullptr, std::vector<int>(128, w), 2000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->result, 128);

  r = c.Call("Test.CountFds", nullptr, std::vector<int>(129, w), 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), 0);
  EXPECT_THAT(r.error().message(), HasSubstr("more than 128 FDs"));

  // The connection and server carry on.
  EXPECT_TRUE(c.Call("Test.Echo", "still here", {}, 2000).ok());
  EXPECT_TRUE(MustConnect().Call("Test.Echo", 1, {}, 2000).ok());

  // Every copy of the write end the server received, accepted or rejected, has been closed:
  // with ours gone too, the pipe reports EOF instead of blocking.
  pipe->second.reset();
  struct pollfd p = {pipe->first.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 1000), 1);
  char ch;
  EXPECT_EQ(::read(pipe->first.get(), &ch, 1), 0);
}

TEST_F(UrpcServerTest, OversizeHeaderGetsErrorThenClose) {
  StartServer();
  UniqueFd fd = RawConnect();
  json reply = RawCall(fd.get(), RawHeader((16u << 20) + 1));
  EXPECT_THAT(reply.value("error", ""), HasSubstr("exceeds the limit of 16777216 bytes"));
  auto next = RecvMessage(fd.get(), Limits{}, 2000);
  ASSERT_FALSE(next.ok());
  EXPECT_TRUE(IsPeerClosed(next.error())) << next.error().ToString();
}

TEST_F(UrpcServerTest, OversizeCallReportsServerError) {
  StartServer();
  Client c = MustConnect();
  auto r = c.Call("Test.Echo", std::string((16u << 20) + 100, 'a'), {}, 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), 0) << r.error().ToString();
  EXPECT_THAT(r.error().message(), HasSubstr("exceeds the limit"));
  EXPECT_FALSE(c.connected());
  auto again = c.Call("Test.Echo", 1, {}, 2000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ENOTCONN);
  EXPECT_TRUE(MustConnect().Call("Test.Echo", 1, {}, 2000).ok());
}

TEST_F(UrpcServerTest, SizeLimitIsInclusiveAndAppliesToReplies) {
  ServerOptions options;
  options.limits.max_body = 1024;
  StartServer(options);
  std::string prefix = R"({"method":"Test.Echo","arg":")";
  std::string at_limit = prefix + std::string(1024 - prefix.size() - 2, 'a') + "\"}";
  ASSERT_EQ(at_limit.size(), 1024u);
  UniqueFd fd = RawConnect();
  json reply = RawCall(fd.get(), RawFrame(at_limit));
  EXPECT_TRUE(reply.contains("result")) << reply.dump();

  // A reply over the limit would cost the client its connection; it gets an error instead.
  reply = RawCall(fd.get(), RawFrame(R"({"method":"Test.Big","arg":2000})"));
  EXPECT_THAT(reply.value("error", ""), HasSubstr("Test.Big: reply of 2013 bytes exceeds"));

  std::string over = prefix + std::string(1025 - prefix.size() - 2, 'a') + "\"}";
  reply = RawCall(fd.get(), RawFrame(over));
  EXPECT_THAT(reply.value("error", ""), HasSubstr("message of 1025 bytes exceeds the limit"));
  EXPECT_EQ(DrainUntilEof(fd.get(), 1000), 0);
}

TEST_F(UrpcServerTest, MalformedRequestsGetErrorsAndConnectionSurvives) {
  StartServer();
  UniqueFd fd = RawConnect();
  struct Case {
    std::string body;
    std::string error;
  };
  std::vector<Case> cases = {
      {"{not json", "malformed message"},
      {"", "malformed message"},
      {"[1,2,3]", "expected a JSON object"},
      {"null", "expected a JSON object"},
      {R"({"arg":1})", "no \"method\""},
      {R"({"method":"rm -rf"})", "invalid method name"},
      {R"({"method":"No.Such"})", "unknown method \"No.Such\""},
      {std::string(1000, '[') + std::string(1000, ']'), "nested deeper"},
  };
  for (const Case& c : cases) {
    json reply = RawCall(fd.get(), RawFrame(c.body));
    EXPECT_FALSE(reply.contains("result")) << c.body;
    EXPECT_THAT(reply.value("error", ""), HasSubstr(c.error)) << c.body;
  }
  json ok = RawCall(fd.get(), RawFrame(R"({"method":"Test.Echo","arg":"fine"})"));
  EXPECT_EQ(ok, json({{"result", "fine"}}));
}

TEST_F(UrpcServerTest, BlockedHandlerDoesNotBlockOthers) {
  StartServer();
  Client blocker = MustConnect();
  Result<Reply> blocked = Error::Msg("not run");
  std::thread t([&] { blocked = blocker.Call("Test.Block", nullptr, {}, 5000); });
  ASSERT_TRUE(WaitBlocked(1));

  constexpr int kClients = 24;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      auto c = Client::Connect(socket_path_, 1000);
      if (!c.ok()) return;
      for (int j = 0; j < 5; ++j) {
        auto r = c->Call("Test.Echo", {{"i", i}, {"j", j}}, {}, 1000);
        if (!r.ok() || r->result != json({{"i", i}, {"j", j}})) return;
      }
      ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, kClients);
  {
    std::lock_guard lock(mu_);
    EXPECT_FALSE(released_);  // the blocked call really was still in progress
  }
  Release();
  t.join();
  ASSERT_TRUE(blocked.ok()) << blocked.error().ToString();
  EXPECT_EQ(blocked->result, "released");
}

TEST_F(UrpcServerTest, ClientTimeoutDropsConnection) {
  StartServer();
  Client c = MustConnect();
  auto start = std::chrono::steady_clock::now();
  auto r = c.Call("Test.Block", nullptr, {}, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 90ms);
  EXPECT_FALSE(c.connected());
  EXPECT_EQ(c.Call("Test.Echo", 1).error().code(), ENOTCONN);
}

TEST_F(UrpcServerTest, StopFinishesInFlightCallsAndClosesIdleOnes) {
  StartServer();
  Client idle = MustConnect();
  ASSERT_TRUE(idle.Call("Test.Echo", 1, {}, 2000).ok());  // accepted and now idle

  Client slow = MustConnect();
  Result<Reply> slow_reply = Error::Msg("not run");
  std::thread t([&] { slow_reply = slow.Call("Test.Slow", nullptr, {}, 5000); });
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (!slow_entered_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(slow_entered_);
  EXPECT_FALSE(slow_finished_);

  server_->Stop();
  EXPECT_TRUE(slow_finished_);  // Stop waited for the handler
  t.join();
  ASSERT_TRUE(slow_reply.ok()) << slow_reply.error().ToString();
  EXPECT_EQ(slow_reply->result, "done");

  // The idle connection was closed, and nobody listens any more.
  EXPECT_EQ(DrainUntilEof(idle.fd(), 1000), 0);
  auto late = ConnectUnix(socket_path_, 500);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), ECONNREFUSED);
  server_->Stop();  // idempotent
}

TEST_F(UrpcServerTest, HandlerMayStopTheServer) {
  StartServer();
  Client c = MustConnect();
  auto r = c.Call("Test.Quit", nullptr, {}, 2000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->result, "bye");
  EXPECT_TRUE(server_->stopping());
  server_->Stop();
  EXPECT_FALSE(ConnectUnix(socket_path_, 500).ok());
}

TEST_F(UrpcServerTest, ReadTimeoutDropsPartialRequestsButNotIdleConnections) {
  ServerOptions options;
  options.read_timeout_ms = 200;
  StartServer(options);
  UniqueFd idle = RawConnect();
  UniqueFd half_header = RawConnect();
  UniqueFd half_body = RawConnect();
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WriteAll(half_header.get(), std::string("\x20\x00", 2)).ok());
  ASSERT_TRUE(WriteAll(half_body.get(), RawFrame(R"({"method":"Test.Echo"})").substr(0, 10)).ok());

  EXPECT_EQ(DrainUntilEof(half_header.get(), 1500), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 180ms);
  EXPECT_EQ(DrainUntilEof(half_body.get(), 1500), 0);

  // The idle connection outlived the read timeout and still works.
  json reply = RawCall(idle.get(), RawFrame(R"({"method":"Test.Echo","arg":7})"));
  EXPECT_EQ(reply, json({{"result", 7}}));
}

TEST_F(UrpcServerTest, WriteTimeoutDropsClientThatDoesNotRead) {
  ServerOptions options;
  options.write_timeout_ms = 200;
  StartServer(options);
  UniqueFd fd = RawConnect();
  constexpr size_t kSize = 8u << 20;
  ASSERT_TRUE(SendMessage(fd.get(), {{"method", "Test.Big"}, {"arg", kSize}}, {}, 1000).ok());
  // Once the reply has started, the socket buffer fills at once; then stop reading for longer
  // than the write timeout.
  struct pollfd p = {fd.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  std::this_thread::sleep_for(500ms);
  long got = DrainUntilEof(fd.get(), 1000);
  EXPECT_GE(got, 0);                         // the server hung up...
  EXPECT_LT(got, static_cast<long>(kSize));  // ...before sending the whole reply
  EXPECT_TRUE(MustConnect().Call("Test.Echo", 1, {}, 1000).ok());
}

TEST_F(UrpcServerTest, LongSocketPathWorks) {
  std::string deep = dir_.path() + "/" + std::string(100, 'd');
  ASSERT_EQ(::mkdir(deep.c_str(), 0700), 0);
  socket_path_ = deep + "/ctl.sock";
  ASSERT_GT(socket_path_.size(), 108u);

  auto count_fds = [] {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator("/proc/self/fd")) (void)e, ++n;
    return n;
  };
  int before = count_fds();
  auto listener = ListenUnix(socket_path_);
  ASSERT_TRUE(listener.ok()) << listener.error().ToString();
  EXPECT_EQ(count_fds(), before + 1);  // the O_PATH directory FD was closed

  struct stat st;
  ASSERT_EQ(::stat(socket_path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_NE(::fcntl(listener->get(), F_GETFD) & FD_CLOEXEC, 0);

  server_ = std::make_unique<Server>();
  RegisterHandlers(*server_);
  ASSERT_TRUE(server_->Start(std::move(*listener)).ok());
  Client c = MustConnect();
  auto r = c.Call("Test.Echo", "long", {}, 2000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->result, "long");

  // A base name too long even for the /proc/self/fd form is a clear error.
  auto too_long = ListenUnix(deep + "/" + std::string(100, 's'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code(), ENAMETOOLONG);
}

TEST_F(UrpcServerTest, ShortPathListenerIsPrivate) {
  ::umask(022);
  auto listener = ListenUnix(socket_path_);
  ASSERT_TRUE(listener.ok()) << listener.error().ToString();
  struct stat st;
  ASSERT_EQ(::stat(socket_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // A second listener on the same path fails instead of stealing it.
  auto second = ListenUnix(socket_path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), EADDRINUSE);
}

TEST(UnixSocket, ConnectErrors) {
  TempDir dir;
  auto missing = ConnectUnix(dir.path() + "/nothing.sock", 500);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ENOENT);
  auto missing_client = Client::Connect(dir.path() + "/nothing.sock", 500);
  ASSERT_FALSE(missing_client.ok());
}

}  // namespace
}  // namespace stockade::urpc
