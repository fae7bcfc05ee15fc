// File-family system calls: reads and writes, descriptors, opening, paths,
// metadata, directories and pipes.
//
// Conventions:
//  - Application memory is touched only through t.memory(); data moves
//    through a bounce buffer of at most kChunk bytes per host operation, and
//    regular-file I/O loops over chunks up to MAX_RW_COUNT as Linux does.
//  - DAC permission checks happen here (the file systems below do not make
//    them for the container's credentials); a task with CAP_DAC_OVERRIDE and
//    CAP_FOWNER skips them, as root does in Linux.
//  - Path resolution is lexical (kernel::AbsolutePath) except where the
//    result is kept (chdir) or names a file system (statfs): there symlinks
//    are resolved component by component (RealPath).
#include <dirent.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "abi/linux/errno.h"
#include "sentry/kernel/tty_ops.h"
#include "sentry/mm/shared_file_pages.h"
#include "sentry/syscalls/linux/file_support.h"
#include "sentry/syscalls/linux/sys_common.h"
#include "sentry/vfs/flock.h"
#include "sentry/vfs/host_file.h"
#include "sentry/vfs/host_fs.h"
#include "sentry/vfs/pipe.h"
#include "sentry/vfs/record_locks.h"
#include "sentry/vfs/tmpfs.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

namespace stockade::sentry::syscalls {
namespace {

// --- Constants (kernel values; glibc hides some of them on x86-64) ----------

constexpr uint64_t kMaxRwCount = 0x7ffff000;      // MAX_RW_COUNT
constexpr size_t kChunk = 1 << 20;                // bounce buffer per host op
constexpr uint64_t kUioMaxIov = 1024;

constexpr int kOLargefile = 0100000;  // glibc defines O_LARGEFILE as 0 on x86-64
constexpr int kOTmpfileBit = 020000000;  // __O_TMPFILE
constexpr int kOTmpfile = kOTmpfileBit | O_DIRECTORY;
constexpr int kOSyncBit = 04000000;  // __O_SYNC
constexpr uint64_t kValidOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK |
                                     O_DSYNC | O_ASYNC | O_DIRECT | kOLargefile | O_DIRECTORY | O_NOFOLLOW |
                                     O_NOATIME | O_CLOEXEC | kOSyncBit | O_PATH | kOTmpfileBit;
constexpr int kOPathFlags = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
constexpr uint64_t kValidResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
                                   RESOLVE_IN_ROOT | 0x20 /* RESOLVE_CACHED */;

constexpr unsigned kCloseRangeUnshare = 1u << 1;
constexpr unsigned kCloseRangeCloexec = 1u << 2;

constexpr unsigned kRenameNoreplace = 1, kRenameExchange = 2, kRenameWhiteout = 4;

constexpr int kRwfHipri = 0x1, kRwfDsync = 0x2, kRwfSync = 0x4;

constexpr int kMaxSymlinks = 40;
constexpr long kStValid = 0x20;  // ST_VALID: statfs always sets it (the kernel's, not in glibc)
constexpr uint64_t kPipeMaxSize = 1048576;  // /proc/sys/fs/pipe-max-size

// --- Small helpers -------------------------------------------------------------





mode_t Umask(Task& t) {
  std::lock_guard<std::mutex> l(t.fs->mu);
  return t.fs->umask;
}

// Writing to a pipe with no readers: SIGPIPE for the writer, as pipe_write
// does (send_sig with SEND_SIG_NOINFO).
void SendSigpipe(Task& t) {
  std::lock_guard<std::mutex> l(t.kernel->mu);
  siginfo_t si{};
  si.si_signo = SIGPIPE;
  si.si_code = SI_USER;
  si.si_pid = t.tg->tgid;
  si.si_uid = t.creds().ruid;
  t.kernel->SendToTaskLocked(&t, si);
}

// RLIMIT_FSIZE (generic_write_check_limits, inode_newsize_ok): a regular file
// may not grow past the limit; trying raises SIGXFSZ and fails with EFBIG.
bool OverFsizeLimit(Task& t, uint64_t new_size) {
  uint64_t limit = t.rlimit_cur(RLIMIT_FSIZE);
  if (limit == RLIM_INFINITY || new_size <= limit) return false;
  std::lock_guard<std::mutex> l(t.kernel->mu);
  siginfo_t si{};
  si.si_signo = SIGXFSZ;
  si.si_code = SI_KERNEL;
  t.kernel->SendToTaskLocked(&t, si);
  return true;
}

// Cuts a write to a regular file short at RLIMIT_FSIZE; -EFBIG (and SIGXFSZ)
// when it would start at or past the limit.
int64_t ClampWriteToFsizeLimit(Task& t, vfs::File& f, std::optional<uint64_t> off, uint64_t* total) {
  uint64_t limit = t.rlimit_cur(RLIMIT_FSIZE);
  if (limit == RLIM_INFINITY) return 0;
  auto st = f.Stat();
  if (!st.ok() || !S_ISREG(st->st_mode)) return 0;
  uint64_t pos = static_cast<uint64_t>(st->st_size);
  if (off) {
    pos = *off;
  } else if (!(f.flags() & O_APPEND)) {
    auto cur = f.Seek(0, SEEK_CUR);
    if (!cur.ok()) return 0;
    pos = static_cast<uint64_t>(*cur);
  }
  if (OverFsizeLimit(t, pos + 1)) return -EFBIG;
  *total = std::min(*total, limit - pos);
  return 0;
}

bool HasTrailingSlash(const std::string& p) { return p.size() > 1 && p.back() == '/'; }

// The last component of a path as given (before cleaning), trailing slashes
// ignored: rmdir/rename refuse "." and "..".
std::string LastComponent(const std::string& p) {
  size_t end = p.find_last_not_of('/');
  if (end == std::string::npos) return "/";
  size_t start = p.rfind('/', end);
  return p.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}


// The path with every symlink resolved, the last one only with follow_last.
Result<std::string> RealPath(Task& t, const std::string& abs, bool follow_last) {
  ASSIGN_OR_RETURN(kernel::Walked w, kernel::WalkPath(t, AT_FDCWD, abs, follow_last));
  if (!w.exists || w.file) return Error(ENOENT, "");  // w.file: no path (removed or nameless)
  return w.abs;
}

// --- Permissions ---------------------------------------------------------------


// Write and search permission on the directory that holds `abs`; with
// `victim` (an entry being removed or renamed) also the sticky-bit rule.
Status CheckDirWrite(Task& t, const kernel::Credentials& c, const std::string& abs,
                     const struct stat* victim = nullptr) {
  if (Privileged(c)) return Ok();
  std::string parent = vfs::SplitPath(abs).first;
  auto [fs, rel] = kernel::ResolveMount(t, parent);
  if (!fs) return Error(ENOENT, "");
  ASSIGN_OR_RETURN(struct stat dst, fs->Stat(rel, true));
  if (!S_ISDIR(dst.st_mode)) return Error(ENOTDIR, "");
  TRY(CheckPerm(c, dst, 3));
  if (victim && (dst.st_mode & S_ISVTX) && c.fsuid != victim->st_uid && c.fsuid != dst.st_uid &&
      !c.HasCap(CAP_FOWNER)) {
    return Error(EPERM, "");
  }
  return Ok();
}


// --- I/O core --------------------------------------------------------------

struct Seg {
  uint64_t addr;
  uint64_t len;
};

struct IoVec {
  std::vector<Seg> segs;
  uint64_t total = 0;
};

// import_iovec: at most UIO_MAXIOV entries, no negative lengths, each range
// in the user address space; the total is clamped to MAX_RW_COUNT.
Result<IoVec> ImportIovec(Task& t, uint64_t addr, uint64_t cnt) {
  IoVec v;
  if (cnt > kUioMaxIov) return Error(EINVAL, "");
  if (cnt == 0) return v;
  std::vector<struct iovec> raw(cnt);
  TRY(t.memory().CopyIn(addr, raw.data(), cnt * sizeof(struct iovec)));
  for (const auto& r : raw) {
    if (static_cast<int64_t>(r.iov_len) < 0) return Error(EINVAL, "");
  }
  for (const auto& r : raw) {
    uint64_t base = reinterpret_cast<uint64_t>(r.iov_base);
    uint64_t len = r.iov_len;
    if (!AccessOk(base, len)) return Error(EFAULT, "");
    if (len > kMaxRwCount - v.total) len = kMaxRwCount - v.total;
    v.total += len;
    if (len) v.segs.push_back({base, len});
  }
  return v;
}

// A read/write cursor over the application's segments.
class SegCursor {
 public:
  explicit SegCursor(const std::vector<Seg>& s) : s_(s) {}

  // Copies up to n bytes out; returns how many reached the application.
  size_t Out(Task& t, const char* buf, size_t n) {
    return Advance(n, [&](uint64_t addr, size_t done, size_t k) {
      return t.memory().CopyOutPartial(addr, buf + done, k);
    });
  }
  // How many of the next n bytes the application's segments can take.
  size_t WritableAhead(Task& t, size_t n) const {
    size_t done = 0;
    size_t i = i_;
    uint64_t off = off_;
    while (done < n && i < s_.size()) {
      uint64_t left = s_[i].len - off;
      if (left == 0) {
        i++;
        off = 0;
        continue;
      }
      size_t k = static_cast<size_t>(std::min<uint64_t>(left, n - done));
      size_t c = t.memory().WritablePrefix(s_[i].addr + off, k);
      done += c;
      if (c < k) break;
      i++;
      off = 0;
    }
    return done;
  }
  // Copies up to n bytes in; returns how many could be read.
  size_t In(Task& t, char* buf, size_t n) {
    return Advance(n, [&](uint64_t addr, size_t done, size_t k) {
      return t.memory().CopyInPartial(addr, buf + done, k);
    });
  }

 private:
  // Moves the cursor over up to n bytes, `copy(addr, done, k)` moving each
  // piece and returning how much of it went; stops at the first short piece.
  template <typename Copy>
  size_t Advance(size_t n, Copy copy) {
    size_t done = 0;
    while (done < n && i_ < s_.size()) {
      uint64_t left = s_[i_].len - off_;
      if (left == 0) {
        i_++;
        off_ = 0;
        continue;
      }
      size_t k = static_cast<size_t>(std::min<uint64_t>(left, n - done));
      size_t c = copy(s_[i_].addr + off_, done, k);
      done += c;
      off_ += c;
      if (c < k) break;
    }
    return done;
  }

