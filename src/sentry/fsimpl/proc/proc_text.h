// The contents of procfs's generated files, as Linux formats them
// (fs/proc/array.c, base.c, meminfo.c, ...). Each takes Kernel::mu itself.
#pragma once

#include <string>

#include "sentry/kernel/kernel.h"

namespace stockade::sentry::fsimpl {

// /proc/<pid>/... of process `tgid` (empty when it is gone); stat and status
// of one of its threads (/proc/<pid>/task/<tid>) when `tid` is given.
std::string ProcStat(kernel::Kernel& k, int tgid, int tid = 0);
std::string ProcStatus(kernel::Kernel& k, int tgid, int tid = 0);
std::string ProcLimits(kernel::Kernel& k, int tgid);
std::string ProcCmdline(kernel::Kernel& k, int tgid, bool environ);

// System-wide files.
std::string ProcCpuinfo();
std::string ProcMeminfo(kernel::Kernel& k);
std::string ProcUptime(kernel::Kernel& k);
std::string ProcLoadavg(kernel::Kernel& k);
std::string ProcVersion(kernel::Kernel& k);
std::string ProcFilesystems();
std::string ProcMounts(kernel::Kernel& k);
std::string ProcMountinfo(kernel::Kernel& k);

}  // namespace stockade::sentry::fsimpl
