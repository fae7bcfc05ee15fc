#include "sentry/mm/mm.h"

#include <signal.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "sentry/mm/shared_file_pages.h"

namespace stockade::sentry::mm {

using platform::kMaxUserAddress;
using platform::kMinUserAddress;

MemoryManager::MemoryManager(MemoryFile* mf, std::unique_ptr<platform::AddressSpace> as)
    : mf_(mf), as_(std::move(as)) {}

MemoryManager::~MemoryManager() {
  // Shared file mappings are written back as the last reference goes away,
  // as munmap would have done.
  std::unique_lock<std::shared_mutex> l(mu_);
  if (!vmas_.empty()) (void)UnmapLocked(vmas_.begin()->second.start, vmas_.rbegin()->second.end - vmas_.begin()->second.start);
}

void MemoryManager::SetMmapBase(uint64_t base) {
  std::unique_lock<std::shared_mutex> l(mu_);
  mmap_base_ = PageRoundDown(std::min(base, kMaxUserAddress));
}

bool MemoryManager::RangeFreeLocked(uint64_t addr, uint64_t length) const {
  if (addr < kMinUserAddress || addr > kMaxUserAddress || length > kMaxUserAddress - addr) return false;
  auto it = vmas_.upper_bound(addr);
  if (it != vmas_.begin() && std::prev(it)->second.end > addr) return false;
  return it == vmas_.end() || it->first >= addr + length;
}

Result<uint64_t> MemoryManager::FindGapLocked(uint64_t hint, uint64_t length) const {
  if (length > kMaxUserAddress - kMinUserAddress) return Error(ENOMEM, "mapping too large");
  if (hint && (hint & (kPageSize - 1)) == 0 && RangeFreeLocked(hint, length)) return hint;
  // Top-down from mmap_base_, as Linux's default layout: walk the gaps
  // between VMAs from the highest one downwards.
  uint64_t top = mmap_base_;
  auto it = vmas_.lower_bound(top);
  while (true) {
    uint64_t gap_end = top;
    uint64_t gap_start = kMinUserAddress;
    auto prev = it;
    if (it != vmas_.begin()) {
      prev = std::prev(it);
      gap_start = std::max<uint64_t>(prev->second.end, kMinUserAddress);
      if (prev->second.end > top) {  // a VMA straddles top
        top = prev->second.start;
        it = prev;
        continue;
      }
    }
    if (gap_end >= gap_start && gap_end - gap_start >= length) return gap_end - length;
    if (it == vmas_.begin()) break;
    it = prev;
    top = prev->second.start;
  }
  return Error(ENOMEM, "no free address range");
}

MemoryManager::VmaMap::const_iterator MemoryManager::FirstVmaEndingAfterLocked(uint64_t addr) const {
  auto it = vmas_.upper_bound(addr);
  if (it != vmas_.begin() && std::prev(it)->second.end > addr) --it;
  return it;
}

bool MemoryManager::FullyMappedLocked(uint64_t addr, uint64_t length) const {
  uint64_t pos = addr;
  while (pos < addr + length) {
    auto i = vmas_.upper_bound(pos);
    if (i == vmas_.begin() || std::prev(i)->second.end <= pos) return false;
    pos = std::prev(i)->second.end;
  }
  return true;
}

void MemoryManager::SplitAtLocked(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return;
  --it;
  Vma& v = it->second;
  if (v.start >= addr || v.end <= addr) return;
  Vma right = v;
  uint64_t delta = addr - v.start;
  right.start = addr;
  right.chunk_off += delta;
  right.file_off += delta;
  right.mapped_end = std::max(v.mapped_end, addr);
  v.end = addr;
  v.mapped_end = std::min(v.mapped_end, addr);
  vmas_.emplace(addr, std::move(right));
}

Status MemoryManager::MapVmaIntoAsLocked(const Vma& v) {
  if (v.mapped_end <= v.start) return Ok();
  return as_->MapFile(v.start, v.chunk->offset() + v.chunk_off, v.mapped_end - v.start, v.prot);
}

Status MemoryManager::InsertVmaLocked(Vma v) {
  TRY(MapVmaIntoAsLocked(v));
  uint64_t start = v.start;
  vmas_.emplace(start, std::move(v));
  return Ok();
}

Status MemoryManager::LoadFilePages(Vma& v) {
  uint64_t length = v.end - v.start;
  FileId key = v.file->Id();
  bool keyed = key.ino != 0;
  ASSIGN_OR_RETURN(uint64_t size, v.file->Size());
  uint64_t avail = size > v.file_off ? size - v.file_off : 0;
  uint64_t to_read = std::min<uint64_t>(avail, length);
  v.mapped_end = v.start + PageRoundUp(to_read);
  if (v.shared && keyed) {
    if (auto held = SharedFilePages::Get().Find(key, v.file_off, length)) {
      v.chunk = held->first;
      v.chunk_off = held->second;
      return Ok();
    }
  }
  ASSIGN_OR_RETURN(v.chunk, Chunk::New(mf_, length));
  v.chunk_off = 0;
  uint64_t done = 0;
  while (done < to_read) {
    ASSIGN_OR_RETURN(size_t n, v.file->ReadAt(v.file_off + done, v.chunk->data() + done, to_read - done));
    if (n == 0) break;
    done += n;
  }
  if (keyed) {
    // Shared pages not yet written back are newer than the file.
    SharedFilePages::Get().OverlayRead(key, v.file_off, v.chunk->data(), done);
    if (v.shared) SharedFilePages::Get().Add(key, v.chunk, 0, v.file_off, length);
  }
  return Ok();
}

namespace {
// Writes a shared writable file mapping's pages back to its file.
void WriteBack(const Vma& v) {
  if (!v.shared || !v.file || !(v.prot & PROT_WRITE) || v.mapped_end <= v.start) return;
  auto size = v.file->Size();
  if (!size.ok() || *size <= v.file_off) return;
  uint64_t n = std::min<uint64_t>(v.mapped_end - v.start, *size - v.file_off);
  (void)v.file->WriteAt(v.file_off, v.chunk->data() + v.chunk_off, n);
}
}  // namespace

Status MemoryManager::UnmapLocked(uint64_t addr, uint64_t length) {
  SplitAtLocked(addr);
  SplitAtLocked(addr + length);
  bool any = false;
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < addr + length;) {
    Vma& v = it->second;
    WriteBack(v);
    // Memory nobody else maps can be released now rather than when the
    // whole chunk goes.
    if (v.chunk && v.chunk.use_count() == 1) {
      v.chunk->file()->Decommit(v.chunk->offset() + v.chunk_off, v.end - v.start);
    }
    it = vmas_.erase(it);
    any = true;
  }
  if (!any) return Ok();
  return as_->Unmap(addr, length);
}

