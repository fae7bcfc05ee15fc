// Internal: reading and writing cgroup control files, text splitting, and tree removal.
// Every error names the file (and, for writes, the value) so a failed Apply is actionable.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stockade::cgroup {

std::vector<std::string_view> SplitLines(std::string_view text);
// Splits on runs of spaces and tabs.
std::vector<std::string_view> SplitFields(std::string_view line);
// Splits on every `sep` (keeps empty pieces).
std::vector<std::string_view> SplitOn(std::string_view s, char sep);
std::string_view TrimSpace(std::string_view s);

// Decimal digits only; "max" is not accepted here.
std::optional<uint64_t> ParseUint(std::string_view s);
std::optional<int64_t> ParseInt(std::string_view s);

// "<dir>/<file>", trimmed of surrounding whitespace.
Result<std::string> ReadControl(const std::string& dir, const std::string& file);
// A number, with the v2 spelling "max" read as UINT64_MAX.
Result<uint64_t> ReadControlUint(const std::string& dir, const std::string& file);
// Writes `value` with one write(2), as the kernel parses each write as one request.
Status WriteControl(const std::string& dir, const std::string& file, const std::string& value);
bool ControlExists(const std::string& dir, const std::string& file);

// True if `path` is `root` or below it (component-wise: "/a/bc" is not under "/a/b").
bool IsUnder(std::string_view path, std::string_view root);

// "key value" per line (memory.stat, cpu.stat, cgroup.events); bad lines are skipped.
std::map<std::string, uint64_t> ParseFlatKeyed(std::string_view text);

// Removes the cgroup directory `dir` and any child cgroups, deepest first. A missing `dir` is
// success. rmdir is retried on EBUSY until `deadline`, because tasks that have exited linger in
// the cgroup for a short while.
Status RemoveCgroupTree(const std::string& dir, std::chrono::steady_clock::time_point deadline);

// The pids in cgroup.procs of `dir` and every child cgroup, sorted, without duplicates.
// A missing `dir` gives an empty list.
Result<std::vector<pid_t>> ReadProcsRecursive(const std::string& dir);

}  // namespace stockade::cgroup
