// Memory: mmap (anonymous, file-backed, fixed), munmap, mprotect, mremap, brk, madvise,
// msync, mincore; SIGSEGV/SIGBUS on bad accesses.
#include <atomic>

#include "test_util.h"

namespace conformance {
namespace {

constexpr size_t kPage = 4096;

char* MapAnon(size_t len, int prot = PROT_READ | PROT_WRITE, int flags = MAP_PRIVATE) {
  void* p = mmap(nullptr, len, prot, flags | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

bool Faults(const void* addr, bool write = false) {
  FaultInfo f = CatchFault([addr, write] {
    if (write) {
      *(volatile char*)addr = 1;
    } else {
      (void)*(const volatile char*)addr;
    }
  });
  return f.signo != 0;
}

TEST(Mmap, AnonymousIsZeroFilledAndPageAligned) {
  char* p = MapAnon(10 * kPage + 123);  // length is rounded up
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kPage, 0u);
  for (size_t i = 0; i < 11 * kPage; i++) {
    if (p[i] != 0) {
      ADD_FAILURE() << "byte " << i << " not zero";
      break;
    }
  }
  p[11 * kPage - 1] = 'x';  // the rounded-up tail is usable
  EXPECT_EQ(munmap(p, 11 * kPage), 0);
}

TEST(Mmap, InvalidArgumentsEINVAL) {
  EXPECT_EQ(mmap(nullptr, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  // Neither MAP_PRIVATE nor MAP_SHARED.
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_ANONYMOUS, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  // Both.
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  // Misaligned MAP_FIXED address, misaligned file offset.
  char* p = MapAnon(2 * kPage);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(mmap(p + 1, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  int fd = open("/dev/zero", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, fd, 100), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  close(fd);
  munmap(p, 2 * kPage);
}

TEST(Mmap, HugeLengthENOMEM) {
  EXPECT_EQ(mmap(nullptr, 1ul << 60, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, ENOMEM);
  // A length that rounds up past the address space.
  EXPECT_EQ(mmap(nullptr, ~0ul - 100, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(Mmap, FixedReplacesExistingMapping) {
  char* p = MapAnon(3 * kPage);
  ASSERT_NE(p, nullptr);
  memset(p, 'a', 3 * kPage);
  void* q = mmap(p + kPage, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
  ASSERT_EQ(q, p + kPage);
  EXPECT_EQ(p[0], 'a');
  EXPECT_EQ(p[kPage], 0);  // fresh zero page
  EXPECT_EQ(p[2 * kPage], 'a');
  munmap(p, 3 * kPage);
}

TEST(Mmap, FixedNoreplaceEEXIST) {
  char* p = MapAnon(2 * kPage);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(mmap(p + kPage, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                 -1, 0),
            MAP_FAILED);
  EXPECT_EQ(errno, EEXIST);
  // Over a hole it behaves like MAP_FIXED.
  ASSERT_EQ(munmap(p + kPage, kPage), 0);
  EXPECT_EQ(mmap(p + kPage, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                 -1, 0),
            p + kPage);
  munmap(p, 2 * kPage);
}

TEST(Mmap, HintIsOnlyAHint) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  // Asking for an occupied address without MAP_FIXED yields some other address.
  char* q = static_cast<char*>(
      mmap(p, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(q, MAP_FAILED);
  EXPECT_NE(q, p);
  munmap(p, kPage);
  munmap(q, kPage);
}

TEST(Mmap, FileErrors) {
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, -1, 0), MAP_FAILED);
  EXPECT_EQ(errno, EBADF);
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, std::string(kPage, 'x')));
  int ro = open(path.c_str(), O_RDONLY);
  ASSERT_GE(ro, 0);
  // A shared writable mapping needs a descriptor open for writing.
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  // A private one does not.
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
  EXPECT_NE(p, MAP_FAILED);
  munmap(p, kPage);
  close(ro);
  int wo = open(path.c_str(), O_WRONLY);
  ASSERT_GE(wo, 0);
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_SHARED, wo, 0), MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  close(wo);
  int d = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(d, 0);
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, d, 0), MAP_FAILED);
  EXPECT_EQ(errno, ENODEV);
  close(d);
}

TEST(Munmap, AccessAfterUnmapFaults) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  p[0] = 1;
  ASSERT_EQ(munmap(p, kPage), 0);
  FaultInfo f = CatchFault([p] { (void)*(volatile char*)p; });
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.code, SEGV_MAPERR);
  EXPECT_EQ(f.addr, p);
}

TEST(Munmap, MiddleOfMappingSplitsIt) {
  char* p = MapAnon(3 * kPage);
  ASSERT_NE(p, nullptr);
  memset(p, 'q', 3 * kPage);
  ASSERT_EQ(munmap(p + kPage, kPage), 0);
  EXPECT_EQ(p[0], 'q');
  EXPECT_EQ(p[2 * kPage + 5], 'q');
  EXPECT_TRUE(Faults(p + kPage));
  munmap(p, 3 * kPage);  // unmapping a range with a hole in it is fine
  EXPECT_TRUE(Faults(p));
}

TEST(Munmap, Errors) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  EXPECT_ERRNO(EINVAL, munmap(p + 1, kPage));
  EXPECT_ERRNO(EINVAL, munmap(p, 0));
  // Unmapping something that is not mapped succeeds.
  ASSERT_EQ(munmap(p, kPage), 0);
  EXPECT_EQ(munmap(p, kPage), 0);
}

TEST(Mprotect, WriteToReadOnlyFaultsAccerr) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  p[10] = 'v';
  ASSERT_EQ(mprotect(p, kPage, PROT_READ), 0);
  EXPECT_EQ(p[10], 'v');  // still readable
  FaultInfo f = CatchFault([p] { *(volatile char*)(p + 10) = 'w'; });
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.code, SEGV_ACCERR);
  EXPECT_EQ(f.addr, p + 10);
  EXPECT_EQ(p[10], 'v');
  ASSERT_EQ(mprotect(p, kPage, PROT_READ | PROT_WRITE), 0);
  p[10] = 'w';
  EXPECT_EQ(p[10], 'w');
  munmap(p, kPage);
}

TEST(Mprotect, ProtNoneFaultsOnRead) {
  char* p = MapAnon(2 * kPage);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(mprotect(p + kPage, kPage, PROT_NONE), 0);
  EXPECT_FALSE(Faults(p));
  FaultInfo f = CatchFault([p] { (void)*(volatile char*)(p + kPage); });
  EXPECT_EQ(f.signo, SIGSEGV);
  EXPECT_EQ(f.code, SEGV_ACCERR);
  munmap(p, 2 * kPage);
}

TEST(Mprotect, Errors) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  EXPECT_ERRNO(EINVAL, mprotect(p + 1, kPage, PROT_READ));
  EXPECT_ERRNO(EINVAL, mprotect(p, kPage, 0x1000));  // unknown PROT bit
  ASSERT_EQ(munmap(p, kPage), 0);
  EXPECT_ERRNO(ENOMEM, mprotect(p, kPage, PROT_READ));
  // Length 0 is a no-op, even on an unmapped address.
  EXPECT_EQ(mprotect(p, 0, PROT_READ), 0);
}

