// MemoryManager: one application address space as the Sentry sees it — the
// VMAs, their backing in the memory file, brk — kept in step with the
// platform's AddressSpace, which it updates eagerly (every VMA is mapped into
// the stub when it is made, so a host fault is always a real application
// fault).
//
// Copy-on-fork: writable private memory is copied when the process forks
// (holes are skipped, so only touched pages cost); read-only private memory is
// shared and copied the first time it is made writable.
//
// Lock order: MemoryManager::mu_ before MemoryFile::mu_. AddressSpace calls
// are made with mu_ held so the stub never disagrees with the VMAs.
#pragma once

#include <sys/mman.h>
#include <sys/uio.h>

#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "platform/platform.h"
#include "sentry/mm/mappable.h"
#include "sentry/mm/memory_file.h"
#include "sentry/mm/usermem.h"

namespace stockade::sentry::mm {

struct Vma {
  uint64_t start = 0, end = 0;
  int prot = 0;
  int max_prot = PROT_READ | PROT_WRITE | PROT_EXEC;  // for read-only shared files
  bool shared = false;
  bool growsdown = false;
  std::shared_ptr<Chunk> chunk;
  uint64_t chunk_off = 0;  // offset of `start` inside chunk
  std::shared_ptr<Mappable> file;
  uint64_t file_off = 0;   // file offset of `start`
  uint64_t mapped_end = 0;  // pages in [mapped_end, end) lie past the file's end: SIGBUS
  std::string name;         // "[heap]", "[stack]", or the file's name
};

struct MapRequest {
  uint64_t addr = 0;  // hint, or the address with fixed
  uint64_t length = 0;
  int prot = 0;
  int max_prot = PROT_READ | PROT_WRITE | PROT_EXEC;
  bool fixed = false;
  bool fixed_noreplace = false;
  bool shared = false;
  bool growsdown = false;
  std::shared_ptr<Mappable> file;  // null: anonymous
  uint64_t offset = 0;
  std::string name;
};

// How a host fault at an address maps onto the application's signal.
struct FaultSignal {
  int signo;
  int code;
};

class MemoryManager {
 public:
  MemoryManager(MemoryFile* mf, std::unique_ptr<platform::AddressSpace> as);
  ~MemoryManager();
  MemoryManager(const MemoryManager&) = delete;
  MemoryManager& operator=(const MemoryManager&) = delete;

  platform::AddressSpace& as() { return *as_; }
  MemoryFile* memory_file() const { return mf_; }

  Result<uint64_t> Map(const MapRequest& req);
  Status Unmap(uint64_t addr, uint64_t length);
  Status Protect(uint64_t addr, uint64_t length, int prot);
  Result<uint64_t> Remap(uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
  Status Advise(uint64_t addr, uint64_t length, int advice);
  Status Sync(uint64_t addr, uint64_t length, int flags);

  // brk: the loader sets the start; Brk(0) or an invalid value returns the
  // current break, as the syscall does.
  void SetBrkStart(uint64_t start);
  uint64_t Brk(uint64_t addr);

  // The address space a fork's child gets: same layout, private memory copied.
  Result<std::shared_ptr<MemoryManager>> Fork(std::unique_ptr<platform::AddressSpace> as);

  Status CopyIn(uint64_t addr, void* dst, size_t len) const;
  Status CopyOut(uint64_t addr, const void* src, size_t len);
  Status ZeroOut(uint64_t addr, size_t len);
  // Copies up to the first failing byte; returns how many were copied.
  size_t CopyInPartial(uint64_t addr, void* dst, size_t len) const;
  size_t CopyOutPartial(uint64_t addr, const void* src, size_t len);
  // How many bytes from addr on (up to len) the application could write:
  // lets a stream read take no more data than its buffer can hold.
  size_t WritablePrefix(uint64_t addr, size_t len) const;
  // Host I/O straight between a host FD and the memory behind `ranges`
  // (application address, length), which must allow `need_prot` (PROT_WRITE
  // to read a file into it, PROT_READ to write it out). `io` gets the host
  // pieces, in order up to the first inaccessible byte, as one iovec array
  // (one readv/writev: an O_APPEND write stays atomic) and returns what the
  // call returned (-1 with errno on failure). -EFAULT without calling `io`
  // when not even the first byte is accessible. The address space is locked
  // for reading meanwhile: only for regular files, whose I/O waits on no one.
  ssize_t HostIo(const std::vector<std::pair<uint64_t, size_t>>& ranges, int need_prot,
                 const std::function<ssize_t(const struct iovec*, int)>& io);
  // A NUL-terminated string of at most max_len bytes (ENAMETOOLONG beyond).
  Result<std::string> CopyInString(uint64_t addr, size_t max_len) const;

  template <typename T>
  Result<T> CopyInObj(UserPtr<T> p) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    TRY(CopyIn(p.addr, &v, sizeof v));
    return v;
  }
  template <typename T>
  Status CopyOutObj(UserPtr<T> p, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return CopyOut(p.addr, &v, sizeof v);
  }

