// The container state document: what `runc state` prints and, in its OCI subset, what hooks
// read on stdin.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/result.h"

namespace stockade::oci {

// OCI statuses.
inline constexpr const char* kStatusCreating = "creating";
inline constexpr const char* kStatusCreated = "created";
inline constexpr const char* kStatusRunning = "running";
inline constexpr const char* kStatusPaused = "paused";
inline constexpr const char* kStatusStopped = "stopped";
bool IsKnownStatus(const std::string& status);

struct State {
  std::string oci_version = "1.0.2";
  std::string id;
  std::string status;  // One of the kStatus* values.
  int pid = 0;  // Of the container's init process, in the caller's PID namespace; 0 when none.
  std::string bundle;   // Absolute path of the bundle.
  std::string rootfs;   // Absolute path of the root filesystem.
  std::string created;  // RFC 3339 in UTC with nanoseconds, as Go prints time.Time.
  std::string owner;    // User name owning the container; runc prints "" for root-created ones.
  std::map<std::string, std::string> annotations;
};

// All of runc's keys: ociVersion, id, pid, status, bundle, rootfs, created, owner, and
// annotations when there are any (runc omits an empty map).
nlohmann::json ToJson(const State& state);

// `runc state` output: runc's key order, two-space indent, no trailing newline.
std::string FormatState(const State& state);

// The runtime-spec state passed to hooks: ociVersion, id, status, pid (omitted when 0),
// bundle, annotations (omitted when empty). No runc extensions.
nlohmann::json ToHookState(const State& state);

// Reads a document written by ToJson (or runc). Unknown keys are ignored; wrong types fail
// with the key's name, e.g. "pid: expected integer, got string".
Result<State> StateFromJson(const nlohmann::json& doc);

// "2024-05-06T07:08:09.123456789Z": Go's RFC3339Nano in UTC, trailing zeros of the fraction
// dropped (and the fraction with them when it is zero).
std::string FormatRfc3339Nano(std::chrono::system_clock::time_point t);

}  // namespace stockade::oci