  const std::vector<Seg>& s_;
  size_t i_ = 0;
  uint64_t off_ = 0;
};

std::unique_ptr<char[]> Bounce(uint64_t total) {
  return std::make_unique_for_overwrite<char[]>(static_cast<size_t>(std::max<uint64_t>(1, std::min<uint64_t>(total, kChunk))));
}

// Whether more than one chunk may be read in a row without blocking: regular
// files (and block devices) only; streams return what they have.
bool Seekable(vfs::File& f) {
  auto st = f.Stat();
  return st.ok() && (S_ISREG(st->st_mode) || S_ISBLK(st->st_mode));
}

// HostFile reads and writes a host stream directly once O_NONBLOCK is set,
// but the host FD stays blocking (it may be shared with the host side of
// stdio, so the flag is not pushed down). Checking readiness first keeps the
// task thread from blocking in the host's read(2)/write(2). (Racy against
// another reader of the same host stream; good enough until host streams get
// their own non-blocking FDs.)
bool HostStreamWouldBlock(vfs::File& f, short events) {
  if (!(f.flags() & O_NONBLOCK)) return false;
  auto* h = dynamic_cast<vfs::HostFile*>(&f);
  if (!h) return false;
  struct stat st;
  if (fstat(h->host_fd(), &st) < 0) return false;
  if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !S_ISCHR(st.st_mode)) return false;
  struct pollfd p = {h->host_fd(), events, 0};
  return poll(&p, 1, 0) == 0;
}

// The file's identity for SharedFilePages when some file has shared
// mappings and this one could (nullopt otherwise: the common, free case).
std::optional<mm::SharedFilePages::Key> SharedPagesKey(vfs::File& f) {
  if (!mm::SharedFilePages::Get().any()) return std::nullopt;
  auto m = f.Mappable();
  if (!m.ok() || (*m)->MapsIno() == 0) return std::nullopt;
  return (*m)->Id();
}

// The file offset `got` bytes just moved through f started at.
uint64_t StartOfLastTransfer(vfs::File& f, std::optional<uint64_t> off, uint64_t done, size_t got) {
  if (off) return *off + done;
  auto pos = f.Seek(0, SEEK_CUR);
  return pos.ok() ? static_cast<uint64_t>(*pos) - got : 0;
}

// Reads into `segs` (`total` bytes, already clamped) from the file position,
// or at `off` for the p* calls. `call_if_empty`: read(2) passes a zero length
// to the file (a directory still answers EISDIR); the vectored calls do not.
// Regular host files (the gofer's donated FDs) move data straight between the
// host file and the application's memory: one copy instead of two through a
// bounce buffer, in one readv/writev (an O_APPEND writev stays atomic). Not
// for a file with shared mappings, whose pages read(2) and write(2) must see
// (SharedFilePages). Returns bytes or -errno; nullopt when the file
// does not qualify.
std::optional<int64_t> DirectHostIo(Task& t, vfs::File& f, const std::vector<Seg>& segs, uint64_t total,
                                    std::optional<uint64_t> off, bool write) {
  auto* h = dynamic_cast<vfs::HostFile*>(&f);
  if (h == nullptr || h->stream()) return std::nullopt;
  if (auto key = SharedPagesKey(f); key && mm::SharedFilePages::Get().Has(*key)) return std::nullopt;
  std::vector<std::pair<uint64_t, size_t>> ranges;
  uint64_t left = total;
  for (const Seg& s : segs) {
    if (left == 0) break;
    size_t n = static_cast<size_t>(std::min<uint64_t>(s.len, left));
    if (n) ranges.emplace_back(s.addr, n);
    left -= n;
  }
  const int fd = h->host_fd();
  ssize_t r = t.memory().HostIo(ranges, write ? PROT_READ : PROT_WRITE, [&](const struct iovec* iov, int cnt) {
    if (write) return off ? pwritev(fd, iov, cnt, static_cast<off_t>(*off)) : writev(fd, iov, cnt);
    return off ? preadv(fd, iov, cnt, static_cast<off_t>(*off)) : readv(fd, iov, cnt);
  });
  return static_cast<int64_t>(r);
}

int64_t DoRead(Task& t, vfs::File& f, const std::vector<Seg>& segs, uint64_t total, std::optional<uint64_t> off,
               bool call_if_empty) {
  if (total == 0) {
    if (!call_if_empty) return 0;
    char dummy;
    auto r = off ? f.PRead(&dummy, 0, *off) : f.Read(t, &dummy, 0);
    if (!r.ok()) return Err(r.error());
    return 0;
  }
  if (!off) {
    // A background process reading its terminal is stopped (SIGTTIN).
    if (int64_t r = kernel::TtyCheckRead(t, f)) return r;
    if (HostStreamWouldBlock(f, POLLIN)) return -EAGAIN;
  }
  if (auto r = DirectHostIo(t, f, segs, total, off, false)) return *r;
  auto buf = Bounce(total);
  SegCursor cur(segs);
  uint64_t done = 0;
  bool checked_seekable = false;
  auto shared_key = SharedPagesKey(f);
  while (done < total) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(total - done, kChunk));
    if (!off) {
      // A stream cannot take data back: read no more than the buffer can
      // hold, and nothing at all into a bad one (EFAULT, data left queued).
      n = cur.WritableAhead(t, n);
      if (n == 0) {
        if (done) break;
        return -EFAULT;
      }
    }
    auto r = off ? f.PRead(buf.get(), n, *off + done) : f.Read(t, buf.get(), n);
    if (!r.ok()) {
      if (done) break;
      return Err(r.error());
    }
    size_t got = *r;
    if (shared_key && got) {
      mm::SharedFilePages::Get().OverlayRead(*shared_key, StartOfLastTransfer(f, off, done, got), buf.get(), got);
    }
    size_t copied = cur.Out(t, buf.get(), got);
    if (copied < got) {
      // The application's buffer ended early: give back what it did not take
      // where the file has a position to rewind (streams lose it, as the
      // data could not be put back anyway).
      if (!off) (void)f.Seek(-static_cast<int64_t>(got - copied), SEEK_CUR);
      done += copied;
      if (done == 0) return -EFAULT;
      break;
    }
    done += got;
    if (got < n) break;
    if (done < total && !off) {
      if (!checked_seekable) {
        if (!Seekable(f)) break;
        checked_seekable = true;
      }
    }
  }
  return static_cast<int64_t>(done);
}

int64_t DoWrite(Task& t, vfs::File& f, const std::vector<Seg>& segs, uint64_t total, std::optional<uint64_t> off,
                bool call_if_empty) {
  // pwrite on an O_APPEND description appends all the same (a documented
  // Linux bug that programs rely on).
  if (off && (f.flags() & O_APPEND)) {
    if (auto st = f.Stat(); st.ok() && S_ISREG(st->st_mode)) off = static_cast<uint64_t>(st->st_size);
  }
  if (total == 0) {
    if (!call_if_empty) return 0;
    // pipe_write returns 0 for an empty write before looking at readers.
    if (dynamic_cast<vfs::PipeFile*>(&f)) return 0;
    char dummy = 0;
    auto r = off ? f.PWrite(&dummy, 0, *off) : f.Write(t, &dummy, 0);
    if (!r.ok()) {
      if (r.error().code() == EPIPE) SendSigpipe(t);
      return Err(r.error());
    }
    return 0;
  }
  if (!off) {
    // A background process writing to its terminal under TOSTOP is stopped (SIGTTOU).
    if (int64_t r = kernel::TtyCheckWrite(t, f)) return r;
    if (HostStreamWouldBlock(f, POLLOUT)) return -EAGAIN;
  }
  if (int64_t r = ClampWriteToFsizeLimit(t, f, off, &total)) return r;
  if (auto r = DirectHostIo(t, f, segs, total, off, true)) return *r;
  auto buf = Bounce(total);
  SegCursor cur(segs);
  uint64_t done = 0;
  auto shared_key = SharedPagesKey(f);
  while (done < total) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(total - done, kChunk));
    size_t got = cur.In(t, buf.get(), n);
    if (got == 0) return done ? static_cast<int64_t>(done) : -EFAULT;
    auto r = off ? f.PWrite(buf.get(), got, *off + done) : f.Write(t, buf.get(), got);
    if (!r.ok()) {
      if (r.error().code() == EPIPE) SendSigpipe(t);
      if (done) break;
      return Err(r.error());
    }
    if (shared_key && *r) {
      mm::SharedFilePages::Get().Written(*shared_key, StartOfLastTransfer(f, off, done, *r), buf.get(), *r);
    }
    done += *r;
    if (*r < got || got < n) break;  // short write, or the buffer faulted
  }
  return static_cast<int64_t>(done);
}

// Whether the file has positional I/O (FMODE_PREAD/FMODE_PWRITE, which our
// files have together): probed with an empty pread, which has no side
// effects (an empty pwrite would touch mtime).
bool HasPositionalIo(vfs::File& f, bool write) {
  (void)write;
  char dummy = 0;
  auto r = f.PRead(&dummy, 0, 0);
  return r.ok() || r.error().code() != ESPIPE;
}

// --- read/write family -----------------------------------------------------

int64_t Read(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (!f->readable()) return -EBADF;
  if (!AccessOk(a[1], a[2])) return -EFAULT;
  if (static_cast<int64_t>(a[2]) < 0) return -EINVAL;
  uint64_t n = std::min<uint64_t>(a[2], kMaxRwCount);
  return DoRead(t, *f, {{a[1], n}}, n, std::nullopt, true);
}

int64_t Write(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (!f->writable()) return -EBADF;
  if (!AccessOk(a[1], a[2])) return -EFAULT;
  if (static_cast<int64_t>(a[2]) < 0) return -EINVAL;
  uint64_t n = std::min<uint64_t>(a[2], kMaxRwCount);
  return DoWrite(t, *f, {{a[1], n}}, n, std::nullopt, true);
}

// rw_verify_area for an explicit position.
bool PosOk(int64_t pos, uint64_t count) {
  if (pos < 0) return false;
  return static_cast<int64_t>(static_cast<uint64_t>(pos) + count) >= 0;
}

int64_t Pread64(Task& t, const SyscallArgs& a) {
  int64_t pos = static_cast<int64_t>(a[3]);
  if (pos < 0) return -EINVAL;
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  if (!f->readable()) return HasPositionalIo(*f, false) ? -EBADF : -ESPIPE;
  if (!AccessOk(a[1], a[2])) return HasPositionalIo(*f, false) ? -EFAULT : -ESPIPE;
  if (!PosOk(pos, a[2])) return -EINVAL;
  uint64_t n = std::min<uint64_t>(a[2], kMaxRwCount);
  return DoRead(t, *f, {{a[1], n}}, n, static_cast<uint64_t>(pos), true);
}

int64_t Pwrite64(Task& t, const SyscallArgs& a) {
  int64_t pos = static_cast<int64_t>(a[3]);
  if (pos < 0) return -EINVAL;
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  if (!f->writable()) return HasPositionalIo(*f, true) ? -EBADF : -ESPIPE;
  if (!AccessOk(a[1], a[2])) return HasPositionalIo(*f, true) ? -EFAULT : -ESPIPE;
  if (!PosOk(pos, a[2])) return -EINVAL;
  uint64_t n = std::min<uint64_t>(a[2], kMaxRwCount);
  return DoWrite(t, *f, {{a[1], n}}, n, static_cast<uint64_t>(pos), true);
}

// readv/writev/preadv/pwritev(2): `pos` < 0 (only preadv2's -1 gets here)
// means the file position.
int64_t ReadvAt(Task& t, int fd, uint64_t iov, uint64_t cnt, std::optional<int64_t> pos) {
  if (pos && *pos < 0) return -EINVAL;
  SYS_ASSIGN(auto f, kernel::FileFor(t, fd));
  if (IsPath(*f)) return -EBADF;
  if (pos && !HasPositionalIo(*f, false)) return -ESPIPE;
  if (!f->readable()) return -EBADF;
  SYS_ASSIGN(IoVec v, ImportIovec(t, iov, cnt));
  if (pos && !PosOk(*pos, v.total)) return -EINVAL;
  std::optional<uint64_t> off;
  if (pos) off = static_cast<uint64_t>(*pos);
  return DoRead(t, *f, v.segs, v.total, off, false);
}

int64_t WritevAt(Task& t, int fd, uint64_t iov, uint64_t cnt, std::optional<int64_t> pos, bool sync = false) {
  if (pos && *pos < 0) return -EINVAL;
  SYS_ASSIGN(auto f, kernel::FileFor(t, fd));
  if (IsPath(*f)) return -EBADF;
  if (pos && !HasPositionalIo(*f, true)) return -ESPIPE;
  if (!f->writable()) return -EBADF;
  SYS_ASSIGN(IoVec v, ImportIovec(t, iov, cnt));
  if (pos && !PosOk(*pos, v.total)) return -EINVAL;
  std::optional<uint64_t> off;
  if (pos) off = static_cast<uint64_t>(*pos);
  int64_t r = DoWrite(t, *f, v.segs, v.total, off, false);
  if (r > 0 && sync) (void)f->Sync();
  return r;
}

int64_t Readv(Task& t, const SyscallArgs& a) { return ReadvAt(t, Fd(a[0]), a[1], a[2], std::nullopt); }
int64_t Writev(Task& t, const SyscallArgs& a) { return WritevAt(t, Fd(a[0]), a[1], a[2], std::nullopt); }
// On x86-64 the position is a[3] whole (pos_h is shifted out).
int64_t Preadv(Task& t, const SyscallArgs& a) {
  return ReadvAt(t, Fd(a[0]), a[1], a[2], static_cast<int64_t>(a[3]));
}
int64_t Pwritev(Task& t, const SyscallArgs& a) {
  return WritevAt(t, Fd(a[0]), a[1], a[2], static_cast<int64_t>(a[3]));
}

// RWF_HIPRI is a polling hint and RWF_DSYNC/RWF_SYNC ask for a sync after
// the write; RWF_APPEND writes at the end; RWF_NOWAIT/RWF_NOAPPEND/RWF_ATOMIC
// are not supported (EOPNOTSUPP, as Linux answers for files that lack them).
constexpr int kRwfAppend = 0x10;
constexpr int kRwfSupported = kRwfHipri | kRwfDsync | kRwfSync;

int64_t Preadv2(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[5]);
  if (!t.fds->Get(Fd(a[0]))) return -EBADF;
  if (flags & ~kRwfSupported) return -EOPNOTSUPP;
  int64_t pos = static_cast<int64_t>(a[3]);
  if (pos == -1) return ReadvAt(t, Fd(a[0]), a[1], a[2], std::nullopt);
  return ReadvAt(t, Fd(a[0]), a[1], a[2], pos);
}

int64_t Pwritev2(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[5]);
  auto f = t.fds->Get(Fd(a[0]));
  if (!f) return -EBADF;
  if (flags & ~(kRwfSupported | kRwfAppend)) return -EOPNOTSUPP;
  bool sync = flags & (kRwfDsync | kRwfSync);
  int64_t pos = static_cast<int64_t>(a[3]);
  if (flags & kRwfAppend) {
    // At the end: a positional write there leaves the file position alone;
    // with position -1 the position moves to the end first, as O_APPEND's.
    auto st = f->Stat();
    if (st.ok() && S_ISREG(st->st_mode)) {
      if (pos != -1) return WritevAt(t, Fd(a[0]), a[1], a[2], static_cast<int64_t>(st->st_size), sync);
      (void)f->Seek(0, SEEK_END);
    }
  }
  if (pos == -1) return WritevAt(t, Fd(a[0]), a[1], a[2], std::nullopt, sync);
  return WritevAt(t, Fd(a[0]), a[1], a[2], pos, sync);
}