TEST(Mremap, GrowInPlaceOrMovePreservesContents) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  strcpy(p, "contents");
  char* q = static_cast<char*>(mremap(p, kPage, 64 * kPage, MREMAP_MAYMOVE));
  ASSERT_NE(q, MAP_FAILED);
  EXPECT_STREQ(q, "contents");
  EXPECT_EQ(q[63 * kPage], 0);  // the new part is zero-filled
  q[63 * kPage] = 1;
  munmap(q, 64 * kPage);
}

TEST(Mremap, GrowWithoutMayMoveFailsWhenBlocked) {
  char* p = MapAnon(2 * kPage);
  ASSERT_NE(p, nullptr);
  // Keep the second page mapped so that the first cannot grow in place.
  EXPECT_EQ(mremap(p, kPage, 2 * kPage, 0), MAP_FAILED);
  EXPECT_EQ(errno, ENOMEM);
  munmap(p, 2 * kPage);
}

TEST(Mremap, ShrinkUnmapsTail) {
  char* p = MapAnon(4 * kPage);
  ASSERT_NE(p, nullptr);
  memset(p, 's', 4 * kPage);
  ASSERT_EQ(mremap(p, 4 * kPage, kPage, 0), p);
  EXPECT_EQ(p[kPage - 1], 's');
  EXPECT_TRUE(Faults(p + kPage));
  EXPECT_TRUE(Faults(p + 3 * kPage));
  munmap(p, kPage);
}

TEST(Mremap, FixedMovesToGivenAddress) {
  char* p = MapAnon(2 * kPage);
  char* target = MapAnon(2 * kPage);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(target, nullptr);
  strcpy(p + kPage, "moved");
  char* q = static_cast<char*>(mremap(p, 2 * kPage, 2 * kPage, MREMAP_MAYMOVE | MREMAP_FIXED, target));
  ASSERT_EQ(q, target);
  EXPECT_STREQ(q + kPage, "moved");
  EXPECT_TRUE(Faults(p));  // the old range is gone
  munmap(q, 2 * kPage);
}

