#include "sentry/loader/shebang.h"

#include <cstring>

namespace stockade::sentry::loader {
namespace {

bool SpaceTab(char c) { return c == ' ' || c == '\t'; }

// First index in [from, last] (inclusive, as the kernel scans) where pred holds, or -1.
template <typename Pred>
int Find(const char* buf, int from, int last, Pred pred) {
  for (int i = from; i <= last; i++) {
    if (pred(buf[i])) return i;
  }
  return -1;
}

bool NotSpaceTab(char c) { return !SpaceTab(c); }
bool Terminator(char c) { return SpaceTab(c) || c == '\0'; }

}  // namespace

bool IsShebang(std::string_view head) {
  return head.size() >= 2 && head[0] == '#' && head[1] == '!';
}

Result<Shebang> ParseShebang(std::string_view head) {
  if (!IsShebang(head)) return Error(ENOEXEC, "not a #! script");
  // A zero-padded copy of the kernel's buffer, plus a NUL so C-string reads always stop.
  char buf[kBinprmBufSize + 1] = {};
  std::memcpy(buf, head.data(), std::min(head.size(), kBinprmBufSize));
  const int last = kBinprmBufSize - 1;

  // `end` is one past the line's last byte.
  int end;
  if (const void* nl = std::memchr(buf, '\n', kBinprmBufSize)) {
    end = static_cast<const char*>(nl) - buf;
  } else {
    int name = Find(buf, 2, last, NotSpaceTab);
    if (name < 0) return Error(ENOEXEC, "#! line is all blanks");
    if (Find(buf, name, last, Terminator) < 0) {
      return Error(ENOEXEC, "#! interpreter name does not fit in 256 bytes");
    }
    // Without a newline the buffer's last byte is not part of the line.
    end = last;
  }
  while (SpaceTab(buf[end - 1])) end--;  // stops at the '!'

  int name = Find(buf, 2, end, NotSpaceTab);
  if (name < 0 || name == end) return Error(ENOEXEC, "#! line names no interpreter");
  int sep = Find(buf, name, end, Terminator);
  int arg = -1;
  if (sep >= 0 && buf[sep] != '\0') arg = Find(buf, sep, end, NotSpaceTab);

  // Cut the line where the kernel writes its NULs, then read C strings: an embedded NUL ends
  // the name or the argument early, exactly as it does for the kernel.
  buf[end] = '\0';
  if (arg >= 0) buf[sep] = '\0';
  Shebang result;
  result.interpreter = buf + name;
  if (arg >= 0) result.arg = std::string(buf + arg);
  if (result.interpreter.empty()) {
    return Error(EACCES, "#! interpreter name is empty (Linux opens the current directory)");
  }
  return result;
}

std::vector<std::string> ShebangArgv(const Shebang& shebang, std::string_view script,
                                     std::span<const std::string> argv) {
  std::vector<std::string> out;
  out.reserve(argv.size() + 3);
  out.push_back(shebang.interpreter);
  if (shebang.arg) out.push_back(*shebang.arg);
  out.emplace_back(script);
  for (size_t i = 1; i < argv.size(); i++) out.push_back(argv[i]);
  return out;
}

}  // namespace stockade::sentry::loader
