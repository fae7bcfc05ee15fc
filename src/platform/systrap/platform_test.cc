// The platform contract (platform.h), on every platform that runs
// applications: ptrace and systrap.
#include "platform/ptrace/ptrace_platform.h"
#include "platform/ptrace/stub_layout.h"
#include "platform/systrap/systrap_platform.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <vector>
#include <thread>

namespace stockade::platform {
namespace {

class PlatformTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    fd = memfd_create("t", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 64 << 20), 0);
    mem = static_cast<uint8_t*>(mmap(nullptr, 64 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    auto p = GetParam() == "ptrace" ? ptrace::NewPtracePlatform(fd) : systrap::NewSystrapPlatform(fd);
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
  // The platform still runs a well-behaved address space (after a hostile one).
  void ExpectStillRuns() {
    auto as = WithCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05});
    auto ctx = platform->NewContext();
    Registers r = At(0x400000);
    auto s = (*ctx)->Switch(*as, r);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_EQ(s->reason, StopReason::kSyscall);
    EXPECT_EQ(r.orig_rax, 39u);
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

TEST_P(PlatformTest, SyscallStopsInTheSentry) {
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

TEST_P(PlatformTest, FaultsAndSharedMemory) {
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

TEST_P(PlatformTest, InterruptStopsALoop) {
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

TEST_P(PlatformTest, ManyAddressSpacesAndStubHasNoFds) {
  for (int i = 0; i < 5; i++) {
    auto as = WithCode({0x0f, 0x05});
    auto ctx = platform->NewContext();
    Registers r = At(0x400000);
    auto s = (*ctx)->Switch(*as, r);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->reason, StopReason::kSyscall);
  }
}

// --- a hostile application ---------------------------------------------------
// Code that loads the 64-bit immediates into registers and jumps somewhere.
std::vector<uint8_t> Movabs(uint8_t reg_rex_b_opcode, uint64_t v) {
  // REX.W (+B for r8-r15), B8+reg, imm64
  std::vector<uint8_t> out = {static_cast<uint8_t>(0x48 | (reg_rex_b_opcode >> 3)),
                              static_cast<uint8_t>(0xb8 | (reg_rex_b_opcode & 7))};
  for (int i = 0; i < 8; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return out;
}
enum : uint8_t { kRax = 0, kRcx = 1, kRdx = 2, kRbx = 3, kRsi = 6, kRdi = 7, kR11 = 11 };
void Append(std::vector<uint8_t>& code, const std::vector<uint8_t>& more) {
  code.insert(code.end(), more.begin(), more.end());
}
uint64_t StubSyscall() { return ptrace::StubAddr(ptrace::stockade_stub_inject); }

TEST_P(PlatformTest, JumpingIntoTheStubsSyscallStillStopsInTheSentry) {
  // mprotect(stub, 64K, RW) made from the stub's own syscall instruction.
  std::vector<uint8_t> code;
  Append(code, Movabs(kRdi, ptrace::kStubBase));
  Append(code, Movabs(kRsi, 0x10000));
  Append(code, Movabs(kRdx, PROT_READ | PROT_WRITE | PROT_EXEC));
  Append(code, Movabs(kRax, 10));
  Append(code, Movabs(kRcx, StubSyscall()));
  Append(code, {0xff, 0xe1});  // jmp *%rcx
  auto as = WithCode(code);
  auto ctx = platform->NewContext();
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kSyscall);
  EXPECT_EQ(r.orig_rax, 10u);
  // It was not made: the stub is still read-only to a store.
  std::vector<uint8_t> store = Movabs(kRax, ptrace::kStubBase);
  Append(store, {0xc6, 0x00, 0x00});  // movb $0, (%rax)
  memcpy(mem + 2048, store.data(), store.size());
  r = At(0x400000 + 2048);
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kFault);
  EXPECT_EQ(s->info.si_signo, SIGSEGV);
}

TEST_P(PlatformTest, ArbitraryCallsThroughTheStubAndGarbageMessagesLeaveTheSentryUp) {
  // For each call: its number in rax, garbage in every argument register, then a jump to
  // the stub's syscall instruction; rt_sigreturn with a garbage frame last.
  for (uint64_t nr : {39ul, 62ul, 9ul, 11ul, 202ul, 158ul, 60ul, 15ul}) {
    std::vector<uint8_t> code;
    // Garbage over the start of the message region (a fault if it is not ours).
    Append(code, Movabs(kRdi, ptrace::kSysmsgBase));
    Append(code, Movabs(kRcx, 4096));
    Append(code, Movabs(kRax, 0xa5));
    code.push_back(0xf3), code.push_back(0xaa);  // rep stosb
    Append(code, Movabs(kRdi, 0x7fffffffffff));
    Append(code, Movabs(kRsi, ~0ull));
    Append(code, Movabs(kRdx, 0x4141414141414141));
    Append(code, Movabs(kRax, nr));
    Append(code, Movabs(kRcx, StubSyscall()));
    Append(code, {0xff, 0xe1});
    auto as = WithCode(code);
    auto ctx = platform->NewContext();
    Registers r = At(0x400000);
    r.rsp = 0x500010;  // a garbage signal frame for rt_sigreturn
    memset(mem + 4096, 0x5a, 4096);
    for (int i = 0; i < 3; i++) {
      auto s = (*ctx)->Switch(*as, r);  // any outcome but a hang is acceptable
      if (!s.ok() || s->reason != StopReason::kSyscall) break;
      r.rax = static_cast<uint64_t>(-ENOSYS);
    }
  }
  ExpectStillRuns();
}

TEST_P(PlatformTest, ThreadsRacingOverTheMessageRegion) {
  // Two contexts run in one address space: one scribbles over the message region in a
  // loop, the other makes system calls. Whatever the scribbling does to the threads of
  // that address space, every Switch returns, and the platform runs others as before.
  std::vector<uint8_t> scribble;
  Append(scribble, Movabs(kRdi, ptrace::kSysmsgBase));
  Append(scribble, Movabs(kRcx, 4096));
  Append(scribble, Movabs(kRax, 0x11));
  scribble.insert(scribble.end(), {0xf3, 0xaa, 0xeb, 0xde});  // rep stosb; jmp back to the start (-34)
  std::vector<uint8_t> calls = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7};  // mov $39,%eax; syscall; jmp back
  auto as = WithCode(scribble);
  memcpy(mem + 1024, calls.data(), calls.size());
  auto scribbler = platform->NewContext();
  Context* sc = scribbler->get();
  std::thread t([&] {
    Registers r = At(0x400000);
    for (int i = 0; i < 20; i++) {
      auto s = sc->Switch(*as, r);
      if (!s.ok()) break;
    }
  });
  auto ctx = platform->NewContext();
  Registers r = At(0x400000 + 1024);
  int calls_seen = 0;
  for (int i = 0; i < 200; i++) {
    auto s = (*ctx)->Switch(*as, r);
    if (!s.ok()) break;
    if (s->reason == StopReason::kSyscall) calls_seen++;
  }
  for (int i = 0; i < 50; i++) {
    sc->Interrupt();
    usleep(2000);
  }
  t.join();
  (void)calls_seen;
  auto other = WithCode({0xb8, 39, 0, 0, 0, 0x0f, 0x05});
  auto fresh = platform->NewContext();
  r = At(0x400000);
  auto s = (*fresh)->Switch(*other, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kSyscall);
  EXPECT_EQ(r.orig_rax, 39u);
}

// --- the systrap fast path (syscall-site patching) ----------------------------
// Enters `target` as a patched site's trampoline enters the fast entry:
// rax = the number, rcx = where to return, rbx a value to carry across.
std::vector<uint8_t> FastCall(uint64_t target, uint64_t nr, uint64_t ret) {
  std::vector<uint8_t> code;
  Append(code, Movabs(kRbx, 0x77));
  Append(code, Movabs(kRax, nr));
  Append(code, Movabs(kRcx, ret));
  Append(code, Movabs(kR11, target));
  Append(code, {0x41, 0xff, 0xe3});  // jmp *%r11
  return code;
}
// Code at `offset` of the code page.
void CodeAt(uint8_t* mem, size_t offset, const std::vector<uint8_t>& code) { memcpy(mem + offset, code.data(), code.size()); }

// The platforms with a fast entry (systrap).
using FastPathTest = PlatformTest;

TEST_P(FastPathTest, FastEntryStopsAndReturnsWhereRcxSays) {
  uint64_t entry = platform->SyscallPatchEntry();
  ASSERT_NE(entry, 0u);
  auto as = WithCode(FastCall(entry, 39, 0x400800));
  CodeAt(mem, 0x800, {0x48, 0x01, 0xd8, 0x0f, 0x05});  // add %rbx,%rax; syscall
  auto ctx = platform->NewContext();
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kSyscall);
  EXPECT_TRUE(s->fast_entry);
  EXPECT_EQ(r.orig_rax, 39u);
  EXPECT_EQ(r.rip, 0x400800u);
  EXPECT_EQ(r.rbx, 0x77u);
  EXPECT_EQ(r.gs_base, 0u);  // the slot's base is the platform's, not the application's
  // The plain return: rax and rbx as the Sentry left them (3 + 36 = 39).
  r.rax = 3;
  r.rbx = 36;
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kSyscall);
  EXPECT_FALSE(s->fast_entry);
  EXPECT_EQ(r.orig_rax, 39u);
}