TEST(Mremap, Errors) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  // MREMAP_FIXED without MREMAP_MAYMOVE.
  EXPECT_EQ(mremap(p, kPage, kPage, MREMAP_FIXED, p + 16 * kPage), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(mremap(p + 1, kPage, kPage, 0), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(mremap(p, kPage, 0, MREMAP_MAYMOVE), MAP_FAILED);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(mremap(p, kPage, kPage, 0x100), MAP_FAILED);  // unknown flag
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(munmap(p, kPage), 0);
  EXPECT_EQ(mremap(p, kPage, 2 * kPage, MREMAP_MAYMOVE), MAP_FAILED);
  EXPECT_EQ(errno, EFAULT);
}

TEST(Brk, QueryGrowShrink) {
  // Raw brk: the syscall returns the (new) break, never -1. No allocation may happen
  // between the calls (malloc may use brk), so results are checked at the end.
  uintptr_t cur = syscall(SYS_brk, 0);
  uintptr_t grown = syscall(SYS_brk, cur + 16 * kPage);
  bool zero = true, writable = true;
  if (grown == cur + 16 * kPage) {
    volatile char* mem = reinterpret_cast<volatile char*>(cur);
    for (size_t i = 0; i < 16 * kPage; i += 512) zero &= mem[i] == 0;
    mem[16 * kPage - 1] = 1;
    writable = mem[16 * kPage - 1] == 1;
  }
  uintptr_t shrunk = syscall(SYS_brk, cur);
  uintptr_t query = syscall(SYS_brk, 0);
  EXPECT_NE(cur, 0u);
  EXPECT_EQ(grown, cur + 16 * kPage);
  EXPECT_TRUE(zero);
  EXPECT_TRUE(writable);
  EXPECT_EQ(shrunk, cur);
  EXPECT_EQ(query, cur);
  EXPECT_TRUE(Faults(reinterpret_cast<void*>((cur + 2 * kPage) & ~(kPage - 1))));
}

TEST(Brk, InvalidRequestReturnsCurrentBreak) {
  uintptr_t cur = syscall(SYS_brk, 0);
  EXPECT_EQ((uintptr_t)syscall(SYS_brk, 0x1000), cur);     // below the data segment
  EXPECT_EQ((uintptr_t)syscall(SYS_brk, 1ul << 62), cur);  // absurdly high
  EXPECT_EQ((uintptr_t)syscall(SYS_brk, 0), cur);
}

TEST(Madvise, DontneedZeroesPrivateAnonymous) {
  char* p = MapAnon(4 * kPage);
  ASSERT_NE(p, nullptr);
  memset(p, 'd', 4 * kPage);
  ASSERT_EQ(madvise(p + kPage, 2 * kPage, MADV_DONTNEED), 0);
  EXPECT_EQ(p[0], 'd');
  EXPECT_EQ(p[kPage], 0);
  EXPECT_EQ(p[3 * kPage - 1], 0);
  EXPECT_EQ(p[3 * kPage], 'd');
  munmap(p, 4 * kPage);
}

TEST(Madvise, DontneedKeepsSharedContents) {
  char* p = MapAnon(kPage, PROT_READ | PROT_WRITE, MAP_SHARED);
  ASSERT_NE(p, nullptr);
  memset(p, 'k', kPage);
  ASSERT_EQ(madvise(p, kPage, MADV_DONTNEED), 0);
  EXPECT_EQ(p[0], 'k');  // refaulted from the shared object
  munmap(p, kPage);
}

TEST(Madvise, Errors) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  EXPECT_ERRNO(EINVAL, madvise(p + 1, kPage, MADV_NORMAL));
  EXPECT_ERRNO(EINVAL, madvise(p, kPage, 12345));
  ASSERT_EQ(munmap(p, kPage), 0);
  EXPECT_ERRNO(ENOMEM, madvise(p, kPage, MADV_NORMAL));
}

TEST(Mmap, PrivateFileMappingIsCopyOnWrite) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, std::string(kPage, 'o')));
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[100], 'o');
  p[100] = 'X';
  ASSERT_EQ(msync(p, kPage, MS_SYNC), 0);
  char c = 0;
  ASSERT_EQ(pread(fd, &c, 1, 100), 1);
  EXPECT_EQ(c, 'o');
  munmap(p, kPage);
  close(fd);
}

TEST(Mmap, SharedFileMappingWritesReachFile) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, std::string(2 * kPage, '-')));
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char* p = static_cast<char*>(
      mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  ASSERT_NE(p, MAP_FAILED);
  memcpy(p + kPage + 7, "shared!", 7);
  ASSERT_EQ(msync(p, 2 * kPage, MS_SYNC), 0);
  char buf[8] = {};
  ASSERT_EQ(pread(fd, buf, 7, kPage + 7), 7);
  EXPECT_STREQ(buf, "shared!");
  // And the other way round: file writes show up in the mapping.
  ASSERT_EQ(pwrite(fd, "FILE", 4, 0), 4);
  EXPECT_EQ(memcmp(p, "FILE", 4), 0);
  munmap(p, 2 * kPage);
  close(fd);
}

