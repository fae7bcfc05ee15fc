#include "platform/ptrace/ptrace_platform.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace stockade::platform::ptrace {
namespace {

class PtraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd = memfd_create("t", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 64 << 20), 0);
    mem = static_cast<uint8_t*>(mmap(nullptr, 64 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    auto p = NewPtracePlatform(fd);
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    platform = std::move(p).value();
  }
  void TearDown() override {
    platform.reset();
    munmap(mem, 64 << 20);
    close(fd);
  }
  // Maps `code` RX at 0x400000 (file offset 0) and a RW page at 0x500000 (offset 4096).
  std::unique_ptr<AddressSpace> WithCode(const std::vector<uint8_t>& code) {
    memcpy(mem, code.data(), code.size());
    auto as = platform->NewAddressSpace();
    EXPECT_TRUE(as.ok()) << as.error().ToString();
    EXPECT_TRUE((*as)->MapFile(0x400000, 0, 4096, PROT_READ | PROT_EXEC).ok());
    EXPECT_TRUE((*as)->MapFile(0x500000, 4096, 4096, PROT_READ | PROT_WRITE).ok());
    return std::move(as).value();
  }
  Registers At(uint64_t rip) {
    Registers r{};
    r.rip = rip;
    r.rsp = 0x500800;
    r.cs = 0x33;
    r.ss = 0x2b;
    r.eflags = 0x202;
    return r;
  }
  int fd;
  uint8_t* mem;
  std::unique_ptr<Platform> platform;
};

TEST_F(PtraceTest, SyscallStopsInTheSentry) {
  // mov $39,%eax; syscall; mov $7,%eax; syscall
  auto as = WithCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xb8, 7, 0, 0, 0, 0x0f, 0x05});
  auto ctx = platform->NewContext();
  ASSERT_TRUE(ctx.ok());
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kSyscall);
  EXPECT_EQ(r.orig_rax, 39u);
  EXPECT_EQ(r.rip, 0x400007u);
  r.rax = 1234;
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(r.orig_rax, 7u);
}

TEST_F(PtraceTest, FaultsAndSharedMemory) {
  // mov 0x500000,%rax (abs); mov (%rax),%rbx ; mov $1,%eax; syscall; then load from 0x900000
  std::vector<uint8_t> code = {0x48, 0xb8, 0, 0, 0x50, 0, 0, 0, 0, 0,  // movabs $0x500000,%rax
                               0x48, 0x8b, 0x18,                      // mov (%rax),%rbx
                               0x0f, 0x05,                            // syscall
                               0x48, 0xb8, 0, 0, 0x90, 0, 0, 0, 0, 0,  // movabs $0x900000,%rax
                               0x48, 0x8b, 0x18};                     // mov (%rax),%rbx
  auto as = WithCode(code);
  memcpy(mem + 4096, "\x2a\0\0\0\0\0\0\0", 8);
  auto ctx = platform->NewContext();
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reason, StopReason::kSyscall);
  EXPECT_EQ(r.rbx, 42u);
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reason, StopReason::kFault);
  EXPECT_EQ(s->info.si_signo, SIGSEGV);
  EXPECT_EQ(reinterpret_cast<uint64_t>(s->info.si_addr), 0x900000u);
}

TEST_F(PtraceTest, InterruptStopsALoop) {
  auto as = WithCode({0xeb, 0xfe});  // jmp .
  auto ctx = platform->NewContext();
  Context* c = ctx->get();
  std::thread t([c] {
    usleep(50000);
    c->Interrupt();
  });
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  t.join();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->reason, StopReason::kInterrupted);
}

TEST_F(PtraceTest, ManyAddressSpacesAndStubHasNoFds) {
  for (int i = 0; i < 5; i++) {
    auto as = WithCode({0x0f, 0x05});
    auto ctx = platform->NewContext();
    Registers r = At(0x400000);
    auto s = (*ctx)->Switch(*as, r);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->reason, StopReason::kSyscall);
  }
}

}  // namespace
}  // namespace stockade::platform::ptrace
