// Parsing, path rules and value conversions, plus v2 writes and stats against a fake cgroupfs
// (plain files in a temp directory). Needs no root and no particular cgroup layout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/io.h"
#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/devices.h"
#include "runtime/cgroup/fsutil.h"
#include "runtime/cgroup/limits.h"
#include "runtime/cgroup/mode.h"
#include "runtime/cgroup/path.h"
#include "runtime/cgroup/raw_resources.h"

namespace stockade::cgroup {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- linux.cgroupsPath -------------------------------------------------------------------

TEST(CleanPathTest, MatchesRuncCleanPath) {
  EXPECT_EQ(CleanPath("/a/b/../c/./d/"), "/a/c/d");
  EXPECT_EQ(CleanPath("//a//b"), "/a/b");
  EXPECT_EQ(CleanPath("/../../etc"), "/etc");
  // Relative paths are cleaned as if rooted, so they cannot climb out of our own cgroup.
  EXPECT_EQ(CleanPath("../../x/y"), "x/y");
  EXPECT_EQ(CleanPath("a/../../b"), "b");
  EXPECT_EQ(CleanPath(".."), ".");
  EXPECT_EQ(CleanPath("/"), "/");
}

TEST(ExpandSliceTest, NestedSlices) {
  EXPECT_EQ(*ExpandSlice("system.slice"), "/system.slice");
  EXPECT_EQ(*ExpandSlice("a-b.slice"), "/a.slice/a-b.slice");
  EXPECT_EQ(*ExpandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
  EXPECT_EQ(*ExpandSlice("-.slice"), "/");
}

TEST(ExpandSliceTest, RejectsInvalidNames) {
  for (const char* bad : {"system", ".slice", "a--b.slice", "-a.slice", "a-.slice", "a/b.slice"}) {
    auto r = ExpandSlice(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), EINVAL) << bad;
  }
}

TEST(SystemdPathTest, ConvertsLikeRuncsSystemdDriver) {
  EXPECT_EQ(*SystemdPathToCgroupfs("machine.slice:libpod:abc"), "/machine.slice/libpod-abc.scope");
  EXPECT_EQ(*SystemdPathToCgroupfs("system.slice:docker:1234"), "/system.slice/docker-1234.scope");
  EXPECT_EQ(*SystemdPathToCgroupfs("kubepods-besteffort-pod12.slice:cri-containerd:c1"),
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/"
            "cri-containerd-c1.scope");
  EXPECT_EQ(*SystemdPathToCgroupfs(":crio:x"), "/system.slice/crio-x.scope");
  EXPECT_EQ(*SystemdPathToCgroupfs("user.slice::x"), "/user.slice/-x.scope");
  EXPECT_EQ(*SystemdPathToCgroupfs("a.slice:p:child.slice"), "/a.slice/child.slice");
}

TEST(SystemdPathTest, RejectsMalformed) {
  for (const char* bad : {"", "/machine.slice/x", "a:b", "a:b:c:d",
                          "machine.slice:p:", "nosuffix:p:x", "a.slice:p:x/y"}) {
    EXPECT_FALSE(SystemdPathToCgroupfs(bad).ok()) << bad;
  }
}

TEST(ParseCgroupsPathTest, Forms) {
  auto empty = ParseCgroupsPath("", false, "c1");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->relative);
  EXPECT_EQ(empty->path, "/stockade/c1");

  auto empty_systemd = ParseCgroupsPath("", true, "c1");
  ASSERT_TRUE(empty_systemd.ok());
  EXPECT_EQ(empty_systemd->path, "/system.slice/stockade-c1.scope");

  auto abs = ParseCgroupsPath("/libpod_parent/libpod-x/", false, "c1");
  ASSERT_TRUE(abs.ok());
  EXPECT_FALSE(abs->relative);
  EXPECT_EQ(abs->path, "/libpod_parent/libpod-x");

  auto rel = ParseCgroupsPath("../sub/c1", false, "c1");
  ASSERT_TRUE(rel.ok());
  EXPECT_TRUE(rel->relative);
  EXPECT_EQ(rel->path, "sub/c1");

  auto systemd = ParseCgroupsPath("machine.slice:libpod:abc", true, "abc");
  ASSERT_TRUE(systemd.ok());
  EXPECT_FALSE(systemd->relative);
  EXPECT_EQ(systemd->path, "/machine.slice/libpod-abc.scope");

