// Checks of a process: what it runs, its environment, capabilities and rlimits.
#include <set>

#include "oci/clean_path.h"
#include "oci/json_fields.h"
#include "oci/names.h"
#include "oci/validate_internal.h"

namespace stockade::oci::internal {
namespace {

// execve(2) takes C strings: an embedded NUL would silently cut an argument short.
bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

Status ValidateArgs(const Process& p, const std::string& path) {
  const std::string args = Child(path, "args");
  if (p.args.empty()) return FieldError(args, "must not be empty");
  for (size_t i = 0; i < p.args.size(); ++i) {
    if (HasNul(p.args[i])) return FieldError(Index(args, i), "contains a NUL byte");
  }
  return Ok();
}

// Mirrors runc's prepareEnv: every entry is KEY=value with a non-empty key.
Status ValidateEnv(const std::vector<std::string>& env, const std::string& path) {
  for (size_t i = 0; i < env.size(); ++i) {
    const std::string at = Index(path, i);
    const std::string& kv = env[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) return FieldError(at, Quote(kv) + " is not of the form KEY=value");
    if (eq == 0) return FieldError(at, Quote(kv) + " has an empty variable name");
    if (HasNul(kv)) return FieldError(at, "contains a NUL byte");
  }
  return Ok();
}

Status ValidateCapSet(const std::vector<std::string>& caps, const std::string& path) {
  for (size_t i = 0; i < caps.size(); ++i) {
    // runc 1.1 refuses unknown names too; silently dropping one would run the container with
    // less (or, for a typo in a drop list, more) privilege than asked for.
    if (!CapabilityNumber(caps[i])) {
      return FieldError(Index(path, i), "unknown capability " + Quote(caps[i]));
    }
  }
  return Ok();
}

Status ValidateCapabilities(const Capabilities& c, const std::string& path) {
  TRY(ValidateCapSet(c.bounding, Child(path, "bounding")));
  TRY(ValidateCapSet(c.effective, Child(path, "effective")));
  TRY(ValidateCapSet(c.inheritable, Child(path, "inheritable")));
  TRY(ValidateCapSet(c.permitted, Child(path, "permitted")));
  TRY(ValidateCapSet(c.ambient, Child(path, "ambient")));
  return Ok();
}

Status ValidateRlimits(const std::vector<Rlimit>& rlimits, const std::string& path) {
  std::set<std::string> seen;
  for (size_t i = 0; i < rlimits.size(); ++i) {
    const std::string at = Index(path, i);
    const Rlimit& r = rlimits[i];
    if (r.type.empty()) return Required(Child(at, "type"));
    if (!RlimitNumber(r.type))
      return FieldError(Child(at, "type"), "unknown rlimit " + Quote(r.type));
    // The runtime-spec: "duplicate entries for the same type MUST generate an error".
    if (!seen.insert(r.type).second) {
      return FieldError(Child(at, "type"), "duplicate rlimit " + Quote(r.type));
    }
    if (r.soft > r.hard) {
      return FieldError(at, "soft limit " + std::to_string(r.soft) + " exceeds hard limit " +
                                std::to_string(r.hard));
    }
  }
  return Ok();
}

}  // namespace

Status ValidateProcessAt(const Process& p, const std::string& path) {
  TRY(ValidateArgs(p, path));
  if (p.command_line) return FieldError(Child(path, "commandLine"), "not supported on Linux");
  if (p.cwd.empty()) return Required(Child(path, "cwd"));
  if (!IsAbsolutePath(p.cwd)) return NotAbsolute(Child(path, "cwd"), p.cwd);
  TRY(ValidateEnv(p.env, Child(path, "env")));
  if (p.capabilities) TRY(ValidateCapabilities(*p.capabilities, Child(path, "capabilities")));
  TRY(ValidateRlimits(p.rlimits, Child(path, "rlimits")));
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000)) {
    return FieldError(Child(path, "oomScoreAdj"),
                      "must be in [-1000, 1000], got " + std::to_string(*p.oom_score_adj));
  }
  return Ok();
}

}  // namespace stockade::oci::internal
