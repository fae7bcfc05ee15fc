// ptrace operations on one stopped stub thread of which the calling host
// thread is the tracer.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "base/result.h"
#include "platform/platform.h"

namespace stockade::platform::ptrace {

// Where in the stub code an injected system call runs (stub.S).
enum class InjectAt {
  kPlain,         // the call alone
  kClone,         // a clone whose child idles, for a tracer to seize
  kCloneSystrap,  // a clone whose child confines itself and stops in the systrap handler
};

// Runs system call `nr` in the stopped thread `tid` at the stub's injection
// point and restores its registers. Returns the raw result (-errno on
// failure); an Error if the thread died.
Result<int64_t> InjectSyscall(pid_t tid, InjectAt at, uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0,
                              uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0);

// Waits for `tid` (our tracee) to stop; an Error if it exited.
Result<int> WaitStop(pid_t tid);

// Seizes a running idle stub thread and stops it.
Status SeizeAndStop(pid_t tid, unsigned options);

// Makes a stopped stub thread leave (exit(2) of just that thread) and reaps it.
void ReleaseThread(pid_t tid, bool alive);

}  // namespace stockade::platform::ptrace
