#include "sentry/kernel/syscall_names.h"

#include <cstdint>

namespace stockade::sentry::kernel {
namespace {
// Generated at configure time (see CMakeLists.txt).
constexpr SyscallName kNames[] = {
#include "syscall_names.inc"
};
}  // namespace

std::span<const SyscallName> SyscallNames() { return kNames; }

const char* NameOfSyscall(uint64_t nr) {
  for (const auto& n : kNames) {
    if (static_cast<uint64_t>(n.nr) == nr) return n.name;
  }
  return nullptr;
}

}  // namespace stockade::sentry::kernel
