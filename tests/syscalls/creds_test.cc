// Credentials: get/set uid/gid families, getgroups/setgroups, capget/capset.
//
// Natively the suite runs as root with (nearly) every capability; the default container spec
// keeps only CAP_AUDIT_WRITE, CAP_KILL and CAP_NET_BIND_SERVICE. Tests whose outcome depends
// on a capability check capget() first and expect the matching result either way, so they
// pin the privilege check itself rather than one environment.
#include <climits>
#include <grp.h>

#include "test_util.h"

namespace conformance {
namespace {

constexpr uid_t kNobody = 65534;

TEST(Credentials, GetuidFamilyConsistent) {
  uid_t r, e, s;
  ASSERT_EQ(getresuid(&r, &e, &s), 0);
  EXPECT_EQ(r, getuid());
  EXPECT_EQ(e, geteuid());
  EXPECT_EQ(s, geteuid());  // nothing changed ids since exec
  EXPECT_EQ(getuid(), 0u) << "the suite runs as root (natively and in the default spec)";
}

TEST(Credentials, GetgidFamilyConsistent) {
  gid_t r, e, s;
  ASSERT_EQ(getresgid(&r, &e, &s), 0);
  EXPECT_EQ(r, getgid());
  EXPECT_EQ(e, getegid());
  EXPECT_EQ(s, getegid());
}

TEST(Credentials, GetresuidEFAULT) {
  uid_t r, e;
  EXPECT_ERRNO(EFAULT, syscall(SYS_getresuid, &r, &e, BadPointer()));
  EXPECT_ERRNO(EFAULT, syscall(SYS_getresgid, BadPointer(), &r, &e));
}

TEST(Credentials, GetgroupsCountThenFill) {
  int n = getgroups(0, nullptr);
  ASSERT_GE(n, 0);
  std::vector<gid_t> groups(n + 1);
  EXPECT_EQ(getgroups(n + 1, groups.data()), n);
}

TEST(Credentials, GetgroupsErrors) {
  gid_t g[4];
  EXPECT_ERRNO(EINVAL, syscall(SYS_getgroups, -1, g));
  int n = getgroups(0, nullptr);
  ASSERT_GE(n, 0);
  if (n > 0) {
    EXPECT_ERRNO(EFAULT, syscall(SYS_getgroups, 64, BadPointer()));
    // A buffer that is too small for the list.
    std::vector<gid_t> small(n);
    if (n >= 2) EXPECT_ERRNO(EINVAL, getgroups(n - 1, small.data()));
  } else {
    // Nothing to copy: the pointer is never touched.
    EXPECT_EQ(syscall(SYS_getgroups, 64, BadPointer()), 0);
  }
}

TEST(Credentials, SetuidToOwnUidAlwaysAllowed) {
  EXPECT_CHILD_OK([] {
    CHILD_CHECK(setuid(getuid()) == 0);
    CHILD_CHECK(setresuid(-1, -1, -1) == 0);
    CHILD_CHECK(setgid(getgid()) == 0);
    CHILD_CHECK(setresgid(-1, -1, -1) == 0);
    return 0;
  });
}

TEST(Credentials, SetuidNeedsCapSetuid) {
  bool cap = HasCap(CAP_SETUID);
  EXPECT_CHILD_OK([cap] {
    if (!cap) {
      CHILD_CHECK_ERRNO(setuid(kNobody), EPERM);
      CHILD_CHECK(getuid() == 0);
      return 0;
    }
    // Privileged setuid sets all three ids, after which we cannot go back.
    CHILD_CHECK(setuid(kNobody) == 0);
    uid_t r, e, s;
    CHILD_CHECK(getresuid(&r, &e, &s) == 0);
    CHILD_CHECK(r == kNobody && e == kNobody && s == kNobody);
    CHILD_CHECK_ERRNO(setuid(0), EPERM);
    return 0;
  });
}

TEST(Credentials, SeteuidKeepsSavedUid) {
  bool cap = HasCap(CAP_SETUID);
  EXPECT_CHILD_OK([cap] {
    if (!cap) {
      CHILD_CHECK_ERRNO(seteuid(kNobody), EPERM);
      return 0;
    }
    CHILD_CHECK(seteuid(kNobody) == 0);
    uid_t r, e, s;
    CHILD_CHECK(getresuid(&r, &e, &s) == 0);
    CHILD_CHECK(r == 0 && e == kNobody && s == 0);
    // Unprivileged now, but the saved uid lets us return.
    CHILD_CHECK(seteuid(0) == 0);
    CHILD_CHECK(geteuid() == 0);
    return 0;
  });
}

TEST(Credentials, SetresuidUnprivilegedCanOnlyPermute) {
  bool cap = HasCap(CAP_SETUID);
  EXPECT_CHILD_OK([cap] {
    if (cap) {
      // Become nobody in real and effective, keep root as saved.
      CHILD_CHECK(setresuid(kNobody, kNobody, 0) == 0);
    } else {
      CHILD_CHECK_ERRNO(setresuid(kNobody, kNobody, 0), EPERM);
      return 0;
    }
    // Unprivileged: any id may be set to one of the current real/effective/saved ids...
    CHILD_CHECK(setresuid(-1, 0, -1) == 0);
    CHILD_CHECK(setresuid(-1, kNobody, -1) == 0);
    // ...but not to anything else.
    CHILD_CHECK_ERRNO(setresuid(-1, 1234, -1), EPERM);
    return 0;
  });
}

TEST(Credentials, SetgidNeedsCapSetgid) {
  bool cap = HasCap(CAP_SETGID);
  EXPECT_CHILD_OK([cap] {
    if (!cap) {
      CHILD_CHECK_ERRNO(setgid(kNobody), EPERM);
      CHILD_CHECK_ERRNO(setgroups(0, nullptr), EPERM);
      return 0;
    }
    CHILD_CHECK(setgroups(0, nullptr) == 0);
    CHILD_CHECK(getgroups(0, nullptr) == 0);
    gid_t g[] = {1, 2, 3};
    CHILD_CHECK(setgroups(3, g) == 0);
    gid_t got[8];
    CHILD_CHECK(getgroups(8, got) == 3);
    CHILD_CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3);
    CHILD_CHECK(setgid(kNobody) == 0);
    gid_t r, e, s;
    CHILD_CHECK(getresgid(&r, &e, &s) == 0);
    CHILD_CHECK(r == kNobody && e == kNobody && s == kNobody);
    return 0;
  });
}

TEST(Capabilities, VersionProbe) {
  __user_cap_header_struct hdr = {0, 0};
  // An unknown version with no data pointer: the kernel reports its preferred version.
  EXPECT_EQ(syscall(SYS_capget, &hdr, nullptr), 0);
  EXPECT_EQ(hdr.version, (__u32)_LINUX_CAPABILITY_VERSION_3);
  // With a data pointer the same probe fails with EINVAL (and still reports the version).
  hdr.version = 0x12345;
  __user_cap_data_struct data[2];
  EXPECT_ERRNO(EINVAL, syscall(SYS_capget, &hdr, data));
  EXPECT_EQ(hdr.version, (__u32)_LINUX_CAPABILITY_VERSION_3);
}

TEST(Capabilities, EffectiveSubsetOfPermitted) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  ASSERT_EQ(syscall(SYS_capget, &hdr, data), 0);
  for (int i = 0; i < 2; i++) {
    EXPECT_EQ(data[i].effective & ~data[i].permitted, 0u);
  }
  // The default container spec keeps CAP_KILL; so does root on the host.
  EXPECT_TRUE(HasCap(CAP_KILL));
  // Our own pid gives the same answer as 0.
  __user_cap_header_struct hdr2 = {_LINUX_CAPABILITY_VERSION_3, getpid()};
  __user_cap_data_struct data2[2] = {};
  ASSERT_EQ(syscall(SYS_capget, &hdr2, data2), 0);
  EXPECT_EQ(data2[0].effective, data[0].effective);
  EXPECT_EQ(data2[1].permitted, data[1].permitted);
}

