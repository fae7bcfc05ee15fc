// Memory: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore, mlock.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/syscalls/linux/sys_common.h"

namespace stockade::sentry::syscalls {
namespace {

int64_t Mmap(Task& t, const SyscallArgs& a) {
  uint64_t addr = a[0], len = a[1];
  int prot = static_cast<int>(a[2]);
  int flags = static_cast<int>(a[3]);
  int fd = static_cast<int>(a[4]);
  uint64_t off = a[5];
  constexpr int kKnown = MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS |
                         MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |
                         MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |
                         MAP_FIXED_NOREPLACE | MAP_32BIT | (0x3f << 26);
  int type = flags & MAP_SHARED_VALIDATE;
  if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return -EINVAL;
  if (type == MAP_SHARED_VALIDATE && (flags & ~kKnown)) return -EOPNOTSUPP;
  // Anonymous memory is MAP_SHARED or MAP_PRIVATE only (do_mmap's switch).
  if ((flags & MAP_ANONYMOUS) && type == MAP_SHARED_VALIDATE) return -EINVAL;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x8 /* PROT_SEM */ | PROT_GROWSDOWN | PROT_GROWSUP)) return -EINVAL;
  if (len == 0) return -EINVAL;
  if (off & (mm::kPageSize - 1)) return -EINVAL;
  if (flags & MAP_HUGETLB) return -EINVAL;
  mm::MapRequest r;
  r.addr = addr;
  r.length = len;
  r.prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
  r.fixed = flags & MAP_FIXED;
  r.fixed_noreplace = (flags & MAP_FIXED_NOREPLACE) && !r.fixed;
  r.shared = type != MAP_PRIVATE;
  r.growsdown = flags & MAP_GROWSDOWN;
  if (!(flags & MAP_ANONYMOUS)) {
    SYS_ASSIGN(auto f, kernel::FileFor(t, fd));
    if (f->flags() & O_PATH) return -EBADF;  // an O_PATH FD is no file to map
    if (!f->readable()) return -EACCES;
    if (r.shared && (prot & PROT_WRITE) && !f->writable()) return -EACCES;
    SYS_ASSIGN(r.file, f->Mappable());
    r.offset = off;
    // A shared mapping of a read-only file may never become writable.
    if (r.shared && !f->writable()) r.max_prot = PROT_READ | PROT_EXEC;
  }
  // RLIMIT_AS as it is now (setrlimit may have changed it since exec).
  uint64_t as_limit = t.rlimit_cur(RLIMIT_AS);
  t.memory().SetAddressLimit(as_limit == RLIM_INFINITY ? 0 : as_limit);
  SYS_ASSIGN(uint64_t at, t.memory().Map(r));
  return static_cast<int64_t>(at);
}

int64_t Munmap(Task& t, const SyscallArgs& a) {
  SYS_TRY(t.memory().Unmap(a[0], a[1]));
  return 0;
}

int64_t Mprotect(Task& t, const SyscallArgs& a) {
  SYS_TRY(t.memory().Protect(a[0], a[1], static_cast<int>(a[2])));
  return 0;
}

int64_t Mremap(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(uint64_t at, t.memory().Remap(a[0], a[1], a[2], static_cast<int>(a[3]), a[4]));
  return static_cast<int64_t>(at);
}

int64_t Brk(Task& t, const SyscallArgs& a) { return static_cast<int64_t>(t.memory().Brk(a[0])); }

int64_t Madvise(Task& t, const SyscallArgs& a) {
  SYS_TRY(t.memory().Advise(a[0], a[1], static_cast<int>(a[2])));
  return 0;
}

int64_t Msync(Task& t, const SyscallArgs& a) {
  SYS_TRY(t.memory().Sync(a[0], a[1], static_cast<int>(a[2])));
  return 0;
}

// Everything mapped counts as resident: the memory file backs it.
int64_t Mincore(Task& t, const SyscallArgs& a) {
  if (a[0] & (mm::kPageSize - 1)) return -EINVAL;
  uint64_t pages = mm::PageRoundUp(a[1]) / mm::kPageSize;
  std::vector<uint8_t> vec(std::min<uint64_t>(pages, 1 << 20));
  if (pages > vec.size()) return -ENOMEM;
  for (uint64_t i = 0; i < pages; i++) {
    if (!t.memory().FileOffsetOf(a[0] + i * mm::kPageSize).ok()) return -ENOMEM;
    vec[i] = 1;
  }
  SYS_TRY(t.memory().CopyOut(a[2], vec.data(), vec.size()));
  return 0;
}

int64_t Mlock(Task&, const SyscallArgs&) { return 0; }

}  // namespace

void RegisterMemorySyscalls(Kernel& k) {
  k.SetSyscall(SYS_mmap, Mmap);
  k.SetSyscall(SYS_munmap, Munmap);
  k.SetSyscall(SYS_mprotect, Mprotect);
  k.SetSyscall(SYS_mremap, Mremap);
  k.SetSyscall(SYS_brk, Brk);
  k.SetSyscall(SYS_madvise, Madvise);
  k.SetSyscall(SYS_msync, Msync);
  k.SetSyscall(SYS_mincore, Mincore);
  k.SetSyscall(SYS_mlock, Mlock);
  k.SetSyscall(SYS_munlock, Mlock);
  k.SetSyscall(SYS_mlockall, Mlock);
  k.SetSyscall(SYS_munlockall, Mlock);
}

}  // namespace stockade::sentry::syscalls
