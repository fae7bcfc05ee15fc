// A served tree for fuzzing the gofer's server (gofer_server_fuzz) and for
// replaying its corpus in gofer_server_test: a root with files, directories,
// symlinks that point out of it, and a canary directory beside it that no
// request may read, change or add to.
#pragma once

#include <string>
#include <string_view>

#include "base/unique_fd.h"
#include "gofer/server.h"

namespace stockade::gofer {

class FuzzFixture {
 public:
  // Makes the tree under a new temporary directory.
  FuzzFixture();
  ~FuzzFixture();
  FuzzFixture(const FuzzFixture&) = delete;
  FuzzFixture& operator=(const FuzzFixture&) = delete;

  // Puts back what earlier requests removed, so each input starts alike.
  void Restore();
  // One request through a read-write server of the root; returns an empty
  // string if every invariant held, else what broke.
  std::string HandleAndCheck(std::string_view request);

  const std::string& root() const { return root_; }

 private:
  std::string top_, root_, canary_dir_;
};

}  // namespace stockade::gofer