TEST(Capabilities, CapgetErrors) {
  __user_cap_data_struct data[2];
  EXPECT_ERRNO(EFAULT, syscall(SYS_capget, BadPointer(), data));
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  EXPECT_ERRNO(EFAULT, syscall(SYS_capget, &hdr, BadPointer()));
  hdr = {_LINUX_CAPABILITY_VERSION_3, INT_MAX};
  EXPECT_ERRNO(ESRCH, syscall(SYS_capget, &hdr, data));
}

TEST(Capabilities, CapsetDropAndRaiseEffective) {
  EXPECT_CHILD_OK([] {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct orig[2], cur[2];
    CHILD_CHECK(syscall(SYS_capget, &hdr, orig) == 0);
    // Drop every effective capability, keep the permitted set.
    __user_cap_data_struct d[2];
    memcpy(d, orig, sizeof d);
    d[0].effective = d[1].effective = 0;
    CHILD_CHECK(syscall(SYS_capset, &hdr, d) == 0);
    CHILD_CHECK(syscall(SYS_capget, &hdr, cur) == 0);
    CHILD_CHECK(cur[0].effective == 0 && cur[1].effective == 0);
    CHILD_CHECK(cur[0].permitted == orig[0].permitted);
    CHILD_CHECK(!HasCap(CAP_KILL));
    // Raising effective back from permitted is allowed.
    CHILD_CHECK(syscall(SYS_capset, &hdr, orig) == 0);
    CHILD_CHECK(HasCap(CAP_KILL));
    return 0;
  });
}

TEST(Capabilities, CapsetCannotRegainDroppedPermitted) {
  EXPECT_CHILD_OK([] {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct orig[2], d[2];
    CHILD_CHECK(syscall(SYS_capget, &hdr, orig) == 0);
    memcpy(d, orig, sizeof d);
    d[0].permitted &= ~(1u << CAP_KILL);
    d[0].effective &= ~(1u << CAP_KILL);
    d[0].inheritable &= ~(1u << CAP_KILL);
    CHILD_CHECK(syscall(SYS_capset, &hdr, d) == 0);
    // Effective must stay within permitted.
    d[0].effective |= 1u << CAP_KILL;
    CHILD_CHECK_ERRNO(syscall(SYS_capset, &hdr, d), EPERM);
    // Permitted can never grow.
    CHILD_CHECK_ERRNO(syscall(SYS_capset, &hdr, orig), EPERM);
    return 0;
  });
}

TEST(Capabilities, CapsetOnOtherProcessEPERM) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2];
  ASSERT_EQ(syscall(SYS_capget, &hdr, d), 0);
  pid_t parent = getpid();
  EXPECT_CHILD_OK([parent, &d] {
    __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, parent};
    CHILD_CHECK_ERRNO(syscall(SYS_capset, &h, d), EPERM);
    return 0;
  });
}

}  // namespace
}  // namespace conformance
