// Capability names, and the sets a child process ends up with, read back from
// /proc/self/status as the host would see them.
#include "caps/process_capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace stockade::caps {
namespace {

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

// The value of "Cap<field>:" in this process's status, as a mask.
uint64_t StatusMask(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Cap" + field + ":", 0) == 0) return std::stoull(line.substr(line.find(':') + 1), nullptr, 16);
  }
  return ~uint64_t{0};
}

// Runs `apply` in a forked child and returns what it printed (or "exit N").
template <typename F>
std::string InChild(F apply) {
  int p[2];
  if (pipe(p) != 0) return "pipe";
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string out = apply();
    (void)!write(p[1], out.data(), out.size());
    _exit(0);
  }
  close(p[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "exit " + std::to_string(status);
  return out;
}

std::string Hex(uint64_t v) {
  std::ostringstream s;
  s << std::hex << v;
  return s.str();
}

TEST(ProcessCapabilities, KeepsExactlyTheGivenSets) {
  if (geteuid() != 0) GTEST_SKIP() << "changing the bounding set needs CAP_SETPCAP";
  const uint64_t kept = (uint64_t{1} << CAP_CHOWN) | (uint64_t{1} << CAP_FOWNER);
  std::string got = InChild([&] {
    if (!DropBoundingSet(kept).ok()) return std::string("bounding failed");
    if (!ApplyCapabilities({.effective = kept, .permitted = kept}).ok()) return std::string("apply failed");
    return Hex(StatusMask("Bnd")) + " " + Hex(StatusMask("Eff")) + " " + Hex(StatusMask("Prm")) + " " +
           Hex(StatusMask("Inh")) + " " + Hex(StatusMask("Amb"));
  });
  EXPECT_EQ(got, "9 9 9 0 0");
}

TEST(ProcessCapabilities, NoneLeftAfterDroppingAll) {
  if (geteuid() != 0) GTEST_SKIP() << "changing the bounding set needs CAP_SETPCAP";
  std::string got = InChild([] {
    if (!DropBoundingSet(0).ok() || !ApplyCapabilities(CapabilitySets{}).ok()) return std::string("failed");
    // Nothing can be raised again, and the bounding set stays empty.
    bool raised = ApplyCapabilities({.effective = 1, .permitted = 1}).ok();
    return Hex(StatusMask("Bnd")) + " " + Hex(StatusMask("Eff")) + " " + Hex(StatusMask("Prm")) +
           (raised ? " raised" : " refused");
  });
  EXPECT_EQ(got, "0 0 0 refused");
}

}  // namespace
}  // namespace stockade::caps
