// The gofer protocol: how the Sentry asks `stockade gofer` for file-system
// work on the rootfs and the bind mounts it serves.
//
// Transport: one SOCK_SEQPACKET socketpair per served mount. Each message is
// one packet; a request gets exactly one reply. A reply to Open may carry one
// host FD (SCM_RIGHTS), the "donated" FD through which the Sentry does the I/O
// of a regular file itself.
//
// Paths are relative to the served root: components joined by '/', "" for the
// root itself, never "." or "..", never empty components, never a leading
// '/'. The gofer never follows a symlink: a walk stops at one and returns its
// target, and the Sentry resolves it (in its own mount tree). Everything in a
// request is validated by the gofer (the Sentry may be hostile); the gofer's
// replies are validated by the Sentry too.
#pragma once

#include <sys/stat.h>
#include <sys/statfs.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stockade::gofer {

inline constexpr size_t kMaxMessage = 64 * 1024;  // either direction
inline constexpr size_t kMaxName = 255;           // NAME_MAX
inline constexpr size_t kMaxPath = 4096;          // PATH_MAX

enum class Op : uint32_t {
  kWalk = 1,   // path -> WalkReply
  kOpen,       // path, flags, mode, uid, gid -> StatReply (+ FD for non-directories)
  kMkdir,      // path, mode, uid, gid
  kMknod,      // path, mode (S_IFIFO, S_IFSOCK or S_IFREG only), uid, gid
  kSymlink,    // path, path2 = target (data, never resolved), uid, gid
  kLink,       // path = existing, path2 = new
  kUnlink,     // path, flags (AT_REMOVEDIR)
  kRename,     // path, path2, flags (RENAME_NOREPLACE | RENAME_EXCHANGE)
  kSetAttr,    // path, flags = kSet* mask, mode, uid, gid, size, times
  kStatFs,     // -> StatFsReply
  kReadDir,    // path, size = cookie -> ReadDirReply
  // Extended attributes of regular files and directories, user.* only (the
  // gofer touches no other namespace of a host file):
  kGetXattr,     // path, path2 = name -> the value's bytes
  kListXattr,    // path -> the names, each ending in a NUL, as listxattr(2)
  kSetXattr,     // path, path2 = name then value, size = the name's length, flags = XATTR_CREATE | XATTR_REPLACE
  kRemoveXattr,  // path, path2 = name
};
inline constexpr char kXattrUserPrefix[] = "user.";

// SetAttr mask bits.
inline constexpr uint32_t kSetMode = 1, kSetUid = 2, kSetGid = 4, kSetSize = 8, kSetAtime = 16, kSetMtime = 32;
// Time values meaning "now" and "leave alone", as utimensat's.
inline constexpr int64_t kTimeNow = (1L << 30) - 1, kTimeOmit = (1L << 30) - 2;

// A request on the wire: the fixed header, then path bytes, then path2 bytes.
struct RequestHeader {
  uint32_t op;
  uint32_t flags;
  uint32_t mode;
  uint32_t uid;
  uint32_t gid;
  uint32_t path_len;
  uint32_t path2_len;
  uint32_t reserved;  // must be zero
  uint64_t size;      // SetAttr size; ReadDir cookie
  int64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

// A reply on the wire: the header, then `len` bytes of the op's payload.
struct ReplyHeader {
  int32_t err;  // 0 or a positive errno
  uint32_t len;
};

// struct stat, in fixed-width fields.
struct WireStat {
  uint64_t dev, ino, nlink, size, blocks, rdev;
  uint32_t mode, uid, gid, blksize;
  int64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

// Walk's reply. `walked` counts the leading components that exist and are
// not symlinks. `stop` says why the walk ended:
//   0        every component walked; st is the last one's (the root's for "");
//   ENOENT   component[walked] does not exist; st is its parent directory's;
//   ELOOP    component[walked] is a symlink; st is the link's, target its target;
//   ENOTDIR  component[walked-1] is not a directory yet more follow; st is its.
struct WalkReply {
  uint32_t walked;
  int32_t stop;
  WireStat st;
  // followed by the symlink target's bytes (ELOOP only)
};

struct WireStatFs {
  int64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
  int32_t fsid[2];
};

// ReadDir's reply: entries, each a WireDirent then its name's bytes, as many
// as fit; none means the end of the directory. `off` is the cookie of the
// entry after this one.
struct WireDirent {
  uint64_t ino;
  uint64_t off;
  uint8_t type;  // DT_*
  uint8_t reserved;
  uint16_t name_len;
};

WireStat ToWire(const struct stat& st);
struct stat FromWire(const WireStat& w);
WireStatFs ToWire(const struct statfs& s);
struct statfs FromWire(const WireStatFs& w);

// A request as the client builds it.
struct Request {
  Op op = Op::kWalk;
  uint32_t flags = 0, mode = 0, uid = 0, gid = 0;
  uint64_t size = 0;
  int64_t atime_sec = 0, atime_nsec = 0, mtime_sec = 0, mtime_nsec = 0;
  std::string path, path2;
};
std::string EncodeRequest(const Request& r);

// A reply packet's payload, or its error (EPROTO for a malformed packet).
Result<std::string_view> DecodeReply(std::string_view packet);

// The components of a protocol path, or EINVAL if it breaks the rules above
// (ENAMETOOLONG for an over-long name or path).
Result<std::vector<std::string_view>> SplitWirePath(std::string_view path);

}  // namespace stockade::gofer