  // A colon path without --systemd-cgroup is just a directory name.
  auto colon = ParseCgroupsPath("/a:b:c", false, "x");
  ASSERT_TRUE(colon.ok());
  EXPECT_EQ(colon->path, "/a:b:c");
}

TEST(ParseCgroupsPathTest, RejectsRootsAndBadIds) {
  for (const char* bad : {"/", "/..", ".", "..", "a/.."}) {
    auto r = ParseCgroupsPath(bad, false, "c1");
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_FALSE(ParseCgroupsPath("", false, "").ok());
  EXPECT_FALSE(ParseCgroupsPath("", false, "a/b").ok());
  EXPECT_FALSE(ParseCgroupsPath("/x", true, "c1").ok());  // systemd needs slice:prefix:name
  // The root slice is a valid parent; the unit below it is still the container's own.
  EXPECT_EQ(ParseCgroupsPath("-.slice:p:x", true, "x")->path, "/p-x.scope");
}

// --- /proc/<pid>/cgroup and mount roots ---------------------------------------------------

TEST(ProcCgroupTest, ParsesV1AndV2Lines) {
  auto m = ParseProcCgroup(
      "12:cpu,cpuacct:/a\n4:memory:/process_api/x\n1:name=systemd:/user.slice\n0::/init:odd\n");
  EXPECT_EQ(m["cpu"], "/a");
  EXPECT_EQ(m["cpuacct"], "/a");
  EXPECT_EQ(m["memory"], "/process_api/x");
  EXPECT_EQ(m["name=systemd"], "/user.slice");
  EXPECT_EQ(m[""], "/init:odd");
}

TEST(OwnDirTest, AccountsForMountRoot) {
  std::map<std::string, std::string> own = {{"memory", "/docker/abc/sub"}, {"", "/"}};
  Hierarchy mem{false, {"memory"}, "/sys/fs/cgroup/memory", "/docker/abc"};
  EXPECT_EQ(*OwnDir(mem, own), "/sys/fs/cgroup/memory/sub");
  mem.root = "/";
  EXPECT_EQ(*OwnDir(mem, own), "/sys/fs/cgroup/memory/docker/abc/sub");
  mem.root = "/other";
  EXPECT_FALSE(OwnDir(mem, own).ok());
  Hierarchy unified{true, {}, "/sys/fs/cgroup", "/"};
  EXPECT_EQ(*OwnDir(unified, own), "/sys/fs/cgroup");
  Hierarchy pids{false, {"pids"}, "/sys/fs/cgroup/pids", "/"};
  EXPECT_EQ(OwnDir(pids, own).error().code(), ENOENT);
  std::map<std::string, std::string> outside = {{"", "/../.."}};
  EXPECT_FALSE(OwnDir(unified, outside).ok());
}

// --- mountinfo ----------------------------------------------------------------------------

constexpr const char* kHybrid =
    "22 1 0:21 / /sys rw,nosuid - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "42 31 0:39 / /sys/fs/cgroup/mine rw,relatime - cgroup cgroup rw,name=mine\n";

TEST(MountInfoTest, Hybrid) {
  auto layout = ParseMountInfo(kHybrid);
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();
  EXPECT_EQ(layout->mode, Mode::kHybrid);
  std::vector<std::string> keys;
  for (const auto& h : layout->hierarchies) keys.push_back(h.Key() + "@" + h.mountpoint);
  EXPECT_THAT(keys,
              ElementsAre("cpu,cpuacct@/sys/fs/cgroup/cpu,cpuacct", "memory@/sys/fs/cgroup/memory",
                          "name=systemd@/sys/fs/cgroup/systemd", "unified@/sys/fs/cgroup/unified"));
}

TEST(MountInfoTest, PureV1) {
  std::string v1 = kHybrid;
  v1.erase(v1.find("41 31"), v1.find("42 31") - v1.find("41 31"));
  auto layout = ParseMountInfo(v1);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->mode, Mode::kV1);
  EXPECT_EQ(layout->hierarchies.size(), 3u);
  for (const auto& h : layout->hierarchies) EXPECT_FALSE(h.v2);
}