Result<uint64_t> MemoryManager::Map(const MapRequest& req) {
  if (req.length == 0) return Error(EINVAL, "zero length");
  uint64_t length = PageRoundUp(req.length);
  if (length < req.length || length > kMaxUserAddress) return Error(ENOMEM, "length too large");
  if (req.offset & (kPageSize - 1)) return Error(EINVAL, "unaligned offset");
  if (req.file && req.offset + length < req.offset) return Error(EOVERFLOW, "offset overflow");

  std::unique_lock<std::shared_mutex> l(mu_);
  uint64_t addr;
  if (req.fixed || req.fixed_noreplace) {
    addr = req.addr;
    if (addr & (kPageSize - 1)) return Error(EINVAL, "unaligned address");
    if (addr < kMinUserAddress || addr > kMaxUserAddress || length > kMaxUserAddress - addr) {
      return Error(req.fixed_noreplace ? EEXIST : ENOMEM, "address out of range");
    }
    if (req.fixed_noreplace && !RangeFreeLocked(addr, length)) return Error(EEXIST, "range in use");
  } else {
    ASSIGN_OR_RETURN(addr, FindGapLocked(PageRoundDown(req.addr), length));
  }
  if (as_limit_ && VirtualSizeLocked() + length > as_limit_) return Error(ENOMEM, "RLIMIT_AS");

  Vma v;
  v.start = addr;
  v.end = addr + length;
  v.mapped_end = v.end;
  v.prot = req.prot;
  v.max_prot = req.max_prot;
  v.shared = req.shared;
  v.growsdown = req.growsdown;
  v.name = req.name;
  if (req.file) {
    v.file = req.file;
    v.file_off = req.offset;
    if (v.name.empty()) v.name = req.file->MapsName();
    TRY(LoadFilePages(v));
  } else {
    ASSIGN_OR_RETURN(v.chunk, Chunk::New(mf_, length));
  }
  if (req.fixed) TRY(UnmapLocked(addr, length));
  TRY(InsertVmaLocked(std::move(v)));
  return addr;
}

