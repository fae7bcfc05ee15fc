// The kernel's struct termios, as TCGETS/TCSETS* move it (asm-generic/termbits.h).
// glibc's struct termios is larger (it adds c_ispeed/c_ospeed): copying that
// to an application would write past the kernel-sized buffer it passed.
#pragma once

#include <cstdint>

namespace stockade::abi {

struct KernelTermios {
  uint32_t c_iflag;
  uint32_t c_oflag;
  uint32_t c_cflag;
  uint32_t c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
static_assert(sizeof(KernelTermios) == 36, "struct termios is 36 bytes on amd64");

}  // namespace stockade::abi
