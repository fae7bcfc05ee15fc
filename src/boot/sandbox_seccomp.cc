#include "boot/sandbox_seccomp.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <termios.h>

#include "seccomp/allowlist.h"

namespace stockade::boot {

Status LoadSandboxAllowlist() {
  ASSIGN_OR_RETURN(auto allowlist, seccomp::SeccompAllowlist::Create(SCMP_ACT_KILL_PROCESS));
#include "seccomp/allowlist_macros.h"
#include "boot/seccomp_allowlist.inc"
#include "seccomp/allowlist_macros_end.h"
  return allowlist.Load(/*all_threads=*/true);
}

}  // namespace stockade::boot