Status MemoryManager::Unmap(uint64_t addr, uint64_t length) {
  if ((addr & (kPageSize - 1)) || length == 0) return Error(EINVAL, "bad munmap range");
  length = PageRoundUp(length);
  if (addr > kMaxUserAddress || length > kMaxUserAddress - addr) {
    // Linux accepts ranges anywhere below TASK_SIZE; ours ends lower, and
    // nothing of the application's can be mapped above it.
    if (addr >= 0x800000000000ull || length > 0x800000000000ull - addr) return Error(EINVAL, "range beyond user space");
    length = addr < kMaxUserAddress ? kMaxUserAddress - addr : 0;
    if (length == 0) return Ok();
  }
  std::unique_lock<std::shared_mutex> l(mu_);
  return UnmapLocked(addr, length);
}

Status MemoryManager::MakePrivateLocked(Vma& v) {
  if (v.shared || !v.chunk || v.chunk.use_count() == 1) return Ok();
  ASSIGN_OR_RETURN(auto fresh, Chunk::New(mf_, v.end - v.start));
  mf_->CopySparse(fresh->offset(), v.chunk->offset() + v.chunk_off, v.end - v.start);
  v.chunk = std::move(fresh);
  v.chunk_off = 0;
  return Ok();
}

Status MemoryManager::Protect(uint64_t addr, uint64_t length, int prot) {
  if (addr & (kPageSize - 1)) return Error(EINVAL, "unaligned address");
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP)) return Error(EINVAL, "bad prot");
  if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP)) return Error(EINVAL, "bad prot");
  prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
  if (length == 0) return Ok();
  length = PageRoundUp(length);
  if (length == 0 || addr + length < addr) return Error(ENOMEM, "range overflows");
  std::unique_lock<std::shared_mutex> l(mu_);
  // Linux fails with ENOMEM, changing nothing, when part of the range is unmapped.
  if (!FullyMappedLocked(addr, length)) return Error(ENOMEM, "range not mapped");
  for (auto it = FirstVmaEndingAfterLocked(addr); it != vmas_.end() && it->first < addr + length; ++it) {
    if (prot & ~it->second.max_prot) return Error(EACCES, "protection not allowed for this mapping");
  }
  SplitAtLocked(addr);
  SplitAtLocked(addr + length);
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < addr + length; ++it) {
    Vma& v = it->second;
    auto old_chunk = v.chunk;
    if (prot & PROT_WRITE) TRY(MakePrivateLocked(v));
    v.prot = prot;
    if (v.chunk != old_chunk) {
      TRY(MapVmaIntoAsLocked(v));
    } else if (v.mapped_end > v.start) {
      TRY(as_->Protect(v.start, v.mapped_end - v.start, prot));
    }
  }
  return Ok();
}

