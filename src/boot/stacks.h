// debug.Stacks for the native sandbox: every thread of the boot process reports its own
// backtrace from a signal handler (glibc can only unwind the calling thread).
#pragma once

#include <string>

namespace stockade::boot {

// Installs the handler and warms up backtrace() so that the handler does not allocate.
void InstallStackDumper();
// "thread <tid> (<name>):\n  frames..." for each thread.
std::string DumpAllStacks();

}  // namespace stockade::boot