int64_t Lseek(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  uint32_t whence = static_cast<uint32_t>(a[2]);
  if (whence > SEEK_HOLE) return -EINVAL;
  int64_t off = static_cast<int64_t>(a[1]);
  auto st = f->Stat();
  if (st.ok() && S_ISDIR(st->st_mode)) {
    // getdents walks a directory by entry index (dir_pos) and reports
    // d_off = index + 1, so directory offsets are those indexes; SEEK_END
    // is EINVAL as on tmpfs (dcache_dir_lseek).
    std::lock_guard<std::mutex> l(f->pos_mu);
    int64_t base;
    if (whence == SEEK_SET) {
      base = 0;
    } else if (whence == SEEK_CUR) {
      base = static_cast<int64_t>(f->dir_pos);
    } else {
      return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0) return -EINVAL;
    f->dir_pos = static_cast<uint64_t>(base + off);
    return base + off;
  }
  auto r = f->Seek(off, static_cast<int>(whence));
  if (!r.ok() && (whence == SEEK_DATA || whence == SEEK_HOLE) && r.error().code() == EINVAL && st.ok() &&
      S_ISREG(st->st_mode)) {
    // No holes tracked: all data up to the end, one hole after it.
    if (off < 0 || off >= st->st_size) return -ENXIO;
    SYS_ASSIGN(int64_t p, f->Seek(whence == SEEK_DATA ? off : st->st_size, SEEK_SET));
    return p;
  }
  if (!r.ok()) return Err(r.error());
  return *r;
}

// --- open ------------------------------------------------------------------

// O_TMPFILE: an unnamed file in `dir`. The file systems have no anonymous
// inodes, so it is created under a random name and unlinked at once (the
// open description keeps it alive); linkat(AT_EMPTY_PATH) cannot bring it
// back under a name.
Result<std::shared_ptr<vfs::File>> OpenTmpfile(Task& t, const std::string& dir_abs, int flags, mode_t mode) {
  ASSIGN_OR_RETURN(Resolved d, ResolveAbs(t, dir_abs));
  ASSIGN_OR_RETURN(struct stat dst, d.fs->Stat(d.rel, true));
  if (!S_ISDIR(dst.st_mode)) return Error(ENOTDIR, "");
  auto c = Creds(t);
  if (!Privileged(c)) TRY(CheckPerm(c, dst, 3));
  int fl = (flags & ~(kOTmpfile | O_CLOEXEC)) | O_CREAT | O_EXCL;
  for (int attempt = 0; attempt < 100; attempt++) {
    uint64_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd) rnd = static_cast<uint64_t>(kernel::NowNs(CLOCK_MONOTONIC)) ^ (static_cast<uint64_t>(t.tid) << 32) ^ attempt;
    char name[64];
    snprintf(name, sizeof name, "/.#stockade-tmpfile-%016llx", static_cast<unsigned long long>(rnd));
    std::string abs = (dir_abs == "/" ? std::string() : dir_abs) + name;
    auto f = kernel::OpenAt(t, AT_FDCWD, abs, fl, mode);
    if (!f.ok() && f.error().code() == EEXIST) continue;
    if (!f.ok()) return f.error();
    auto [fs, rel] = kernel::ResolveMount(t, abs);
    if (fs && fs->Unlink(rel).ok()) t.kernel->dentries().Removed(abs);
    return f;
  }
  return Error(EEXIST, "");
}

int64_t DoOpen(Task& t, int dirfd, uint64_t path_addr, uint64_t flags64, uint64_t mode64, uint64_t resolve,
               bool strict) {
  // strict: openat2 rejects what open/openat silently drop.
  if (strict) {
    if (flags64 & ~kValidOpenFlags) return -EINVAL;
    if (resolve & ~kValidResolve) return -EINVAL;
    if ((resolve & RESOLVE_BENEATH) && (resolve & RESOLVE_IN_ROOT)) return -EINVAL;
  }
  int flags = static_cast<int>(flags64 & kValidOpenFlags);
  bool create = flags & (O_CREAT | kOTmpfileBit);
  mode_t mode = 0;
  if (strict) {
    if (create) {
      if (mode64 & ~uint64_t{07777}) return -EINVAL;
    } else if (mode64 != 0) {
      return -EINVAL;
    }
  }
  if (create) mode = static_cast<mode_t>(mode64 & 07777);
  if (flags & O_PATH) {
    if (strict && (flags & ~kOPathFlags)) return -EINVAL;
    flags &= kOPathFlags;
  } else {
    flags |= kOLargefile;  // force_o_largefile(): F_GETFL shows it on 64-bit
  }
  if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT)) return -EINVAL;
  if (flags & kOTmpfileBit) {
    if ((flags & (kOTmpfile | O_CREAT)) != kOTmpfile) return -EINVAL;
    if ((flags & O_ACCMODE) == O_RDONLY) return -EINVAL;
  }
  if (flags & kOSyncBit) flags |= O_DSYNC;
  // RESOLVE_CACHED (only a hint that the lookup may be done without
  // blocking) is ignored; the other restrictions are the walk's.
  resolve &= ~uint64_t{RESOLVE_CACHED};

  SYS_ASSIGN(std::string path, CopyPath(t, path_addr));
  bool cloexec = flags & O_CLOEXEC;
  int fsflags = flags & ~O_CLOEXEC;
  if (HasTrailingSlash(path)) {
    if (flags & O_CREAT) return -EISDIR;
    fsflags |= O_DIRECTORY;
  }
  // O_EXCL does not follow a final symlink: even a dangling one exists.
  bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
  SYS_ASSIGN(kernel::Walked w, kernel::WalkPath(t, dirfd, path, !(flags & O_NOFOLLOW) && !excl, false, resolve));
  if (excl && w.exists) return -EEXIST;
  const std::string& abs = w.abs;

  std::shared_ptr<vfs::File> f;
  if (flags & kOTmpfileBit) {
    SYS_ASSIGN(f, OpenTmpfile(t, abs, fsflags, mode));
  } else {
    auto c = Creds(t);
    if (!Privileged(c)) {
      if (w.exists) {
        const struct stat& st = w.st;
        // (Writing a directory is EISDIR before any permission check.)
        bool dir_write = S_ISDIR(st.st_mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC));
        if (!(flags & O_PATH) && !S_ISLNK(st.st_mode) && !dir_write) {
          int acc = flags & O_ACCMODE;
          int want = (acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6) | ((flags & O_TRUNC) ? 2 : 0);
          SYS_TRY(CheckPerm(c, st, want));
        }
      } else if (flags & O_CREAT) {
        auto pst = CheckDirWrite(t, c, abs);
        if (!pst.ok() && pst.error().code() == EACCES) return -EACCES;
      }
    }
    SYS_ASSIGN(f, kernel::OpenWalked(t, w, fsflags, mode));
    if (flags & O_CREAT) {
      // Linux refuses O_CREAT on an existing directory.
      auto st = f->Stat();
      if (st.ok() && S_ISDIR(st->st_mode)) return -EISDIR;
    }
  }
  SYS_ASSIGN(int fd, t.fds->Install(std::move(f), cloexec, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  return fd;
}

int64_t Open(Task& t, const SyscallArgs& a) { return DoOpen(t, AT_FDCWD, a[0], static_cast<uint32_t>(a[1]), a[2], 0, false); }
int64_t Openat(Task& t, const SyscallArgs& a) {
  return DoOpen(t, DirFd(a[0]), a[1], static_cast<uint32_t>(a[2]), a[3], 0, false);
}
int64_t Creat(Task& t, const SyscallArgs& a) { return DoOpen(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1], 0, false); }

int64_t Openat2(Task& t, const SyscallArgs& a) {
  uint64_t usize = a[3];
  if (usize < sizeof(struct open_how)) return -EINVAL;  // OPEN_HOW_SIZE_VER0
  if (usize > 4096) return -E2BIG;
  struct open_how how {};
  SYS_TRY(t.memory().CopyIn(a[2], &how, sizeof how));
  // copy_struct_from_user: a larger struct must be zero past what we know.
  if (usize > sizeof how) {
    char tail[4096];
    size_t extra = static_cast<size_t>(usize - sizeof how);
    SYS_TRY(t.memory().CopyIn(a[2] + sizeof how, tail, extra));
    for (size_t i = 0; i < extra; i++) {
      if (tail[i]) return -E2BIG;
    }
  }
  return DoOpen(t, DirFd(a[0]), a[1], how.flags, how.mode, how.resolve, true);
}

// --- descriptors -------------------------------------------------------------

int64_t Close(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, t.fds->Remove(Fd(a[0])));
  f.reset();  // the last reference closes the description, outside the table lock
  return 0;
}

int64_t CloseRange(Task& t, const SyscallArgs& a) {
  uint32_t first = static_cast<uint32_t>(a[0]);
  uint32_t last = static_cast<uint32_t>(a[1]);
  uint32_t flags = static_cast<uint32_t>(a[2]);
  if (flags & ~(kCloseRangeUnshare | kCloseRangeCloexec)) return -EINVAL;
  if (first > last) return -EINVAL;
  if ((flags & kCloseRangeUnshare) && t.fds.use_count() > 1) {
    // Only this task's thread replaces its own table (as ExitTask resets it).
    t.fds = t.fds->Fork();
  }
  t.fds->CloseRange(first, last, flags & kCloseRangeCloexec);
  return 0;
}

int64_t Dup(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  SYS_ASSIGN(int fd, t.fds->Install(std::move(f), false, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  return fd;
}

int64_t Dup3Impl(Task& t, int oldfd, int newfd, uint64_t flags, bool is_dup2) {
  if (is_dup2) {
    if (oldfd == newfd) {
      if (!t.fds->Get(oldfd)) return -EBADF;
      return newfd;
    }
  } else {
    if (flags & ~uint64_t{O_CLOEXEC}) return -EINVAL;
    if (oldfd == newfd) return -EINVAL;
  }
  uint64_t limit = t.rlimit_cur(RLIMIT_NOFILE);
  if (newfd < 0 || static_cast<uint64_t>(newfd) >= limit) return -EBADF;
  SYS_ASSIGN(auto f, kernel::FileFor(t, oldfd));
  SYS_TRY(t.fds->InstallAt(newfd, std::move(f), (flags & O_CLOEXEC) != 0, limit));
  return newfd;
}

int64_t Dup2(Task& t, const SyscallArgs& a) { return Dup3Impl(t, Fd(a[0]), Fd(a[1]), 0, true); }
int64_t Dup3(Task& t, const SyscallArgs& a) { return Dup3Impl(t, Fd(a[0]), Fd(a[1]), a[2], false); }

// F_SETPIPE_SZ: round_pipe_size and pipe_set_size.
int64_t SetPipeSize(Task& t, vfs::Pipe& p, uint64_t arg) {
  uint32_t req = static_cast<uint32_t>(arg);
  if (req > (1u << 31)) return -EINVAL;
  uint64_t size = 4096;
  while (size < req) size <<= 1;
  bool privileged = Creds(t).HasCap(CAP_SYS_RESOURCE);
  {
    std::lock_guard<std::mutex> l(p.mu);
    if (size > kPipeMaxSize && size > p.capacity && !privileged) return -EPERM;
    if (p.buf.size() > size) return -EBUSY;
    p.capacity = static_cast<size_t>(size);
  }
  p.writeq.NotifyAll();
  return static_cast<int64_t>(size);
}

// POSIX and OFD record locks (vfs::RecordLockTable). A POSIX lock belongs to
// the FD table (closing any FD of the file there drops it), an OFD lock to
// the open file description.
int64_t RecordLock(Task& t, vfs::File& f, int cmd, uint64_t arg) {
  struct flock fl;
  SYS_TRY(t.memory().CopyIn(arg, &fl, sizeof fl));
  bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
  if (ofd && fl.l_pid != 0) return -EINVAL;
  if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK) return -EINVAL;
  // The range, as flock_to_posix_lock computes it.
  int64_t base = 0;
  if (fl.l_whence == SEEK_CUR) {
    SYS_ASSIGN(base, f.Seek(0, SEEK_CUR));
  } else if (fl.l_whence == SEEK_END) {
    SYS_ASSIGN(struct stat st, f.Stat());
    base = st.st_size;
  } else if (fl.l_whence != SEEK_SET) {
    return -EINVAL;
  }
  int64_t start;
  if (__builtin_add_overflow(base, static_cast<int64_t>(fl.l_start), &start)) return -EOVERFLOW;
  if (start < 0) return -EINVAL;
  uint64_t first = static_cast<uint64_t>(start), last = UINT64_MAX;
  if (fl.l_len > 0) {
    int64_t end;
    if (__builtin_add_overflow(start, static_cast<int64_t>(fl.l_len) - 1, &end)) return -EOVERFLOW;
    last = static_cast<uint64_t>(end);
  } else if (fl.l_len < 0) {
    if (start + fl.l_len < 0) return -EINVAL;
    first = static_cast<uint64_t>(start + fl.l_len);
    last = static_cast<uint64_t>(start - 1);
  }
  SYS_ASSIGN(struct stat st, f.Stat());
  vfs::RecordLockTable::Key key{st.st_dev, st.st_ino};
  vfs::RecordLockTable::Lock want{ofd ? static_cast<const void*>(&f) : static_cast<const void*>(t.fds.get()), ofd,
                                  fl.l_type, first, last, ofd ? -1 : t.tg->tgid};
  if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
    if (fl.l_type == F_UNLCK) return -EINVAL;
    auto other = vfs::RecordLockTable::Get().Test(key, want);
    if (other) {
      fl.l_type = static_cast<short>(other->type);
      fl.l_whence = SEEK_SET;
      fl.l_start = static_cast<off_t>(other->start);
      fl.l_len = other->end == UINT64_MAX ? 0 : static_cast<off_t>(other->end - other->start + 1);
      fl.l_pid = other->pid;
    } else {
      fl.l_type = F_UNLCK;
    }
    SYS_TRY(t.memory().CopyOut(arg, &fl, sizeof fl));
    return 0;
  }
  if (fl.l_type == F_RDLCK && !f.readable()) return -EBADF;
  if (fl.l_type == F_WRLCK && !f.writable()) return -EBADF;
  if (ofd) f.has_locks = true;
  else t.fds->NotePosixLock();
  bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
  SYS_TRY(vfs::RecordLockTable::Get().Set(key, want, wait, t));
  return 0;
}

