// Features(): the document's shape, and that it claims at least what the installed runc does
// for the vocabularies both share.
#include "oci/features.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <set>
#include <string>

#include "oci/names.h"

namespace stockade::oci {
namespace {

using nlohmann::json;

// Output of `runc features`, or null when runc is not installed.
json RuncFeatures() {
  if (access("/usr/sbin/runc", X_OK) != 0) return nullptr;
  FILE* p = popen("/usr/sbin/runc features 2>/dev/null", "r");
  if (p == nullptr) return nullptr;
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return json::parse(out, nullptr, /*allow_exceptions=*/false);
}

std::set<std::string> AsSet(const json& list) {
  std::set<std::string> out;
  for (const auto& v : list) out.insert(v.get<std::string>());
  return out;
}

TEST(Features, Shape) {
  json f = Features();
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_EQ(f["ociVersionMax"], "1.2.0");
  EXPECT_EQ(AsSet(f["hooks"]),
            (std::set<std::string>{"prestart", "createRuntime", "createContainer", "startContainer",
                                   "poststart", "poststop"}));
  EXPECT_EQ(f["linux"]["capabilities"].size(), 41u);
  EXPECT_EQ(f["linux"]["seccomp"]["enabled"], true);
  EXPECT_EQ(f["linux"]["apparmor"]["enabled"], false);
  EXPECT_EQ(f["linux"]["selinux"]["enabled"], false);
  EXPECT_TRUE(f["linux"]["cgroup"]["v2"].get<bool>());
  EXPECT_EQ(AsSet(f["linux"]["namespaces"]),
            (std::set<std::string>{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}));
  const std::string libseccomp = f["annotations"]["io.github.seccomp.libseccomp.version"];
  EXPECT_NE(libseccomp.find('.'), std::string::npos) << libseccomp;
  EXPECT_TRUE(f["annotations"].contains("org.opencontainers.stockade.version"));
}

TEST(Features, CoversWhatRuncAdvertises) {
  json runc = RuncFeatures();
  if (runc.is_null() || runc.is_discarded()) GTEST_SKIP() << "runc not installed";
  json ours = Features();
  auto expect_superset = [](const json& mine, const json& theirs, const char* what) {
    std::set<std::string> have = AsSet(mine);
    for (const auto& v : theirs) {
      EXPECT_TRUE(have.count(v.get<std::string>())) << what << ": missing " << v;
    }
  };
  expect_superset(ours["hooks"], runc["hooks"], "hooks");
  expect_superset(ours["mountOptions"], runc["mountOptions"], "mountOptions");
  expect_superset(ours["linux"]["namespaces"], runc["linux"]["namespaces"], "namespaces");
  expect_superset(ours["linux"]["capabilities"], runc["linux"]["capabilities"], "capabilities");
  expect_superset(ours["linux"]["seccomp"]["actions"], runc["linux"]["seccomp"]["actions"],
                  "seccomp actions");
  expect_superset(ours["linux"]["seccomp"]["operators"], runc["linux"]["seccomp"]["operators"],
                  "seccomp operators");
  expect_superset(ours["linux"]["seccomp"]["archs"], runc["linux"]["seccomp"]["archs"],
                  "seccomp archs");
  // Capability order is the kernel's numbering, which runc lists in too.
  EXPECT_EQ(ours["linux"]["capabilities"], runc["linux"]["capabilities"]);
}

}  // namespace
}  // namespace stockade::oci
