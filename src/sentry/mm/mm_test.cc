#include "sentry/mm/mm.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>

namespace stockade::sentry::mm {
namespace {

// Records the platform's view page by page, so tests can check that the stub
// always agrees with the VMAs.
class FakeAddressSpace : public platform::AddressSpace {
 public:
  struct Page {
    uint64_t file_off;
    int prot;
  };
  std::map<uint64_t, Page> pages;
  Status MapFile(uint64_t addr, uint64_t off, uint64_t len, int prot) override {
    for (uint64_t i = 0; i < len; i += kPageSize) pages[addr + i] = {off + i, prot};
    return Ok();
  }
  Status Unmap(uint64_t addr, uint64_t len) override {
    for (uint64_t i = 0; i < len; i += kPageSize) pages.erase(addr + i);
    return Ok();
  }
  Status Protect(uint64_t addr, uint64_t len, int prot) override {
    for (uint64_t i = 0; i < len; i += kPageSize) {
      if (pages.count(addr + i)) pages[addr + i].prot = prot;
    }
    return Ok();
  }
};

class StringFile : public Mappable {
 public:
  explicit StringFile(std::string d) : data(std::move(d)) {}
  std::string data;
  Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) override {
    if (off >= data.size()) return size_t{0};
    size_t n = std::min(len, data.size() - off);
    memcpy(buf, data.data() + off, n);
    return n;
  }
  Result<size_t> WriteAt(uint64_t off, const void* buf, size_t len) override {
    if (data.size() < off + len) data.resize(off + len);
    memcpy(data.data() + off, buf, len);
    return len;
  }
  Result<uint64_t> Size() override { return data.size(); }
  std::string MapsName() const override { return "/file"; }
};

class MmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = MemoryFile::Create(1ull << 36);
    ASSERT_TRUE(f.ok()) << f.error().ToString();
    mf = std::move(f).value();
    auto as = std::make_unique<FakeAddressSpace>();
    fake = as.get();
    mm = std::make_shared<MemoryManager>(mf.get(), std::move(as));
    mm->SetMmapBase(0x7000000000);
  }
  uint64_t MapAnon(uint64_t len, int prot = PROT_READ | PROT_WRITE, bool shared = false) {
    MapRequest r;
    r.length = len;
    r.prot = prot;
    r.shared = shared;
    auto a = mm->Map(r);
    EXPECT_TRUE(a.ok());
    return a.ok() ? *a : 0;
  }
  std::unique_ptr<MemoryFile> mf;
  FakeAddressSpace* fake;
  std::shared_ptr<MemoryManager> mm;
};

TEST_F(MmTest, AnonymousMapIsZeroedAndCopiesRoundTrip) {
  uint64_t a = MapAnon(3 * kPageSize);
  EXPECT_EQ(a % kPageSize, 0u);
  EXPECT_EQ(fake->pages.size(), 3u);
  char buf[16] = {1};
  ASSERT_TRUE(mm->CopyIn(a + kPageSize - 8, buf, sizeof buf).ok());
  EXPECT_EQ(std::string(buf, 16), std::string(16, '\0'));
  ASSERT_TRUE(mm->CopyOut(a + kPageSize - 4, "hello", 6).ok());
  ASSERT_TRUE(mm->CopyIn(a + kPageSize - 4, buf, 6).ok());
  EXPECT_STREQ(buf, "hello");
  auto s = mm->CopyInString(a + kPageSize - 4, 100);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "hello");
}

TEST_F(MmTest, CopiesFaultOutsideMappingsAndOnProtection) {
  uint64_t a = MapAnon(kPageSize, PROT_READ);
  char c = 0;
  EXPECT_TRUE(mm->CopyIn(a, &c, 1).ok());
  EXPECT_EQ(mm->CopyOut(a, &c, 1).error().code(), EFAULT);
  EXPECT_EQ(mm->CopyIn(a + kPageSize, &c, 1).error().code(), EFAULT);
  EXPECT_EQ(mm->CopyIn(0, &c, 1).error().code(), EFAULT);
  EXPECT_EQ(mm->CopyIn(~0ull - 2, &c, 8).error().code(), EFAULT);
  // A string that runs into an unmapped page.
  std::string fill(kPageSize, 'x');
  ASSERT_TRUE(mm->Protect(a, kPageSize, PROT_READ | PROT_WRITE).ok());
  ASSERT_TRUE(mm->CopyOut(a, fill.data(), fill.size()).ok());
  EXPECT_EQ(mm->CopyInString(a, 1 << 20).error().code(), EFAULT);
  EXPECT_EQ(mm->CopyInString(a, 100).error().code(), ENAMETOOLONG);
}

