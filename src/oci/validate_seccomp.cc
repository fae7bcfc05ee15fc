// linux.seccomp: names of actions, operators, architectures and flags must be ones libseccomp
// knows, so that a typo fails `create` instead of silently weakening the filter. Syscall names
// are not checked: they differ per architecture, and runc skips the ones the host lacks.
#include "oci/json_fields.h"
#include "oci/names.h"
#include "oci/validate_internal.h"

namespace stockade::oci::internal {
namespace {

constexpr uint32_t kMaxSyscallArgs = 6;

Status ValidateAction(const std::string& action, const std::string& path) {
  if (action.empty()) return Required(path);
  if (!Contains(KnownSeccompActions(), action)) {
    return FieldError(path, "unknown action " + Quote(action));
  }
  return Ok();
}

Status ValidateSyscall(const SeccompSyscall& s, const Seccomp& seccomp, const std::string& path) {
  if (s.names.empty()) return FieldError(Child(path, "names"), "must not be empty");
  for (size_t i = 0; i < s.names.size(); ++i) {
    if (s.names[i].empty()) return FieldError(Index(Child(path, "names"), i), "empty syscall name");
  }
  TRY(ValidateAction(s.action, Child(path, "action")));
  if (s.action == "SCMP_ACT_NOTIFY" && seccomp.listener_path.empty()) {
    return FieldError(Child(path, "action"),
                      "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath to be set");
  }
  for (size_t i = 0; i < s.args.size(); ++i) {
    const std::string at = Index(Child(path, "args"), i);
    const SeccompArg& a = s.args[i];
    if (a.index >= kMaxSyscallArgs) {
      return FieldError(Child(at, "index"), "must be less than 6, got " + std::to_string(a.index));
    }
    if (a.op.empty()) return Required(Child(at, "op"));
    if (!Contains(KnownSeccompOperators(), a.op)) {
      return FieldError(Child(at, "op"), "unknown operator " + Quote(a.op));
    }
  }
  return Ok();
}

}  // namespace

Status ValidateSeccompAt(const Seccomp& s, const std::string& path) {
  TRY(ValidateAction(s.default_action, Child(path, "defaultAction")));
  // With a notifying default, the runtime's own syscalls after installing the filter (those
  // that hand the listener FD on) would wait for a listener that does not exist yet. runc
  // refuses it for the same reason.
  if (s.default_action == "SCMP_ACT_NOTIFY") {
    return FieldError(Child(path, "defaultAction"), "SCMP_ACT_NOTIFY cannot be the default action");
  }
  for (size_t i = 0; i < s.architectures.size(); ++i) {
    if (!Contains(KnownSeccompArchitectures(), s.architectures[i])) {
      return FieldError(Index(Child(path, "architectures"), i),
                        "unknown architecture " + Quote(s.architectures[i]));
    }
  }
  for (size_t i = 0; i < s.flags.size(); ++i) {
    if (!Contains(KnownSeccompFlags(), s.flags[i])) {
      return FieldError(Index(Child(path, "flags"), i), "unknown flag " + Quote(s.flags[i]));
    }
  }
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    TRY(ValidateSyscall(s.syscalls[i], s, Index(Child(path, "syscalls"), i)));
  }
  return Ok();
}

}  // namespace stockade::oci::internal
