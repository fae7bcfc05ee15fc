// Top-level spec checks: version, root, process, UTS names, mounts, hooks.
#include "oci/validate.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>

#include "base/io.h"
#include "oci/clean_path.h"
#include "oci/json_fields.h"
#include "oci/names.h"
#include "oci/validate_internal.h"

namespace stockade::oci {
namespace {

using internal::Child;
using internal::FieldError;
using internal::Index;
using internal::NotAbsolute;
using internal::Quote;
using internal::Required;

Status ValidateVersion(const std::string& version) {
  if (version.empty()) return Required("ociVersion");
  size_t digits = 0;
  while (digits < version.size() && std::isdigit(static_cast<unsigned char>(version[digits]))) {
    ++digits;
  }
  if (digits == 0 || (digits < version.size() && version[digits] != '.')) {
    return FieldError("ociVersion", Quote(version) + " is not a version number");
  }
  if (version.substr(0, digits) != "1") {
    return FieldError("ociVersion", "version " + Quote(version) + " is not supported (want 1.x)");
  }
  return Ok();
}

Status ValidateRoot(const Spec& spec, const std::string& bundle_dir) {
  if (!spec.root) return Required("root");
  if (spec.root->path.empty()) return Required("root.path");
  const std::string rootfs = ResolveRootfs(spec, bundle_dir);
  struct stat st;
  if (::stat(rootfs.c_str(), &st) != 0) {
    if (errno == ENOENT) return FieldError("root.path", Quote(rootfs) + " does not exist");
    return Error(errno, "root.path: " + Quote(rootfs));
  }
  if (!S_ISDIR(st.st_mode)) return FieldError("root.path", Quote(rootfs) + " is not a directory");
  return Ok();
}

// runc: "unable to set hostname without a private UTS namespace". A joined UTS namespace
// (with a path) counts, as it does in runc: pods share one and still set the name.
Status ValidateUtsNames(const Spec& spec) {
  const bool has_uts = spec.FindNamespace("uts") != nullptr;
  if (!spec.hostname.empty() && !has_uts) {
    return FieldError("hostname", "unable to set hostname without a private UTS namespace");
  }
  if (!spec.domainname.empty() && !has_uts) {
    return FieldError("domainname", "unable to set domainname without a private UTS namespace");
  }
  return Ok();
}

Status ValidateMounts(const std::vector<Mount>& mounts) {
  for (size_t i = 0; i < mounts.size(); ++i) {
    const std::string path = Index("mounts", i);
    const Mount& m = mounts[i];
    if (m.destination.empty()) return Required(Child(path, "destination"));
    // ParseSpec already turned relative destinations into absolute ones; a hand-built spec
    // must do the same.
    if (!IsAbsolutePath(m.destination)) {
      return NotAbsolute(Child(path, "destination"), m.destination);
    }
    for (size_t j = 0; j < m.options.size(); ++j) {
      if (m.options[j].empty()) {
        return FieldError(Index(Child(path, "options"), j), "empty mount option");
      }
    }
  }
  return Ok();
}

Status ValidateHookList(const std::vector<Hook>& hooks, const std::string& path) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    const std::string at = Index(path, i);
    const Hook& h = hooks[i];
    if (h.path.empty()) return Required(Child(at, "path"));
    if (!IsAbsolutePath(h.path)) return NotAbsolute(Child(at, "path"), h.path);
    if (h.timeout && *h.timeout <= 0) {
      return FieldError(Child(at, "timeout"),
                        "must be greater than zero, got " + std::to_string(*h.timeout));
    }
  }
  return Ok();
}

Status ValidateHooks(const Hooks& hooks) {
  TRY(ValidateHookList(hooks.prestart, "hooks.prestart"));
  TRY(ValidateHookList(hooks.create_runtime, "hooks.createRuntime"));
  TRY(ValidateHookList(hooks.create_container, "hooks.createContainer"));
  TRY(ValidateHookList(hooks.start_container, "hooks.startContainer"));
  TRY(ValidateHookList(hooks.poststart, "hooks.poststart"));
  TRY(ValidateHookList(hooks.poststop, "hooks.poststop"));
  return Ok();
}

}  // namespace

namespace internal {

Error Required(const std::string& path) { return FieldError(path, "required"); }

Error NotAbsolute(const std::string& path, const std::string& value) {
  return FieldError(path, Quote(value) + " is not an absolute path");
}

}  // namespace internal

std::string ResolveRootfs(const Spec& spec, const std::string& bundle_dir) {
  if (!spec.root) return "";
  if (IsAbsolutePath(spec.root->path)) return CleanPath(spec.root->path);
  return CleanPath(JoinPath(AbsPath(bundle_dir), spec.root->path));
}

Status ValidateSpec(const Spec& spec, const std::string& bundle_dir) {
  TRY(ValidateVersion(spec.oci_version));
  TRY(ValidateRoot(spec, bundle_dir));
  if (!spec.process) return Required("process");
  TRY(internal::ValidateProcessAt(*spec.process, "process"));
  TRY(ValidateUtsNames(spec));
  TRY(ValidateMounts(spec.mounts));
  TRY(ValidateHooks(spec.hooks));
  TRY(internal::ValidateLinuxAt(spec, "linux"));
  return Ok();
}

Status ValidateProcess(const Process& process) { return internal::ValidateProcessAt(process, ""); }

}  // namespace stockade::oci