TEST(MountInfoTest, PureV2IgnoresStrayV1Mounts) {
  auto layout = ParseMountInfo(
      "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
      "50 30 0:40 / /sys/fs/cgroup/net_cls rw - cgroup net_cls rw,net_cls\n"
      "51 30 0:26 / /run/other rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->mode, Mode::kV2);
  ASSERT_EQ(layout->hierarchies.size(), 1u);
  EXPECT_TRUE(layout->hierarchies[0].v2);
  EXPECT_EQ(layout->hierarchies[0].mountpoint, "/sys/fs/cgroup");
}

TEST(MountInfoTest, ContainerRootsAndEscapes) {
  auto layout = ParseMountInfo(
      "700 699 0:26 /docker/abc /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n"
      "701 699 0:27 / /mnt/with\\040space rw - tmpfs tmpfs rw\n");
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->mode, Mode::kV2);
  EXPECT_EQ(layout->hierarchies[0].root, "/docker/abc");

  auto v1 = ParseMountInfo("9 8 0:1 /x /cg/my\\040mem rw - cgroup cgroup rw,memory\n");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->hierarchies[0].mountpoint, "/cg/my mem");
  EXPECT_EQ(v1->hierarchies[0].root, "/x");
}

TEST(MountInfoTest, NoCgroupsIsENOENT) {
  auto layout = ParseMountInfo("22 1 0:21 / /sys rw - sysfs sysfs rw\n");
  ASSERT_FALSE(layout.ok());
  EXPECT_EQ(layout.error().code(), ENOENT);
  // Only systemd's named hierarchy carries no controllers either.
  EXPECT_FALSE(ParseMountInfo("40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
                              "rw,name=systemd\n")
                   .ok());
}

// --- conversions --------------------------------------------------------------------------

TEST(ConversionTest, SharesToWeightMatchesRunc) {
  EXPECT_EQ(SharesToWeight(0), 0u);
  EXPECT_EQ(SharesToWeight(2), 1u);
  EXPECT_EQ(SharesToWeight(1024), 39u);  // 1 + (1022*9999)/262142 = 1 + 38
  EXPECT_EQ(SharesToWeight(512), 20u);
  EXPECT_EQ(SharesToWeight(262144), 10000u);
  EXPECT_EQ(BlkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(BlkioWeightToIoWeight(1000), 10000u);
  EXPECT_EQ(BlkioWeightToIoWeight(500), 4950u);  // 1 + (490*9999)/990
}

TEST(ConversionTest, CpuListsAndQuota) {
  EXPECT_EQ(CountCpuList("0-3,8,10-11\n"), 7);
  EXPECT_EQ(CountCpuList("0"), 1);
  EXPECT_EQ(CountCpuList(""), 0);
  EXPECT_EQ(CountCpuList("3-1"), 0);
  EXPECT_EQ(CountCpuList("a"), 0);
  EXPECT_EQ(CpusFromQuota(8, 0.5), 1);
  EXPECT_EQ(CpusFromQuota(8, 2.1), 3);
  EXPECT_EQ(CpusFromQuota(2, 4.0), 2);
  EXPECT_EQ(CpusFromQuota(4, std::nullopt), 4);
}

TEST(DevicesTest, RuleLines) {
  oci::DeviceCgroupRule r;
  r.type = "c";
  r.major = 1;
  r.minor = 3;
  r.access = "rwm";
  EXPECT_EQ(*DeviceRuleLine(r), "c 1:3 rwm");
  r.minor.reset();
  r.access = "";
  EXPECT_EQ(*DeviceRuleLine(r), "c 1:* rwm");
  oci::DeviceCgroupRule all;
  all.type = "";
  EXPECT_EQ(*DeviceRuleLine(all), "a *:* rwm");
  r.access = "rwx";
  EXPECT_FALSE(DeviceRuleLine(r).ok());
  r.access = "r";
  r.type = "p";
  EXPECT_FALSE(DeviceRuleLine(r).ok());
  EXPECT_EQ(RuncDefaultDeviceRules().size(), 12u);
}

TEST(RawResourcesTest, BlockIoHugepagesNetwork) {
  auto bio = ParseBlockIo(nlohmann::json::parse(R"({"weight":500,"weightDevice":[{"major":8,
      "minor":0,"weight":300}],"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}]})"));
  ASSERT_TRUE(bio.ok()) << bio.error().ToString();
  EXPECT_EQ(*bio->weight, 500);
  EXPECT_EQ(bio->weight_device.size(), 1u);
  EXPECT_EQ(bio->read_bps[0].rate, 1048576u);
  EXPECT_TRUE(ParseBlockIo(nlohmann::json()).ok());
  EXPECT_TRUE(ParseBlockIo(nlohmann::json())->empty());
  EXPECT_FALSE(ParseBlockIo(nlohmann::json::parse(R"({"weight":5000})")).ok());
  EXPECT_FALSE(ParseBlockIo(nlohmann::json::parse(R"({"weight":-1})")).ok());

  auto huge = ParseHugepageLimits(nlohmann::json::parse(R"([{"pageSize":"2MB","limit":4194304}])"));
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ((*huge)[0].page_size, "2MB");
  EXPECT_FALSE(
      ParseHugepageLimits(nlohmann::json::parse(R"([{"pageSize":"../x","limit":1}])")).ok());

  auto net = ParseNetwork(
      nlohmann::json::parse(R"({"classID":1048577,"priorities":[{"name":"eth0","priority":5}]})"));
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(*net->class_id, 1048577u);
  EXPECT_EQ(net->priorities[0].first, "eth0");

  auto rdma = ParseRdma(nlohmann::json::parse(R"({"mlx5_1":{"hcaHandles":3}})"));
  ASSERT_TRUE(rdma.ok()) << rdma.error().ToString();
  ASSERT_EQ(rdma->size(), 1u);
  EXPECT_EQ(RdmaLine((*rdma)[0]), "mlx5_1 hca_handle=3 hca_object=max");
  EXPECT_FALSE(ParseRdma(nlohmann::json::parse(R"({"a b":{}})")).ok());
  EXPECT_FALSE(ParseRdma(nlohmann::json::parse(R"({"x":{"hcaObjects":-1}})")).ok());
}

