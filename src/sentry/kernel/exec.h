// execve: loading a program into a fresh address space.
#pragma once

#include <string>
#include <vector>

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::kernel {

struct LoadedImage {
  std::shared_ptr<mm::MemoryManager> mm;
  platform::Registers regs{};
  std::string comm;  // the file name, for /proc/PID/comm
  std::string exe;   // the executable's absolute path
};

// Loads `path` (resolved against the task's cwd) with `argv`/`envp` into a new
// address space, following #! scripts. Nothing of the task changes; errors
// are execve's errnos.
Result<LoadedImage> LoadProgram(Task& t, const std::string& path, std::vector<std::string> argv,
                                std::vector<std::string> envp);

// Replaces the task's image (the point of no return of execve): other
// threads are gone by now.
void CommitExec(Task& t, LoadedImage img);

}  // namespace stockade::sentry::kernel
