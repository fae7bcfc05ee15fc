#include "sentry/mm/memory_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "platform/platform.h"

namespace stockade::sentry::mm {
namespace {
constexpr uint64_t kPage = platform::kPageSize;
uint64_t RoundUp(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }
}  // namespace

Result<std::unique_ptr<MemoryFile>> MemoryFile::Create(uint64_t max_size) {
  UniqueFd fd(memfd_create("stockade-memory", MFD_CLOEXEC));
  if (!fd) return Error::FromErrno("memfd_create for the memory file");
  // The file is sized to its maximum at once: it is sparse, and address
  // spaces may then map any range without the file ever growing under them.
  if (ftruncate(fd.get(), static_cast<off_t>(max_size)) < 0) {
    return Error::FromErrno("sizing the memory file");
  }
  void* base = mmap(nullptr, max_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd.get(), 0);
  if (base == MAP_FAILED) return Error::FromErrno("mapping the memory file");
  return std::unique_ptr<MemoryFile>(new MemoryFile(std::move(fd), static_cast<uint8_t*>(base), max_size));
}

MemoryFile::MemoryFile(UniqueFd fd, uint8_t* base, uint64_t max_size)
    : fd_(std::move(fd)), base_(base), max_size_(max_size) {}

MemoryFile::~MemoryFile() { munmap(base_, max_size_); }

Result<uint64_t> MemoryFile::Allocate(uint64_t len) {
  len = RoundUp(len);
  if (len == 0) return Error(EINVAL, "empty allocation");
  std::lock_guard<std::mutex> l(mu_);
  // First fit keeps low offsets in use and the file's used span compact.
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < len) continue;
    uint64_t off = it->first;
    uint64_t rest = it->second - len;
    free_.erase(it);
    if (rest) free_.emplace(off + len, rest);
    allocated_ += len;
    return off;
  }
  if (len > max_size_ || end_ > max_size_ - len) return Error(ENOMEM, "memory file exhausted");
  uint64_t off = end_;
  end_ += len;
  allocated_ += len;
  return off;
}

void MemoryFile::Decommit(uint64_t off, uint64_t len) {
  // Punching a hole frees the pages now; a later access reads zeros.
  fallocate(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
            static_cast<off_t>(len));
}

void MemoryFile::Free(uint64_t off, uint64_t len) {
  len = RoundUp(len);
  Decommit(off, len);
  std::lock_guard<std::mutex> l(mu_);
  allocated_ -= len;
  auto next = free_.lower_bound(off);
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == off) {
      off = prev->first;
      len += prev->second;
      free_.erase(prev);
    }
  }
  if (next != free_.end() && off + len == next->first) {
    len += next->second;
    free_.erase(next);
  }
  if (off + len == end_) {
    end_ = off;
  } else {
    free_.emplace(off, len);
  }
}

void MemoryFile::CopySparse(uint64_t dst, uint64_t src, uint64_t len) {
  uint64_t pos = src;
  const uint64_t end = src + len;
  while (pos < end) {
    off_t data = lseek(fd_.get(), static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0 || static_cast<uint64_t>(data) >= end) break;
    off_t hole = lseek(fd_.get(), data, SEEK_HOLE);
    uint64_t stop = hole < 0 ? end : std::min<uint64_t>(end, static_cast<uint64_t>(hole));
    memcpy(base_ + dst + (data - src), base_ + data, stop - static_cast<uint64_t>(data));
    pos = stop;
  }
}

uint64_t MemoryFile::allocated() const {
  std::lock_guard<std::mutex> l(mu_);
  return allocated_;
}

Result<std::shared_ptr<Chunk>> Chunk::New(MemoryFile* mf, uint64_t len) {
  ASSIGN_OR_RETURN(uint64_t off, mf->Allocate(len));
  return std::make_shared<Chunk>(mf, off, RoundUp(len));
}

}  // namespace stockade::sentry::mm
