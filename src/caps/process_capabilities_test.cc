// Capability names, and the sets a child process ends up with, read back from
// /proc/self/status as the host would see them.
#include "caps/process_capabilities.h"

#include <linux/capability.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <gtest/gtest.h>

#include "base/io.h"
#include "base/test_child.h"

namespace stockade::caps {
namespace {

using stockade::testing::ChildResult;
using stockade::testing::OutputField;
using stockade::testing::RunInChild;
using stockade::testing::StatusField;

TEST(CapabilityNames, FromAndTo) {
  EXPECT_EQ(*CapabilityFromName("CAP_CHOWN"), 0);
  EXPECT_EQ(*CapabilityFromName("CAP_KILL"), 5);
  EXPECT_EQ(*CapabilityFromName("cap_sys_admin"), 21);
  EXPECT_FALSE(CapabilityFromName("KILL").ok());
  EXPECT_FALSE(CapabilityFromName("5").ok());
  EXPECT_FALSE(CapabilityFromName("CAP_BOGUS").ok());
  EXPECT_EQ(CapabilityName(CAP_KILL), "CAP_KILL");
  EXPECT_GE(LastCapability(), 37);  // CAP_AUDIT_READ exists on any kernel we support.
}

// In a forked child, as the test process keeps its own sets: `change` (false on failure),
// then each Cap* line of /proc/self/status, "CapBnd=..." a line.
ChildResult SetsAfter(const std::function<bool()>& change) {
  return RunInChild(0, [&] {
    if (!change()) return 1;
    auto status = ReadFile("/proc/self/status");
    if (!status.ok()) return 2;
    for (const char* f : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      printf("%s=%s\n", f, StatusField(*status, f).c_str());
    }
    return 0;
  });
}

TEST(ProcessCapabilities, KeepsExactlyTheGivenSets) {
  if (geteuid() != 0) GTEST_SKIP() << "changing the bounding set needs CAP_SETPCAP";
  const uint64_t kept = (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_FOWNER);
  ChildResult r = SetsAfter([&] {
    return DropBoundingSet(kept).ok() && ApplyCapabilities({.effective = kept, .permitted = kept}).ok();
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "CapBnd"), "0000000000000009");
  EXPECT_EQ(OutputField(r.output, "CapEff"), "0000000000000009");
  EXPECT_EQ(OutputField(r.output, "CapPrm"), "0000000000000009");
  EXPECT_EQ(OutputField(r.output, "CapInh"), "0000000000000000");
  EXPECT_EQ(OutputField(r.output, "CapAmb"), "0000000000000000");
}

TEST(ProcessCapabilities, NoneLeftAfterDroppingAll) {
  if (geteuid() != 0) GTEST_SKIP() << "changing the bounding set needs CAP_SETPCAP";
  ChildResult r = SetsAfter([] {
    if (!DropBoundingSet(0).ok() || !ApplyCapabilities(CapabilitySets{}).ok()) return false;
    // Nothing can be raised again.
    return !ApplyCapabilities({.effective = 1, .permitted = 1}).ok();
  });
  ASSERT_TRUE(r.Exited(0)) << r.output;
  EXPECT_EQ(OutputField(r.output, "CapBnd"), "0000000000000000");
  EXPECT_EQ(OutputField(r.output, "CapEff"), "0000000000000000");
  EXPECT_EQ(OutputField(r.output, "CapPrm"), "0000000000000000");
}

}  // namespace
}  // namespace stockade::caps