// F_SETFL on a host-backed file also moves O_APPEND to the host FD, which
// HostFile's writes rely on (O_NONBLOCK stays in the Sentry; see
// HostStreamWouldBlock).
void SyncHostAppend(vfs::File& f) {
  auto* h = dynamic_cast<vfs::HostFile*>(&f);
  if (!h) return;
  int hf = fcntl(h->host_fd(), F_GETFL);
  if (hf < 0) return;
  int want = (hf & ~O_APPEND) | (f.flags() & O_APPEND);
  if (want != hf) (void)fcntl(h->host_fd(), F_SETFL, want);
}

int64_t Fcntl(Task& t, const SyscallArgs& a) {
  int fd = Fd(a[0]);
  int cmd = static_cast<int>(a[1]);
  uint64_t arg = a[2];
  bool cloexec = false;
  auto f = t.fds->Get(fd, &cloexec);
  if (!f) return -EBADF;
  if (IsPath(*f) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD && cmd != F_SETFD && cmd != F_GETFL) {
    return -EBADF;
  }
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
      uint64_t limit = t.rlimit_cur(RLIMIT_NOFILE);
      uint32_t from = static_cast<uint32_t>(arg);
      if (from >= limit) return -EINVAL;
      SYS_ASSIGN(int nfd, t.fds->Install(f, cmd == F_DUPFD_CLOEXEC, static_cast<int>(from), limit));
      return nfd;
    }
    case F_GETFD:
      return cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
      SYS_TRY(t.fds->SetCloexec(fd, (arg & FD_CLOEXEC) != 0));
      return 0;
    case F_GETFL:
      // open-time-only flags are not status flags (do_dentry_open drops them).
      return f->flags() & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
    case F_SETFL: {
      int nf = static_cast<int>(arg);
      if ((nf & O_NOATIME) && !(f->flags() & O_NOATIME)) {
        auto st = f->Stat();
        if (st.ok() && !OwnerOrCapable(Creds(t), *st)) return -EPERM;
      }
      f->SetStatusFlags(nf);
      SyncHostAppend(*f);
      return 0;
    }
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ: {
      auto* p = dynamic_cast<vfs::PipeFile*>(f.get());
      if (!p) return -EBADF;
      if (cmd == F_SETPIPE_SZ) return SetPipeSize(t, p->pipe(), arg);
      std::lock_guard<std::mutex> l(p->pipe().mu);
      return static_cast<int64_t>(p->pipe().capacity);
    }
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
      return RecordLock(t, *f, cmd, arg);
    case F_GETOWN:
      return 0;  // no SIGIO owner is kept yet
    case F_SETOWN:
      return 0;
    case F_GETSIG:
      return 0;
    case F_SETSIG:
      if (arg > static_cast<uint64_t>(kernel::kMaxSignal)) return -EINVAL;
      return 0;
    default:
      // Leases, notifications, seals (no memfd yet), hints: EINVAL as for a
      // file that does not support them.
      return -EINVAL;
  }
}

// --- stat family -----------------------------------------------------------

constexpr int kAtStatxSyncType = 0x6000;
constexpr int kAtNoAutomount = 0x800;

// A path argument that AT_EMPTY_PATH lets be NULL (Linux 6.11).
Result<std::string> PathArg(Task& t, uint64_t addr, int flags) {
  if (addr == 0 && (flags & AT_EMPTY_PATH)) return std::string();
  return CopyPath(t, addr);
}

int64_t Fstat(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  SYS_ASSIGN(struct stat st, f->Stat());
  SYS_TRY(t.memory().CopyOut(a[1], &st, sizeof st));
  return 0;
}

int64_t StatPath(Task& t, uint64_t path_addr, uint64_t buf, bool follow) {
  SYS_ASSIGN(std::string path, CopyPath(t, path_addr));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, AT_FDCWD, path, follow, false));
  SYS_TRY(t.memory().CopyOut(buf, &st, sizeof st));
  return 0;
}

int64_t Stat(Task& t, const SyscallArgs& a) { return StatPath(t, a[0], a[1], true); }
int64_t Lstat(Task& t, const SyscallArgs& a) { return StatPath(t, a[0], a[1], false); }

int64_t Newfstatat(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[3]);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | kAtNoAutomount | AT_EMPTY_PATH | kAtStatxSyncType)) return -EINVAL;
  SYS_ASSIGN(std::string path, PathArg(t, a[1], flags));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, DirFd(a[0]), path, !(flags & AT_SYMLINK_NOFOLLOW),
                                            (flags & AT_EMPTY_PATH) != 0));
  SYS_TRY(t.memory().CopyOut(a[2], &st, sizeof st));
  return 0;
}

int64_t Statx(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[2]);
  uint32_t mask = static_cast<uint32_t>(a[3]);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | kAtNoAutomount | AT_EMPTY_PATH | kAtStatxSyncType)) return -EINVAL;
  if ((flags & kAtStatxSyncType) == kAtStatxSyncType) return -EINVAL;
  if (mask & 0x80000000u) return -EINVAL;  // STATX__RESERVED
  SYS_ASSIGN(std::string path, PathArg(t, a[1], flags));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, DirFd(a[0]), path, !(flags & AT_SYMLINK_NOFOLLOW),
                                            (flags & AT_EMPTY_PATH) != 0));
  struct statx sx {};
  // STATX_MNT_ID comes with every statx on Linux; the device number stands
  // in for the mount ID (one file system per mount here).
  sx.stx_mask = STATX_BASIC_STATS | STATX_MNT_ID;
  sx.stx_mnt_id = st.st_dev;
  sx.stx_blksize = static_cast<uint32_t>(st.st_blksize);
  sx.stx_nlink = static_cast<uint32_t>(st.st_nlink);
  sx.stx_uid = st.st_uid;
  sx.stx_gid = st.st_gid;
  sx.stx_mode = static_cast<uint16_t>(st.st_mode);
  sx.stx_ino = st.st_ino;
  sx.stx_size = static_cast<uint64_t>(st.st_size);
  sx.stx_blocks = static_cast<uint64_t>(st.st_blocks);
  sx.stx_atime = {st.st_atim.tv_sec, static_cast<uint32_t>(st.st_atim.tv_nsec), 0};
  sx.stx_mtime = {st.st_mtim.tv_sec, static_cast<uint32_t>(st.st_mtim.tv_nsec), 0};
  sx.stx_ctime = {st.st_ctim.tv_sec, static_cast<uint32_t>(st.st_ctim.tv_nsec), 0};
  sx.stx_rdev_major = major(st.st_rdev);
  sx.stx_rdev_minor = minor(st.st_rdev);
  sx.stx_dev_major = major(st.st_dev);
  sx.stx_dev_minor = minor(st.st_dev);
  SYS_TRY(t.memory().CopyOut(a[4], &sx, sizeof sx));
  return 0;
}

// --- directories -----------------------------------------------------------

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

// getdents64 (and the old getdents): entries by index from dir_pos; d_off
// is the next index, which lseek accepts back.
int64_t GetdentsImpl(Task& t, const SyscallArgs& a, bool is64) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  uint64_t count = static_cast<uint32_t>(a[2]);
  if (!AccessOk(a[1], count)) return -EFAULT;
  SYS_ASSIGN(auto ents, f->ReadDir());
  if (f->Removed()) return -ENOENT;  // a removed directory lists as gone (IS_DEADDIR)
  size_t limit = static_cast<size_t>(std::min<uint64_t>(count, kChunk));
  std::lock_guard<std::mutex> l(f->pos_mu);
  std::string out;
  uint64_t i = f->dir_pos;
  for (; i < ents.size(); i++) {
    const vfs::Dirent& e = ents[i];
    // linux_dirent64: ino, off, reclen, type, name; linux_dirent: ino, off,
    // reclen, name, NUL, padding, type in the last byte.
    size_t reclen = is64 ? Align8(19 + e.name.size() + 1) : Align8(18 + e.name.size() + 2);
    if (out.size() + reclen > limit) break;
    size_t base = out.size();
    out.resize(base + reclen, '\0');
    char* p = out.data() + base;
    uint64_t ino = e.ino;
    int64_t off = static_cast<int64_t>(i + 1);
    uint16_t rl = static_cast<uint16_t>(reclen);
    memcpy(p, &ino, 8);
    memcpy(p + 8, &off, 8);
    memcpy(p + 16, &rl, 2);
    if (is64) {
      p[18] = static_cast<char>(e.type);
      memcpy(p + 19, e.name.data(), e.name.size());
    } else {
      memcpy(p + 18, e.name.data(), e.name.size());
      p[reclen - 1] = static_cast<char>(e.type);
    }
  }
  if (out.empty() && i < ents.size()) return -EINVAL;  // buffer too small for one entry
  SYS_TRY(t.memory().CopyOut(a[1], out.data(), out.size()));
  f->dir_pos = i;
  return static_cast<int64_t>(out.size());
}

int64_t Getdents64(Task& t, const SyscallArgs& a) { return GetdentsImpl(t, a, true); }
int64_t Getdents(Task& t, const SyscallArgs& a) { return GetdentsImpl(t, a, false); }

int64_t Getcwd(Task& t, const SyscallArgs& a) {
  auto dir = kernel::Cwd(t);
  if (dir->Removed()) return -ENOENT;
  std::string cwd = dir->MountPath();
  if (cwd.size() + 1 > a[1]) return -ERANGE;
  SYS_TRY(t.memory().CopyOut(a[0], cwd.c_str(), cwd.size() + 1));
  return static_cast<int64_t>(cwd.size() + 1);
}

// chdir and fchdir: `dir` (an open directory, or an O_PATH one) becomes the
// working directory, if the caller may search it.
int64_t SetCwd(Task& t, std::shared_ptr<vfs::File> dir) {
  SYS_ASSIGN(struct stat st, dir->Stat());
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  SYS_TRY(CheckPerm(Creds(t), st, 1));
  if (!dir->HasMountPath()) return -ENOENT;
  std::lock_guard<std::mutex> l(t.fs->mu);
  t.fs->cwd = std::move(dir);
  return 0;
}

int64_t Chdir(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, CopyPath(t, a[0]));
  SYS_ASSIGN(auto dir, kernel::OpenAt(t, AT_FDCWD, path, O_PATH | O_DIRECTORY, 0));
  return SetCwd(t, std::move(dir));
}

int64_t Fchdir(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  return SetCwd(t, std::move(f));
}

// --- access ------------------------------------------------------------------

int64_t FaccessatImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t mode, uint64_t flags) {
  if (mode & ~uint64_t{7}) return -EINVAL;
  if (flags & ~uint64_t{AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH}) return -EINVAL;
  int fl = static_cast<int>(flags);
  SYS_ASSIGN(std::string path, PathArg(t, path_addr, fl));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, dirfd, path, !(fl & AT_SYMLINK_NOFOLLOW), (fl & AT_EMPTY_PATH) != 0));
  if (mode == F_OK) return 0;
  if (mode & W_OK) {
    // EROFS for writes to files on a read-only mount.
    auto walked = kernel::WalkPath(t, dirfd, path, !(fl & AT_SYMLINK_NOFOLLOW), (fl & AT_EMPTY_PATH) != 0);
    if (walked.ok()) {
      auto& fs = walked->fs;
      if (fs && fs->ReadOnly() && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
        return -EROFS;
      }
    }
  }
  SYS_TRY(CheckPerm(Creds(t), st, static_cast<int>(mode), !(fl & AT_EACCESS)));
  return 0;
}