Result<uint64_t> MemoryManager::Remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
                                      uint64_t new_addr) {
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return Error(EINVAL, "bad flags");
  if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) return Error(EINVAL, "FIXED without MAYMOVE");
  if (flags & MREMAP_DONTUNMAP) return Error(EINVAL, "MREMAP_DONTUNMAP is not supported");
  if (old_addr & (kPageSize - 1)) return Error(EINVAL, "unaligned address");
  old_len = PageRoundUp(old_len);
  uint64_t req_new = new_len;
  new_len = PageRoundUp(new_len);
  if (new_len == 0 || new_len < req_new) return Error(EINVAL, "bad new length");
  std::unique_lock<std::shared_mutex> l(mu_);
  auto it = vmas_.upper_bound(old_addr);
  if (it == vmas_.begin() || std::prev(it)->second.end <= old_addr) return Error(EFAULT, "old range not mapped");
  Vma src = std::prev(it)->second;
  if (old_len == 0) {
    // Duplicating a mapping: only defined for shared ones.
    if (!src.shared || !(flags & MREMAP_MAYMOVE)) return Error(EINVAL, "zero old length");
  } else if (old_addr + old_len < old_addr || !FullyMappedLocked(old_addr, old_len)) {
    // VMAs that Linux would have merged are separate here (growth in place
    // adds one), so a range over contiguous VMAs counts as one mapping.
    return Error(EFAULT, "old range not mapped");
  } else {
    src = std::prev(vmas_.upper_bound(old_addr + old_len - 1))->second;
  }
  if (flags & MREMAP_FIXED) {
    if (new_addr & (kPageSize - 1)) return Error(EINVAL, "unaligned new address");
    if (new_addr < kMinUserAddress || new_addr > kMaxUserAddress || new_len > kMaxUserAddress - new_addr) {
      return Error(EINVAL, "new address out of range");
    }
    if (new_addr < old_addr + old_len && old_addr < new_addr + new_len) return Error(EINVAL, "ranges overlap");
  }
  // Shrinking in place.
  if (!(flags & MREMAP_FIXED) && old_len && new_len <= old_len) {
    if (new_len < old_len) TRY(UnmapLocked(old_addr + new_len, old_len - new_len));
    return old_addr;
  }
  // Growing in place (src is now the VMA holding the range's last page).
  if (!(flags & MREMAP_FIXED) && old_len && old_addr + old_len == src.end &&
      RangeFreeLocked(src.end, new_len - old_len) &&
      (!as_limit_ || VirtualSizeLocked() + new_len - old_len <= as_limit_)) {
    Vma ext = src;
    uint64_t grow = new_len - old_len;
    ext.start = src.end;
    ext.end = src.end + grow;
    ext.file_off = src.file_off + (src.end - src.start);
    ext.chunk_off = 0;
    ext.mapped_end = ext.end;
    if (ext.file) {
      TRY(LoadFilePages(ext));
      if (src.mapped_end < src.end) ext.mapped_end = ext.start;
    } else {
      ASSIGN_OR_RETURN(ext.chunk, Chunk::New(mf_, grow));
    }
    TRY(InsertVmaLocked(std::move(ext)));
    return old_addr;
  }
  if (!(flags & MREMAP_MAYMOVE)) return Error(ENOMEM, "cannot grow in place");
  uint64_t dest;
  if (flags & MREMAP_FIXED) {
    TRY(UnmapLocked(new_addr, new_len));
    dest = new_addr;
  } else {
    ASSIGN_OR_RETURN(dest, FindGapLocked(0, new_len));
  }
  // Move: the pages keep their backing; only their address changes.
  uint64_t move_len = old_len ? std::min(old_len, new_len) : new_len;
  std::vector<Vma> moved;
  if (old_len) {
    SplitAtLocked(old_addr);
    SplitAtLocked(old_addr + old_len);
    for (auto i = vmas_.lower_bound(old_addr); i != vmas_.end() && i->first < old_addr + old_len;) {
      Vma v = i->second;
      i = vmas_.erase(i);
      if (v.start >= old_addr + move_len) {
        if (v.chunk.use_count() == 1) mf_->Decommit(v.chunk->offset() + v.chunk_off, v.end - v.start);
        continue;
      }
      if (v.end > old_addr + move_len) v.end = old_addr + move_len, v.mapped_end = std::min(v.mapped_end, v.end);
      uint64_t shift_from = v.start;
      v.start = dest + (shift_from - old_addr);
      v.end = dest + (v.end - old_addr);
      v.mapped_end = dest + (v.mapped_end - old_addr);
      moved.push_back(std::move(v));
    }
    TRY(as_->Unmap(old_addr, old_len));
  } else {
    Vma v = src;
    uint64_t d = old_addr - src.start;
    v.start = dest;
    v.end = dest + new_len;
    v.chunk_off += d;
    v.file_off += d;
    if (v.chunk_off + new_len > v.chunk->length()) return Error(EINVAL, "duplicate beyond mapping");
    v.mapped_end = v.end;
    moved.push_back(std::move(v));
  }
  uint64_t moved_end = dest;
  for (auto& v : moved) {
    moved_end = std::max(moved_end, v.end);
    TRY(InsertVmaLocked(std::move(v)));
  }
  if (moved_end < dest + new_len) {
    Vma ext = src;
    uint64_t grow = dest + new_len - moved_end;
    ext.start = moved_end;
    ext.end = dest + new_len;
    ext.mapped_end = ext.end;
    ext.chunk_off = 0;
    ext.file_off = src.file_off + (old_addr - src.start) + move_len;
    ASSIGN_OR_RETURN(ext.chunk, Chunk::New(mf_, grow));
    if (ext.file) {
      ASSIGN_OR_RETURN(uint64_t size, ext.file->Size());
      uint64_t avail = size > ext.file_off ? size - ext.file_off : 0;
      uint64_t to_read = std::min<uint64_t>(avail, grow);
      ext.mapped_end = ext.start + PageRoundUp(to_read);
      if (to_read) (void)ext.file->ReadAt(ext.file_off, ext.chunk->data(), to_read);
    }
    TRY(InsertVmaLocked(std::move(ext)));
  }
  return dest;
}

