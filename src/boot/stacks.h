// debug.Stacks: every registered thread of the boot process (base/threads.h) reports its
// own backtrace from a signal handler (glibc can only unwind the calling thread). The
// threads are known from the registry, not /proc: the sandbox keeps no procfs directory.
#pragma once

#include <string>

namespace stockade::boot {

// Installs the handler and warms up backtrace() so that the handler does not allocate.
void InstallStackDumper();
// "thread <tid> (<name>):\n  frames..." for each thread.
std::string DumpAllStacks();

}  // namespace stockade::boot
