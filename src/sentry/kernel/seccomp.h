// Seccomp in the Sentry: a classic-BPF program over struct seccomp_data, run
// before each of the application's system calls, as the host kernel runs the
// filters a process installs. The container's profile (linux.seccomp) is
// compiled by libseccomp exactly as on the native platform, so both
// platforms answer the same syscall with the same action.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "platform/platform.h"

namespace stockade::sentry::kernel {

class SeccompProgram {
 public:
  // `bpf`: struct sock_filter[] as seccomp(2) takes it. EINVAL when it is
  // not a valid classic-BPF program.
  static Result<std::shared_ptr<const SeccompProgram>> New(const std::string& bpf);

  // The SECCOMP_RET_* action and data for a system call.
  uint32_t Run(const struct seccomp_data& d) const;
  // The seccomp_data of the call the registers describe (amd64).
  static struct seccomp_data DataFor(const platform::Registers& regs);

 private:
  std::vector<struct sock_filter> insns_;
};

}  // namespace stockade::sentry::kernel
