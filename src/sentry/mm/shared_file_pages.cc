#include "sentry/mm/shared_file_pages.h"

#include <algorithm>
#include <cstring>

namespace stockade::sentry::mm {

SharedFilePages& SharedFilePages::Get() {
  static SharedFilePages* pages = new SharedFilePages();  // lives as long as the Sentry
  return *pages;
}

template <typename Fn>
void SharedFilePages::ForOverlappingLocked(Key k, uint64_t off, uint64_t n, Fn&& fn) {
  auto it = ranges_.find(k);
  if (it == ranges_.end()) return;
  auto& v = it->second;
  for (auto r = v.begin(); r != v.end();) {
    auto chunk = r->chunk.lock();
    if (!chunk) {
      r = v.erase(r);
      continue;
    }
    if (r->file_off < off + n && off < r->file_off + r->len) fn(*chunk, r->chunk_off, r->file_off, r->len);
    ++r;
  }
  if (v.empty()) {
    ranges_.erase(it);
    files_--;
  }
}

bool SharedFilePages::Has(Key k) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = ranges_.find(k);
  if (it == ranges_.end()) return false;
  for (const Range& r : it->second) {
    if (!r.chunk.expired()) return true;
  }
  return false;
}

std::optional<std::pair<std::shared_ptr<Chunk>, uint64_t>> SharedFilePages::Find(Key k, uint64_t off, uint64_t len) {
  if (files_.load() == 0) return std::nullopt;
  std::lock_guard<std::mutex> l(mu_);
  auto it = ranges_.find(k);
  if (it == ranges_.end()) return std::nullopt;
  for (const Range& r : it->second) {
    if (r.file_off > off || off + len > r.file_off + r.len) continue;
    if (auto chunk = r.chunk.lock()) return std::make_pair(chunk, r.chunk_off + (off - r.file_off));
  }
  return std::nullopt;
}

void SharedFilePages::Add(Key k, const std::shared_ptr<Chunk>& chunk, uint64_t chunk_off, uint64_t file_off,
                          uint64_t len) {
  std::lock_guard<std::mutex> l(mu_);
  auto [it, inserted] = ranges_.try_emplace(k);
  if (inserted) files_++;
  it->second.push_back({chunk, chunk_off, file_off, len});
}

void SharedFilePages::Written(Key k, uint64_t off, const void* buf, size_t n) {
  if (files_.load() == 0 || n == 0) return;
  std::lock_guard<std::mutex> l(mu_);
  ForOverlappingLocked(k, off, n, [&](Chunk& c, uint64_t chunk_off, uint64_t file_off, uint64_t len) {
    uint64_t from = std::max(off, file_off), to = std::min(off + n, file_off + len);
    memmove(c.data() + chunk_off + (from - file_off), static_cast<const char*>(buf) + (from - off), to - from);
  });
}

void SharedFilePages::OverlayRead(Key k, uint64_t off, void* buf, size_t n) {
  if (files_.load() == 0 || n == 0) return;
  std::lock_guard<std::mutex> l(mu_);
  ForOverlappingLocked(k, off, n, [&](Chunk& c, uint64_t chunk_off, uint64_t file_off, uint64_t len) {
    uint64_t from = std::max(off, file_off), to = std::min(off + n, file_off + len);
    memmove(static_cast<char*>(buf) + (from - off), c.data() + chunk_off + (from - file_off), to - from);
  });
}

}  // namespace stockade::sentry::mm
