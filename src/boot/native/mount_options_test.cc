// Pure translation tests: mount options, propagation, /proc mount policy, mountinfo parsing.
#include "boot/native/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include "boot/native/mountinfo.h"
#include "boot/native/mounts.h"

namespace stockade::native {
namespace {

struct FlagCase {
  std::vector<std::string> options;
  unsigned long flags;
  unsigned long cleared;
  std::string data;
};

TEST(MountOptionsTest, FlagTable) {
  const FlagCase cases[] = {
      {{}, 0, 0, ""},
      {{"defaults"}, 0, 0, ""},
      {{"ro"}, MS_RDONLY, 0, ""},
      {{"rw"}, 0, MS_RDONLY, ""},
      {{"ro", "rw"}, 0, MS_RDONLY, ""},
      {{"rw", "ro"}, MS_RDONLY, 0, ""},
      {{"nosuid", "nodev", "noexec"}, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, ""},
      {{"suid", "dev", "exec"}, 0, MS_NOSUID | MS_NODEV | MS_NOEXEC, ""},
      {{"sync"}, MS_SYNCHRONOUS, 0, ""},
      {{"sync", "async"}, 0, MS_SYNCHRONOUS, ""},
      {{"remount"}, MS_REMOUNT, 0, ""},
      {{"mand"}, MS_MANDLOCK, 0, ""},
      {{"nomand"}, 0, MS_MANDLOCK, ""},
      {{"noatime"}, MS_NOATIME, 0, ""},
      {{"atime"}, 0, MS_NOATIME, ""},
      {{"nodiratime"}, MS_NODIRATIME, 0, ""},
      {{"diratime"}, 0, MS_NODIRATIME, ""},
      {{"relatime"}, MS_RELATIME, 0, ""},
      {{"norelatime"}, 0, MS_RELATIME, ""},
      {{"strictatime"}, MS_STRICTATIME, 0, ""},
      {{"nostrictatime"}, 0, MS_STRICTATIME, ""},
      {{"dirsync", "lazytime", "iversion"}, MS_DIRSYNC | MS_LAZYTIME | MS_I_VERSION, 0, ""},
      {{"silent"}, MS_SILENT, 0, ""},
      {{"nosymfollow"}, MS_NOSYMFOLLOW, 0, ""},
      {{"bind"}, MS_BIND, 0, ""},
      {{"rbind"}, MS_BIND | MS_REC, 0, ""},
      {{"rbind", "ro", "nosuid"}, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID, 0, ""},
      // Unknown options are filesystem data, in order.
      {{"nosuid", "mode=755", "size=65536k"}, MS_NOSUID, 0, "mode=755,size=65536k"},
      {{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"},
       0,
       0,
       "newinstance,ptmxmode=0666,mode=0620,gid=5"},
      // runc passes "acl" on as data (runc#3738).
      {{"acl"}, 0, 0, "acl"},
  };
  for (const auto& c : cases) {
    std::string shown;
    for (const auto& o : c.options) shown += o + ",";
    MountOptions m = ParseMountOptions(c.options);
    EXPECT_EQ(m.flags, c.flags) << shown;
    EXPECT_EQ(m.cleared, c.cleared) << shown;
    EXPECT_EQ(m.data, c.data) << shown;
    EXPECT_TRUE(m.propagation.empty()) << shown;
  }
}

TEST(MountOptionsTest, PropagationKeepsOrderAndIsNotAFlag) {
  MountOptions m = ParseMountOptions({"rbind", "rprivate", "shared", "rslave", "unbindable",
                                      "runbindable", "private", "slave", "rshared"});
  EXPECT_EQ(m.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  const std::vector<unsigned long> want = {
      MS_PRIVATE | MS_REC,    MS_SHARED,  MS_SLAVE | MS_REC, MS_UNBINDABLE,
      MS_UNBINDABLE | MS_REC, MS_PRIVATE, MS_SLAVE,          MS_SHARED | MS_REC};
  EXPECT_EQ(m.propagation, want);
  EXPECT_EQ(m.data, "");
}

TEST(MountOptionsTest, RecursiveAttributes) {
  MountOptions m = ParseMountOptions({"rro", "rnosuid", "rnoatime"});
  EXPECT_EQ(m.flags, 0u);
  EXPECT_EQ(m.rec_attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME);
  // An atime mode is set by clearing the whole atime field (mount_setattr(2)).
  EXPECT_EQ(m.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
  MountOptions n = ParseMountOptions({"rro", "rrw"});
  EXPECT_EQ(n.rec_attr_set, 0u);
  EXPECT_EQ(n.rec_attr_clr, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

TEST(MountOptionsTest, ExtensionsAreNotData) {
  MountOptions m = ParseMountOptions({"tmpcopyup", "mode=1777"});
  EXPECT_TRUE(m.tmpcopyup);
  EXPECT_EQ(m.data, "mode=1777");
  EXPECT_TRUE(ParseMountOptions({"idmap"}).idmap);
  EXPECT_TRUE(ParseMountOptions({"ridmap"}).idmap);
  EXPECT_FALSE(ParseMountOptions({"ro"}).idmap);
}

TEST(MountOptionsTest, ParsePropagation) {
  EXPECT_EQ(*ParsePropagation("rprivate"), static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(*ParsePropagation("slave"), static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(*ParsePropagation("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
  auto bad = ParsePropagation("sideways");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "unknown mount propagation \"sideways\"");
}

TEST(MountOptionsTest, FlagsString) {
  EXPECT_EQ(MountFlagsString(0), "0");
  EXPECT_EQ(MountFlagsString(MS_RDONLY | MS_NOSUID | MS_BIND | MS_REC), "ro|nosuid|bind|rec");
}

TEST(ProcMountTest, Policy) {
  // Outside /proc anything goes, including look-alike prefixes.
  EXPECT_TRUE(CheckProcMount("/data", "bind", true, false).ok());
  EXPECT_TRUE(CheckProcMount("/procfoo", "tmpfs", false, false).ok());
  // /proc itself: a fresh procfs, or a bind of a procfs.
  EXPECT_TRUE(CheckProcMount("/proc", "proc", false, false).ok());
  EXPECT_TRUE(CheckProcMount("/proc", "bind", true, true).ok());
  auto not_proc = CheckProcMount("/proc", "bind", true, false);
  ASSERT_FALSE(not_proc.ok());
  EXPECT_EQ(not_proc.error().message(),
            "\"/proc\" cannot be mounted because it is not of type proc");
  EXPECT_FALSE(CheckProcMount("/proc", "tmpfs", false, false).ok());
  // Below /proc: only the lxcfs files.
  EXPECT_TRUE(CheckProcMount("/proc/meminfo", "bind", true, false).ok());
  EXPECT_TRUE(CheckProcMount("/proc/sys/kernel/ns_last_pid", "bind", true, false).ok());
  auto inside = CheckProcMount("/proc/sys", "tmpfs", false, false);
  ASSERT_FALSE(inside.ok());
  EXPECT_EQ(inside.error().message(), "\"/proc/sys\" cannot be mounted because it is inside /proc");
  EXPECT_FALSE(CheckProcMount("/proc/meminfo/x", "bind", true, false).ok());
  EXPECT_FALSE(CheckProcMount("/proc/self/attr", "proc", false, false).ok());
}

TEST(StatfsFlagsTest, Mapping) {
  EXPECT_EQ(StatfsToMountFlags(ST_RDONLY | ST_NOSUID | ST_RELATIME),
            static_cast<unsigned long>(MS_RDONLY | MS_NOSUID | MS_RELATIME));
  // No atime mode stored means strictatime.
  EXPECT_EQ(StatfsToMountFlags(ST_NODEV), static_cast<unsigned long>(MS_NODEV | MS_STRICTATIME));
  EXPECT_EQ(StatfsToMountFlags(ST_NOATIME | ST_NOEXEC),
            static_cast<unsigned long>(MS_NOATIME | MS_NOEXEC));
}

TEST(MountInfoTest, Parse) {
  const std::string text =
      "22 27 0:21 / /proc rw,relatime shared:5 - proc proc rw\n"
      "36 27 0:31 /sub /mnt/with\\040space rw,nosuid master:1 shared:7 - ext4 /dev/vda rw,x=1\n"
      "40 22 0:44 / /proc/sys ro - proc proc rw\n";
  auto r = ParseMountInfo(text);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, 22);
  EXPECT_EQ((*r)[0].parent, 27);
  EXPECT_EQ((*r)[0].mount_point, "/proc");
  EXPECT_EQ((*r)[0].optional, "shared:5");
  EXPECT_EQ((*r)[0].fstype, "proc");
  EXPECT_EQ((*r)[1].root, "/sub");
  EXPECT_EQ((*r)[1].mount_point, "/mnt/with space");
  EXPECT_EQ((*r)[1].optional, "master:1 shared:7");
  EXPECT_EQ((*r)[1].source, "/dev/vda");
  EXPECT_EQ((*r)[1].super_options, "rw,x=1");
  EXPECT_EQ((*r)[2].optional, "");
  EXPECT_EQ((*r)[2].options, "ro");
  EXPECT_FALSE(ParseMountInfo("1 2 3\n").ok());
}

TEST(MountInfoTest, ReadsOwn) {
  auto r = ReadMountInfo();
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  bool root = false;
  for (const auto& m : *r) root = root || m.mount_point == "/";
  EXPECT_TRUE(root);
}

}  // namespace
}  // namespace stockade::native