Status MemoryManager::Advise(uint64_t addr, uint64_t length, int advice) {
  if (addr & (kPageSize - 1)) return Error(EINVAL, "unaligned address");
  switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK: case MADV_DOFORK:
    case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
    case MADV_COLD: case MADV_PAGEOUT: case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
      break;
    default:
      return Error(EINVAL, "unknown advice");
  }
  length = PageRoundUp(length);
  if (addr + length < addr) return Error(EINVAL, "range overflows");
  if (length == 0) return Ok();
  std::unique_lock<std::shared_mutex> l(mu_);
  // Linux applies the advice to the mapped parts and then reports ENOMEM if
  // there was a hole.
  bool hole = !FullyMappedLocked(addr, length);
  if (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE) {
    SplitAtLocked(addr);
    SplitAtLocked(addr + length);
    for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < addr + length; ++it) {
      Vma& v = it->second;
      if (v.shared) {
        // Shared pages keep their contents (MADV_REMOVE would punch the
        // file; shared anonymous memory is the only kind we back here).
        if (advice == MADV_REMOVE && !v.file) mf_->Decommit(v.chunk->offset() + v.chunk_off, v.end - v.start);
        continue;
      }
      if (advice == MADV_REMOVE) return Error(EINVAL, "MADV_REMOVE on a private mapping");
      // Private pages go back to their original contents: zeros, or the file.
      if (v.chunk.use_count() == 1) {
        mf_->Decommit(v.chunk->offset() + v.chunk_off, v.end - v.start);
      } else {
        ASSIGN_OR_RETURN(v.chunk, Chunk::New(mf_, v.end - v.start));
        v.chunk_off = 0;
        TRY(MapVmaIntoAsLocked(v));
      }
      if (v.file && v.mapped_end > v.start) {
        (void)v.file->ReadAt(v.file_off, v.chunk->data() + v.chunk_off, v.mapped_end - v.start);
      }
    }
  }
  if (hole) return Error(ENOMEM, "range not fully mapped");
  return Ok();
}

Status MemoryManager::Sync(uint64_t addr, uint64_t length, int flags) {
  if (addr & (kPageSize - 1)) return Error(EINVAL, "unaligned address");
  if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) return Error(EINVAL, "bad flags");
  if ((flags & MS_ASYNC) && (flags & MS_SYNC)) return Error(EINVAL, "bad flags");
  length = PageRoundUp(length);
  std::shared_lock<std::shared_mutex> l(mu_);
  bool hole = !FullyMappedLocked(addr, length);
  for (auto it = FirstVmaEndingAfterLocked(addr); it != vmas_.end() && it->first < addr + length; ++it) {
    WriteBack(it->second);
  }
  if (hole) return Error(ENOMEM, "range not fully mapped");
  return Ok();
}

void MemoryManager::SetBrkStart(uint64_t start) {
  std::unique_lock<std::shared_mutex> l(mu_);
  brk_start_ = brk_ = start;
}

uint64_t MemoryManager::Brk(uint64_t addr) {
  std::unique_lock<std::shared_mutex> l(mu_);
  if (addr < brk_start_) return brk_;
  uint64_t old_top = PageRoundUp(brk_);
  uint64_t new_top = PageRoundUp(addr);
  if (new_top > old_top) {
    if (!RangeFreeLocked(old_top, new_top - old_top)) return brk_;
    if (as_limit_ && VirtualSizeLocked() + new_top - old_top > as_limit_) return brk_;
    Vma v;
    v.start = old_top;
    v.end = v.mapped_end = new_top;
    v.prot = PROT_READ | PROT_WRITE;
    v.name = "[heap]";
    auto chunk = Chunk::New(mf_, new_top - old_top);
    if (!chunk.ok()) return brk_;
    v.chunk = std::move(chunk).value();
    if (!InsertVmaLocked(std::move(v)).ok()) return brk_;
  } else if (new_top < old_top) {
    if (!UnmapLocked(new_top, old_top - new_top).ok()) return brk_;
  }
  brk_ = addr;
  return brk_;
}

