#include "gofer/protocol.h"

#include <cerrno>
#include <cstring>

namespace stockade::gofer {

Result<std::vector<std::string_view>> SplitWirePath(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.size() > kMaxPath) return Error(ENAMETOOLONG, "path too long");
  if (path.empty()) return out;
  size_t i = 0;
  while (true) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c.empty() || c == "." || c == "..") return Error(EINVAL, "bad path component");
    if (c.size() > kMaxName) return Error(ENAMETOOLONG, "name too long");
    if (c.find('\0') != std::string_view::npos) return Error(EINVAL, "NUL in path");
    out.push_back(c);
    if (j == path.size()) break;
    i = j + 1;
  }
  return out;
}

WireStat ToWire(const struct stat& st) {
  WireStat w{};
  w.dev = st.st_dev;
  w.ino = st.st_ino;
  w.nlink = st.st_nlink;
  w.size = static_cast<uint64_t>(st.st_size);
  w.blocks = static_cast<uint64_t>(st.st_blocks);
  w.rdev = st.st_rdev;
  w.mode = st.st_mode;
  w.uid = st.st_uid;
  w.gid = st.st_gid;
  w.blksize = static_cast<uint32_t>(st.st_blksize);
  w.atime_sec = st.st_atim.tv_sec;
  w.atime_nsec = st.st_atim.tv_nsec;
  w.mtime_sec = st.st_mtim.tv_sec;
  w.mtime_nsec = st.st_mtim.tv_nsec;
  w.ctime_sec = st.st_ctim.tv_sec;
  w.ctime_nsec = st.st_ctim.tv_nsec;
  return w;
}

struct stat FromWire(const WireStat& w) {
  struct stat st {};
  st.st_dev = w.dev;
  st.st_ino = w.ino;
  st.st_nlink = w.nlink;
  st.st_size = static_cast<off_t>(w.size);
  st.st_blocks = static_cast<blkcnt_t>(w.blocks);
  st.st_rdev = w.rdev;
  st.st_mode = w.mode;
  st.st_uid = w.uid;
  st.st_gid = w.gid;
  st.st_blksize = w.blksize;
  st.st_atim = {w.atime_sec, w.atime_nsec};
  st.st_mtim = {w.mtime_sec, w.mtime_nsec};
  st.st_ctim = {w.ctime_sec, w.ctime_nsec};
  return st;
}

WireStatFs ToWire(const struct statfs& s) {
  WireStatFs w{};
  w.type = s.f_type;
  w.bsize = s.f_bsize;
  w.blocks = static_cast<int64_t>(s.f_blocks);
  w.bfree = static_cast<int64_t>(s.f_bfree);
  w.bavail = static_cast<int64_t>(s.f_bavail);
  w.files = static_cast<int64_t>(s.f_files);
  w.ffree = static_cast<int64_t>(s.f_ffree);
  w.namelen = s.f_namelen;
  w.frsize = s.f_frsize;
  w.flags = s.f_flags;
  std::memcpy(w.fsid, &s.f_fsid, sizeof w.fsid);
  return w;
}

struct statfs FromWire(const WireStatFs& w) {
  struct statfs s {};
  s.f_type = w.type;
  s.f_bsize = w.bsize;
  s.f_blocks = static_cast<fsblkcnt_t>(w.blocks);
  s.f_bfree = static_cast<fsblkcnt_t>(w.bfree);
  s.f_bavail = static_cast<fsblkcnt_t>(w.bavail);
  s.f_files = static_cast<fsfilcnt_t>(w.files);
  s.f_ffree = static_cast<fsfilcnt_t>(w.ffree);
  s.f_namelen = w.namelen;
  s.f_frsize = w.frsize;
  s.f_flags = w.flags;
  std::memcpy(&s.f_fsid, w.fsid, sizeof w.fsid);
  return s;
}

std::string EncodeRequest(const Request& r) {
  RequestHeader h{};
  h.op = static_cast<uint32_t>(r.op);
  h.flags = r.flags;
  h.mode = r.mode;
  h.uid = r.uid;
  h.gid = r.gid;
  h.path_len = static_cast<uint32_t>(r.path.size());
  h.path2_len = static_cast<uint32_t>(r.path2.size());
  h.size = r.size;
  h.atime_sec = r.atime_sec;
  h.atime_nsec = r.atime_nsec;
  h.mtime_sec = r.mtime_sec;
  h.mtime_nsec = r.mtime_nsec;
  std::string out(reinterpret_cast<const char*>(&h), sizeof h);
  out += r.path;
  out += r.path2;
  return out;
}

Result<std::string_view> DecodeReply(std::string_view packet) {
  ReplyHeader h;
  if (packet.size() < sizeof h) return Error(EPROTO, "short gofer reply");
  std::memcpy(&h, packet.data(), sizeof h);
  if (h.len != packet.size() - sizeof h) return Error(EPROTO, "gofer reply length mismatch");
  if (h.err != 0) {
    if (h.err < 0 || h.err > 4095) return Error(EPROTO, "bad gofer errno");
    return Error(h.err, "");
  }
  return packet.substr(sizeof h);
}

}  // namespace stockade::gofer
