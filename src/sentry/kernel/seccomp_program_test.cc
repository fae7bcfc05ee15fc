// SeccompProgram against programs libseccomp compiles: the actions it picks
// must be the ones the host kernel would (checked against the rules' meaning,
// including conditions on both halves of 64-bit arguments).
#include "sentry/kernel/seccomp.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace stockade::sentry::kernel {
namespace {

// Exports a libseccomp filter as the BPF the kernel would be given.
std::string Export(scmp_filter_ctx ctx) {
  int fd = memfd_create("bpf", MFD_CLOEXEC);
  EXPECT_EQ(0, seccomp_export_bpf(ctx, fd));
  off_t n = lseek(fd, 0, SEEK_END);
  std::string out(static_cast<size_t>(n), '\0');
  EXPECT_EQ(n, pread(fd, out.data(), out.size(), 0));
  close(fd);
  return out;
}

struct seccomp_data Call(int nr, std::initializer_list<uint64_t> args = {}) {
  platform::Registers regs{};
  regs.orig_rax = static_cast<uint64_t>(nr);
  regs.rip = 0x401000;
  unsigned long long* slots[6] = {&regs.rdi, &regs.rsi, &regs.rdx, &regs.r10, &regs.r8, &regs.r9};
  int i = 0;
  for (uint64_t a : args) *slots[i++] = a;
  return SeccompProgram::DataFor(regs);
}

class SeccompProgramTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    ASSERT_NE(ctx_, nullptr);
  }
  void TearDown() override { seccomp_release(ctx_); }
  std::shared_ptr<const SeccompProgram> Build() {
    auto p = SeccompProgram::New(Export(ctx_));
    EXPECT_TRUE(p.ok()) << p.error().ToString();
    return p.ok() ? *p : nullptr;
  }
  scmp_filter_ctx ctx_ = nullptr;
};

TEST_F(SeccompProgramTest, DefaultActionAndAllowedCalls) {
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_ALLOW, SCMP_SYS(getpid), 0));
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(tuxcall), 0));
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kexec_load), 0));
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_TRAP, SCMP_SYS(reboot), 0));
  auto p = Build();
  ASSERT_TRUE(p);
  EXPECT_EQ(SECCOMP_RET_ALLOW, p->Run(Call(SYS_getpid)));
  EXPECT_EQ(SECCOMP_RET_ERRNO | EPERM, p->Run(Call(SYS_getppid)));
  EXPECT_EQ(SECCOMP_RET_ERRNO | ENOSYS, p->Run(Call(SYS_tuxcall)));
  EXPECT_EQ(SECCOMP_RET_KILL_PROCESS, p->Run(Call(SYS_kexec_load)));
  EXPECT_EQ(SECCOMP_RET_TRAP, p->Run(Call(SYS_reboot)));
  // Numbers past the table take the default.
  EXPECT_EQ(SECCOMP_RET_ERRNO | EPERM, p->Run(Call(4000)));
}

TEST_F(SeccompProgramTest, ArgumentConditionsSeeBothHalvesOfEachWord) {
  // personality(0xffffffff) allowed; write only to FD 1; mmap only without PROT_EXEC.
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, 0xffffffffull)));
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 1)));
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)));
  ASSERT_EQ(0, seccomp_rule_add(ctx_, SCMP_ACT_ALLOW, SCMP_SYS(lseek), 1, SCMP_A1(SCMP_CMP_GT, 0x100000000ull)));
  auto p = Build();
  ASSERT_TRUE(p);
  EXPECT_EQ(SECCOMP_RET_ALLOW, p->Run(Call(SYS_personality, {0xffffffffull})));
  EXPECT_NE(SECCOMP_RET_ALLOW, p->Run(Call(SYS_personality, {0x1ffffffffull})));  // the high word differs
  EXPECT_EQ(SECCOMP_RET_ALLOW, p->Run(Call(SYS_write, {1, 0, 5})));
  EXPECT_EQ(SECCOMP_RET_ERRNO | EPERM, p->Run(Call(SYS_write, {2, 0, 5})));
  EXPECT_EQ(SECCOMP_RET_ALLOW, p->Run(Call(SYS_mmap, {0, 4096, PROT_READ | PROT_WRITE})));
  EXPECT_EQ(SECCOMP_RET_ERRNO | EPERM, p->Run(Call(SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC})));
  EXPECT_EQ(SECCOMP_RET_ALLOW, p->Run(Call(SYS_lseek, {3, 0x200000000ull})));
  EXPECT_EQ(SECCOMP_RET_ERRNO | EPERM, p->Run(Call(SYS_lseek, {3, 0xffffffffull})));
}

TEST(SeccompProgram, RejectsWhatIsNotAProgram) {
  EXPECT_FALSE(SeccompProgram::New("").ok());
  EXPECT_FALSE(SeccompProgram::New("1234567").ok());  // not a whole instruction
  // A jump past the end.
  struct sock_filter bad[] = {BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_FALSE(SeccompProgram::New(std::string(reinterpret_cast<char*>(bad), sizeof bad)).ok());
}

// The fuzz target's corpus (seccomp_program_fuzz.cc: seccomp_data, then the program), replayed:
// each "bad_" input is refused, each other is a program that runs to the same verdict twice.
TEST(SeccompProgram, FuzzCorpusReplays) {
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SECCOMP_FUZZ_CORPUS_DIR)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    struct seccomp_data d;
    ASSERT_GE(bytes.size(), sizeof d) << entry.path();
    memcpy(&d, bytes.data(), sizeof d);
    auto p = SeccompProgram::New(bytes.substr(sizeof d));
    bool bad = entry.path().filename().string().rfind("bad_", 0) == 0;
    EXPECT_EQ(p.ok(), !bad) << entry.path();
    if (p.ok()) EXPECT_EQ((*p)->Run(d), (*p)->Run(d));
    seen++;
  }
  EXPECT_GE(seen, 5);
}

}  // namespace
}  // namespace stockade::sentry::kernel