Result<std::shared_ptr<MemoryManager>> MemoryManager::Fork(std::unique_ptr<platform::AddressSpace> as) {
  auto child = std::make_shared<MemoryManager>(mf_, std::move(as));
  // No patch is half done in the copy; the child has the parent's table.
  std::lock_guard<std::mutex> pl(syscall_patch_.mu);
  child->syscall_patch_.table = syscall_patch_.table;
  child->syscall_patch_.disabled = syscall_patch_.disabled;
  std::shared_lock<std::shared_mutex> l(mu_);
  std::unique_lock<std::shared_mutex> cl(child->mu_);
  child->brk_start_ = brk_start_;
  child->brk_ = brk_;
  child->mmap_base_ = mmap_base_;
  child->as_limit_ = as_limit_;
  child->image_ = image_;
  child->exe_hold_ = exe_hold_;
  for (const auto& [start, v] : vmas_) {
    Vma c = v;
    if (!v.shared && (v.prot & PROT_WRITE)) {
      ASSIGN_OR_RETURN(c.chunk, Chunk::New(mf_, v.end - v.start));
      c.chunk_off = 0;
      mf_->CopySparse(c.chunk->offset(), v.chunk->offset() + v.chunk_off, v.end - v.start);
    }
    TRY(child->InsertVmaLocked(std::move(c)));
  }
  return child;
}

template <typename Fn>
size_t MemoryManager::ForEachRangeLocked(uint64_t addr, size_t len, int need_prot, Fn&& fn) const {
  size_t done = 0;
  if (addr + len < addr) len = ~addr;  // stop at the top of the address space
  while (done < len) {
    uint64_t a = addr + done;
    auto it = vmas_.upper_bound(a);
    if (it == vmas_.begin()) break;
    const Vma& v = std::prev(it)->second;
    if (v.mapped_end <= a || (v.prot & need_prot) != need_prot) break;
    size_t n = std::min<uint64_t>(len - done, v.mapped_end - a);
    fn(v.chunk->data() + v.chunk_off + (a - v.start), done, n);
    done += n;
  }
  return done;
}

size_t MemoryManager::CopyInPartial(uint64_t addr, void* dst, size_t len) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto* out = static_cast<uint8_t*>(dst);
  return ForEachRangeLocked(addr, len, PROT_READ, [&](uint8_t* p, size_t at, size_t n) { memcpy(out + at, p, n); });
}

size_t MemoryManager::CopyOutPartial(uint64_t addr, const void* src, size_t len) {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto* in = static_cast<const uint8_t*>(src);
  return ForEachRangeLocked(addr, len, PROT_WRITE, [&](uint8_t* p, size_t at, size_t n) { memcpy(p, in + at, n); });
}

ssize_t MemoryManager::HostIo(const std::vector<std::pair<uint64_t, size_t>>& ranges, int need_prot,
                              const std::function<ssize_t(const struct iovec*, int)>& io) {
  constexpr size_t kMaxPieces = 1024;  // IOV_MAX
  std::shared_lock<std::shared_mutex> l(mu_);
  std::vector<struct iovec> iov;
  for (const auto& [addr, len] : ranges) {
    size_t reached = ForEachRangeLocked(addr, len, need_prot, [&](uint8_t* p, size_t, size_t n) {
      if (iov.size() < kMaxPieces) iov.push_back({p, n});
    });
    if (reached < len || iov.size() >= kMaxPieces) break;
  }
  if (iov.empty()) return -EFAULT;
  ssize_t r;
  do {
    r = io(iov.data(), static_cast<int>(iov.size()));
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

size_t MemoryManager::WritablePrefix(uint64_t addr, size_t len) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return ForEachRangeLocked(addr, len, PROT_WRITE, [](uint8_t*, size_t, size_t) {});
}

Status MemoryManager::CopyIn(uint64_t addr, void* dst, size_t len) const {
  if (CopyInPartial(addr, dst, len) != len) return Error(EFAULT, "");
  return Ok();
}

Status MemoryManager::CopyOut(uint64_t addr, const void* src, size_t len) {
  if (CopyOutPartial(addr, src, len) != len) return Error(EFAULT, "");
  return Ok();
}

Status MemoryManager::ZeroOut(uint64_t addr, size_t len) {
  std::shared_lock<std::shared_mutex> l(mu_);
  if (ForEachRangeLocked(addr, len, PROT_WRITE, [&](uint8_t* p, size_t, size_t n) { memset(p, 0, n); }) != len) {
    return Error(EFAULT, "");
  }
  return Ok();
}

Result<std::string> MemoryManager::CopyInString(uint64_t addr, size_t max_len) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  std::string s;
  bool found = false;
  // Reads in page-sized steps so a string that ends before an unmapped page
  // is still read in full.
  uint64_t pos = addr;
  while (!found && s.size() < max_len) {
    size_t step = std::min<uint64_t>(kPageSize - (pos & (kPageSize - 1)), max_len - s.size());
    char buf[kPageSize];
    size_t got = ForEachRangeLocked(pos, step, PROT_READ, [&](uint8_t* p, size_t at, size_t n) { memcpy(buf + at, p, n); });
    if (got == 0) return Error(EFAULT, "");
    for (size_t i = 0; i < got; i++) {
      if (buf[i] == 0) {
        found = true;
        break;
      }
      s.push_back(buf[i]);
    }
    if (got < step && !found) return Error(EFAULT, "");
    pos += got;
  }
  if (!found) return Error(ENAMETOOLONG, "");
  return s;
}