TEST(Mmap, SharedFileMappingsOfTwoProcessesShareThePages) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, std::string(kPage, '.')));
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  ASSERT_NE(p, MAP_FAILED);
  // A child maps the file on its own (not inherited) and writes; no msync.
  EXPECT_CHILD_OK([&] {
    int cfd = open(path.c_str(), O_RDWR);
    CHILD_CHECK(cfd >= 0);
    char* q = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0));
    CHILD_CHECK(q != MAP_FAILED);
    memcpy(q + 100, "child", 5);
    return 0;
  });
  EXPECT_EQ(0, memcmp(p + 100, "child", 5));
  // Pages not yet written back are what read(2) returns.
  memcpy(p + 200, "parent", 6);
  char buf[7] = {};
  ASSERT_EQ(6, pread(fd, buf, 6, 200));
  EXPECT_STREQ("parent", buf);
  munmap(p, kPage);
  close(fd);
}

TEST(Mmap, SharedFileMappingOffset) {
  TempDir dir;
  std::string path = dir.Join("f");
  std::string data(3 * kPage, 'a');
  data[2 * kPage] = 'Z';
  ASSERT_TRUE(WriteFile(path, data));
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd, 2 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[0], 'Z');
  munmap(p, kPage);
  close(fd);
}

TEST(Mmap, SharedAnonymousVisibleAcrossFork) {
  char* shared = MapAnon(kPage, PROT_READ | PROT_WRITE, MAP_SHARED);
  char* priv = MapAnon(kPage);
  ASSERT_NE(shared, nullptr);
  ASSERT_NE(priv, nullptr);
  EXPECT_CHILD_OK([shared, priv] {
    strcpy(shared, "from child");
    strcpy(priv, "from child");
    return 0;
  });
  EXPECT_STREQ(shared, "from child");
  EXPECT_STREQ(priv, "");
  munmap(shared, kPage);
  munmap(priv, kPage);
}

TEST(Mmap, SigbusBeyondEndOfFile) {
  TempDir dir;
  std::string path = dir.Join("f");
  ASSERT_TRUE(WriteFile(path, "short file"));
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  char* p = static_cast<char*>(mmap(nullptr, 2 * kPage, PROT_READ, MAP_SHARED, fd, 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[0], 's');
  // The rest of the last (partial) page reads as zeros...
  EXPECT_EQ(p[100], 0);
  EXPECT_EQ(p[kPage - 1], 0);
  // ...and a page wholly past EOF raises SIGBUS.
  FaultInfo f = CatchFault([p] { (void)*(volatile char*)(p + kPage + 10); });
  EXPECT_EQ(f.signo, SIGBUS);
  EXPECT_EQ(f.code, BUS_ADRERR);
  EXPECT_EQ(f.addr, p + kPage + 10);
  munmap(p, 2 * kPage);
  close(fd);
}

TEST(Msync, Errors) {
  char* p = MapAnon(kPage);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(msync(p, kPage, MS_ASYNC), 0);
  EXPECT_ERRNO(EINVAL, msync(p, kPage, MS_SYNC | MS_ASYNC));
  EXPECT_ERRNO(EINVAL, msync(p + 1, kPage, MS_SYNC));
  EXPECT_ERRNO(EINVAL, msync(p, kPage, 0x100));
  ASSERT_EQ(munmap(p, kPage), 0);
  EXPECT_ERRNO(ENOMEM, msync(p, kPage, MS_SYNC));
}

TEST(Mincore, ResidencyAndErrors) {
  char* p = MapAnon(2 * kPage);
  ASSERT_NE(p, nullptr);
  p[0] = 1;  // fault in the first page only
  unsigned char vec[2] = {0xff, 0xff};
  ASSERT_EQ(mincore(p, 2 * kPage, vec), 0);
  EXPECT_EQ(vec[0] & 1, 1);
  EXPECT_EQ(vec[0] & ~1, 0);  // other bits are reserved and zero
  EXPECT_ERRNO(EINVAL, mincore(p + 1, kPage, vec));
  EXPECT_ERRNO(EFAULT, mincore(p, kPage, static_cast<unsigned char*>(UnmappedAddress())));
  ASSERT_EQ(munmap(p, 2 * kPage), 0);
  EXPECT_ERRNO(ENOMEM, mincore(p, kPage, vec));
}

}  // namespace
}  // namespace conformance