TEST_P(FastPathTest, FastEntryTakesTheFullRestoreForFlagsAndFpState) {
  uint64_t entry = platform->SyscallPatchEntry();
  ASSERT_NE(entry, 0u);
  auto as = WithCode(FastCall(entry, 39, 0x400800));
  CodeAt(mem, 0x800, {0x0f, 0x92, 0xc0, 0x48, 0x0f, 0xb6, 0xc0, 0x0f, 0x05});  // setc %al; movzbq %al,%rax; syscall
  CodeAt(mem, 0x900, {0x66, 0x48, 0x0f, 0x7e, 0xc0, 0x0f, 0x05});              // movq %xmm0,%rax; syscall
  auto ctx = platform->NewContext();
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok() && s->fast_entry);
  r.eflags = 0x203;  // CF, which the plain return cannot restore
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(r.orig_rax, 1u);
  // Once more, now with new FP state: xmm0 = 0x1234.
  r = At(0x400000);
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok() && s->fast_entry);
  auto fp = (*ctx)->GetFpState(*as);
  ASSERT_TRUE(fp.ok());
  fp->xmm_space[0] = 0x1234;
  fp->xmm_space[1] = 0;
  ASSERT_TRUE((*ctx)->SetFpState(*as, *fp).ok());
  r.rip = 0x400900;
  s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(r.orig_rax, 0x1234u);
}

