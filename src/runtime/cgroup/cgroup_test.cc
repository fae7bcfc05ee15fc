// Real cgroups on this host, as root. Every test works in cgroups named
// "stockade-test-<pid>-<n>" and the fixture removes them (killing leftover children first)
// even when an assertion fails.
#include "runtime/cgroup/cgroup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "base/io.h"
#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/fsutil.h"
#include "runtime/cgroup/limits.h"

namespace stockade::cgroup {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(const std::string& s) { return std::string(TrimSpace(s)); }

// A forked child that blocks until Release(), so the parent can move it into a cgroup before
// it does anything that the cgroup should account for. Killed and reaped on destruction.
class Child {
 public:
  explicit Child(std::function<int()> body) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) abort();
    pid_ = fork();
    if (pid_ == 0) {
      ::close(p[1]);
      char c;
      if (::read(p[0], &c, 1) != 1) _exit(99);
      _exit(body());
    }
    ::close(p[0]);
    release_fd_ = p[1];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (release_fd_ >= 0) ::close(release_fd_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void Release() {
    char c = 1;
    ASSERT_EQ(::write(release_fd_, &c, 1), 1);
    ::close(release_fd_);
    release_fd_ = -1;
  }
  // Waits for exit; returns the wait status.
  int Wait() {
    int status = 0;
    EXPECT_EQ(::waitpid(pid_, &status, 0), pid_);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int release_fd_ = -1;
};

class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    auto layout = DetectLayout();
    ASSERT_TRUE(layout.ok()) << layout.error().ToString();
    layout_ = *layout;
  }

  void TearDown() override {
    for (auto& cg : created_) {
      // Leftover processes would keep the directories busy.
      for (pid_t pid : cg.Pids()) ::kill(pid, SIGKILL);
      (void)cg.Thaw();
      Status st = cg.Destroy();
      EXPECT_TRUE(st.ok()) << st.error().ToString();
    }
    for (const auto& top : extra_dirs_) {
      for (const auto& h : layout_.hierarchies) ::rmdir(JoinPath(h.mountpoint, top).c_str());
    }
  }

  static std::string UniqueName() {
    static int n = 0;
    return "stockade-test-" + std::to_string(getpid()) + "-" + std::to_string(n++);
  }

  // Creates a test cgroup and registers it for removal. On v1 and hybrid hosts it is relative
  // to our own cgroup, so it stays inside whatever cgroup runs the tests (and exercises the
  // relative form). On v2 that would fail: our own cgroup holds processes, so it cannot hand
  // controllers to children (the no-internal-process rule), and the test uses a top-level path.
  Cgroup MakeTestCgroup() {
    std::string name = UniqueName();
    auto cg = Cgroup::Create(layout_.mode == Mode::kV2 ? "/" + name : name, false, "unused");
    EXPECT_TRUE(cg.ok()) << cg.error().ToString();
    if (!cg.ok()) abort();
    created_.push_back(*cg);
    return *cg;
  }

  std::string DirFor(const Cgroup& cg, const std::string& controller) {
    for (const auto& d : cg.dirs()) {
      if (layout_.mode == Mode::kV2 && d.v2) return d.path;
      for (const auto& c : d.controllers) {
        if (c == controller) return d.path;
      }
    }
    ADD_FAILURE() << "no directory for " << controller;
    return "/nonexistent";
  }

  Layout layout_;
  std::vector<Cgroup> created_;
  std::vector<std::string> extra_dirs_;  // Parents of absolute test paths, relative to roots.
};

oci::Resources StandardResources() {
  oci::Resources r;
  r.memory.emplace();
  r.memory->limit = 64 << 20;
  r.cpu.emplace();
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->shares = 512;
  r.pids = oci::PidsResources{20};
  return r;
}

// The CPU burst file exists on Linux >= 5.14 only.
std::string BurstFile(Mode mode) {
  return mode == Mode::kV2 ? "cpu.max.burst" : "cpu.cfs_burst_us";
}

