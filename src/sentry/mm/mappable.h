// Mappable: what a file must offer to be mmap'ed. Private mappings copy the
// file's bytes into the memory file when they are made; the Sentry never maps
// a host file into an application address space.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/result.h"

namespace stockade::sentry::mm {

// A file's identity, whatever open description reaches it: its device and
// inode. Keys the state kept per file rather than per description (shared
// mapped pages, file locks).
struct FileId {
  dev_t dev;
  ino_t ino;
  bool operator<(const FileId& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};

class Mappable {
 public:
  virtual ~Mappable() = default;
  virtual Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) = 0;
  virtual Result<size_t> WriteAt(uint64_t off, const void* buf, size_t len) = 0;
  virtual Result<uint64_t> Size() = 0;
  // For /proc/PID/maps.
  virtual std::string MapsName() const = 0;
  virtual dev_t MapsDev() const { return 0; }
  virtual ino_t MapsIno() const { return 0; }
  FileId Id() const { return {MapsDev(), MapsIno()}; }  // ino 0: no identity to key on
};

}  // namespace stockade::sentry::mm