// --- v2 against a fake cgroupfs -------------------------------------------------------------

class FakeV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockade-cgfake-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* f : {"memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max",
                          "cpu.idle", "pids.max", "cpuset.cpus", "cpuset.mems", "memory.high",
                          "io.weight", "io.max", "hugetlb.2MB.max", "cpu.max.burst", "rdma.max"}) {
      Put(f, "");
    }
    Put("cgroup.controllers", "cpuset cpu io memory hugetlb pids");
  }
  void TearDown() override { ASSERT_TRUE(RemoveAll(dir_).ok()); }

  void Put(const std::string& file, const std::string& value) {
    std::ofstream(JoinPath(dir_, file)) << value;
  }
  std::string Get(const std::string& file) {
    std::ifstream in(JoinPath(dir_, file));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
};

TEST_F(FakeV2Test, ConvertsAndWritesLikeRunc) {
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.memory->swap = 128 << 20;
  r.memory->reservation = 32 << 20;
  r.cpu.emplace();
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->burst = 20000;
  r.cpu->cpus = "0-1";
  r.cpu->mems = "0";
  r.pids = oci::PidsResources{20};
  r.rdma = nlohmann::json::parse(R"({"mlx4_0":{"hcaHandles":2,"hcaObjects":2000}})");
  r.block_io = nlohmann::json::parse(R"({"weight":500,
      "throttleWriteIOPSDevice":[{"major":8,"minor":16,"rate":0}]})");
  r.hugepage_limits = nlohmann::json::parse(R"([{"pageSize":"2MB","limit":2097152}])");
  r.unified["memory.high"] = "100000000";
  oci::DeviceCgroupRule deny;
  r.devices.push_back(deny);  // Logged and skipped on v2, not an error.
  Status st = v2::Apply(dir_, r);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(Get("memory.max"), "67108864");
  EXPECT_EQ(Get("memory.swap.max"), "67108864");  // swap - limit
  EXPECT_EQ(Get("memory.low"), "33554432");
  EXPECT_EQ(Get("cpu.weight"), "20");
  EXPECT_EQ(Get("cpu.max"), "50000 100000");
  EXPECT_EQ(Get("pids.max"), "20");
  EXPECT_EQ(Get("cpuset.cpus"), "0-1");
  EXPECT_EQ(Get("cpuset.mems"), "0");
  EXPECT_EQ(Get("io.weight"), "4950");
  EXPECT_EQ(Get("io.max"), "8:16 wiops=max");
  EXPECT_EQ(Get("hugetlb.2MB.max"), "2097152");
  EXPECT_EQ(Get("memory.high"), "100000000");
  EXPECT_EQ(Get("cpu.max.burst"), "20000");
  EXPECT_EQ(Get("rdma.max"), "mlx4_0 hca_handle=2 hca_object=2000");
}