TEST_F(MmTest, PartialUnmapSplitsAndProtectNeedsFullRange) {
  uint64_t a = MapAnon(4 * kPageSize);
  ASSERT_TRUE(mm->Unmap(a + kPageSize, kPageSize).ok());
  EXPECT_EQ(fake->pages.size(), 3u);
  EXPECT_EQ(mm->Protect(a, 4 * kPageSize, PROT_READ).error().code(), ENOMEM);
  ASSERT_TRUE(mm->Protect(a + 2 * kPageSize, 2 * kPageSize, PROT_READ).ok());
  EXPECT_EQ(fake->pages[a + 3 * kPageSize].prot, PROT_READ);
  EXPECT_EQ(fake->pages[a].prot, PROT_READ | PROT_WRITE);
  EXPECT_EQ(mm->Unmap(a + 1, kPageSize).error().code(), EINVAL);
  EXPECT_EQ(mm->Unmap(a, 0).error().code(), EINVAL);
}

TEST_F(MmTest, FixedNoReplaceAndHugeMappings) {
  uint64_t a = MapAnon(kPageSize);
  MapRequest r;
  r.addr = a;
  r.length = kPageSize;
  r.prot = PROT_READ;
  r.fixed_noreplace = true;
  EXPECT_EQ(mm->Map(r).error().code(), EEXIST);
  r.fixed_noreplace = false;
  r.fixed = true;
  ASSERT_TRUE(mm->Map(r).ok());
  EXPECT_EQ(fake->pages[a].prot, PROT_READ);
  MapRequest huge;
  huge.length = 1ull << 60;
  huge.prot = PROT_READ;
  EXPECT_EQ(mm->Map(huge).error().code(), ENOMEM);
  huge.length = 0;
  EXPECT_EQ(mm->Map(huge).error().code(), EINVAL);
}

TEST_F(MmTest, ForkCopiesWritablePrivateAndSharesSharedMemory) {
  uint64_t priv = MapAnon(kPageSize);
  uint64_t shared = MapAnon(kPageSize, PROT_READ | PROT_WRITE, true);
  ASSERT_TRUE(mm->CopyOut(priv, "parent", 7).ok());
  auto child = mm->Fork(std::make_unique<FakeAddressSpace>());
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE((*child)->CopyOut(priv, "child!", 7).ok());
  ASSERT_TRUE((*child)->CopyOut(shared, "both", 5).ok());
  char buf[8];
  ASSERT_TRUE(mm->CopyIn(priv, buf, 7).ok());
  EXPECT_STREQ(buf, "parent");
  ASSERT_TRUE(mm->CopyIn(shared, buf, 5).ok());
  EXPECT_STREQ(buf, "both");
}

TEST_F(MmTest, ReadOnlyPrivateSharedAfterForkIsCopiedWhenMadeWritable) {
  uint64_t a = MapAnon(kPageSize);
  ASSERT_TRUE(mm->CopyOut(a, "orig", 5).ok());
  ASSERT_TRUE(mm->Protect(a, kPageSize, PROT_READ).ok());
  auto child = mm->Fork(std::make_unique<FakeAddressSpace>());
  ASSERT_TRUE(child.ok());
  ASSERT_TRUE((*child)->Protect(a, kPageSize, PROT_READ | PROT_WRITE).ok());
  ASSERT_TRUE((*child)->CopyOut(a, "kid!", 5).ok());
  char buf[8];
  ASSERT_TRUE(mm->CopyIn(a, buf, 5).ok());
  EXPECT_STREQ(buf, "orig");
}

TEST_F(MmTest, BrkGrowsAndShrinks) {
  mm->SetBrkStart(0x600000);
  EXPECT_EQ(mm->Brk(0), 0x600000u);
  EXPECT_EQ(mm->Brk(0x600000 + 10000), 0x600000u + 10000);
  char c = 'z';
  EXPECT_TRUE(mm->CopyOut(0x600000 + 9999, &c, 1).ok());
  EXPECT_EQ(mm->Brk(0x600000 + 100), 0x600000u + 100);
  EXPECT_EQ(mm->CopyOut(0x600000 + 9999, &c, 1).error().code(), EFAULT);
  EXPECT_EQ(mm->Brk(0x1000), 0x600000u + 100);
}