int64_t Access(Task& t, const SyscallArgs& a) { return FaccessatImpl(t, AT_FDCWD, a[0], a[1], 0); }
int64_t Faccessat(Task& t, const SyscallArgs& a) { return FaccessatImpl(t, DirFd(a[0]), a[1], a[2], 0); }
int64_t Faccessat2(Task& t, const SyscallArgs& a) { return FaccessatImpl(t, DirFd(a[0]), a[1], a[2], a[3]); }

// --- links -------------------------------------------------------------------

int64_t ReadlinkatImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t buf, uint64_t size) {
  int bufsiz = static_cast<int>(size);
  if (bufsiz <= 0) return -EINVAL;
  SYS_ASSIGN(std::string path, CopyPath(t, path_addr));
  // An empty path names dirfd itself (readlinkat's implicit AT_EMPTY_PATH).
  if (path.empty() && dirfd == AT_FDCWD) return -ENOENT;
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path, true));
  SYS_ASSIGN(std::string target, r.fs->ReadLink(r.rel));
  size_t n = std::min<size_t>(target.size(), static_cast<size_t>(bufsiz));
  SYS_TRY(t.memory().CopyOut(buf, target.data(), n));
  return static_cast<int64_t>(n);
}

int64_t Readlink(Task& t, const SyscallArgs& a) { return ReadlinkatImpl(t, AT_FDCWD, a[0], a[1], a[2]); }
int64_t Readlinkat(Task& t, const SyscallArgs& a) { return ReadlinkatImpl(t, DirFd(a[0]), a[1], a[2], a[3]); }

// filename_create with a trailing slash on a non-directory creation.
int64_t TrailingSlashCreate(Resolved& r) {
  auto st = r.fs->Stat(r.rel, false);
  return st.ok() ? -EEXIST : -ENOENT;
}

int64_t MkdiratImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t mode) {
  SYS_ASSIGN(std::string path, CopyPath(t, path_addr));
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path));
  if (r.abs == "/" || t.kernel->mounts().IsMountPoint(r.abs)) return -EEXIST;
  auto c = Creds(t);
  if (r.fs->Stat(r.rel, false).ok()) return -EEXIST;
  SYS_TRY(CheckDirWrite(t, c, r.abs));
  mode_t m = static_cast<mode_t>(mode) & 01777 & ~Umask(t);
  SYS_TRY(r.fs->Mkdir(r.rel, m, c.fsuid, c.fsgid));
  return 0;
}

int64_t Mkdir(Task& t, const SyscallArgs& a) { return MkdiratImpl(t, AT_FDCWD, a[0], a[1]); }
int64_t Mkdirat(Task& t, const SyscallArgs& a) { return MkdiratImpl(t, DirFd(a[0]), a[1], a[2]); }

int64_t RmdirImpl(Task& t, int dirfd, const std::string& path) {
  std::string last = LastComponent(path);
  if (last == ".") return -EINVAL;
  if (last == "..") return -ENOTEMPTY;
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path));
  if (r.abs == "/" || t.kernel->mounts().IsMountPoint(r.abs)) return -EBUSY;
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, false));
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  SYS_TRY(CheckDirWrite(t, Creds(t), r.abs, &st));
  SYS_TRY(r.fs->Rmdir(r.rel));
  t.kernel->dentries().Removed(r.abs);
  return 0;
}

int64_t UnlinkImpl(Task& t, int dirfd, const std::string& path) {
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path));
  if (r.abs == "/") return -EISDIR;
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, false));
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  if (HasTrailingSlash(path)) return -ENOTDIR;
  if (t.kernel->mounts().IsMountPoint(r.abs)) return -EBUSY;
  SYS_TRY(CheckDirWrite(t, Creds(t), r.abs, &st));
  SYS_TRY(r.fs->Unlink(r.rel));
  t.kernel->dentries().Removed(r.abs);
  return 0;
}

int64_t Rmdir(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, CopyPath(t, a[0]));
  return RmdirImpl(t, AT_FDCWD, path);
}

int64_t Unlink(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, CopyPath(t, a[0]));
  return UnlinkImpl(t, AT_FDCWD, path);
}

int64_t Unlinkat(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[2]);
  if (flags & ~AT_REMOVEDIR) return -EINVAL;
  SYS_ASSIGN(std::string path, CopyPath(t, a[1]));
  if (flags & AT_REMOVEDIR) return RmdirImpl(t, DirFd(a[0]), path);
  return UnlinkImpl(t, DirFd(a[0]), path);
}

int64_t RenameImpl(Task& t, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp, uint64_t flags64) {
  unsigned flags = static_cast<unsigned>(flags64);
  if (flags64 & ~uint64_t{kRenameNoreplace | kRenameExchange | kRenameWhiteout}) return -EINVAL;
  if ((flags & (kRenameNoreplace | kRenameWhiteout)) && (flags & kRenameExchange)) return -EINVAL;
  SYS_ASSIGN(std::string from, CopyPath(t, oldp));
  SYS_ASSIGN(std::string to, CopyPath(t, newp));
  SYS_ASSIGN(Resolved a, Resolve(t, olddirfd, from));
  SYS_ASSIGN(Resolved b, Resolve(t, newdirfd, to));
  if (a.fs.get() != b.fs.get()) return -EXDEV;
  std::string la = LastComponent(from), lb = LastComponent(to);
  if (a.abs == "/" || la == "." || la == "..") return -EBUSY;
  if (b.abs == "/" || lb == "." || lb == "..") return (flags & kRenameNoreplace) ? -EEXIST : -EBUSY;
  SYS_ASSIGN(struct stat sst, a.fs->Stat(a.rel, false));
  if (!S_ISDIR(sst.st_mode) &&
      (HasTrailingSlash(from) || (!(flags & kRenameExchange) && HasTrailingSlash(to)))) {
    return -ENOTDIR;
  }
  auto& mounts = t.kernel->mounts();
  if (mounts.IsMountPoint(a.abs) || mounts.IsMountPoint(b.abs)) return -EBUSY;
  auto c = Creds(t);
  SYS_TRY(CheckDirWrite(t, c, a.abs, &sst));
  auto dst = b.fs->Stat(b.rel, false);
  if (!Privileged(c)) SYS_TRY(CheckDirWrite(t, c, b.abs, dst.ok() ? &*dst : nullptr));
  SYS_TRY(a.fs->Rename(a.rel, b.rel, flags));
  // Two names of one file: rename(2) leaves both in place.
  bool same_file = dst.ok() && dst->st_ino == sst.st_ino && dst->st_dev == sst.st_dev;
  if (!same_file || (flags & kRenameExchange)) t.kernel->dentries().Renamed(a.abs, b.abs, flags & kRenameExchange);
  return 0;
}

int64_t Rename(Task& t, const SyscallArgs& a) { return RenameImpl(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
int64_t Renameat(Task& t, const SyscallArgs& a) { return RenameImpl(t, DirFd(a[0]), a[1], DirFd(a[2]), a[3], 0); }
int64_t Renameat2(Task& t, const SyscallArgs& a) {
  return RenameImpl(t, DirFd(a[0]), a[1], DirFd(a[2]), a[3], a[4]);
}

int64_t LinkImpl(Task& t, int olddirfd, uint64_t oldp, int newdirfd, uint64_t newp, uint64_t flags) {
  if (flags & ~uint64_t{AT_SYMLINK_FOLLOW | AT_EMPTY_PATH}) return -EINVAL;
  auto c = Creds(t);
  SYS_ASSIGN(std::string from, PathArg(t, oldp, static_cast<int>(flags)));
  if ((flags & AT_EMPTY_PATH) && olddirfd != AT_FDCWD && (from.empty() || from[0] != '/')) {
    // Since Linux 6.10 a walk from an FD may start at it only for the
    // credentials that opened it, or with CAP_DAC_READ_SEARCH.
    SYS_ASSIGN(auto f, kernel::FileFor(t, olddirfd));
    if (f->opener_creds != c.serial && !c.HasCap(CAP_DAC_READ_SEARCH)) return -ENOENT;
  }
  SYS_ASSIGN(std::string to, CopyPath(t, newp));
  SYS_ASSIGN(Resolved a, Resolve(t, olddirfd, from, (flags & AT_EMPTY_PATH) != 0));
  if (flags & AT_SYMLINK_FOLLOW) {
    SYS_ASSIGN(std::string real, RealPath(t, a.abs, true));
    SYS_ASSIGN(a, ResolveAbs(t, real));
  }
  SYS_ASSIGN(Resolved b, Resolve(t, newdirfd, to));
  SYS_ASSIGN(struct stat sst, a.fs->Stat(a.rel, false));
  if (HasTrailingSlash(to)) return TrailingSlashCreate(b);
  if (b.abs == "/" || b.fs->Stat(b.rel, false).ok()) return -EEXIST;
  if (a.fs.get() != b.fs.get()) return -EXDEV;
  if (S_ISDIR(sst.st_mode)) return -EPERM;
  SYS_TRY(CheckDirWrite(t, c, b.abs));
  SYS_TRY(a.fs->Link(a.rel, b.rel));
  return 0;
}

int64_t Link(Task& t, const SyscallArgs& a) { return LinkImpl(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }
int64_t Linkat(Task& t, const SyscallArgs& a) { return LinkImpl(t, DirFd(a[0]), a[1], DirFd(a[2]), a[3], a[4]); }

int64_t SymlinkImpl(Task& t, uint64_t target_addr, int newdirfd, uint64_t linkp) {
  SYS_ASSIGN(std::string target, kernel::CopyInPath(t, target_addr));  // not walked: no NAME_MAX
  SYS_ASSIGN(std::string path, CopyPath(t, linkp));
  if (target.empty()) return -ENOENT;
  SYS_ASSIGN(Resolved r, Resolve(t, newdirfd, path));
  if (HasTrailingSlash(path)) return TrailingSlashCreate(r);
  if (r.abs == "/" || r.fs->Stat(r.rel, false).ok()) return -EEXIST;
  auto c = Creds(t);
  SYS_TRY(CheckDirWrite(t, c, r.abs));
  SYS_TRY(r.fs->Symlink(target, r.rel, c.fsuid, c.fsgid));
  return 0;
}

int64_t Symlink(Task& t, const SyscallArgs& a) { return SymlinkImpl(t, a[0], AT_FDCWD, a[1]); }
int64_t Symlinkat(Task& t, const SyscallArgs& a) { return SymlinkImpl(t, a[0], DirFd(a[1]), a[2]); }

int64_t MknodatImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t mode64, uint64_t dev) {
  mode_t mode = static_cast<mode_t>(mode64);
  mode_t type = mode & S_IFMT;
  switch (type) {
    case 0:
      type = S_IFREG;
      break;
    case S_IFREG:
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
    case S_IFSOCK:
      break;
    case S_IFDIR:
      return -EPERM;
    default:
      return -EINVAL;
  }
  SYS_ASSIGN(std::string path, CopyPath(t, path_addr));
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path));
  if (HasTrailingSlash(path)) return TrailingSlashCreate(r);
  if (r.abs == "/" || r.fs->Stat(r.rel, false).ok()) return -EEXIST;
  auto c = Creds(t);
  SYS_TRY(CheckDirWrite(t, c, r.abs));
  // Device nodes need devices the Sentry does not pass through. A socket
  // node is only a name (opening it gives ENXIO, as on Linux).
  if (type == S_IFCHR || type == S_IFBLK) return -EPERM;
  mode_t perm = mode & 07777 & ~Umask(t);
  SYS_TRY(r.fs->Mknod(r.rel, type | perm, static_cast<dev_t>(dev), c.fsuid, c.fsgid));
  return 0;
}

int64_t Mknod(Task& t, const SyscallArgs& a) { return MknodatImpl(t, AT_FDCWD, a[0], a[1], a[2]); }
int64_t Mknodat(Task& t, const SyscallArgs& a) { return MknodatImpl(t, DirFd(a[0]), a[1], a[2], a[3]); }

// --- ownership and modes -------------------------------------------------------

// chmod's rules: owner or CAP_FOWNER; S_ISGID drops for non-members.
Result<mode_t> ChmodMode(const kernel::Credentials& c, const struct stat& st, mode_t mode) {
  if (!OwnerOrCapable(c, st)) return Error(EPERM, "");
  mode &= 07777;
  if (!S_ISDIR(st.st_mode) && !InGroup(c, st.st_gid) && !c.HasCap(CAP_FSETID)) mode &= ~S_ISGID;
  return mode;
}

