#include "boot/native/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/io.h"

namespace stockade::native {

Result<std::string> SysctlPath(const std::string& key) {
  const bool slashes = key.find('/') != std::string::npos;
  const char sep = slashes ? '/' : '.';
  std::string path = "/proc/sys";
  size_t i = 0;
  while (true) {
    size_t j = key.find(sep, i);
    std::string comp = key.substr(i, j == std::string::npos ? std::string::npos : j - i);
    if (comp.empty() || comp == "." || comp == "..") {
      return Error(EINVAL, "invalid sysctl key \"" + key + "\"");
    }
    path += "/" + comp;
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return path;
}

Status WriteSysctls(const std::map<std::string, std::string>& sysctls) {
  for (const auto& [key, value] : sysctls) {
    ASSIGN_OR_RETURN(std::string path, SysctlPath(key));
    // /proc/sys has no symlinks of its own; O_NOFOLLOW keeps it that way should something be
    // mounted there.
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return Error::FromErrno("opening sysctl " + key);
    ssize_t n;
    do {
      n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Error::FromErrno("writing sysctl " + key + "=" + value);
  }
  return Ok();
}

}  // namespace stockade::native