TEST_F(FakeV2Test, CheckBeforeUpdateRefusesLimitBelowUsage) {
  Put("memory.current", "8388608\n");
  Put("memory.max", "max\n");
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 4 << 20;
  r.memory->check_before_update = true;
  Status st = v2::Apply(dir_, r);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("below current usage 8388608"));
  EXPECT_EQ(Get("memory.max"), "max\n");  // Untouched.
  r.memory->limit = 16 << 20;
  ASSERT_TRUE(v2::Apply(dir_, r).ok());
  EXPECT_EQ(Get("memory.max"), "16777216");
  // Without the flag the kernel decides, as before runtime-spec 1.2.
  r.memory->limit = 4 << 20;
  r.memory->check_before_update.reset();
  ASSERT_TRUE(v2::Apply(dir_, r).ok());
  EXPECT_EQ(Get("memory.max"), "4194304");
}

TEST_F(FakeV2Test, UnlimitedValuesAndPeriodOnlyUpdate) {
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = -1;
  r.pids = oci::PidsResources{0};
  r.cpu.emplace();
  r.cpu->quota = -1;
  ASSERT_TRUE(v2::Apply(dir_, r).ok());
  EXPECT_EQ(Get("memory.max"), "max");
  EXPECT_EQ(Get("memory.swap.max"), "max");
  EXPECT_EQ(Get("pids.max"), "max");
  EXPECT_EQ(Get("cpu.max"), "max");

  Put("cpu.max", "50000 100000\n");
  oci::Resources period_only;
  period_only.cpu.emplace();
  period_only.cpu->period = 200000;
  ASSERT_TRUE(v2::Apply(dir_, period_only).ok());
  EXPECT_EQ(Get("cpu.max"), "50000 200000");  // The quota survives.

  oci::Resources same;
  same.memory.emplace();
  same.memory->limit = 1 << 20;
  same.memory->swap = 1 << 20;
  ASSERT_TRUE(v2::Apply(dir_, same).ok());
  EXPECT_EQ(Get("memory.swap.max"), "0");  // Equal limits: no swap at all.
}

TEST_F(FakeV2Test, ErrorsNameFileAndValue) {
  oci::Resources swap_low;
  swap_low.memory.emplace();
  swap_low.memory->limit = 2 << 20;
  swap_low.memory->swap = 1 << 20;
  Status st = v2::Apply(dir_, swap_low);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), EINVAL);

  oci::Resources swap_only;
  swap_only.memory.emplace();
  swap_only.memory->swap = 1 << 20;
  EXPECT_FALSE(v2::Apply(dir_, swap_only).ok());

  oci::Resources slash;
  slash.unified["../memory.max"] = "1";
  EXPECT_FALSE(v2::Apply(dir_, slash).ok());
  oci::Resources procs;
  procs.unified["cgroup.procs"] = "1";
  EXPECT_FALSE(v2::Apply(dir_, procs).ok());

  oci::Resources missing;
  missing.unified["misc.max"] = "sev 1";
  st = v2::Apply(dir_, missing);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("controller \"misc\" is not available"));

  ASSERT_EQ(::unlink(JoinPath(dir_, "pids.max").c_str()), 0);
  oci::Resources pids;
  pids.pids = oci::PidsResources{7};
  st = v2::Apply(dir_, pids);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ENOENT);
  EXPECT_THAT(st.error().message(), HasSubstr("\"7\""));
  EXPECT_THAT(st.error().message(), HasSubstr(dir_ + "/pids.max"));
}