int64_t FchmodatImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t mode, uint64_t flags) {
  if (flags & ~uint64_t{AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH}) return -EINVAL;
  int fl = static_cast<int>(flags);
  SYS_ASSIGN(std::string path, PathArg(t, path_addr, fl));
  bool follow = !(fl & AT_SYMLINK_NOFOLLOW);
  if (path.empty() && (fl & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
    SYS_ASSIGN(auto f, kernel::FileFor(t, dirfd));
    SYS_ASSIGN(struct stat st, f->Stat());
    SYS_ASSIGN(mode_t m, ChmodMode(Creds(t), st, static_cast<mode_t>(mode)));
    SYS_TRY(f->Chmod(m));
    return 0;
  }
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path, (fl & AT_EMPTY_PATH) != 0, follow));
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, r.follow));
  if (S_ISLNK(st.st_mode)) return -EOPNOTSUPP;
  SYS_ASSIGN(mode_t m, ChmodMode(Creds(t), st, static_cast<mode_t>(mode)));
  SYS_TRY(r.fs->Chmod(r.rel, m, r.follow));
  return 0;
}

int64_t Chmod(Task& t, const SyscallArgs& a) { return FchmodatImpl(t, AT_FDCWD, a[0], a[1], 0); }
int64_t Fchmodat(Task& t, const SyscallArgs& a) { return FchmodatImpl(t, DirFd(a[0]), a[1], a[2], 0); }
int64_t Fchmodat2(Task& t, const SyscallArgs& a) { return FchmodatImpl(t, DirFd(a[0]), a[1], a[2], a[3]); }

int64_t Fchmod(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  SYS_ASSIGN(struct stat st, f->Stat());
  SYS_ASSIGN(mode_t m, ChmodMode(Creds(t), st, static_cast<mode_t>(a[1])));
  SYS_TRY(f->Chmod(m));
  return 0;
}

// chown_ok/chgrp_ok.
Status ChownAllowed(const kernel::Credentials& c, const struct stat& st, uid_t uid, gid_t gid) {
  if (c.HasCap(CAP_CHOWN)) return Ok();
  if (uid != static_cast<uid_t>(-1) && !(c.fsuid == st.st_uid && uid == st.st_uid)) return Error(EPERM, "");
  if (gid != static_cast<gid_t>(-1) && !(c.fsuid == st.st_uid && (gid == st.st_gid || InGroup(c, gid)))) {
    return Error(EPERM, "");
  }
  return Ok();
}

// chown_common: a changed (or even unchanged) owner of a non-directory
// drops set-user-ID, and set-group-ID where it means "setgid" (group exec).
mode_t ModeAfterChown(const struct stat& st) {
  mode_t m = st.st_mode & 07777;
  if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) return m;
  m &= ~S_ISUID;
  if (m & S_IXGRP) m &= ~S_ISGID;
  return m;
}

int64_t FchownatImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t uid64, uint64_t gid64, uint64_t flags) {
  if (flags & ~uint64_t{AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH}) return -EINVAL;
  int fl = static_cast<int>(flags);
  uid_t uid = static_cast<uid_t>(uid64);
  gid_t gid = static_cast<gid_t>(gid64);
  SYS_ASSIGN(std::string path, PathArg(t, path_addr, fl));
  bool follow = !(fl & AT_SYMLINK_NOFOLLOW);
  auto c = Creds(t);
  if (path.empty() && (fl & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
    SYS_ASSIGN(auto f, kernel::FileFor(t, dirfd));
    SYS_ASSIGN(struct stat st, f->Stat());
    SYS_TRY(ChownAllowed(c, st, uid, gid));
    SYS_TRY(f->Chown(uid, gid));
    if (ModeAfterChown(st) != (st.st_mode & 07777)) SYS_TRY(f->Chmod(ModeAfterChown(st)));
    return 0;
  }
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path, (fl & AT_EMPTY_PATH) != 0, follow));
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, r.follow));
  SYS_TRY(ChownAllowed(c, st, uid, gid));
  SYS_TRY(r.fs->Chown(r.rel, uid, gid, r.follow));
  if (ModeAfterChown(st) != (st.st_mode & 07777)) SYS_TRY(r.fs->Chmod(r.rel, ModeAfterChown(st), r.follow));
  return 0;
}

int64_t Chown(Task& t, const SyscallArgs& a) { return FchownatImpl(t, AT_FDCWD, a[0], a[1], a[2], 0); }
int64_t Lchown(Task& t, const SyscallArgs& a) {
  return FchownatImpl(t, AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW);
}
int64_t Fchownat(Task& t, const SyscallArgs& a) { return FchownatImpl(t, DirFd(a[0]), a[1], a[2], a[3], a[4]); }

int64_t Fchown(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  uid_t uid = static_cast<uid_t>(a[1]);
  gid_t gid = static_cast<gid_t>(a[2]);
  SYS_ASSIGN(struct stat st, f->Stat());
  SYS_TRY(ChownAllowed(Creds(t), st, uid, gid));
  SYS_TRY(f->Chown(uid, gid));
  if (ModeAfterChown(st) != (st.st_mode & 07777)) SYS_TRY(f->Chmod(ModeAfterChown(st)));
  return 0;
}

// --- sizes -------------------------------------------------------------------

// Sentry-memory files (tmpfs) hold their data in the Sentry's heap, so a
// length past what the file system advertises (statfs) would have the Sentry
// allocate it for real: EFBIG instead. Host files (the gofer's) are sparse on
// the host.
Status CheckSentryFileSize(vfs::File* f, vfs::Filesystem* fs, uint64_t len) {
  if (f && dynamic_cast<vfs::HostFile*>(f)) return Ok();
  if (fs && !fs->InMemory()) return Ok();
  auto sfs = f ? f->StatFs() : fs->StatFs();
  if (!sfs.ok()) return Ok();
  uint64_t cap = static_cast<uint64_t>(sfs->f_blocks) * static_cast<uint64_t>(sfs->f_bsize);
  if (cap && len > cap) return Error(EFBIG, "");
  return Ok();
}

int64_t Truncate(Task& t, const SyscallArgs& a) {
  int64_t len = static_cast<int64_t>(a[1]);
  if (len < 0) return -EINVAL;
  SYS_ASSIGN(std::string path, CopyPath(t, a[0]));
  SYS_ASSIGN(Resolved r, Resolve(t, AT_FDCWD, path, false, true));
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, true));
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  if (!S_ISREG(st.st_mode)) return -EINVAL;
  if (r.fs->ReadOnly()) return -EROFS;
  SYS_TRY(CheckPerm(Creds(t), st, 2));
  if (OverFsizeLimit(t, static_cast<uint64_t>(len))) return -EFBIG;
  SYS_TRY(CheckSentryFileSize(nullptr, r.fs.get(), static_cast<uint64_t>(len)));
  try {
    SYS_TRY(r.fs->Truncate(r.rel, static_cast<uint64_t>(len)));
  } catch (const std::bad_alloc&) {
    return -ENOSPC;
  } catch (const std::length_error&) {
    return -EFBIG;
  }
  return 0;
}

int64_t Ftruncate(Task& t, const SyscallArgs& a) {
  int64_t len = static_cast<int64_t>(a[1]);
  if (len < 0) return -EINVAL;
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  if (!f->writable()) return -EINVAL;
  SYS_ASSIGN(struct stat st, f->Stat());
  if (!S_ISREG(st.st_mode)) return -EINVAL;
  if (OverFsizeLimit(t, static_cast<uint64_t>(len))) return -EFBIG;
  SYS_TRY(CheckSentryFileSize(f.get(), nullptr, static_cast<uint64_t>(len)));
  try {
    SYS_TRY(f->Truncate(static_cast<uint64_t>(len)));
  } catch (const std::bad_alloc&) {
    return -ENOSPC;
  } catch (const std::length_error&) {
    return -EFBIG;
  }
  return 0;
}

int64_t Fallocate(Task& t, const SyscallArgs& a) {
  int mode = static_cast<int>(a[1]);
  int64_t off = static_cast<int64_t>(a[2]);
  int64_t len = static_cast<int64_t>(a[3]);
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  if (off < 0 || len <= 0) return -EINVAL;
  if (!f->writable()) return -EBADF;
  SYS_ASSIGN(struct stat st, f->Stat());
  if (S_ISFIFO(st.st_mode)) return -ESPIPE;
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) return -ENODEV;
  if (off > INT64_MAX - len) return -EFBIG;
  if (S_ISREG(st.st_mode) && !(mode & FALLOC_FL_KEEP_SIZE) && OverFsizeLimit(t, static_cast<uint64_t>(off + len))) {
    return -EFBIG;
  }
  uint64_t end = static_cast<uint64_t>(off + len);
  if (mode == 0 && end > static_cast<uint64_t>(st.st_size)) SYS_TRY(CheckSentryFileSize(f.get(), nullptr, end));
  try {
    SYS_TRY(f->Allocate(mode, static_cast<uint64_t>(off), static_cast<uint64_t>(len)));
  } catch (const std::bad_alloc&) {
    return -ENOSPC;
  } catch (const std::length_error&) {
    return -EFBIG;
  }
  return 0;
}

// --- sync, advice, locks -----------------------------------------------------

int64_t Fsync(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  SYS_TRY(f->Sync());
  return 0;
}

int64_t Sync(Task&, const SyscallArgs&) { return 0; }  // host page cache is the host's

int64_t Syncfs(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  return 0;
}

int64_t Fadvise64(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  if (dynamic_cast<vfs::PipeFile*>(f.get())) return -ESPIPE;
  auto st = f->Stat();
  if (st.ok() && S_ISFIFO(st->st_mode)) return -ESPIPE;
  int advice = static_cast<int>(a[3]);
  if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) return -EINVAL;
  return 0;  // advice only
}

int64_t Flock(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  if (IsPath(*f)) return -EBADF;
  int op = static_cast<int>(a[1]) & ~LOCK_NB;
  constexpr int kLockMand = 32;  // obsolete: Linux accepts and ignores it
  if (op & kLockMand) return 0;
  if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN) return -EINVAL;
  SYS_ASSIGN(struct stat st, f->Stat());
  f->has_locks = true;
  SYS_TRY(vfs::FlockTable::Get().Lock({st.st_dev, st.st_ino}, f.get(), static_cast<int>(a[1]), t));
  return 0;
}

int64_t UmaskSys(Task& t, const SyscallArgs& a) {
  std::lock_guard<std::mutex> l(t.fs->mu);
  mode_t old = t.fs->umask;
  t.fs->umask = static_cast<mode_t>(a[0]) & 0777;
  return old;
}

// --- ioctl -------------------------------------------------------------------

int64_t Ioctl(Task& t, const SyscallArgs& a) {
  int fd = Fd(a[0]);
  auto f = t.fds->Get(fd);
  if (!f || IsPath(*f)) return -EBADF;
  uint32_t cmd = static_cast<uint32_t>(a[1]);
  uint64_t arg = a[2];
  switch (cmd) {
    case FIOCLEX:
      SYS_TRY(t.fds->SetCloexec(fd, true));
      return 0;
    case FIONCLEX:
      SYS_TRY(t.fds->SetCloexec(fd, false));
      return 0;
    case FIONBIO:
    case FIOASYNC: {
      int on;
      SYS_TRY(t.memory().CopyIn(arg, &on, sizeof on));
      int bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;
      f->SetStatusFlags(on ? (f->flags() | bit) : (f->flags() & ~bit));
      return 0;
    }
    case FIOQSIZE: {
      SYS_ASSIGN(struct stat st, f->Stat());
      if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) return -ENOTTY;
      int64_t bytes = static_cast<int64_t>(st.st_blocks) * 512;
      SYS_TRY(t.memory().CopyOut(arg, &bytes, sizeof bytes));
      return 0;
    }
    case FIONREAD: {
      // Regular files: the bytes past the position (do_vfs_ioctl).
      auto st = f->Stat();
      if (st.ok() && S_ISREG(st->st_mode)) {
        SYS_ASSIGN(int64_t pos, f->Seek(0, SEEK_CUR));
        int n = static_cast<int>(st->st_size - pos);
        SYS_TRY(t.memory().CopyOut(arg, &n, sizeof n));
        return 0;
      }
      break;
    }
    default:
      break;
  }
  if (auto* term = dynamic_cast<vfs::TerminalFile*>(f.get())) {
    if (auto r = kernel::TtyJobControlIoctl(t, *term, cmd, arg)) return *r;
  }
  SYS_ASSIGN(int64_t r, f->Ioctl(t.memory(), cmd, arg));
  return r;
}

// --- statfs ------------------------------------------------------------------

int64_t Statfs(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, CopyPath(t, a[0]));
  SYS_ASSIGN(std::string abs, kernel::AbsolutePath(t, AT_FDCWD, path));
  SYS_ASSIGN(std::string real, RealPath(t, abs, true));
  SYS_ASSIGN(Resolved r, ResolveAbs(t, real));
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, true));
  (void)st;
  SYS_ASSIGN(struct statfs s, r.fs->StatFs());
  s.f_flags |= kStValid;
  SYS_TRY(t.memory().CopyOut(a[1], &s, sizeof s));
  return 0;
}

