#include "seccomp/allowlist.h"

#include <string>
#include <vector>

namespace stockade::seccomp {

Result<SeccompAllowlist> SeccompAllowlist::Create(uint32_t default_action) {
  scmp_filter_ctx ctx = seccomp_init(default_action);
  if (!ctx) return Error::Msg("seccomp_init failed");
  return SeccompAllowlist(ctx);
}

Status SeccompAllowlist::Add(const char* name, uint32_t action, std::initializer_list<scmp_arg_cmp> args) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return Error::Msg(std::string("seccomp: unknown system call ") + name);
  std::vector<scmp_arg_cmp> cmps(args);
  // _exact: libseccomp must keep every comparison as written, or fail, never widen a rule.
  int rc = seccomp_rule_add_exact_array(ctx_.get(), action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
  if (rc != 0) return Error(-rc, std::string("seccomp: adding a rule for ") + name);
  return Ok();
}

Status SeccompAllowlist::Allow(const char* name, std::initializer_list<scmp_arg_cmp> args) {
  return Add(name, SCMP_ACT_ALLOW, args);
}

Status SeccompAllowlist::DenyErrno(const char* name, int err) { return Add(name, SCMP_ACT_ERRNO(err), {}); }

Status SeccompAllowlist::Load(bool all_threads) {
  if (all_threads) {
    int rc = seccomp_attr_set(ctx_.get(), SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc != 0) return Error(-rc, "seccomp: asking for thread synchronization");
  }
  int rc = seccomp_load(ctx_.get());
  if (rc != 0) return Error(-rc, "loading a seccomp filter");
  return Ok();
}

}  // namespace stockade::seccomp