// runc's detection (statfs of /sys/fs/cgroup and /sys/fs/cgroup/unified) must agree with ours
// from mountinfo, and every hierarchy we found must really be that kind of filesystem.
TEST_F(CgroupTest, DetectionMatchesKernel) {
  struct statfs fs;
  ASSERT_EQ(statfs("/sys/fs/cgroup", &fs), 0);
  Mode expected = Mode::kV1;
  if (fs.f_type == CGROUP2_SUPER_MAGIC) {
    expected = Mode::kV2;
  } else if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
    expected = Mode::kHybrid;
  }
  auto mode = DetectMode();
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, expected) << ModeName(*mode) << " vs " << ModeName(expected);

  // /proc/self/cgroup names each hierarchy we belong to by its controller list.
  std::set<std::string> proc_keys;
  const std::string self_cgroup = Slurp("/proc/self/cgroup");
  for (std::string_view line : SplitLines(self_cgroup)) {
    auto parts = SplitOn(line, ':');
    if (parts.size() >= 3) proc_keys.insert(parts[1].empty() ? "unified" : std::string(parts[1]));
  }
  for (const auto& h : layout_.hierarchies) {
    ASSERT_EQ(statfs(h.mountpoint.c_str(), &fs), 0) << h.mountpoint;
    EXPECT_EQ(fs.f_type, h.v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC) << h.mountpoint;
    EXPECT_EQ(proc_keys.count(h.Key()), 1u) << h.Key();
  }
}

TEST_F(CgroupTest, ApplyWritesLimits) {
  Cgroup cg = MakeTestCgroup();
  EXPECT_EQ(cg.mode(), layout_.mode);
  std::string burst_path = DirFor(cg, "cpu") + "/" + BurstFile(layout_.mode);
  bool has_burst = PathExists(burst_path);
  oci::Resources resources = StandardResources();
  if (has_burst) resources.cpu->burst = 10000;
  EXPECT_EQ(cg.dirs().size(), layout_.hierarchies.size());
  for (const auto& d : cg.dirs()) EXPECT_TRUE(PathExists(d.path)) << d.path;
  Status st = cg.Apply(resources);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  if (has_burst) {
    EXPECT_EQ(Trim(Slurp(burst_path)), "10000");
  }
  if (layout_.mode == Mode::kV2) {
    std::string dir = DirFor(cg, "");
    EXPECT_EQ(Trim(Slurp(dir + "/memory.max")), "67108864");
    EXPECT_EQ(Trim(Slurp(dir + "/cpu.max")), "50000 100000");
    EXPECT_EQ(Trim(Slurp(dir + "/cpu.weight")), "20");
    EXPECT_EQ(Trim(Slurp(dir + "/pids.max")), "20");
  } else {
    EXPECT_EQ(Trim(Slurp(DirFor(cg, "memory") + "/memory.limit_in_bytes")), "67108864");
    EXPECT_EQ(Trim(Slurp(DirFor(cg, "cpu") + "/cpu.cfs_quota_us")), "50000");
    EXPECT_EQ(Trim(Slurp(DirFor(cg, "cpu") + "/cpu.cfs_period_us")), "100000");
    EXPECT_EQ(Trim(Slurp(DirFor(cg, "cpu") + "/cpu.shares")), "512");
    EXPECT_EQ(Trim(Slurp(DirFor(cg, "pids") + "/pids.max")), "20");
  }
  EXPECT_EQ(cg.MemoryLimit(), int64_t{64} << 20);
  EXPECT_EQ(cg.EffectiveCpus(), 1);

  // Update touches only what it is given.
  oci::Resources more;
  more.memory.emplace();
  more.memory->limit = 128 << 20;
  more.pids = oci::PidsResources{-1};
  st = cg.Update(more);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(cg.MemoryLimit(), int64_t{128} << 20);
  EXPECT_EQ(Trim(Slurp(DirFor(cg, "pids") + "/pids.max")), "max");
  EXPECT_EQ(cg.EffectiveCpus(), 1);  // The quota is still there.
}

// The kernel keeps memory <= memory+swap at every write, so raising both needs swap first and
// lowering both needs memory first; Apply must pick the order itself.
TEST_F(CgroupTest, MemoryAndSwapUpdateInBothDirections) {
  Cgroup cg = MakeTestCgroup();
  std::string dir = DirFor(cg, "memory");
  bool v2 = layout_.mode == Mode::kV2;
  std::string swap_file = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
  if (!PathExists(dir + "/" + swap_file)) GTEST_SKIP() << "no swap accounting";
  auto apply = [&](int64_t limit, int64_t swap) {
    oci::Resources r;
    r.memory.emplace();
    r.memory->limit = limit;
    r.memory->swap = swap;
    Status st = cg.Apply(r);
    EXPECT_TRUE(st.ok()) << st.error().ToString();
    EXPECT_EQ(cg.MemoryLimit(), limit);
    EXPECT_EQ(Trim(Slurp(dir + "/" + swap_file)), std::to_string(v2 ? swap - limit : swap));
  };
  apply(int64_t{64} << 20, int64_t{128} << 20);
  apply(int64_t{256} << 20, int64_t{512} << 20);  // Up: swap must go first.
  apply(int64_t{32} << 20, int64_t{64} << 20);    // Down: memory must go first.
}

