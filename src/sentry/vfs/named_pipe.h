// Named pipes (FIFOs): whatever file system holds a FIFO's name, its pipe is
// a Sentry object shared by every open of that (device, inode), as Linux's
// pipe_inode_info is. The gofer never opens a FIFO on the host.
#pragma once

#include <sys/stat.h>

#include <memory>

#include "base/result.h"
#include "sentry/vfs/file.h"

namespace stockade::sentry::vfs {

// fifo_open: a reader waits for a writer and a writer for a reader (unless
// O_NONBLOCK: then a writer without readers gets ENXIO), O_RDWR never waits.
// `st` is the FIFO's attributes, which fstat on the result reports.
Result<std::shared_ptr<File>> OpenNamedPipe(Waiter& w, const struct stat& st, int flags);

}  // namespace stockade::sentry::vfs
