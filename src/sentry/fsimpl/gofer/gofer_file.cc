#include "sentry/fsimpl/gofer/gofer_file.h"

namespace stockade::sentry::fsimpl {

Result<struct stat> GoferFile::Stat() {
  ASSIGN_OR_RETURN(struct stat st, HostFile::Stat());
  std::lock_guard<std::mutex> l(mu_);
  st.st_uid = uid_;
  st.st_gid = gid_;
  return st;
}

Status GoferFile::Chmod(mode_t mode) { return fs_->Chmod(rel_, mode, false); }

Status GoferFile::Chown(uid_t uid, gid_t gid) {
  TRY(fs_->Chown(rel_, uid, gid, false));
  std::lock_guard<std::mutex> l(mu_);
  if (uid != static_cast<uid_t>(-1)) uid_ = uid;
  if (gid != static_cast<gid_t>(-1)) gid_ = gid;
  return Ok();
}

}  // namespace stockade::sentry::fsimpl
