// Prints this process's initial stack, mappings and /proc/self/stat exactly as the host kernel
// set them up, for loader_test to compare with BuildStack and ComputeLayout. Built twice: static
// (ET_EXEC) and dynamic PIE. Only C library calls, so the static build stays small, and nothing
// here writes above the initial stack pointer.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

void PrintFile(const char* path, const char* prefix) {
  FILE* f = std::fopen(path, "r");
  if (!f) return;
  char line[4096];
  while (std::fgets(line, sizeof(line), f)) std::printf("%s %s", prefix, line);
  std::fclose(f);
}

// The end of the [stack] mapping: where the kernel started laying out the stack.
uint64_t StackTop() {
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (!f) return 0;
  char line[4096];
  uint64_t top = 0;
  while (std::fgets(line, sizeof(line), f)) {
    if (!std::strstr(line, "[stack]")) continue;
    uint64_t start, end;
    if (std::sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2) top = end;
  }
  std::fclose(f);
  return top;
}

}  // namespace

int main(int argc, char** argv) {
  // For tests that only care whether execve succeeded.
  if (argc > 1 && std::strcmp(argv[1], "--exit") == 0) return 0;
  // argv is where the kernel put the argv array, one word above argc, which is at the initial sp.
  uint64_t sp = reinterpret_cast<uint64_t>(argv) - 8;
  uint64_t top = StackTop();
  if (top <= sp) return 1;
  std::printf("sp %" PRIx64 "\ntop %" PRIx64 "\n", sp, top);
  PrintFile("/proc/self/stat", "stat");
  PrintFile("/proc/self/maps", "map");
  std::printf("mem ");
  const auto* bytes = reinterpret_cast<const unsigned char*>(sp);
  for (uint64_t i = 0; i < top - sp; i++) std::printf("%02x", bytes[i]);
  std::printf("\n");
  return argc > 0 ? 0 : 2;
}
