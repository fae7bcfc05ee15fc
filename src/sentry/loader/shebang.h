// "#!" scripts as Linux's binfmt_script reads them (fs/binfmt_script.c, Linux 5.0 and later).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stockade::sentry::loader {

// execve looks at no more of a file than this (BINPRM_BUF_SIZE).
inline constexpr size_t kBinprmBufSize = 256;

// Linux runs the binfmt handlers at depths 0 to 5 (exec_binprm): a chain of five scripts ending
// in a binary runs, and a sixth interpreter rewrite fails with ELOOP. (The kernel's comment says
// four levels; the code and a 6.18 host allow five.) The caller counts the depth.
inline constexpr int kMaxInterpreterDepth = 5;

struct Shebang {
  std::string interpreter;
  // Everything after the interpreter up to the end of the line, trimmed: one argument, spaces and
  // all (Linux does not split it).
  std::optional<std::string> arg;
};

// True when the file starts with "#!": binfmt_script claims it, and the other outcomes of
// ParseShebang are then execve's result.
bool IsShebang(std::string_view head);

// Parses the #! line in `head`, the file's first bytes (only kBinprmBufSize are used; fewer when
// the file is shorter, which reads as NUL padding). Errors, as execve reports them:
//   ENOEXEC  not "#!"; nothing but spaces/tabs on the line; or no newline in the buffer and no
//            space, tab or NUL after the interpreter name (the name would be truncated; a
//            truncated argument is fine, the interpreter can re-read the script).
//   EACCES   the name is empty because a NUL follows "#!" and any spaces (e.g. a file holding
//            just "#!"): Linux goes on to open_exec(""), which resolves to the current directory
//            and fails as a non-regular file.
Result<Shebang> ParseShebang(std::string_view head);

// argv for the interpreter: [interpreter, arg if any, script, argv[1]...]. `script` is the path
// execve was given (for a nested script, the previous interpreter's path: Linux's bprm->interp).
// An empty argv behaves as [""], which is what execve turns it into.
std::vector<std::string> ShebangArgv(const Shebang& shebang, std::string_view script,
                                     std::span<const std::string> argv);

}  // namespace stockade::sentry::loader
