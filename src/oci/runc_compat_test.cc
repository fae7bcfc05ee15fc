// Against the installed runc: what `runc spec` writes must load and validate here, and our
// `spec` must agree with it where both follow runc's example. Skipped only when runc is absent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>

#include "base/io.h"
#include "oci/default_spec.h"
#include "oci/parse.h"
#include "oci/test_util.h"
#include "oci/validate.h"

namespace stockade::oci {
namespace {

using nlohmann::json;

constexpr const char* kRunc = "/usr/sbin/runc";

// Runs `runc spec [--rootless] --bundle DIR`; returns false when it fails.
bool RuncSpec(const std::string& bundle, bool rootless) {
  const std::string cmd =
      std::string(kRunc) + " spec" + (rootless ? " --rootless" : "") + " --bundle '" + bundle + "'";
  return std::system(cmd.c_str()) == 0;
}

class RuncCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRunc, X_OK) != 0) GTEST_SKIP() << kRunc << " not installed";
  }
};

TEST_F(RuncCompat, RuncSpecOutputParsesAndValidates) {
  for (bool rootless : {false, true}) {
    SCOPED_TRACE(rootless ? "runc spec --rootless" : "runc spec");
    testing::TempBundle bundle;
    ASSERT_TRUE(RuncSpec(bundle.path(), rootless));
    auto text = ReadFile(bundle.Sub("config.json"));
    ASSERT_TRUE(text.ok());
    const json runc = json::parse(*text);

    auto spec = LoadSpec(bundle.path());
    ASSERT_TRUE(spec.ok()) << spec.error().ToString();
    Status st = ValidateSpec(*spec, bundle.path());
    EXPECT_TRUE(st.ok()) << st.error().ToString();

    EXPECT_EQ(spec->raw, runc);
    EXPECT_EQ(spec->oci_version, runc["ociVersion"]);
    EXPECT_EQ(spec->process->args, runc["process"]["args"].get<std::vector<std::string>>());
    EXPECT_EQ(spec->process->capabilities->bounding,
              runc["process"]["capabilities"]["bounding"].get<std::vector<std::string>>());
    EXPECT_EQ(spec->mounts.size(), runc["mounts"].size());
    EXPECT_EQ(spec->linux->namespaces.size(), runc["linux"]["namespaces"].size());
    EXPECT_EQ(spec->FindNamespace("user") != nullptr, rootless);
    EXPECT_EQ(spec->linux->uid_mappings.size(), rootless ? 1u : 0u);
    EXPECT_EQ(ResolveRootfs(*spec, bundle.path()), bundle.rootfs());
  }
}

TEST_F(RuncCompat, OurSpecMatchesRuncWhereBothFollowTheExample) {
  for (bool rootless : {false, true}) {
    SCOPED_TRACE(rootless ? "rootless" : "rootful");
    testing::TempDir dir;
    ASSERT_TRUE(RuncSpec(dir.path(), rootless));
    auto text = ReadFile(dir.Sub("config.json"));
    ASSERT_TRUE(text.ok());
    // Non-const: operator[] on a missing key then yields null on both sides.
    json runc = json::parse(*text);
    json ours = DefaultSpec(rootless);

    EXPECT_EQ(ours["mounts"], runc["mounts"]);
    EXPECT_EQ(ours["root"], runc["root"]);
    EXPECT_EQ(ours["process"]["args"], runc["process"]["args"]);
    EXPECT_EQ(ours["process"]["env"], runc["process"]["env"]);
    EXPECT_EQ(ours["process"]["cwd"], runc["process"]["cwd"]);
    EXPECT_EQ(ours["process"]["rlimits"], runc["process"]["rlimits"]);
    EXPECT_EQ(ours["process"]["capabilities"]["bounding"],
              runc["process"]["capabilities"]["bounding"]);
    EXPECT_EQ(ours["linux"]["readonlyPaths"], runc["linux"]["readonlyPaths"]);
    EXPECT_EQ(ours["linux"].contains("resources"), runc["linux"].contains("resources"));
    EXPECT_EQ(ours["linux"]["uidMappings"], runc["linux"]["uidMappings"]);
    EXPECT_EQ(ours["linux"]["gidMappings"], runc["linux"]["gidMappings"]);
    // Newer runc masks more paths; ours must mask at least what this one does.
    std::set<std::string> masked;
    for (const auto& p : ours["linux"]["maskedPaths"]) masked.insert(p.get<std::string>());
    for (const auto& p : runc["linux"]["maskedPaths"]) {
      EXPECT_TRUE(masked.count(p.get<std::string>())) << p;
    }
    // Same namespaces, plus the cgroup namespace that runc adds on cgroup v2 hosts only.
    std::set<std::string> ns_ours;
    std::set<std::string> ns_runc;
    for (const auto& n : ours["linux"]["namespaces"]) ns_ours.insert(n["type"].get<std::string>());
    for (const auto& n : runc["linux"]["namespaces"]) ns_runc.insert(n["type"].get<std::string>());
    ns_runc.insert("cgroup");
    EXPECT_EQ(ns_ours, ns_runc);
  }
}

}  // namespace
}  // namespace stockade::oci