TEST_F(CgroupTest, ApplyErrorNamesFileAndValue) {
  Cgroup cg = MakeTestCgroup();
  oci::Resources r;
  r.cpu.emplace();
  r.cpu->cpus = "4095";  // No such CPU.
  Status st = cg.Apply(r);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("\"4095\""));
  EXPECT_THAT(st.error().message(), HasSubstr("cpuset.cpus\""));
  EXPECT_THAT(st.error().message(), HasSubstr(cg.Path()));
}

TEST_F(CgroupTest, V1DevicesRulesReachDevicesList) {
  if (layout_.mode == Mode::kV2) GTEST_SKIP() << "v2 has no devices.list (eBPF)";
  Cgroup cg = MakeTestCgroup();
  oci::Resources r;
  oci::DeviceCgroupRule deny_all;
  r.devices.push_back(deny_all);
  oci::DeviceCgroupRule null;
  null.allow = true;
  null.type = "c";
  null.major = 1;
  null.minor = 3;
  null.access = "rwm";
  r.devices.push_back(null);
  Status st = cg.Apply(r);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(Trim(Slurp(DirFor(cg, "devices") + "/devices.list")), "c 1:3 rwm");
}

TEST_F(CgroupTest, AddProcessMovesChildInEveryHierarchy) {
  Cgroup cg = MakeTestCgroup();
  Child child([] {
    pause();
    return 0;
  });
  Status st = cg.AddProcess(child.pid());
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(cg.Pids(), std::vector<pid_t>{child.pid()});

  // The kernel's own view: the new leaf below our own cgroup (relative) or below the root.
  auto own = ParseProcCgroup(Slurp("/proc/self/cgroup"));
  auto theirs = ParseProcCgroup(Slurp("/proc/" + std::to_string(child.pid()) + "/cgroup"));
  for (const auto& d : cg.dirs()) {
    std::string key = d.v2 ? "" : d.controllers.front();
    std::string expected = cg.Path();
    if (expected.front() != '/') expected = (own[key] == "/" ? "" : own[key]) + "/" + expected;
    EXPECT_EQ(theirs[key], expected) << d.Key();
    EXPECT_TRUE(theirs[key].ends_with(cg.Path())) << d.Key();
  }
}

TEST_F(CgroupTest, AbsolutePathIsBelowEachRoot) {
  std::string top = UniqueName();
  extra_dirs_.push_back(top);
  auto created = Cgroup::Create("/" + top + "/abs", false, "unused");
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  created_.push_back(*created);
  const Cgroup& cg = *created;
  EXPECT_EQ(cg.Path(), "/" + top + "/abs");
  for (const auto& d : cg.dirs()) {
    EXPECT_EQ(d.path, d.mountpoint + "/" + top + "/abs");
    EXPECT_TRUE(PathExists(d.path)) << d.path;
  }
  Child child([] {
    pause();
    return 0;
  });
  ASSERT_TRUE(cg.dirs().size() > 0);
  Cgroup mutable_cg = cg;
  ASSERT_TRUE(mutable_cg.AddProcess(child.pid()).ok());
  auto theirs = ParseProcCgroup(Slurp("/proc/" + std::to_string(child.pid()) + "/cgroup"));
  for (const auto& h : layout_.hierarchies) {
    if (h.root != "/") continue;  // Inside a container the kernel shows the full path.
    EXPECT_EQ(theirs[h.v2 ? "" : h.controllers.front()], "/" + top + "/abs") << h.Key();
  }
}

