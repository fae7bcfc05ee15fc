#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/cleanup.h"
#include "base/io.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/result.h"

namespace stockade {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Error(EINVAL, "odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Result, PropagatesErrorsWithErrno) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().Wrap("dividing").ToString(),
            "dividing: odd number 3: EINVAL (Invalid argument)");
  // A bare errno wrapped once reads "context: ENOENT (...)", with no empty part between.
  EXPECT_EQ(Error(ENOENT, "").Wrap("starting \"x\"").ToString(), "starting \"x\": ENOENT (No such file or directory)");
}

TEST(Cleanup, RunsInReverseUnlessCancelled) {
  std::string order;
  {
    Cleanup c;
    c.Add([&] { order += "a"; });
    c.Add([&] { order += "b"; });
  }
  EXPECT_EQ(order, "ba");
  {
    Cleanup c([&] { order += "x"; });
    c.Cancel();
  }
  EXPECT_EQ(order, "ba");
}

TEST(UniqueFd, ClosesOnDestruction) {
  int raw;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY));
    raw = fd.get();
    ASSERT_GE(raw, 0);
  }
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(Io, WriteFileAtomicReplacesWholeFile) {
  char dir[] = "/tmp/stockade-base-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/f";
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second", 0600).ok());
  EXPECT_EQ(*ReadFile(path), "second");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(RemoveAll(dir).ok());
  EXPECT_FALSE(PathExists(dir));
}

TEST(Io, ReadFileOfMissingPathNamesIt) {
  auto r = ReadFile("/nonexistent/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ENOENT);
  EXPECT_NE(r.error().message().find("/nonexistent/x"), std::string::npos);
}

TEST(Io, MkdirAllAndPaths) {
  char dir[] = "/tmp/stockade-base-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_TRUE(MkdirAll(std::string(dir) + "/a/b/c").ok());
  EXPECT_TRUE(PathExists(std::string(dir) + "/a/b/c"));
  EXPECT_TRUE(RemoveAll(dir).ok());
  EXPECT_EQ(Dirname("/a/b/c"), "/a/b");
  EXPECT_EQ(Dirname("c"), ".");
  EXPECT_EQ(JoinPath("/a/", "/b"), "/a/b");
}

TEST(Proc, SignalsByNameAndNumber) {
  EXPECT_EQ(ParseSignal("KILL"), SIGKILL);
  EXPECT_EQ(ParseSignal("sigterm"), SIGTERM);
  EXPECT_EQ(ParseSignal("9"), 9);
  EXPECT_EQ(ParseSignal("RTMIN+1"), SIGRTMIN + 1);
  EXPECT_FALSE(ParseSignal("NOPE").has_value());
  EXPECT_FALSE(ParseSignal("0").has_value());
  EXPECT_FALSE(ParseSignal("65").has_value());
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
}

TEST(Proc, LivenessDetectsExitAndReuse) {
  auto self = ProcessStartTime(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_TRUE(ProcessAlive(getpid(), *self));
  EXPECT_FALSE(ProcessAlive(getpid(), *self + 1));
  pid_t child = fork();
  if (child == 0) _exit(0);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(ProcessAlive(child, 0));
}

TEST(Log, RecordsMatchRuncShapes) {
  auto json = nlohmann::json::parse(
      log::FormatRecord(log::Format::kJson, log::Level::kError, "boom \"x\"", "T"));
  EXPECT_EQ(json["level"], "error");
  EXPECT_EQ(json["msg"], "boom \"x\"");
  EXPECT_EQ(json["time"], "T");
  EXPECT_EQ(log::FormatRecord(log::Format::kText, log::Level::kWarning, "a \"b\"", "T"),
            "time=\"T\" level=warning msg=\"a \\\"b\\\"\"\n");
}

TEST(Log, DebugLogDirGetsOneFilePerProcess) {
  char dir[] = "/tmp/stockade-log-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  log::Options o;
  o.component = "boot";
  o.debug_log = std::string(dir) + "/";
  o.file = std::string(dir) + "/main.json";
  o.format = log::Format::kJson;
  ASSERT_EQ(log::Init(o), "");
  LOG_DEBUG("only in debug log %d", 7);
  LOG_ERROR("in both");
  ASSERT_EQ(log::Init(log::Options{}), "");
  auto main = ReadFile(o.file);
  ASSERT_TRUE(main.ok());
  EXPECT_EQ(main->find("only in debug"), std::string::npos);
  EXPECT_NE(main->find("\"msg\":\"in both\""), std::string::npos);
  int debug_files = 0;
  DIR* d = opendir(dir);
  while (auto* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.find(".boot.log") != std::string::npos) {
      ++debug_files;
      auto text = ReadFile(std::string(dir) + "/" + n);
      EXPECT_NE(text->find("only in debug log 7"), std::string::npos);
    }
  }
  closedir(d);
  EXPECT_EQ(debug_files, 1);
  EXPECT_TRUE(RemoveAll(dir).ok());
}

}  // namespace
}  // namespace stockade
