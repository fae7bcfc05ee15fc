// A seccomp filter built from reviewed data: the allowlists of Stockade's own
// processes (the gofer's, the sandbox's). Each list is an .inc file of lines
//
//   ALLOW(name, reason)                  allowed with any arguments
//   ALLOW_IF(name, reason, cmp...)       allowed when every SCMP_Ax comparison holds;
//                                        several lines for one call are alternatives
//   DENY_ERRNO(name, errno, reason)      fails with errno instead of the default action
//
// expanded (allowlist_macros.h) into calls on a SeccompAllowlist. The reason is
// for the reviewer; it compiles to nothing.
#pragma once

#include <seccomp.h>

#include <initializer_list>
#include <memory>

#include "base/result.h"

namespace stockade::seccomp {

class SeccompAllowlist {
 public:
  // `default_action` is what every call not allowed gets (SCMP_ACT_KILL_PROCESS for ours).
  static Result<SeccompAllowlist> Create(uint32_t default_action);

  Status Allow(const char* name, std::initializer_list<scmp_arg_cmp> args = {});
  Status DenyErrno(const char* name, int err);

  // Loads the filter on the calling thread, or with `all_threads` on every thread of
  // the process at once (SECCOMP_FILTER_FLAG_TSYNC; fails if a thread has a filter of
  // its own that is not an ancestor of this one). Needs no_new_privs or CAP_SYS_ADMIN.
  Status Load(bool all_threads);

 private:
  explicit SeccompAllowlist(scmp_filter_ctx ctx) : ctx_(ctx, seccomp_release) {}
  Status Add(const char* name, uint32_t action, std::initializer_list<scmp_arg_cmp> args);

  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx_;
};

}  // namespace stockade::seccomp