TEST_F(FakeV2Test, StatsConvertUnits) {
  Put("cpu.stat",
      "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\n"
      "nr_throttled 2\nthrottled_usec 30\n");
  Put("memory.current", "4096\n");
  Put("memory.max", "max\n");
  Put("memory.swap.current", "100\n");
  Put("memory.swap.max", "max\n");
  Put("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  Put("memory.stat", "anon 1024\nfile 2048\n");
  Put("pids.current", "2\n");
  Put("pids.max", "20\n");
  Put("io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  auto stats = v2::Stats(dir_);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  const auto& s = *stats;
  EXPECT_EQ(s["cpu"]["usage"]["total"], 1500000u);
  EXPECT_EQ(s["cpu"]["usage"]["user"], 1000000u);
  EXPECT_EQ(s["cpu"]["usage"]["kernel"], 500000u);
  EXPECT_EQ(s["cpu"]["throttling"]["throttledPeriods"], 2u);
  EXPECT_EQ(s["cpu"]["throttling"]["throttledTime"], 30000u);
  EXPECT_EQ(s["memory"]["usage"]["usage"], 4096u);
  EXPECT_EQ(s["memory"]["usage"]["limit"], UINT64_MAX);
  EXPECT_EQ(s["memory"]["usage"]["failcnt"], 3u);
  EXPECT_EQ(s["memory"]["swap"]["usage"], 4196u);
  EXPECT_EQ(s["memory"]["cache"], 2048u);
  EXPECT_EQ(s["memory"]["raw"]["anon"], 1024u);
  EXPECT_EQ(s["pids"]["current"], 2u);
  EXPECT_EQ(s["pids"]["limit"], 20u);
  EXPECT_EQ(s["blkio"]["ioServiceBytesRecursive"][1]["op"], "Write");
  EXPECT_EQ(s["blkio"]["ioServiceBytesRecursive"][1]["value"], 20u);
  EXPECT_EQ(s["blkio"]["ioServicedRecursive"][0]["major"], 8u);
  EXPECT_TRUE(s["hugetlb"].is_object());

  EXPECT_EQ(v2::Stats(dir_ + "/gone").error().code(), ENOENT);
}

// --- state round trip ---------------------------------------------------------------------

TEST(LoadTest, RoundTripAndValidation) {
  nlohmann::json j = {{"mode", "hybrid"},
                      {"path", "/stockade/c1"},
                      {"dirs",
                       {{{"controllers", {"memory"}},
                         {"mountpoint", "/sys/fs/cgroup/memory"},
                         {"path", "/sys/fs/cgroup/memory/stockade/c1"}},
                        {{"v2", true},
                         {"mountpoint", "/sys/fs/cgroup/unified"},
                         {"path", "/sys/fs/cgroup/unified/stockade/c1"}}}}};
  auto cg = Cgroup::Load(j);
  ASSERT_TRUE(cg.ok()) << cg.error().ToString();
  EXPECT_EQ(cg->mode(), Mode::kHybrid);
  EXPECT_EQ(cg->Path(), "/stockade/c1");
  EXPECT_EQ(cg->Dirs().at("memory"), "/sys/fs/cgroup/memory/stockade/c1");
  EXPECT_EQ(cg->Dirs().at("unified"), "/sys/fs/cgroup/unified/stockade/c1");
  EXPECT_EQ(cg->ToJson(), j);

  auto with_path = [&](const std::string& p) {
    nlohmann::json k = j;
    k["dirs"][0]["path"] = p;
    return Cgroup::Load(k).ok();
  };
  EXPECT_FALSE(with_path("/sys/fs/cgroup/memory"));            // the hierarchy root
  EXPECT_FALSE(with_path("/sys/fs/cgroup/memory/../../etc"));  // not clean
  EXPECT_FALSE(with_path("/sys/fs/cgroup/memoryx/a"));         // not below the mountpoint
  EXPECT_FALSE(with_path("sys/fs/cgroup/memory/a"));           // relative
  nlohmann::json v2_with_v1 = j;
  v2_with_v1["mode"] = "v2";
  EXPECT_FALSE(Cgroup::Load(v2_with_v1).ok());
  nlohmann::json bad_mode = j;
  bad_mode["mode"] = "v3";
  EXPECT_FALSE(Cgroup::Load(bad_mode).ok());
  EXPECT_FALSE(Cgroup::Load(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace stockade::cgroup
