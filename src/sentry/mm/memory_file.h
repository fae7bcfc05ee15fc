// MemoryFile: the one memfd that backs all application memory. The Sentry maps
// it whole (sparse) and reads/writes application memory through that mapping;
// address spaces map ranges of it at application addresses (platform.h).
//
// Ranges are handed out as refcounted Chunks; the last reference returns the
// range to the allocator and punches it out of the file, so memory that no
// address space maps costs nothing.
//
// Lock order: MemoryFile::mu_ is a leaf lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "base/result.h"
#include "base/unique_fd.h"

namespace stockade::sentry::mm {

class MemoryFile {
 public:
  static Result<std::unique_ptr<MemoryFile>> Create(uint64_t max_size);
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  int fd() const { return fd_.get(); }
  // The Sentry's view of offset 0.
  uint8_t* base() const { return base_; }
  uint64_t max_size() const { return max_size_; }

  // A page-aligned range of `len` bytes (rounded up), zero-filled.
  Result<uint64_t> Allocate(uint64_t len);
  // Returns a range to the allocator (and releases its memory).
  void Free(uint64_t off, uint64_t len);
  // Releases the memory of a range that stays allocated: it reads as zeros.
  void Decommit(uint64_t off, uint64_t len);
  // Copies [src, src+len) to [dst, dst+len), skipping holes so untouched
  // pages stay free.
  void CopySparse(uint64_t dst, uint64_t src, uint64_t len);

  uint64_t allocated() const;

 private:
  MemoryFile(UniqueFd fd, uint8_t* base, uint64_t max_size);

  UniqueFd fd_;
  uint8_t* base_;
  uint64_t max_size_;
  mutable std::mutex mu_;
  std::map<uint64_t, uint64_t> free_;  // offset -> length, coalesced
  uint64_t end_ = 0;                   // first offset never handed out
  uint64_t allocated_ = 0;
};

// A refcounted allocation. VMAs that share memory (MAP_SHARED, or private
// read-only pages after fork) hold the same Chunk.
class Chunk {
 public:
  Chunk(MemoryFile* mf, uint64_t off, uint64_t len) : mf_(mf), off_(off), len_(len) {}
  ~Chunk() { mf_->Free(off_, len_); }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  static Result<std::shared_ptr<Chunk>> New(MemoryFile* mf, uint64_t len);

  MemoryFile* file() const { return mf_; }
  uint64_t offset() const { return off_; }
  uint64_t length() const { return len_; }
  uint8_t* data() const { return mf_->base() + off_; }

 private:
  MemoryFile* mf_;
  uint64_t off_;
  uint64_t len_;
};

}  // namespace stockade::sentry::mm
