// ListedDirFile: an open directory whose listing comes whole from its file
// system (a gofer request, the overlay's merge). getdents walks the listing
// by index (File::dir_pos), so it is taken afresh only when a pass starts over
// at position 0: one pass over a large directory costs one listing.
#pragma once

#include <mutex>
#include <vector>

#include "sentry/vfs/file.h"

namespace stockade::sentry::vfs {

class ListedDirFile : public File {
 public:
  using File::File;
  Result<std::vector<Dirent>> ReadDir() final {
    std::lock_guard<std::mutex> l(list_mu_);
    if (!listed_ || dir_pos == 0) {
      ASSIGN_OR_RETURN(listing_, List());
      listed_ = true;
    }
    return listing_;
  }
  Result<size_t> Read(Waiter&, void*, size_t) override { return Error(EISDIR, ""); }
  Result<size_t> PRead(void*, size_t, uint64_t) override { return Error(EISDIR, ""); }

 protected:
  // The whole listing, "." and ".." first.
  virtual Result<std::vector<Dirent>> List() = 0;

 private:
  std::mutex list_mu_;
  std::vector<Dirent> listing_;
  bool listed_ = false;
};

}  // namespace stockade::sentry::vfs