TEST_P(FastPathTest, FastEntryReturnIsInterruptible) {
  uint64_t entry = platform->SyscallPatchEntry();
  ASSERT_NE(entry, 0u);
  auto as = WithCode(FastCall(entry, 39, 0x400800));
  CodeAt(mem, 0x800, {0xeb, 0xfe});  // jmp .
  auto ctx = platform->NewContext();
  Registers r = At(0x400000);
  auto s = (*ctx)->Switch(*as, r);
  ASSERT_TRUE(s.ok() && s->fast_entry);
  Context* c = ctx->get();
  std::thread t([c] {
    usleep(50000);
    c->Interrupt();
  });
  s = (*ctx)->Switch(*as, r);
  t.join();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->reason, StopReason::kInterrupted);
  EXPECT_EQ(r.rip, 0x400800u);
}

TEST_P(FastPathTest, FastEntryWithTheApplicationsOwnGsBaseIsStillASyscall) {
  uint64_t entry = platform->SyscallPatchEntry();
  ASSERT_NE(entry, 0u);
  // GS at a page of zeros (no slot's magic), then at nothing mapped.
  for (uint64_t gs : {0x500000ul, 0x900000ul}) {
    auto as = WithCode(FastCall(entry, 39, 0x400800));
    memset(mem + 4096, 0, 4096);
    auto ctx = platform->NewContext();
    Registers r = At(0x400000);
    r.gs_base = gs;
    auto s = (*ctx)->Switch(*as, r);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_EQ(s->reason, StopReason::kSyscall) << std::hex << gs;
    EXPECT_EQ(r.orig_rax, 39u);
    EXPECT_EQ(r.rip, 0x400800u);
    EXPECT_EQ(r.gs_base, gs);
    EXPECT_EQ(mem[4096 + 56], 0) << "nothing written through the application's GS";
  }
}

TEST_P(FastPathTest, JumpsIntoTheFastPathWithGarbageLeaveTheSentryUp) {
  uint64_t entry = platform->SyscallPatchEntry();
  ASSERT_NE(entry, 0u);
  for (uint64_t target : {entry, ptrace::StubAddr(ptrace::stockade_stub_fast_save),
                          ptrace::StubAddr(ptrace::stockade_stub_fast_resume),
                          ptrace::StubAddr(ptrace::stockade_stub_fast_resume) + 7,
                          ptrace::StubAddr(ptrace::stockade_stub_fast_not_ours)}) {
    for (uint64_t nr : {202ul, 60ul, 9ul, 158ul}) {
      std::vector<uint8_t> code;
      // Garbage over the thread's slot first (a fault if it is not ours).
      Append(code, Movabs(kRdi, ptrace::kSysmsgBase));
      Append(code, Movabs(kRcx, 4096));
      Append(code, Movabs(kRax, 0xa5));
      code.push_back(0xf3), code.push_back(0xaa);  // rep stosb
      Append(code, FastCall(target, nr, 0x7fffffffffff));
      auto as = WithCode(code);
      auto ctx = platform->NewContext();
      Registers r = At(0x400000);
      for (int i = 0; i < 3; i++) {
        auto s = (*ctx)->Switch(*as, r);  // any outcome but a hang is acceptable
        if (!s.ok()) break;
        r = At(0x400000);
      }
    }
  }
  ExpectStillRuns();
}

INSTANTIATE_TEST_SUITE_P(Platforms, PlatformTest, ::testing::Values("ptrace", "systrap"),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Platforms, FastPathTest, ::testing::Values("systrap"), [](const auto& p) { return p.param; });

}  // namespace
}  // namespace stockade::platform
