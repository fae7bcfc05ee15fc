// linux.seccomp -> a libseccomp filter, runc-compatible.
#pragma once

#include <seccomp.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "oci/spec.h"

namespace stockade::native {

// Owns a scmp_filter_ctx.
class SeccompFilter {
 public:
  SeccompFilter() = default;
  SeccompFilter(scmp_filter_ctx ctx, bool uses_notify) : ctx_(ctx), uses_notify_(uses_notify) {}
  SeccompFilter(const SeccompFilter&) = delete;
  SeccompFilter& operator=(const SeccompFilter&) = delete;
  SeccompFilter(SeccompFilter&& o) noexcept;
  SeccompFilter& operator=(SeccompFilter&& o) noexcept;
  ~SeccompFilter();

  scmp_filter_ctx get() const { return ctx_; }
  // Some rule uses SCMP_ACT_NOTIFY: loading yields a listener FD.
  bool uses_notify() const { return uses_notify_; }

  // The BPF program as the kernel would receive it (struct sock_filter[]), for tests and dumps.
  Result<std::string> ExportBpf() const;

  // Installs the filter on the calling thread. Without no_new_privs this needs CAP_SYS_ADMIN.
  // Returns the notify listener FD (owned by the caller), or -1 when no rule notifies.
  Result<int> Load() const;

 private:
  scmp_filter_ctx ctx_ = nullptr;
  bool uses_notify_ = false;
};

// "SCMP_ACT_ERRNO" + errnoRet -> SCMP_ACT_ERRNO(errnoRet); ERRNO and TRACE default to EPERM as
// in runc, errnoRet is ignored for the other actions. Pure.
Result<uint32_t> ParseSeccompAction(const std::string& name, std::optional<uint32_t> errno_ret);

// "SCMP_CMP_EQ" -> SCMP_CMP_EQ. Pure.
Result<scmp_compare> ParseSeccompOperator(const std::string& op);

// "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64. Pure.
Result<uint32_t> ParseSeccompArch(const std::string& name);

// runc: a profile with neither a default action nor syscalls means "no seccomp".
bool SeccompEnabled(const oci::Seccomp& s);

// Builds the filter without loading it. Syscall names this libseccomp does not know are skipped
// (runc: the kernel may not have them); rules whose action equals the default are dropped.
// The filter does not set no_new_privs itself: that is process.noNewPrivileges' call.
Result<SeccompFilter> BuildSeccompFilter(const oci::Seccomp& s);

// A filter compiled to BPF with the seccomp(2) flags libseccomp would load it with. Building a
// Docker-sized profile takes milliseconds of CPU; compiling it once, ahead of time and in
// another process (the sandbox, while the container's rootfs is being set up), takes that off
// every container start and every exec.
struct CompiledSeccomp {
  std::string bpf;     // struct sock_filter[]
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
};
// ENOTSUP for profiles that use SCMP_ACT_NOTIFY (they need libseccomp's listener handling).
Result<CompiledSeccomp> CompileSeccomp(const oci::Seccomp& s);
Status LoadCompiledSeccomp(const CompiledSeccomp& c);

// Called with the listener FD right after loading a filter that uses SCMP_ACT_NOTIFY; it must
// hand the FD to the agent at linux.seccomp.listenerPath (the supervisor's job). The FD is
// closed after the call.
using SeccompNotifyHandler = std::function<Status(int listener_fd)>;

// Build + load. A profile using SCMP_ACT_NOTIFY is refused unless it names a listenerPath and
// the caller provides `on_notify`.
Status LoadSeccomp(const oci::Seccomp& s, const SeccompNotifyHandler& on_notify);

}  // namespace stockade::native
