// SharedFilePages: what keeps a file's MAP_SHARED mappings and its read and
// write calls coherent, as the page cache does in Linux, until the VFS has a
// page cache of its own.
//
// Every shared file mapping's pages (a Chunk of the memory file) are
// registered under the file's (dev, ino). A new shared mapping of a range
// that a live chunk already holds reuses that chunk, so processes mapping the
// same file share its pages. write(2) to the file copies the bytes into every
// registered chunk that holds them, and read(2) (and new private mappings)
// see the mapped pages' bytes over the file's, since those may not have been
// written back yet. Shared pages reach the file on msync and munmap.
//
// Lock order: SharedFilePages::mu_ is a leaf.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "sentry/mm/mappable.h"
#include "sentry/mm/memory_file.h"

namespace stockade::sentry::mm {

class SharedFilePages {
 public:
  using Key = FileId;

  static SharedFilePages& Get();
  // Whether any file has shared mappings (a lock-free check for the common case).
  bool any() const { return files_.load() != 0; }
  // Whether this file has live shared mappings.
  bool Has(Key k);

  // A live chunk holding the file's bytes [off, off+len), and where in it.
  std::optional<std::pair<std::shared_ptr<Chunk>, uint64_t>> Find(Key k, uint64_t off, uint64_t len);
  // Registers `chunk` (from chunk_off) as holding the file's [file_off, file_off+len).
  void Add(Key k, const std::shared_ptr<Chunk>& chunk, uint64_t chunk_off, uint64_t file_off, uint64_t len);
  // The file's [off, off+n) was written with `buf`: mapped copies take it.
  void Written(Key k, uint64_t off, const void* buf, size_t n);
  // Lays the mapped pages' bytes over a read of the file's [off, off+n).
  void OverlayRead(Key k, uint64_t off, void* buf, size_t n);

 private:
  struct Range {
    std::weak_ptr<Chunk> chunk;
    uint64_t chunk_off, file_off, len;
  };
  // Calls fn(chunk, chunk_off, file_off, len) for each live range overlapping
  // [off, off+n), pruning dead ones. Under mu_.
  template <typename Fn>
  void ForOverlappingLocked(Key k, uint64_t off, uint64_t n, Fn&& fn);

  std::mutex mu_;
  std::atomic<size_t> files_{0};  // lets the common case (nothing mapped shared) skip the lock
  std::map<Key, std::vector<Range>> ranges_;
};

}  // namespace stockade::sentry::mm