TEST_F(MmTest, RemapGrowsInPlaceOrMovesKeepingContents) {
  uint64_t a = MapAnon(kPageSize);
  ASSERT_TRUE(mm->CopyOut(a, "keep", 5).ok());
  auto g = mm->Remap(a, kPageSize, 2 * kPageSize, 0, 0);
  // Top-down placement leaves no room above the first mapping's neighbour
  // only sometimes; either way the contents must survive.
  if (g.ok()) {
    EXPECT_EQ(*g, a);
  }
  uint64_t blocker = MapAnon(kPageSize);
  (void)blocker;
  auto m = mm->Remap(a, g.ok() ? 2 * kPageSize : kPageSize, 8 * kPageSize, MREMAP_MAYMOVE, 0);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  char buf[8];
  ASSERT_TRUE(mm->CopyIn(*m, buf, 5).ok());
  EXPECT_STREQ(buf, "keep");
  EXPECT_TRUE(mm->CopyOut(*m + 7 * kPageSize, "x", 1).ok());
  EXPECT_EQ(mm->Remap(a + 1, kPageSize, kPageSize, 0, 0).error().code(), EINVAL);
  EXPECT_EQ(mm->Remap(*m, kPageSize, 2 * kPageSize, MREMAP_FIXED, 0).error().code(), EINVAL);
}

TEST_F(MmTest, DontNeedZeroesPrivateAnonymousMemory) {
  uint64_t a = MapAnon(2 * kPageSize);
  ASSERT_TRUE(mm->CopyOut(a, "data", 5).ok());
  ASSERT_TRUE(mm->Advise(a, 2 * kPageSize, MADV_DONTNEED).ok());
  char buf[5];
  ASSERT_TRUE(mm->CopyIn(a, buf, 5).ok());
  EXPECT_EQ(std::string(buf, 5), std::string(5, '\0'));
  EXPECT_EQ(mm->Advise(a, kPageSize, 999).error().code(), EINVAL);
  EXPECT_EQ(mm->Advise(a, 4 * kPageSize, MADV_DONTNEED).error().code(), ENOMEM);
}

TEST_F(MmTest, PrivateFileMappingCopiesAndFaultsPastEndAreSigbus) {
  auto file = std::make_shared<StringFile>(std::string(5000, 'f'));
  MapRequest r;
  r.length = 3 * kPageSize;
  r.prot = PROT_READ | PROT_WRITE;
  r.file = file;
  auto a = mm->Map(r);
  ASSERT_TRUE(a.ok());
  char buf[4];
  ASSERT_TRUE(mm->CopyIn(*a + 4999, buf, 1).ok());
  EXPECT_EQ(buf[0], 'f');
  ASSERT_TRUE(mm->CopyIn(*a + 5000, buf, 1).ok());  // rest of the last page is zero
  EXPECT_EQ(buf[0], 0);
  EXPECT_EQ(mm->CopyIn(*a + 2 * kPageSize, buf, 1).error().code(), EFAULT);
  EXPECT_EQ(mm->ClassifyFault(*a + 2 * kPageSize, SEGV_MAPERR).signo, SIGBUS);
  EXPECT_EQ(mm->ClassifyFault(*a + 100 * kPageSize, SEGV_MAPERR).signo, SIGSEGV);
  ASSERT_TRUE(mm->CopyOut(*a, "priv", 4).ok());
  EXPECT_EQ(file->data[0], 'f');
  EXPECT_NE(mm->MapsText().find("/file"), std::string::npos);
}

TEST_F(MmTest, SharedFileMappingWritesBackOnUnmap) {
  auto file = std::make_shared<StringFile>(std::string(100, 'a'));
  MapRequest r;
  r.length = kPageSize;
  r.prot = PROT_READ | PROT_WRITE;
  r.shared = true;
  r.file = file;
  auto a = mm->Map(r);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(mm->CopyOut(*a, "BB", 2).ok());
  ASSERT_TRUE(mm->Unmap(*a, kPageSize).ok());
  EXPECT_EQ(file->data.substr(0, 3), "BBa");
  EXPECT_EQ(file->data.size(), 100u);
}

TEST_F(MmTest, UnmappedMemoryIsReturnedToTheFile) {
  uint64_t before = mf->allocated();
  uint64_t a = MapAnon(16 * kPageSize);
  EXPECT_EQ(mf->allocated(), before + 16 * kPageSize);
  ASSERT_TRUE(mm->Unmap(a, 16 * kPageSize).ok());
  EXPECT_EQ(mf->allocated(), before);
}

}  // namespace
}  // namespace stockade::sentry::mm
