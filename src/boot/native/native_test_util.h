// Helpers shared by the native platform's tests: temp dirs and a busybox rootfs, plus the
// forked-child helpers of base/test_child.h.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/io.h"
#include "base/test_child.h"

namespace stockade::native::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/stockade-native-XXXXXX";
    char* p = mkdtemp(tmpl);
    path_ = p != nullptr ? p : "";
  }
  ~TempDir() {
    if (!path_.empty()) (void)RemoveAll(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

using stockade::testing::ChildResult;
using stockade::testing::Fail;
using stockade::testing::OutputField;
using stockade::testing::RunInChild;
using stockade::testing::StatusField;

// A minimal rootfs: /bin/busybox (static) with applet symlinks, /etc/passwd, /tmp (1777),
// /proc, /sys. /dev is left to the code under test.
inline bool BuildBusyboxRootfs(const std::string& root) {
  if (!MkdirAll(root + "/bin").ok() || !MkdirAll(root + "/etc").ok() ||
      !MkdirAll(root + "/proc").ok() || !MkdirAll(root + "/sys").ok() ||
      !MkdirAll(root + "/tmp").ok()) {
    return false;
  }
  chmod((root + "/tmp").c_str(), 01777);
  auto bb = ReadFile("/usr/bin/busybox");
  if (!bb.ok()) return false;
  auto fd = OpenFile(root + "/bin/busybox", O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (!fd.ok() || !WriteAll(fd->get(), *bb).ok()) return false;
  for (const char* applet :
       {"sh", "cat", "ls", "echo", "test", "[", "stat", "touch", "hostname", "id", "readlink",
        "grep", "mkdir", "rmdir", "true", "wc", "head", "tr"}) {
    if (symlink("busybox", (root + "/bin/" + applet).c_str()) != 0) return false;
  }
  return WriteFileAtomic(root + "/etc/passwd",
                         "root:x:0:0:root:/root:/bin/sh\n"
                         "user:x:1000:1000:user:/home/user:/bin/sh\n")
      .ok();
}

}  // namespace stockade::native::testing
