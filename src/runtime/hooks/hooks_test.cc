#include "runtime/hooks/hooks.h"

#include <gtest/gtest.h>

#include "base/io.h"

namespace stockade::hooks {
namespace {

oci::Hook Sh(const std::string& script, std::optional<int> timeout = std::nullopt) {
  oci::Hook h;
  h.path = "/bin/sh";
  h.args = {"sh", "-c", script};
  h.env = {"PATH=/usr/bin:/bin", "X=from-spec"};
  h.timeout = timeout;
  return h;
}

TEST(Hooks, StateArrivesOnStdinAndEnvIsTheSpecs) {
  char dir[] = "/tmp/stockade-hook-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string out = std::string(dir) + "/out";
  ASSERT_TRUE(RunHook("prestart", Sh("cat > " + out + "; echo \" $X\" >> " + out), "{\"id\":\"c1\"}").ok());
  EXPECT_EQ(*ReadFile(out), "{\"id\":\"c1\"} from-spec\n");
  ASSERT_TRUE(RemoveAll(dir).ok());
}

TEST(Hooks, FailureNamesHookAndCarriesStderr) {
  auto st = RunHook("createRuntime", Sh("echo bad thing >&2; exit 3"), "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "createRuntime hook \"/bin/sh\" failed: exit status 3: bad thing");
}

TEST(Hooks, TimeoutKillsTheHook) {
  auto st = RunHook("poststart", Sh("sleep 30", 1), "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ETIMEDOUT);
}

TEST(Hooks, MissingBinaryFails) {
  oci::Hook h;
  h.path = "/nonexistent/hook";
  auto st = RunHook("prestart", h, "{}");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ENOENT);
}

TEST(Hooks, RunHooksStopsAtFirstFailure) {
  char dir[] = "/tmp/stockade-hook-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string marker = std::string(dir) + "/ran";
  auto st = RunHooks("poststop", {Sh("exit 1"), Sh("touch " + marker)}, "{}");
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(PathExists(marker));
  ASSERT_TRUE(RemoveAll(dir).ok());
}

}  // namespace
}  // namespace stockade::hooks
