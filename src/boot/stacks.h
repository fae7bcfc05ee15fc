// debug.Stacks for the native sandbox: every thread of the boot process reports its own
// backtrace from a signal handler (glibc can only unwind the calling thread).
#pragma once

#include <string>

namespace stockade::boot {

// Installs the handler and warms up backtrace() so that the handler does not allocate.
// `task_dir` is a directory FD of our /proc/<pid>/task, as seen from our own PID namespace;
// it stays usable after the sandbox chroots. -1 opens /proc/self/task when dumping.
void InstallStackDumper(int task_dir = -1);
// "thread <tid> (<name>):\n  frames..." for each thread.
std::string DumpAllStacks();

}  // namespace stockade::boot
