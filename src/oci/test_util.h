// Helpers for the OCI tests: scratch bundles on the real file system.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/io.h"

namespace stockade::oci::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr ? tmp : "/tmp") + "/stockade-oci-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() { (void)RemoveAll(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return JoinPath(path_, name); }

 private:
  std::string path_;
};

// A bundle directory with an empty rootfs/ directory in it.
class TempBundle : public TempDir {
 public:
  TempBundle() {
    if (!MkdirAll(rootfs()).ok()) ADD_FAILURE() << "creating " << rootfs();
  }
  std::string rootfs() const { return Sub("rootfs"); }
  void WriteConfig(const std::string& text) const {
    auto fd = OpenFile(Sub("config.json"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_TRUE(fd.ok()) << fd.error().ToString();
    ASSERT_TRUE(WriteAll(fd->get(), text).ok());
  }
};

}  // namespace stockade::oci::testing