TEST_F(CgroupTest, PidsLimitStopsForkBomb) {
  Cgroup cg = MakeTestCgroup();
  oci::Resources r;
  r.pids = oci::PidsResources{10};
  ASSERT_TRUE(cg.Apply(r).ok());
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child child([&] {
    ::close(report[0]);
    int forked = 0, eagain = 0, other = 0;
    pid_t kids[30];
    for (int i = 0; i < 30; ++i) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p > 0) {
        kids[forked++] = p;
      } else if (errno == EAGAIN) {
        ++eagain;
      } else {
        ++other;
      }
    }
    for (int i = 0; i < forked; ++i) {
      kill(kids[i], SIGKILL);
      waitpid(kids[i], nullptr, 0);
    }
    int counts[3] = {forked, eagain, other};
    return write(report[1], counts, sizeof counts) == sizeof counts ? 0 : 1;
  });
  ::close(report[1]);
  ASSERT_TRUE(cg.AddProcess(child.pid()).ok());
  child.Release();
  int counts[3] = {-1, -1, -1};
  ASSERT_EQ(read(report[0], counts, sizeof counts), static_cast<ssize_t>(sizeof counts));
  ::close(report[0]);
  int status = child.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The child itself is one of the ten tasks.
  EXPECT_EQ(counts[0], 9);
  EXPECT_EQ(counts[1], 21);
  EXPECT_EQ(counts[2], 0);
}

TEST_F(CgroupTest, FreezeStopsAndThawResumes) {
  Cgroup cg = MakeTestCgroup();
  auto* counter = static_cast<std::atomic<uint64_t>*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(counter, MAP_FAILED);
  counter->store(0);
  Child child([counter] {
    for (;;) counter->fetch_add(1);
    return 0;
  });
  ASSERT_TRUE(cg.AddProcess(child.pid()).ok());
  child.Release();
  auto wait_past = [&](uint64_t value) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (counter->load() <= value && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    return counter->load() > value;
  };
  ASSERT_TRUE(wait_past(0));
  EXPECT_FALSE(*cg.Frozen());

  Status st = cg.Freeze();
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_TRUE(*cg.Frozen());
  uint64_t frozen_at = counter->load();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(counter->load(), frozen_at);

  st = cg.Thaw();
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_FALSE(*cg.Frozen());
  EXPECT_TRUE(wait_past(frozen_at));
  munmap(counter, 4096);
}