int64_t Fstatfs(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, Fd(a[0])));
  // The file system of the mount the file was opened in (an overlay's file
  // reports the overlay, not the layer holding it); a file of no mount
  // (pipes, sockets) answers for itself.
  std::shared_ptr<vfs::Filesystem> fs;
  if (f->HasMountPath()) fs = kernel::ResolveMount(t, f->MountPath()).first;
  SYS_ASSIGN(struct statfs s, fs ? fs->StatFs() : f->StatFs());
  s.f_flags |= kStValid;
  SYS_TRY(t.memory().CopyOut(a[1], &s, sizeof s));
  return 0;
}

// --- pipes -------------------------------------------------------------------

int64_t Pipe2Impl(Task& t, uint64_t addr, uint64_t flags) {
  // O_DIRECT (packet mode) and O_NOTIFICATION_PIPE are not supported.
  if (flags & ~uint64_t{O_CLOEXEC | O_NONBLOCK}) return -EINVAL;
  auto [r, w] = vfs::NewPipe(static_cast<int>(flags) & O_NONBLOCK);
  bool cloexec = flags & O_CLOEXEC;
  uint64_t limit = t.rlimit_cur(RLIMIT_NOFILE);
  SYS_ASSIGN(int rfd, t.fds->Install(r, cloexec, 0, limit));
  auto wfd = t.fds->Install(w, cloexec, 0, limit);
  if (!wfd.ok()) {
    (void)t.fds->Remove(rfd);
    return Err(wfd.error());
  }
  int fds[2] = {rfd, *wfd};
  if (!t.memory().CopyOut(addr, fds, sizeof fds).ok()) {
    (void)t.fds->Remove(rfd);
    (void)t.fds->Remove(*wfd);
    return -EFAULT;
  }
  return 0;
}

int64_t Pipe(Task& t, const SyscallArgs& a) { return Pipe2Impl(t, a[0], 0); }
int64_t Pipe2(Task& t, const SyscallArgs& a) { return Pipe2Impl(t, a[0], a[1]); }

// --- sendfile ----------------------------------------------------------------

// Moves up to `count` bytes from `in` (at in_off, else its position) to
// `out` (at out_off, else its position), through a bounce buffer. Stops at
// end of input, a short write (the unsent input goes back to a positional
// file's position) or, with `one_pass`, after the first read (splice returns
// what one pipe read gave). Returns the bytes moved, or -errno if none.
int64_t Transfer(Task& t, vfs::File& in, std::optional<uint64_t> in_off, vfs::File& out,
                 std::optional<uint64_t> out_off, uint64_t count, bool one_pass = false) {
  int64_t ret = 0;
  uint64_t done = 0;
  if (count == 0) return 0;
  auto buf = Bounce(count);
  bool checked_seekable = false;
  while (done < count) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(count - done, kChunk));
    auto r = in_off ? in.PRead(buf.get(), n, *in_off + done) : in.Read(t, buf.get(), n);
    if (!r.ok()) {
      if (!done) ret = Err(r.error());
      break;
    }
    size_t got = *r;
    if (got == 0) break;
    size_t wrote = 0;
    std::optional<Error> werr;
    while (wrote < got) {
      auto w = out_off ? out.PWrite(buf.get() + wrote, got - wrote, *out_off + done + wrote)
                       : out.Write(t, buf.get() + wrote, got - wrote);
      if (!w.ok()) {
        if (w.error().code() == EPIPE) SendSigpipe(t);
        werr = w.error();
        break;
      }
      if (*w == 0) break;
      wrote += *w;
    }
    done += wrote;
    if (wrote < got) {
      // Hand the unsent input back to the file position.
      if (!in_off) (void)in.Seek(-static_cast<int64_t>(got - wrote), SEEK_CUR);
      if (!done && werr) ret = Err(*werr);
      break;
    }
    if (got < n || one_pass) break;
    if (!in_off && !checked_seekable) {
      if (!Seekable(in)) break;
      checked_seekable = true;
    }
  }
  if (ret < 0) return ret;
  return static_cast<int64_t>(done);
}

int64_t Sendfile(Task& t, const SyscallArgs& a) {
  int out_fd = Fd(a[0]), in_fd = Fd(a[1]);
  uint64_t off_addr = a[2];
  std::optional<int64_t> pos;
  if (off_addr) {
    int64_t p;
    SYS_TRY(t.memory().CopyIn(off_addr, &p, sizeof p));
    pos = p;
  }
  uint64_t count = std::min<uint64_t>(a[3], kMaxRwCount);

  auto in = t.fds->Get(in_fd);
  if (!in || !in->readable()) return -EBADF;
  if (auto st = in->Stat(); st.ok() && S_ISDIR(st->st_mode)) return -EINVAL;  // no splice_read
  if (pos) {
    if (!HasPositionalIo(*in, false)) return -ESPIPE;
    if (*pos < 0 || !PosOk(*pos, count)) return -EINVAL;
  }
  auto out = t.fds->Get(out_fd);
  if (!out || !out->writable()) return -EBADF;
  if (out->flags() & O_APPEND) return -EINVAL;

  int64_t ret = Transfer(t, *in, pos ? std::optional<uint64_t>(*pos) : std::nullopt, *out, std::nullopt, count);
  uint64_t done = ret > 0 ? static_cast<uint64_t>(ret) : 0;
  if (pos) {
    int64_t np = *pos + static_cast<int64_t>(done);
    if (!t.memory().CopyOut(off_addr, &np, sizeof np).ok()) return -EFAULT;
  }
  return ret;
}

// An optional loff_t* argument of copy_file_range and splice: nothing when it
// is null; `negative` is the errno for a value below zero. 0 or -errno.
int64_t ReadOffset(Task& t, uint64_t addr, int negative, std::optional<uint64_t>* out) {
  if (!addr) return 0;
  int64_t v;
  SYS_TRY(t.memory().CopyIn(addr, &v, sizeof v));
  if (v < 0) return -negative;
  *out = static_cast<uint64_t>(v);
  return 0;
}

// After `moved` bytes went (a Transfer's result), the offsets the caller
// passed by address move on by as much. Returns `moved`, or -EFAULT.
int64_t AdvanceOffsets(Task& t, uint64_t in_addr, std::optional<uint64_t> in_off, uint64_t out_addr,
                       std::optional<uint64_t> out_off, int64_t moved) {
  if (moved <= 0) return moved;
  for (auto [addr, off] : {std::pair{in_addr, in_off}, std::pair{out_addr, out_off}}) {
    if (!addr) continue;
    int64_t v = static_cast<int64_t>(*off) + moved;
    if (!t.memory().CopyOut(addr, &v, sizeof v).ok()) return -EFAULT;
  }
  return moved;
}

// copy_file_range: between regular files, at explicit offsets (updated in
// place) or the files' positions.
int64_t CopyFileRange(Task& t, const SyscallArgs& a) {
  if (a[5] != 0) return -EINVAL;
  auto in = t.fds->Get(Fd(a[0]));
  auto out = t.fds->Get(Fd(a[2]));
  if (!in || !out || IsPath(*in) || IsPath(*out)) return -EBADF;
  if (!in->readable() || !out->writable() || (out->flags() & O_APPEND)) return -EBADF;
  SYS_ASSIGN(struct stat ist, in->Stat());
  SYS_ASSIGN(struct stat ost, out->Stat());
  if (S_ISDIR(ist.st_mode) || S_ISDIR(ost.st_mode)) return -EISDIR;
  if (!S_ISREG(ist.st_mode) || !S_ISREG(ost.st_mode)) return -EINVAL;
  // Between file systems: EXDEV, as Linux (5.19+) answers for local ones.
  if (in->HasMountPath() && out->HasMountPath() &&
      kernel::ResolveMount(t, in->MountPath()).first != kernel::ResolveMount(t, out->MountPath()).first) {
    return -EXDEV;
  }
  std::optional<uint64_t> in_off, out_off;
  // generic_copy_file_checks: offset + count may not wrap (as unsigned).
  if (int64_t e = ReadOffset(t, a[1], EOVERFLOW, &in_off)) return e;
  if (int64_t e = ReadOffset(t, a[3], EOVERFLOW, &out_off)) return e;
  uint64_t count = std::min<uint64_t>(a[4], kMaxRwCount);
  // The same file: the ranges may not overlap.
  if (ist.st_dev == ost.st_dev && ist.st_ino == ost.st_ino) {
    SYS_ASSIGN(int64_t ipos, in_off ? static_cast<int64_t>(*in_off) : in->Seek(0, SEEK_CUR));
    SYS_ASSIGN(int64_t opos, out_off ? static_cast<int64_t>(*out_off) : out->Seek(0, SEEK_CUR));
    if (static_cast<uint64_t>(ipos) < static_cast<uint64_t>(opos) + count &&
        static_cast<uint64_t>(opos) < static_cast<uint64_t>(ipos) + count) {
      return -EINVAL;
    }
  }
  int64_t ret = Transfer(t, *in, in_off, *out, out_off, count);
  return AdvanceOffsets(t, a[1], in_off, a[3], out_off, ret);
}

// splice: between a pipe and any file; the pipe side has no offset.
int64_t Splice(Task& t, const SyscallArgs& a) {
  auto in = t.fds->Get(Fd(a[0]));
  auto out = t.fds->Get(Fd(a[2]));
  if (!in || !out || IsPath(*in) || IsPath(*out)) return -EBADF;
  if (!in->readable() || !out->writable()) return -EBADF;
  unsigned flags = static_cast<unsigned>(a[5]);
  if (flags & ~0xfu) return -EINVAL;  // SPLICE_F_MOVE, NONBLOCK, MORE, GIFT
  bool in_pipe = dynamic_cast<vfs::PipeFile*>(in.get()) != nullptr;
  bool out_pipe = dynamic_cast<vfs::PipeFile*>(out.get()) != nullptr;
  if (!in_pipe && !out_pipe) return -EINVAL;
  if ((in_pipe && a[1]) || (out_pipe && a[3])) return -ESPIPE;
  if (out->flags() & O_APPEND) return -EINVAL;
  std::optional<uint64_t> in_off, out_off;
  if (a[1] && !HasPositionalIo(*in, false)) return -ESPIPE;
  if (int64_t e = ReadOffset(t, a[1], EINVAL, &in_off)) return e;
  if (a[3] && !HasPositionalIo(*out, true)) return -ESPIPE;
  if (int64_t e = ReadOffset(t, a[3], EINVAL, &out_off)) return e;
  uint64_t count = std::min<uint64_t>(a[4], kMaxRwCount);
  if (in_pipe && in.get() == out.get()) return -EINVAL;
  // SPLICE_F_NONBLOCK makes the pipe side non-blocking for this call.
  if ((flags & SPLICE_F_NONBLOCK)) {
    vfs::File& p = in_pipe ? *in : *out;
    if (in_pipe && !(p.Readiness(POLLIN) & (POLLIN | POLLHUP))) return -EAGAIN;
    if (!in_pipe && !(p.Readiness(POLLOUT) & (POLLOUT | POLLERR))) return -EAGAIN;
  }
  int64_t ret = Transfer(t, *in, in_off, *out, out_off, count, /*one_pass=*/true);
  return AdvanceOffsets(t, a[1], in_off, a[3], out_off, ret);
}

// tee: copies what one pipe holds into another without consuming it.
int64_t Tee(Task& t, const SyscallArgs& a) {
  auto in = std::dynamic_pointer_cast<vfs::PipeFile>(t.fds->Get(Fd(a[0])));
  auto out = std::dynamic_pointer_cast<vfs::PipeFile>(t.fds->Get(Fd(a[1])));
  if (!t.fds->Get(Fd(a[0])) || !t.fds->Get(Fd(a[1]))) return -EBADF;
  if (!in || !out || !in->readable() || !out->writable() || &in->pipe() == &out->pipe()) return -EINVAL;
  if (static_cast<unsigned>(a[3]) & ~0xfu) return -EINVAL;
  bool nonblock = static_cast<unsigned>(a[3]) & SPLICE_F_NONBLOCK;
  uint64_t count = std::min<uint64_t>(a[2], kMaxRwCount);
  if (count == 0) return 0;
  while (true) {
    std::vector<char> data;
    bool eof = false;
    {
      vfs::Pipe& p = in->pipe();
      std::lock_guard<std::mutex> l(p.mu);
      size_t n = std::min<size_t>(count, p.buf.size());
      data.assign(p.buf.begin(), p.buf.begin() + static_cast<long>(n));
      eof = p.buf.empty() && p.writers == 0;
    }
    if (!data.empty()) {
      // Only what fits into the output pipe now.
      vfs::Pipe& q = out->pipe();
      {
        std::lock_guard<std::mutex> l(q.mu);
        if (q.readers == 0) {
          SendSigpipe(t);
          return -EPIPE;
        }
        size_t room = q.capacity > q.buf.size() ? q.capacity - q.buf.size() : 0;
        data.resize(std::min(room, data.size()));
        q.buf.insert(q.buf.end(), data.begin(), data.end());
      }
      if (!data.empty()) {
        q.Changed(true, false);
        return static_cast<int64_t>(data.size());
      }
      if (nonblock) return -EAGAIN;
      vfs::WaitEntry e(q.writeq, &t);
      if (t.Block(std::nullopt) == vfs::BlockResult::kInterrupted) return -abi::kERESTARTSYS;
      continue;
    }
    if (eof) return 0;
    if (nonblock) return -EAGAIN;
    vfs::WaitEntry e(in->pipe().readq, &t);
    {
      std::lock_guard<std::mutex> l(in->pipe().mu);
      if (!in->pipe().buf.empty() || in->pipe().writers == 0) continue;
    }
    if (t.Block(std::nullopt) == vfs::BlockResult::kInterrupted) return -abi::kERESTARTSYS;
  }
}

