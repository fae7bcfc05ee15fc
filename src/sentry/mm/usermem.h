// Typed application pointers. Sentry code never dereferences an application
// address: it holds a UserPtr and copies through the MemoryManager, which
// checks the mapping and its protection (EFAULT otherwise).
#pragma once

#include <cstdint>
#include <type_traits>

namespace stockade::sentry::mm {

template <typename T>
struct UserPtr {
  uint64_t addr = 0;

  UserPtr() = default;
  explicit UserPtr(uint64_t a) : addr(a) {}
  bool null() const { return addr == 0; }
  UserPtr operator+(uint64_t n) const { return UserPtr(addr + n * sizeof(T)); }
  template <typename U>
  UserPtr<U> As() const { return UserPtr<U>(addr); }
};

}  // namespace stockade::sentry::mm
