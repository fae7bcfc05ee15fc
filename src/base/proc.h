// Host process helpers: liveness with PID-reuse detection, signals by name.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace stockade {

// Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); nullopt if gone.
std::optional<uint64_t> ProcessStartTime(pid_t pid);
// True if `pid` exists, is not a zombie, and (when start_time != 0) started at start_time.
bool ProcessAlive(pid_t pid, uint64_t start_time);
// "KILL", "SIGKILL", "kill" or "9" -> 9; nullopt for unknown names or out-of-range numbers.
std::optional<int> ParseSignal(const std::string& s);
std::string SignalName(int sig);

// fork(2), or with `ns_flags` (CLONE_NEW*) a child born in new namespaces, which fork cannot
// make: a raw clone(2) with no new stack. glibc's fork handlers do not run then, so the child
// must make only async-signal-safe calls until it execs.
pid_t ForkInNamespaces(long ns_flags);

}  // namespace stockade