Status MemoryManager::PokeCode(uint64_t addr, size_t len, const std::function<void(uint8_t*)>& write) {
  std::unique_lock<std::shared_mutex> l(mu_);
  auto holder = [&]() -> Vma* {
    auto it = vmas_.upper_bound(addr);
    if (it == vmas_.begin()) return nullptr;
    Vma& v = std::prev(it)->second;
    return addr >= v.start && addr <= v.mapped_end && len <= v.mapped_end - addr ? &v : nullptr;
  };
  Vma* v = holder();
  if (!v || v->shared || !v->chunk) return Error(EFAULT, "not in one private mapping");
  if (v->chunk.use_count() > 1) {
    // Only the pages written get their own copy.
    SplitAtLocked(PageRoundDown(addr));
    SplitAtLocked(PageRoundUp(addr + len));
    v = holder();
    auto old_chunk = v->chunk;
    TRY(MakePrivateLocked(*v));
    if (v->chunk != old_chunk) TRY(MapVmaIntoAsLocked(*v));
  }
  write(v->chunk->data() + v->chunk_off + (addr - v->start));
  return Ok();
}

Result<uint64_t> MemoryManager::FileOffsetOf(uint64_t addr) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin() || std::prev(it)->second.end <= addr) return Error(EFAULT, "");
  const Vma& v = std::prev(it)->second;
  return v.chunk->offset() + v.chunk_off + (addr - v.start);
}

FaultSignal MemoryManager::ClassifyFault(uint64_t addr, int host_code) const {
  std::shared_lock<std::shared_mutex> l(mu_);
  auto it = vmas_.upper_bound(addr);
  if (it != vmas_.begin()) {
    const Vma& v = std::prev(it)->second;
    if (addr < v.end && addr >= v.mapped_end && v.file) return {SIGBUS, BUS_ADRERR};
  }
  return {SIGSEGV, host_code};
}

uint64_t MemoryManager::VirtualSizeLocked() const {
  uint64_t total = 0;
  for (const auto& [s, v] : vmas_) total += v.end - v.start;
  return total;
}

uint64_t MemoryManager::VirtualSize() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  return VirtualSizeLocked();
}

std::string MemoryManager::MapsText() const {
  std::shared_lock<std::shared_mutex> l(mu_);
  std::string out;
  char line[128];
  for (const auto& [s, v] : vmas_) {
    dev_t dev = v.file ? v.file->MapsDev() : 0;
    snprintf(line, sizeof line, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu", static_cast<unsigned long>(v.start),
             static_cast<unsigned long>(v.end), (v.prot & PROT_READ) ? 'r' : '-', (v.prot & PROT_WRITE) ? 'w' : '-',
             (v.prot & PROT_EXEC) ? 'x' : '-', v.shared ? 's' : 'p',
             static_cast<unsigned long>(v.file ? v.file_off : 0), major(dev), minor(dev),
             static_cast<unsigned long>(v.file ? v.file->MapsIno() : 0));
    out += line;
    if (!v.name.empty()) {
      out.append(std::max<int>(1, 73 - static_cast<int>(strlen(line))), ' ');
      out += v.name;
    }
    out += '\n';
  }
  return out;
}

}  // namespace stockade::sentry::mm
