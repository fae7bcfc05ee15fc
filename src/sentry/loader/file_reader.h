// FileReader: the loader's only view of a file, so parsing stays independent of the VFS and of
// how (or whether) the file is mapped.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "base/result.h"

namespace stockade::sentry::loader {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // Reads up to `len` bytes at `off`, like pread(2): a short count means end of file (0 at or
  // past it), though callers also tolerate short reads elsewhere.
  virtual Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) = 0;
  virtual uint64_t Size() = 0;
};

// A file held in memory (tests, the fuzzer, and files the Sentry already has in a buffer).
// Does not own the bytes.
class BufferFileReader final : public FileReader {
 public:
  explicit BufferFileReader(std::string_view bytes) : bytes_(bytes) {}

  Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) override {
    if (off >= bytes_.size()) return size_t{0};
    size_t n = std::min<uint64_t>(len, bytes_.size() - off);
    std::memcpy(buf, bytes_.data() + off, n);
    return n;
  }
  uint64_t Size() override { return bytes_.size(); }

 private:
  std::string_view bytes_;
};

}  // namespace stockade::sentry::loader
