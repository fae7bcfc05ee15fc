#include "sentry/fsimpl/gofer/gofer_file.h"

namespace stockade::sentry::fsimpl {

Result<struct stat> GoferFile::Stat() {
  ASSIGN_OR_RETURN(struct stat st, HostFile::Stat());
  std::lock_guard<std::mutex> l(mu_);
  st.st_uid = uid_;
  st.st_gid = gid_;
  return st;
}

// The gofer changes attributes by path: once the name is removed the path
// may name another file, so a removed file's attributes stay as they are.
Status GoferFile::Chmod(mode_t mode) {
  if (Removed()) return Error(ENOENT, "");
  return fs_->Chmod(Rel(), mode, false);
}

Status GoferFile::Chown(uid_t uid, gid_t gid) {
  if (Removed()) return Error(ENOENT, "");
  TRY(fs_->Chown(Rel(), uid, gid, false));
  std::lock_guard<std::mutex> l(mu_);
  if (uid != static_cast<uid_t>(-1)) uid_ = uid;
  if (gid != static_cast<gid_t>(-1)) gid_ = gid;
  return Ok();
}

}  // namespace stockade::sentry::fsimpl