  // The memory-file offset backing addr (shared futex keys): EFAULT if unmapped.
  // Writes application code as a debugger's POKETEXT does: the pages that
  // hold [addr, addr+len) become this address space's own (copied if another
  // mapping or process shares them), whatever their protection, and `write`
  // gets the Sentry's view of the range. Fails unless the range lies in one
  // private mapping. For syscall-site patching (kernel/syscall_patch.h).
  Status PokeCode(uint64_t addr, size_t len, const std::function<void(uint8_t*)>& write);

  // Syscall-site patching's state for this address space
  // (kernel/syscall_patch.h). Its mutex comes before mu_: a patch holds it
  // across its steps, and the faults a patch in progress causes wait on it.
  struct SyscallPatchState {
    std::mutex mu;
    std::unordered_map<uint64_t, uint32_t> hits;  // traps per site, until patched
    bool table = false;     // the trampoline table is mapped
    bool disabled = false;  // the table's place was taken, or it is full
  };
  SyscallPatchState& syscall_patch() { return syscall_patch_; }

  Result<uint64_t> FileOffsetOf(uint64_t addr) const;

  // The signal a host SIGSEGV at addr becomes (SIGBUS past a file's end).
  FaultSignal ClassifyFault(uint64_t addr, int host_code) const;

  // /proc/PID/maps text.
  std::string MapsText() const;
  uint64_t VirtualSize() const;

  // Where the next top-down mmap starts; the loader sets it below the stack.
  void SetMmapBase(uint64_t base);

  // What /proc/PID/{exe,cmdline,environ} show: set by execve, inherited by fork.
  struct ImageInfo {
    std::string exe;
    uint64_t argv_start = 0, argv_end = 0, envp_start = 0, envp_end = 0;
  };
  void set_image_info(ImageInfo info) {
    std::unique_lock<std::shared_mutex> l(mu_);
    image_ = std::move(info);
  }
  ImageInfo image_info() const {
    std::shared_lock<std::shared_mutex> l(mu_);
    return image_;
  }
  // What keeps the program's file marked executing (kernel/executing_files.h)
  // while this address space, or one forked from it, runs it.
  void set_exe_hold(std::shared_ptr<void> hold) {
    std::unique_lock<std::shared_mutex> l(mu_);
    exe_hold_ = std::move(hold);
  }

  // Sets the address-space-wide limit (RLIMIT_AS); 0 = none.
  void SetAddressLimit(uint64_t limit) { as_limit_ = limit; }

 private:
  using VmaMap = std::map<uint64_t, Vma>;  // keyed by start

  Result<uint64_t> FindGapLocked(uint64_t hint, uint64_t length) const;
  bool RangeFreeLocked(uint64_t addr, uint64_t length) const;
  bool FullyMappedLocked(uint64_t addr, uint64_t length) const;
  // The VMA containing addr, or else the first one above it.
  VmaMap::const_iterator FirstVmaEndingAfterLocked(uint64_t addr) const;
  // Splits the VMA containing addr (if any) so that a VMA starts at addr.
  void SplitAtLocked(uint64_t addr);
  Status UnmapLocked(uint64_t addr, uint64_t length);
  Status MapVmaIntoAsLocked(const Vma& v);
  // Gives a file VMA (file, file_off, start, end, shared set) its pages and
  // mapped_end; shared mappings of the same file range share them
  // (SharedFilePages).
  Status LoadFilePages(Vma& v);
  Status InsertVmaLocked(Vma v);
  // Gives v its own copy of its pages if another VMA (maybe in another
  // process) shares them privately.
  Status MakePrivateLocked(Vma& v);
  template <typename Fn>
  size_t ForEachRangeLocked(uint64_t addr, size_t len, int need_prot, Fn&& fn) const;
  uint64_t VirtualSizeLocked() const;

  MemoryFile* mf_;
  std::unique_ptr<platform::AddressSpace> as_;
  mutable std::shared_mutex mu_;
  VmaMap vmas_;
  uint64_t brk_start_ = 0;
  uint64_t brk_ = 0;
  uint64_t mmap_base_ = platform::kMaxUserAddress;
  uint64_t as_limit_ = 0;
  ImageInfo image_;
  std::shared_ptr<void> exe_hold_;
  SyscallPatchState syscall_patch_;
};

inline constexpr uint64_t kPageSize = platform::kPageSize;
inline uint64_t PageRoundDown(uint64_t v) { return v & ~(kPageSize - 1); }
inline uint64_t PageRoundUp(uint64_t v) { return (v + kPageSize - 1) & ~(kPageSize - 1); }

}  // namespace stockade::sentry::mm
