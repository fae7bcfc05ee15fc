// Executable lookup, environment preparation, and execve with FD hygiene.
#include "boot/native/exec.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/native/native_test_util.h"

namespace stockade::native {
namespace {

using testing::ChildResult;
using testing::Fail;
using testing::RunInChild;
using testing::TempDir;

void MakeFile(const std::string& path, mode_t mode) {
  ASSERT_TRUE(WriteFileAtomic(path, "#!/bin/sh\n", mode).ok());
}

TEST(ResolveExecutableTest, NotFoundHasRuncText) {
  auto r = ResolveExecutable("foo", {"PATH=/nonexistent:/also-not"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().ToString(), "exec: \"foo\": executable file not found in $PATH");
  // No PATH at all finds nothing (Go splits "" into no entries).
  auto none = ResolveExecutable("sh", {"HOME=/"});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().ToString(), "exec: \"sh\": executable file not found in $PATH");
}

TEST(ResolveExecutableTest, PathsWithSlash) {
  TempDir tmp;
  MakeFile(tmp.Sub("plain"), 0644);
  MakeFile(tmp.Sub("tool"), 0755);
  EXPECT_EQ(*ResolveExecutable(tmp.Sub("tool"), {}), tmp.Sub("tool"));
  auto missing = ResolveExecutable("/nonexistent/x", {"PATH=/bin"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ToString(),
            "exec: \"/nonexistent/x\": stat /nonexistent/x: no such file or directory");
  auto dir = ResolveExecutable(tmp.path(), {});
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().ToString(), "exec: \"" + tmp.path() + "\": is a directory");
  auto plain = ResolveExecutable(tmp.Sub("plain"), {});
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().ToString(), "exec: \"" + tmp.Sub("plain") + "\": permission denied");
}

TEST(ResolveExecutableTest, SearchesTheContainersPathInOrder) {
  TempDir tmp;
  ASSERT_TRUE(MkdirAll(tmp.Sub("a")).ok());
  ASSERT_TRUE(MkdirAll(tmp.Sub("b")).ok());
  ASSERT_TRUE(MkdirAll(tmp.Sub("c/foo")).ok());  // A directory named foo is skipped.
  MakeFile(tmp.Sub("a/foo"), 0644);              // Not executable: skipped.
  MakeFile(tmp.Sub("b/foo"), 0755);
  std::string path = "PATH=" + tmp.Sub("c") + ":" + tmp.Sub("a") + ":" + tmp.Sub("b");
  // The last PATH wins, as in a shell environment.
  auto r = ResolveExecutable("foo", {"PATH=/nonexistent", path});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(*r, tmp.Sub("b/foo"));
}

TEST(ResolveExecutableTest, RelativePathEntryIsRefused) {
  TempDir tmp;
  MakeFile(tmp.Sub("foo"), 0755);
  ChildResult r = RunInChild(0, [&] {
    if (chdir(tmp.path().c_str()) != 0) return 2;
    auto res = ResolveExecutable("foo", {"PATH=:/nonexistent"});
    printf("%s\n", res.ok() ? res->c_str() : res.error().ToString().c_str());
    return 0;
  });
  EXPECT_EQ(r.output, "exec: \"foo\": cannot run executable found relative to current directory\n");
}

TEST(PrepareEnvTest, DedupAndHome) {
  const std::string passwd =
      "root:x:0:0:root:/root:/bin/sh\n"
      "broken line\n"
      "user:x:1000:1000::/home/user:/bin/sh\n";
  auto e = PrepareEnv({"A=1", "PATH=/bin", "A=2", "B="}, 1000, passwd);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, (std::vector<std::string>{"PATH=/bin", "A=2", "B=", "HOME=/home/user"}));
  auto empty_home = PrepareEnv({"HOME="}, 0, passwd);
  EXPECT_EQ(*empty_home, std::vector<std::string>{"HOME=/root"});
  auto kept = PrepareEnv({"HOME=/custom"}, 0, passwd);
  EXPECT_EQ(*kept, std::vector<std::string>{"HOME=/custom"});
  auto unknown = PrepareEnv({}, 4242, passwd);
  EXPECT_EQ(*unknown, std::vector<std::string>{"HOME=/"});
  auto bad = PrepareEnv({"NOEQUALS"}, 0, passwd);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "invalid environment variable: missing '='");
  EXPECT_FALSE(PrepareEnv({"=x"}, 0, passwd).ok());
  EXPECT_EQ(HomeFromPasswd(passwd, 1000), "/home/user");
  EXPECT_EQ(HomeFromPasswd(passwd, 1), "");
}

TEST(ExecProcessTest, RunsWithContainerEnvAndClosesFds) {
  TempDir tmp;
  ASSERT_TRUE(MkdirAll(tmp.Sub("bin")).ok());
  auto bb = ReadFile("/usr/bin/busybox");
  ASSERT_TRUE(bb.ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("bin/busybox"), *bb, 0755).ok());
  ASSERT_EQ(symlink("busybox", tmp.Sub("bin/sh").c_str()), 0);

  oci::Process p;
  p.args = {"sh", "-c",
            "echo \"x=$X home=$HOME\"; for f in 3 4 5 6; do [ -e /proc/self/fd/$f ] && "
            "echo open=$f; done; true"};
  p.env = {"PATH=" + tmp.Sub("bin"), "X=42", "HOME=/h"};
  ChildResult r = RunInChild(0, [&] {
    int leaked = open("/", O_RDONLY | O_DIRECTORY);  // Not close-on-exec: must still vanish.
    dup2(leaked, 5);
    dup2(leaked, 6);
    dup2(leaked, 3);         // Preserved (preserve_fds = 1).
    int kept = dup(leaked);  // Kept open for us, but not for the program.
    ProcessOptions opts;
    opts.preserve_fds = 1;
    opts.keep_fds = {kept};
    opts.before_exec = [] {
      printf("before_exec\n");
      return Ok();
    };
    Status st = ExecProcess(p, opts);
    return Fail(st.error());
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(r.output, "before_exec\nx=42 home=/h\nopen=3\n");
}

TEST(ExecProcessTest, FailuresReturn) {
  oci::Process p;
  p.args = {"definitely-not-a-program"};
  p.env = {"PATH=/nonexistent"};
  Status st = ExecProcess(p, {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().ToString(),
            "exec: \"definitely-not-a-program\": executable file not found in $PATH");

  p.args = {"/bin/sh"};
  ProcessOptions opts;
  opts.before_exec = [] { return Status(Error(ECANCELED, "waiting for start")); };
  st = ExecProcess(p, opts);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(), "waiting for start");

  p.args = {};
  EXPECT_FALSE(ExecProcess(p, {}).ok());
}

}  // namespace
}  // namespace stockade::native