// On hybrid hosts Freeze uses the v1 freezer; this drives the v2 code on the unified
// hierarchy, where cgroup.freeze works without any controller.
TEST_F(CgroupTest, V2FreezerOnUnifiedHierarchy) {
  Cgroup cg = MakeTestCgroup();
  const Cgroup::Dir* unified = nullptr;
  for (const auto& d : cg.dirs()) {
    if (d.v2) unified = &d;
  }
  if (unified == nullptr) GTEST_SKIP() << "no cgroup2 hierarchy";
  auto* counter = static_cast<std::atomic<uint64_t>*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(counter, MAP_FAILED);
  counter->store(0);
  Child child([counter] {
    for (;;) counter->fetch_add(1);
    return 0;
  });
  ASSERT_TRUE(cg.AddProcess(child.pid()).ok());
  child.Release();
  while (counter->load() == 0) std::this_thread::sleep_for(1ms);

  Status st = v2::Freeze(unified->path);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_TRUE(*v2::Frozen(unified->path));
  uint64_t frozen_at = counter->load();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(counter->load(), frozen_at);
  ASSERT_TRUE(v2::Thaw(unified->path).ok());
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (counter->load() == frozen_at && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GT(counter->load(), frozen_at);
  EXPECT_FALSE(*v2::Frozen(unified->path));
  munmap(counter, 4096);
}

TEST_F(CgroupTest, StatsReportUsage) {
  Cgroup cg = MakeTestCgroup();
  ASSERT_TRUE(cg.Apply(StandardResources()).ok());
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  constexpr size_t kTouched = 16 << 20;
  Child child([&] {
    ::close(ready[0]);
    // Allocated after joining the cgroup, so it is charged there (v1 does not move charges).
    char* p = static_cast<char*>(
        mmap(nullptr, kTouched, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    for (size_t i = 0; i < kTouched; i += 4096) p[i] = 1;
    char c = 1;
    if (write(ready[1], &c, 1) != 1) return 1;
    pause();
    return 0;
  });
  ::close(ready[1]);
  ASSERT_TRUE(cg.AddProcess(child.pid()).ok());
  child.Release();
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ::close(ready[0]);

  auto stats = cg.Stats();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  const auto& s = *stats;
  EXPECT_GE(s["memory"]["usage"]["usage"].get<uint64_t>(), kTouched);
  EXPECT_EQ(s["memory"]["usage"]["limit"], uint64_t{64} << 20);
  EXPECT_FALSE(s["memory"]["raw"].empty());
  EXPECT_EQ(s["pids"]["current"], 1u);
  EXPECT_EQ(s["pids"]["limit"], 20u);
  EXPECT_GT(s["cpu"]["usage"]["total"].get<uint64_t>(), 0u);
  for (const char* key : {"cpu", "memory", "pids", "blkio", "hugetlb"}) {
    EXPECT_TRUE(s.contains(key)) << key;
  }
}

TEST_F(CgroupTest, ChildSeesItsOwnLimits) {
  Cgroup cg = MakeTestCgroup();
  ASSERT_TRUE(cg.Apply(StandardResources()).ok());
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  Child child([&] {
    ::close(report[0]);
    int64_t values[2] = {EffectiveCpus(), MemoryLimit().value_or(-1)};
    return write(report[1], values, sizeof values) == sizeof values ? 0 : 1;
  });
  ::close(report[1]);
  ASSERT_TRUE(cg.AddProcess(child.pid()).ok());
  child.Release();
  int64_t values[2] = {0, 0};
  ASSERT_EQ(read(report[0], values, sizeof values), static_cast<ssize_t>(sizeof values));
  ::close(report[0]);
  EXPECT_EQ(values[0], 1);  // ceil(50000/100000)
  EXPECT_EQ(values[1], int64_t{64} << 20);
}

TEST_F(CgroupTest, KillAllSignalsEveryProcessAndThaws) {
  Cgroup cg = MakeTestCgroup();
  Child a([] {
    pause();
    return 0;
  });
  Child b([] {
    pause();
    return 0;
  });
  ASSERT_TRUE(cg.AddProcess(a.pid()).ok());
  ASSERT_TRUE(cg.AddProcess(b.pid()).ok());
  // A paused container: KillAll(SIGKILL) must still get through.
  ASSERT_TRUE(cg.Freeze().ok());
  Status st = cg.KillAll(SIGKILL);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  for (Child* c : {&a, &b}) {
    int status = c->Wait();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  }
  EXPECT_FALSE(*cg.Frozen());
  EXPECT_TRUE(cg.Pids().empty());
}

TEST_F(CgroupTest, DestroyRemovesEverythingAndIsIdempotent) {
  Cgroup cg = MakeTestCgroup();
  {
    Child child([] {
      pause();
      return 0;
    });
    ASSERT_TRUE(cg.AddProcess(child.pid()).ok());
    // A live process keeps the cgroup: Destroy gives up (bounded) and kills nothing.
    auto start = std::chrono::steady_clock::now();
    Status busy = cg.Destroy();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.error().code(), EBUSY);
    EXPECT_EQ(::kill(child.pid(), 0), 0);
  }  // The child is killed and reaped here.

  Status st = cg.Destroy();
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  for (const auto& d : cg.dirs()) EXPECT_FALSE(PathExists(d.path)) << d.path;
  st = cg.Destroy();
  EXPECT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_TRUE(cg.Pids().empty());
  EXPECT_FALSE(cg.Stats().ok());
}

TEST_F(CgroupTest, DestroyRemovesChildCgroups) {
  Cgroup cg = MakeTestCgroup();
  for (const auto& d : cg.dirs()) ASSERT_EQ(::mkdir((d.path + "/nested").c_str(), 0755), 0);
  ASSERT_TRUE(cg.Destroy().ok());
  for (const auto& d : cg.dirs()) EXPECT_FALSE(PathExists(d.path)) << d.path;
}

TEST_F(CgroupTest, StateRoundTripControlsTheSameCgroup) {
  Cgroup cg = MakeTestCgroup();
  auto loaded = Cgroup::Load(cg.ToJson());
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->Dirs(), cg.Dirs());
  EXPECT_EQ(loaded->Path(), cg.Path());
  ASSERT_TRUE(loaded->Apply(StandardResources()).ok());
  EXPECT_EQ(cg.MemoryLimit(), int64_t{64} << 20);
}

}  // namespace
}  // namespace stockade::cgroup