// --- mount, umount2 -----------------------------------------------------------

// mount(2) inside the container: new tmpfs instances, and propagation changes
// (which have nothing to propagate to in the Sentry's single mount table).
// Everything needs CAP_SYS_ADMIN, as in the container's user namespace.
int64_t Mount(Task& t, const SyscallArgs& a) {
  if (!t.creds().HasCap(CAP_SYS_ADMIN)) return -EPERM;
  SYS_ASSIGN(std::string target, CopyPath(t, a[1]));
  uint64_t flags = a[3];
  constexpr uint64_t kPropagation = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;
  SYS_ASSIGN(Resolved r, Resolve(t, AT_FDCWD, target, false, true));
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, true));
  if (flags & kPropagation) return 0;
  if (flags & (MS_REMOUNT | MS_BIND | MS_MOVE)) return -EINVAL;  // not yet: see docs/compatibility.md
  std::string type;
  if (a[2]) {
    auto ty = t.memory().CopyInString(a[2], 4096);
    if (!ty.ok()) return -EFAULT;
    type = *ty;
  }
  if (type != "tmpfs") return -ENODEV;
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  vfs::TmpfsOptions opts;
  if (a[4]) {
    auto data = t.memory().CopyInString(a[4], 4096);
    if (!data.ok()) return -EFAULT;
    SYS_ASSIGN(opts, vfs::ParseTmpfsOptions(vfs::SplitMountOptions(*data)));
  }
  static std::atomic<unsigned> next_minor{100};
  auto fs = std::make_shared<vfs::TmpFs>(makedev(0, next_minor++), opts.mode.value_or(01777));
  fs->SetSizeLimit(opts.size_limit);
  t.kernel->mounts().Add(r.abs, fs);
  return 0;
}

int64_t Umount2(Task& t, const SyscallArgs& a) {
  int flags = static_cast<int>(a[1]);
  if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return -EINVAL;
  if (!t.creds().HasCap(CAP_SYS_ADMIN)) return -EPERM;
  SYS_ASSIGN(std::string target, CopyPath(t, a[0]));
  SYS_ASSIGN(Resolved r, Resolve(t, AT_FDCWD, target));
  if (r.abs == "/" || !t.kernel->mounts().IsMountPoint(r.abs)) return -EINVAL;
  t.kernel->mounts().Remove(r.abs);
  return 0;
}

// --- times -------------------------------------------------------------------

bool NsecValid(long nsec) { return nsec == UTIME_NOW || nsec == UTIME_OMIT || (nsec >= 0 && nsec < 1000000000); }

// vfs_utimes: explicit times need ownership (EPERM); "now" needs ownership
// or write permission (EACCES).
int64_t ApplyUtimes(Task& t, int dirfd, const std::string& path, const struct timespec* times, int flags) {
  bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
  SYS_ASSIGN(Resolved r, Resolve(t, dirfd, path, (flags & AT_EMPTY_PATH) != 0 || path.empty(), follow));
  SYS_ASSIGN(struct stat st, r.fs->Stat(r.rel, r.follow));
  if (times && times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT) return 0;
  auto c = Creds(t);
  bool explicit_time = times && ((times[0].tv_nsec != UTIME_NOW && times[0].tv_nsec != UTIME_OMIT) ||
                                 (times[1].tv_nsec != UTIME_NOW && times[1].tv_nsec != UTIME_OMIT));
  if (!OwnerOrCapable(c, st)) {
    if (explicit_time) return -EPERM;
    if (r.fs->ReadOnly()) return -EROFS;
    SYS_TRY(CheckPerm(c, st, 2));
  }
  SYS_TRY(r.fs->Utimens(r.rel, times, r.follow));
  return 0;
}

// futimens: times of an open file, set by its current path. Files with no
// path (pipes) keep none; a removed file's path may name another file now.
int64_t FutimensByPath(Task& t, vfs::File& f, const struct timespec* times) {
  if (!f.HasMountPath()) return 0;
  if (f.Removed()) return -ENOENT;
  return ApplyUtimes(t, AT_FDCWD, f.MountPath(), times, 0);
}

int64_t Utimensat(Task& t, const SyscallArgs& a) {
  int dirfd = DirFd(a[0]);
  int flags = static_cast<int>(a[3]);
  struct timespec ts[2];
  const struct timespec* times = nullptr;
  if (a[2]) {
    SYS_TRY(t.memory().CopyIn(a[2], ts, sizeof ts));
    if (!NsecValid(ts[0].tv_nsec) || !NsecValid(ts[1].tv_nsec)) return -EINVAL;
    if (!(ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW)) times = ts;
    // Both omitted: Linux returns before it looks at the path or the FD.
    if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT && !(flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))) {
      return 0;
    }
  }
  if (a[1] == 0) {
    // utimensat(fd, NULL, ...): the file dirfd refers to (futimens).
    if (dirfd == AT_FDCWD) return -EFAULT;
    if (flags & ~AT_SYMLINK_NOFOLLOW) return -EINVAL;
    SYS_ASSIGN(auto f, kernel::FileFor(t, dirfd));
    if (IsPath(*f)) return -EBADF;
    return FutimensByPath(t, *f, times);
  }
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
  SYS_ASSIGN(std::string path, CopyPath(t, a[1]));
  if (path.empty() && !(flags & AT_EMPTY_PATH)) return -ENOENT;
  return ApplyUtimes(t, dirfd, path, times, flags);
}

int64_t FutimesatImpl(Task& t, int dirfd, uint64_t path_addr, uint64_t tv_addr) {
  struct timespec ts[2];
  const struct timespec* times = nullptr;
  if (tv_addr) {
    struct timeval tv[2];
    SYS_TRY(t.memory().CopyIn(tv_addr, tv, sizeof tv));
    for (int i = 0; i < 2; i++) {
      if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000) return -EINVAL;
      ts[i].tv_sec = tv[i].tv_sec;
      ts[i].tv_nsec = tv[i].tv_usec * 1000;
    }
    times = ts;
  }
  if (path_addr == 0) {
    if (dirfd == AT_FDCWD) return -EFAULT;
    SYS_ASSIGN(auto f, kernel::FileFor(t, dirfd));
    return FutimensByPath(t, *f, times);
  }
  SYS_ASSIGN(std::string path, CopyPath(t, path_addr));
  if (path.empty()) return -ENOENT;
  return ApplyUtimes(t, dirfd, path, times, 0);
}

int64_t Utimes(Task& t, const SyscallArgs& a) { return FutimesatImpl(t, AT_FDCWD, a[0], a[1]); }
int64_t Futimesat(Task& t, const SyscallArgs& a) { return FutimesatImpl(t, DirFd(a[0]), a[1], a[2]); }

int64_t Utime(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, CopyPath(t, a[0]));
  if (path.empty()) return -ENOENT;
  struct timespec ts[2];
  const struct timespec* times = nullptr;
  if (a[1]) {
    struct utimbuf ub;
    SYS_TRY(t.memory().CopyIn(a[1], &ub, sizeof ub));
    ts[0] = {ub.actime, 0};
    ts[1] = {ub.modtime, 0};
    times = ts;
  }
  return ApplyUtimes(t, AT_FDCWD, path, times, 0);
}

}  // namespace

void RegisterFileSyscalls(Kernel& k) {
  k.SetSyscall(SYS_read, &Read);
  k.SetSyscall(SYS_write, &Write);
  k.SetSyscall(SYS_pread64, &Pread64);
  k.SetSyscall(SYS_pwrite64, &Pwrite64);
  k.SetSyscall(SYS_readv, &Readv);
  k.SetSyscall(SYS_writev, &Writev);
  k.SetSyscall(SYS_preadv, &Preadv);
  k.SetSyscall(SYS_pwritev, &Pwritev);
  k.SetSyscall(SYS_preadv2, &Preadv2);
  k.SetSyscall(SYS_pwritev2, &Pwritev2);
  k.SetSyscall(SYS_lseek, &Lseek);
  k.SetSyscall(SYS_open, &Open);
  k.SetSyscall(SYS_openat, &Openat);
  k.SetSyscall(SYS_openat2, &Openat2);
  k.SetSyscall(SYS_creat, &Creat);
  k.SetSyscall(SYS_close, &Close);
  k.SetSyscall(SYS_close_range, &CloseRange);
  k.SetSyscall(SYS_dup, &Dup);
  k.SetSyscall(SYS_dup2, &Dup2);
  k.SetSyscall(SYS_dup3, &Dup3);
  k.SetSyscall(SYS_fcntl, &Fcntl);
  k.SetSyscall(SYS_fstat, &Fstat);
  k.SetSyscall(SYS_stat, &Stat);
  k.SetSyscall(SYS_lstat, &Lstat);
  k.SetSyscall(SYS_newfstatat, &Newfstatat);
  k.SetSyscall(SYS_statx, &Statx);
  k.SetSyscall(SYS_getdents64, &Getdents64);
  k.SetSyscall(SYS_getdents, &Getdents);
  k.SetSyscall(SYS_access, &Access);
  k.SetSyscall(SYS_faccessat, &Faccessat);
  k.SetSyscall(SYS_faccessat2, &Faccessat2);
  k.SetSyscall(SYS_getcwd, &Getcwd);
  k.SetSyscall(SYS_chdir, &Chdir);
  k.SetSyscall(SYS_fchdir, &Fchdir);
  k.SetSyscall(SYS_readlink, &Readlink);
  k.SetSyscall(SYS_readlinkat, &Readlinkat);
  k.SetSyscall(SYS_mkdir, &Mkdir);
  k.SetSyscall(SYS_mkdirat, &Mkdirat);
  k.SetSyscall(SYS_rmdir, &Rmdir);
  k.SetSyscall(SYS_unlink, &Unlink);
  k.SetSyscall(SYS_unlinkat, &Unlinkat);
  k.SetSyscall(SYS_rename, &Rename);
  k.SetSyscall(SYS_renameat, &Renameat);
  k.SetSyscall(SYS_renameat2, &Renameat2);
  k.SetSyscall(SYS_link, &Link);
  k.SetSyscall(SYS_linkat, &Linkat);
  k.SetSyscall(SYS_symlink, &Symlink);
  k.SetSyscall(SYS_symlinkat, &Symlinkat);
  k.SetSyscall(SYS_chmod, &Chmod);
  k.SetSyscall(SYS_fchmod, &Fchmod);
  k.SetSyscall(SYS_fchmodat, &Fchmodat);
  k.SetSyscall(SYS_fchmodat2, &Fchmodat2);
  k.SetSyscall(SYS_chown, &Chown);
  k.SetSyscall(SYS_fchown, &Fchown);
  k.SetSyscall(SYS_fchownat, &Fchownat);
  k.SetSyscall(SYS_lchown, &Lchown);
  k.SetSyscall(SYS_truncate, &Truncate);
  k.SetSyscall(SYS_ftruncate, &Ftruncate);
  k.SetSyscall(SYS_fallocate, &Fallocate);
  k.SetSyscall(SYS_fsync, &Fsync);
  k.SetSyscall(SYS_fdatasync, &Fsync);
  k.SetSyscall(SYS_sync, &Sync);
  k.SetSyscall(SYS_syncfs, &Syncfs);
  k.SetSyscall(SYS_fadvise64, &Fadvise64);
  k.SetSyscall(SYS_flock, &Flock);
  k.SetSyscall(SYS_umask, &UmaskSys);
  k.SetSyscall(SYS_ioctl, &Ioctl);
  k.SetSyscall(SYS_statfs, &Statfs);
  k.SetSyscall(SYS_fstatfs, &Fstatfs);
  k.SetSyscall(SYS_pipe, &Pipe);
  k.SetSyscall(SYS_pipe2, &Pipe2);
  k.SetSyscall(SYS_copy_file_range, &CopyFileRange);
  k.SetSyscall(SYS_splice, &Splice);
  k.SetSyscall(SYS_tee, &Tee);
  k.SetSyscall(SYS_mount, &Mount);
  k.SetSyscall(SYS_umount2, &Umount2);
  k.SetSyscall(SYS_mknod, &Mknod);
  k.SetSyscall(SYS_mknodat, &Mknodat);
  k.SetSyscall(SYS_sendfile, &Sendfile);
  k.SetSyscall(SYS_utimensat, &Utimensat);
  k.SetSyscall(SYS_utimes, &Utimes);
  k.SetSyscall(SYS_futimesat, &Futimesat);
  k.SetSyscall(SYS_utime, &Utime);
}

}  // namespace stockade::sentry::syscalls
