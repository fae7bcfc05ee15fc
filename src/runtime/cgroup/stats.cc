// Resource usage in the shape of runc's `events --stats` "data" object (runc types.Stats), so
// tools that parse runc's output (podman stats, containerd's shim) read ours unchanged.
#include <unistd.h>

#include <limits>

#include "base/io.h"
#include "runtime/cgroup/backend.h"
#include "runtime/cgroup/fsutil.h"

namespace stockade::cgroup {

namespace {

using nlohmann::json;
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Optional counters: kernels and configurations differ in which files exist (memsw needs swap
// accounting, kmem is gone from new kernels), and runc reports 0 for what it cannot read.
uint64_t ReadOr0(const std::string& dir, const std::string& file) {
  auto v = ReadControlUint(dir, file);
  return v.ok() ? *v : 0;
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > kMax - b ? kMax : a + b; }

// A stats read of a removed cgroup must fail, not report zeros for a container that is gone.
Status RequireDir(const std::string& dir) {
  if (!PathExists(dir)) return Error(ENOENT, "cgroup \"" + dir + "\" does not exist");
  return Ok();
}

json MemoryEntry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
  return json{{"limit", limit}, {"usage", usage}, {"max", max}, {"failcnt", failcnt}};
}

json EmptyCpu() {
  return json{{"usage", {{"total", 0}, {"percpu", json::array()}, {"kernel", 0}, {"user", 0}}},
              {"throttling", {{"periods", 0}, {"throttledPeriods", 0}, {"throttledTime", 0}}}};
}

json EmptyMemory() {
  json zero = MemoryEntry(0, 0, 0, 0);
  return json{{"cache", 0},     {"usage", zero},     {"swap", zero},
              {"kernel", zero}, {"kernelTCP", zero}, {"raw", json::object()}};
}

json BlkioEntry(std::string_view device, const std::string& op, uint64_t value) {
  auto mm = SplitOn(device, ':');
  uint64_t major = mm.size() == 2 ? ParseUint(mm[0]).value_or(0) : 0;
  uint64_t minor = mm.size() == 2 ? ParseUint(mm[1]).value_or(0) : 0;
  return json{{"major", major}, {"minor", minor}, {"op", op}, {"value", value}};
}

// v1 blkio "*_recursive" files: "8:0 Read 4096" lines and a "Total N" line.
json ParseBlkioV1(std::string_view text) {
  json out = json::array();
  for (std::string_view line : SplitLines(text)) {
    auto f = SplitFields(line);
    if (f.size() != 3) continue;
    if (auto v = ParseUint(f[2])) out.push_back(BlkioEntry(f[0], std::string(f[1]), *v));
  }
  return out;
}

// runc prefers the CFQ/BFQ accounting and falls back to the throttle layer, which is always
// there but misses I/O served from the page cache.
json ReadBlkioV1(const std::string& dir, const std::string& stat) {
  for (std::string prefix : {"blkio.", "blkio.bfq.", "blkio.throttle."}) {
    auto text = ReadFile(JoinPath(dir, prefix + stat));
    if (!text.ok()) continue;
    json entries = ParseBlkioV1(*text);
    if (!entries.empty()) return entries;
  }
  return json::array();
}

}  // namespace

namespace v1 {

Result<nlohmann::json> Stats(const ControllerDirs& dirs) {
  json cpu = EmptyCpu();
  if (auto it = dirs.find("cpuacct"); it != dirs.end()) {
    const std::string& dir = it->second;
    TRY(RequireDir(dir));
    cpu["usage"]["total"] = ReadOr0(dir, "cpuacct.usage");
    json percpu = json::array();
    if (auto text = ReadControl(dir, "cpuacct.usage_percpu"); text.ok()) {
      for (auto f : SplitFields(*text)) percpu.push_back(ParseUint(f).value_or(0));
    }
    cpu["usage"]["percpu"] = percpu;
    // cpuacct.stat counts USER_HZ ticks; runc reports nanoseconds.
    if (auto text = ReadControl(dir, "cpuacct.stat"); text.ok()) {
      auto kv = ParseFlatKeyed(*text);
      uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
      cpu["usage"]["user"] = kv["user"] * ns_per_tick;
      cpu["usage"]["kernel"] = kv["system"] * ns_per_tick;
    }
  }
  if (auto it = dirs.find("cpu"); it != dirs.end()) {
    TRY(RequireDir(it->second));
    if (auto text = ReadControl(it->second, "cpu.stat"); text.ok()) {
      auto kv = ParseFlatKeyed(*text);
      cpu["throttling"] = {{"periods", kv["nr_periods"]},
                           {"throttledPeriods", kv["nr_throttled"]},
                           {"throttledTime", kv["throttled_time"]}};  // Already ns in v1.
    }
  }

  json memory = EmptyMemory();
  if (auto it = dirs.find("memory"); it != dirs.end()) {
    const std::string& dir = it->second;
    TRY(RequireDir(dir));
    auto entry = [&](const std::string& prefix) {
      return MemoryEntry(
          ReadOr0(dir, prefix + "limit_in_bytes"), ReadOr0(dir, prefix + "usage_in_bytes"),
          ReadOr0(dir, prefix + "max_usage_in_bytes"), ReadOr0(dir, prefix + "failcnt"));
    };
    memory["usage"] = entry("memory.");
    // v1 "swap" is memory+swap (memsw), which is what runc reports too.
    memory["swap"] = entry("memory.memsw.");
    memory["kernel"] = entry("memory.kmem.");
    memory["kernelTCP"] = entry("memory.kmem.tcp.");
    if (auto text = ReadFile(JoinPath(dir, "memory.stat")); text.ok()) {
      json raw = json::object();
      for (const auto& [k, v] : ParseFlatKeyed(*text)) raw[k] = v;
      memory["cache"] = raw.value("cache", uint64_t{0});
      memory["raw"] = raw;
    }
  }

  json pids = {{"current", 0}, {"limit", 0}};
  if (auto it = dirs.find("pids"); it != dirs.end()) {
    TRY(RequireDir(it->second));
    pids["current"] = ReadOr0(it->second, "pids.current");
    uint64_t limit = ReadOr0(it->second, "pids.max");
    pids["limit"] = limit == kMax ? 0 : limit;  // runc reports "max" as 0.
  }

  json blkio = json::object();
  if (auto it = dirs.find("blkio"); it != dirs.end()) {
    TRY(RequireDir(it->second));
    json bytes = ReadBlkioV1(it->second, "io_service_bytes_recursive");
    json ios = ReadBlkioV1(it->second, "io_serviced_recursive");
    if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = bytes;
    if (!ios.empty()) blkio["ioServicedRecursive"] = ios;
  }

  return json{{"cpu", cpu},
              {"memory", memory},
              {"pids", pids},
              {"blkio", blkio},
              {"hugetlb", json::object()}};
}

}  // namespace v1

namespace v2 {

Result<nlohmann::json> Stats(const std::string& dir) {
  TRY(RequireDir(dir));
  json cpu = EmptyCpu();
  if (auto text = ReadControl(dir, "cpu.stat"); text.ok()) {
    // v2 counts microseconds; runc reports nanoseconds. cpu.stat exists even without the cpu
    // controller (usage only); per-CPU usage has no v2 equivalent.
    auto kv = ParseFlatKeyed(*text);
    cpu["usage"]["total"] = kv["usage_usec"] * 1000;
    cpu["usage"]["user"] = kv["user_usec"] * 1000;
    cpu["usage"]["kernel"] = kv["system_usec"] * 1000;
    cpu["throttling"] = {{"periods", kv["nr_periods"]},
                         {"throttledPeriods", kv["nr_throttled"]},
                         {"throttledTime", kv["throttled_usec"] * 1000}};
  }

  json memory = EmptyMemory();
  if (ControlExists(dir, "memory.current")) {
    uint64_t usage = ReadOr0(dir, "memory.current");
    uint64_t limit = ReadOr0(dir, "memory.max");
    uint64_t failcnt = 0;
    if (auto text = ReadControl(dir, "memory.events"); text.ok()) {
      failcnt = ParseFlatKeyed(*text)["max"];  // Times the limit was hit, like v1 failcnt.
    }
    memory["usage"] = MemoryEntry(limit, usage, ReadOr0(dir, "memory.peak"), failcnt);
    // runc reports v2 swap as memory+swap for v1 compatibility; a combined peak is unknowable.
    uint64_t swap_limit = ReadOr0(dir, "memory.swap.max");
    memory["swap"] =
        MemoryEntry(swap_limit == kMax || limit == kMax ? kMax : SaturatingAdd(swap_limit, limit),
                    SaturatingAdd(ReadOr0(dir, "memory.swap.current"), usage), 0, 0);
    if (auto text = ReadFile(JoinPath(dir, "memory.stat")); text.ok()) {
      json raw = json::object();
      for (const auto& [k, v] : ParseFlatKeyed(*text)) raw[k] = v;
      memory["cache"] = raw.value("file", uint64_t{0});
      memory["raw"] = raw;
    }
  }

  json pids = {{"current", ReadOr0(dir, "pids.current")}, {"limit", 0}};
  if (uint64_t limit = ReadOr0(dir, "pids.max"); limit != kMax) pids["limit"] = limit;

  json blkio = json::object();
  if (auto text = ReadFile(JoinPath(dir, "io.stat")); text.ok()) {
    json bytes = json::array();
    json ios = json::array();
    for (std::string_view line : SplitLines(*text)) {
      auto f = SplitFields(line);
      if (f.empty()) continue;
      for (size_t i = 1; i < f.size(); ++i) {
        auto kv = SplitOn(f[i], '=');
        if (kv.size() != 2) continue;
        uint64_t v = ParseUint(kv[1]).value_or(0);
        if (kv[0] == "rbytes") bytes.push_back(BlkioEntry(f[0], "Read", v));
        if (kv[0] == "wbytes") bytes.push_back(BlkioEntry(f[0], "Write", v));
        if (kv[0] == "dbytes") bytes.push_back(BlkioEntry(f[0], "Discard", v));
        if (kv[0] == "rios") ios.push_back(BlkioEntry(f[0], "Read", v));
        if (kv[0] == "wios") ios.push_back(BlkioEntry(f[0], "Write", v));
        if (kv[0] == "dios") ios.push_back(BlkioEntry(f[0], "Discard", v));
      }
    }
    if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = bytes;
    if (!ios.empty()) blkio["ioServicedRecursive"] = ios;
  }

  return json{{"cpu", cpu},
              {"memory", memory},
              {"pids", pids},
              {"blkio", blkio},
              {"hugetlb", json::object()}};
}

}  // namespace v2

}  // namespace stockade::cgroup
