// Tests for the loader core. Where the host kernel can act as the oracle it does: the corrupted
// ELF table, the #! cases, the argument limits and the stack and load layouts are all checked
// against what a real execve on this machine does.
#include <elf.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/io.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/file_reader.h"
#include "sentry/loader/layout.h"
#include "sentry/loader/shebang.h"
#include "sentry/loader/stack.h"

namespace stockade::sentry::loader {
namespace {

// The host's TASK_SIZE for 64-bit processes (47-bit address space, top page excluded), for
// comparisons with host processes; the Sentry itself uses kDefaultTaskSize.
constexpr uint64_t kHostTaskSize = 0x7ffffffff000;

std::string Slurp(const std::string& path) {
  auto data = ReadFile(path);
  if (!data.ok()) ADD_FAILURE() << data.error().ToString();
  return data.ok() ? *data : std::string();
}

Result<ElfImage> Parse(const std::string& bytes, ElfRole role = ElfRole::kExecutable) {
  BufferFileReader reader(bytes);
  return ParseElf(reader, role);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/loader_test.XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() { (void)RemoveAll(path_); }
  std::string Write(const std::string& name, const std::string& data) {
    std::string p = path_ + "/" + name;
    auto st = WriteFileAtomic(p, data, 0755);
    if (!st.ok()) ADD_FAILURE() << st.error().ToString();
    return p;
  }

 private:
  std::string path_;
};

// ---- Running programs on the host ---------------------------------------------------------

struct ExecOutcome {
  int exec_errno = 0;   // what execve returned; 0 once it got past the point of no return
  int term_signal = 0;  // what killed the child, if anything
  int exit_code = -1;
  std::string out;
};

// fork + execve with ASLR off (so layouts are reproducible) and an optional stack rlimit.
ExecOutcome Exec(const std::string& path, const std::vector<std::string>& argv,
                 const std::vector<std::string>& envp, rlim_t stack_rlimit = 8 << 20) {
  std::vector<char*> av, ev;
  for (const auto& s : argv) av.push_back(const_cast<char*>(s.c_str()));
  for (const auto& s : envp) ev.push_back(const_cast<char*>(s.c_str()));
  av.push_back(nullptr);
  ev.push_back(nullptr);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    int e = 0;
    rlimit rl{stack_rlimit, stack_rlimit};
    int devnull = open("/dev/null", O_WRONLY);  // busybox complains about unknown applets
    if (personality(ADDR_NO_RANDOMIZE) < 0 || setrlimit(RLIMIT_STACK, &rl) != 0 ||
        dup2(out[1], 1) < 0 || devnull < 0 || dup2(devnull, 2) < 0) {
      e = errno;
    } else {
      execve(path.c_str(), av.data(), ev.data());
      e = errno;
    }
    (void)!write(err[1], &e, sizeof(e));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  ExecOutcome r;
  char buf[65536];
  for (ssize_t n; (n = read(out[0], buf, sizeof(buf))) > 0;) r.out.append(buf, n);
  if (read(err[0], &r.exec_errno, sizeof(r.exec_errno)) != sizeof(r.exec_errno)) r.exec_errno = 0;
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

struct MapLine {
  uint64_t start = 0, end = 0, offset = 0;
  std::string perms, path;
};

// What stack_layout_helper printed about itself.
struct HelperDump {
  uint64_t sp = 0, top = 0;
  std::vector<std::string> stat;  // /proc/self/stat fields from field 3 (state) on
  std::vector<MapLine> maps;
  std::vector<uint8_t> mem;       // [sp, top)
  uint64_t StatField(int n) const { return std::stoull(stat.at(n - 3)); }  // 1-based, man proc
};

HelperDump ParseDump(const std::string& out) {
  HelperDump d;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::string tag = line.substr(0, line.find(' '));
    std::string rest = line.substr(tag.size() + 1);
    if (tag == "sp") d.sp = std::stoull(rest, nullptr, 16);
    if (tag == "top") d.top = std::stoull(rest, nullptr, 16);
    if (tag == "stat") {
      std::istringstream fields(rest.substr(rest.rfind(')') + 2));
      for (std::string f; fields >> f;) d.stat.push_back(f);
    }
    if (tag == "map") {
      MapLine m;
      std::istringstream f(rest);
      std::string range, dev, inode;
      f >> range >> m.perms >> std::hex >> m.offset >> dev >> inode;
      std::getline(f >> std::ws, m.path);
      m.start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
      m.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
      d.maps.push_back(m);
    }
    if (tag == "mem") {
      for (size_t i = 0; i + 1 < rest.size(); i += 2) {
        d.mem.push_back(std::stoi(rest.substr(i, 2), nullptr, 16));
      }
    }
  }
  return d;
}

// ---- Reading a stack image back, independently of stack.cc --------------------------------

class StackReader {
 public:
  StackReader(const std::vector<uint8_t>& mem, uint64_t base) : mem_(mem), base_(base) {}
  bool Has(uint64_t addr, uint64_t len) const {
    return addr >= base_ && addr - base_ <= mem_.size() && mem_.size() - (addr - base_) >= len;
  }
  uint64_t Word(uint64_t addr) const {
    uint64_t v = 0;
    if (Has(addr, 8)) memcpy(&v, &mem_[addr - base_], 8);
    else ADD_FAILURE() << "word outside the stack at " << std::hex << addr;
    return v;
  }
  std::string CStr(uint64_t addr) const {
    std::string s;
    for (; Has(addr, 1) && mem_[addr - base_] != 0; addr++) s.push_back(mem_[addr - base_]);
    if (!Has(addr, 1)) ADD_FAILURE() << "string runs off the stack";
    return s;
  }
  std::vector<uint8_t> Bytes(uint64_t addr, size_t len) const {
    if (!Has(addr, len)) {
      ADD_FAILURE() << "bytes outside the stack";
      return {};
    }
    return {mem_.begin() + (addr - base_), mem_.begin() + (addr - base_ + len)};
  }

 private:
  const std::vector<uint8_t>& mem_;
  uint64_t base_;
};

struct ParsedStack {
  uint64_t argc = 0;
  std::vector<uint64_t> argv_ptrs, envp_ptrs;
  std::vector<std::string> argv, envp;
  std::vector<std::pair<uint64_t, uint64_t>> auxv;  // AT_NULL included
  uint64_t Aux(uint64_t key) const {
    for (auto [k, v] : auxv) {
      if (k == key) return v;
    }
    ADD_FAILURE() << "no auxv entry " << key;
    return 0;
  }
  bool HasAux(uint64_t key) const {
    for (auto [k, v] : auxv) {
      if (k == key) return true;
    }
    return false;
  }
};

ParsedStack ReadStack(const std::vector<uint8_t>& mem, uint64_t sp) {
  StackReader r(mem, sp);
  ParsedStack p;
  uint64_t at = sp;
  p.argc = r.Word(at);
  at += 8;
  for (uint64_t i = 0; i < p.argc && r.Has(at, 8); i++, at += 8) {
    p.argv_ptrs.push_back(r.Word(at));
    p.argv.push_back(r.CStr(p.argv_ptrs.back()));
  }
  EXPECT_EQ(r.Word(at), 0u) << "argv not NULL-terminated";
  at += 8;
  for (; r.Has(at, 8) && r.Word(at) != 0; at += 8) {
    p.envp_ptrs.push_back(r.Word(at));
    p.envp.push_back(r.CStr(p.envp_ptrs.back()));
  }
  at += 8;
  for (; r.Has(at, 16); at += 16) {
    p.auxv.emplace_back(r.Word(at), r.Word(at + 8));
    if (p.auxv.back().first == AT_NULL) break;
  }
  EXPECT_FALSE(p.auxv.empty() || p.auxv.back().first != AT_NULL) << "auxv not AT_NULL-terminated";
  return p;
}

std::vector<uint64_t> Keys(const std::vector<std::pair<uint64_t, uint64_t>>& auxv) {
  std::vector<uint64_t> keys;
  for (auto [k, v] : auxv) keys.push_back(k);
  return keys;
}

// ---- ELF: real binaries ---------------------------------------------------------------------

// readelf's view of a file, when binutils is installed.
struct ReadelfFacts {
  bool ok = false;
  std::string type;
  uint64_t entry = 0;
  int loads = 0;
  std::string interpreter;
};

ReadelfFacts Readelf(const std::string& path) {
  ReadelfFacts f;
  std::string cmd = "readelf -hlW '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return f;
  char line[1024];
  while (fgets(line, sizeof(line), p)) {
    std::string s(line);
    if (s.find("Type:") != std::string::npos) {
      std::istringstream(s.substr(s.find(':') + 1)) >> f.type;
      f.ok = true;
    }
    if (s.find("Entry point address:") != std::string::npos) {
      f.entry = std::stoull(s.substr(s.find("0x")), nullptr, 16);
    }
    if (s.find("  LOAD ") != std::string::npos) f.loads++;
    if (auto i = s.find("[Requesting program interpreter: "); i != std::string::npos) {
      i += strlen("[Requesting program interpreter: ");
      f.interpreter = s.substr(i, s.find(']') - i);
    }
  }
  pclose(p);
  return f;
}

void ExpectMatchesReadelf(const std::string& path, const ElfImage& image) {
  ReadelfFacts f = Readelf(path);
  if (!f.ok) GTEST_SKIP() << "readelf not available";
  EXPECT_EQ(image.entry, f.entry);
  EXPECT_EQ(image.pie, f.type == "DYN");
  EXPECT_EQ(image.loads.size(), static_cast<size_t>(f.loads));
  EXPECT_EQ(image.interpreter.value_or(""), f.interpreter);
}

TEST(ElfRealTest, BusyboxIsStatic) {
  if (!PathExists("/bin/busybox")) GTEST_SKIP() << "no /bin/busybox";
  std::string bytes = Slurp("/bin/busybox");
  auto image = Parse(bytes);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_FALSE(image->pie);
  EXPECT_FALSE(image->interpreter);
  EXPECT_FALSE(image->exec_stack);
  EXPECT_EQ(ChooseLoadBias(*image, DefaultEtDynBase(kDefaultTaskSize)), 0u);
  auto layout = ComputeLayout(*image, 0);
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();
  EXPECT_EQ(layout->entry, image->entry);
  ExpectMatchesReadelf("/bin/busybox", *image);
}

TEST(ElfRealTest, LsIsPieWithInterpreter) {
  if (!PathExists("/bin/ls")) GTEST_SKIP() << "no /bin/ls";
  std::string bytes = Slurp("/bin/ls");
  auto image = Parse(bytes);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_TRUE(image->pie);
  ASSERT_TRUE(image->interpreter);
  EXPECT_EQ(image->interpreter->front(), '/');
  // Without ASLR Linux puts a page-aligned PIE at 2/3 of the 47-bit space, the familiar
  // 0x555555554000.
  auto bias = ChooseLoadBias(*image, DefaultEtDynBase(kHostTaskSize));
  ASSERT_TRUE(bias);
  if (MaxAlignment(*image) == kPageSize) {
    EXPECT_EQ(*bias, 0x555555554000u);
  }
  ExpectMatchesReadelf("/bin/ls", *image);
}

// This test binary was loaded by the host kernel: its auxv says where.
TEST(ElfRealTest, SelfMatchesAuxv) {
  std::string bytes = Slurp("/proc/self/exe");
  auto image = Parse(bytes);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  uint64_t bias = image->pie ? getauxval(AT_ENTRY) - image->entry : 0;
  auto layout = ComputeLayout(*image, bias, kHostTaskSize);
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();
  EXPECT_EQ(layout->entry, getauxval(AT_ENTRY));
  EXPECT_EQ(layout->phdr_addr, getauxval(AT_PHDR));
  EXPECT_EQ(image->phnum, getauxval(AT_PHNUM));
  EXPECT_EQ(image->phentsize, getauxval(AT_PHENT));
  EXPECT_EQ(bias % MaxAlignment(*image), 0u);
}

// ---- ELF: corrupted headers, with the host kernel as the oracle -------------------------------

Elf64_Ehdr* Ehdr(std::string& b) { return reinterpret_cast<Elf64_Ehdr*>(b.data()); }
Elf64_Phdr* Phdr(std::string& b, int i) {
  return reinterpret_cast<Elf64_Phdr*>(b.data() + Ehdr(b)->e_phoff) + i;
}
int FindPhdr(std::string& b, const std::function<bool(const Elf64_Phdr&)>& pred, int nth = 0) {
  for (int i = 0; i < Ehdr(b)->e_phnum; i++) {
    if (pred(*Phdr(b, i)) && nth-- == 0) return i;
  }
  ADD_FAILURE() << "no such program header";
  return 0;
}
int Note(std::string& b, int nth = 0) {
  return FindPhdr(b, [](const Elf64_Phdr& p) { return p.p_type == PT_NOTE; }, nth);
}
int DataSegment(std::string& b) {
  return FindPhdr(b, [](const Elf64_Phdr& p) {
    return p.p_type == PT_LOAD && (p.p_flags & PF_W) && p.p_memsz > p.p_filesz;
  });
}
// Appends a string to the file and points program header i, made a PT_INTERP, at it.
void MakeInterp(std::string& b, int i, const std::string& path) {
  Elf64_Phdr* p = Phdr(b, i);
  p->p_type = PT_INTERP;
  p->p_offset = b.size();
  p->p_filesz = p->p_memsz = path.size();
  b += path;
}

constexpr char kLdSo[] = "/lib64/ld-linux-x86-64.so.2";

enum class Stage { kOk, kParse, kLayout };
struct Corruption {
  const char* name;
  std::function<void(std::string&)> mutate;
  Stage stage;
  int err = 0;
  std::function<void(const ElfImage&)> check = nullptr;
};

std::vector<Corruption> Corruptions() {
  auto set_phnum = [](std::string& b, int n) {
    // The extra entries are zeros (PT_NULL), so only the table's size matters.
    size_t from = Ehdr(b)->e_phoff + Ehdr(b)->e_phnum * sizeof(Elf64_Phdr);
    size_t to = Ehdr(b)->e_phoff + n * sizeof(Elf64_Phdr);
    if (to > b.size()) b.resize(to);
    if (to > from) std::fill(b.begin() + from, b.begin() + to, '\0');
    Ehdr(b)->e_phnum = n;
  };
  return {
      {"bad_magic", [](std::string& b) { b[1] = 'X'; }, Stage::kParse, ENOEXEC},
      // x86-64's elf_check_arch reads e_machine only: Linux runs these.
      {"class_32", [](std::string& b) { b[EI_CLASS] = ELFCLASS32; }, Stage::kOk},
      {"data_msb", [](std::string& b) { b[EI_DATA] = ELFDATA2MSB; }, Stage::kOk},
      {"machine_386", [](std::string& b) { Ehdr(b)->e_machine = EM_386; }, Stage::kParse,
       ENOEXEC},
      {"type_rel", [](std::string& b) { Ehdr(b)->e_type = ET_REL; }, Stage::kParse, ENOEXEC},
      {"type_core", [](std::string& b) { Ehdr(b)->e_type = ET_CORE; }, Stage::kParse, ENOEXEC},
      {"phentsize_32", [](std::string& b) { Ehdr(b)->e_phentsize = 32; }, Stage::kParse,
       ENOEXEC},
      {"phnum_0", [](std::string& b) { Ehdr(b)->e_phnum = 0; }, Stage::kParse, ENOEXEC},
      {"phnum_65535", [](std::string& b) { Ehdr(b)->e_phnum = 0xffff; }, Stage::kParse, ENOEXEC},
      {"phnum_1171_over_64k", [=](std::string& b) { set_phnum(b, 1171); }, Stage::kParse,
       ENOEXEC},
      {"phnum_1170_fits", [=](std::string& b) { set_phnum(b, 1170); }, Stage::kOk},
      {"phoff_past_eof", [](std::string& b) { Ehdr(b)->e_phoff = b.size() + 100; },
       Stage::kParse, ENOEXEC},
      {"truncated_0", [](std::string& b) { b.clear(); }, Stage::kParse, ENOEXEC},
      {"truncated_40", [](std::string& b) { b.resize(40); }, Stage::kParse, ENOEXEC},
      {"truncated_100", [](std::string& b) { b.resize(100); }, Stage::kParse, ENOEXEC},
      {"truncated_before_data",
       [](std::string& b) { b.resize(Phdr(b, DataSegment(b))->p_offset); }, Stage::kLayout,
       EINVAL},
      {"filesz_gt_memsz",
       [](std::string& b) {
         Elf64_Phdr* p = Phdr(b, DataSegment(b));
         p->p_filesz = p->p_memsz + 1;
       },
       Stage::kLayout, EINVAL},
      {"offset_past_eof", [](std::string& b) { Phdr(b, DataSegment(b))->p_offset += 1 << 28; },
       Stage::kLayout, EINVAL},
      {"offset_unaligned", [](std::string& b) { Phdr(b, DataSegment(b))->p_offset += 1; },
       Stage::kLayout, EINVAL},
      {"vaddr_overflow",
       [](std::string& b) {
         Elf64_Phdr* p = Phdr(b, DataSegment(b));
         p->p_vaddr = p->p_paddr = 0xfffffffffffff000 | (p->p_vaddr & 0xfff);
       },
       Stage::kLayout, EINVAL},
      {"vaddr_past_task_size",
       [](std::string& b) {
         Elf64_Phdr* p = Phdr(b, DataSegment(b));
         p->p_vaddr = p->p_paddr = kHostTaskSize | (p->p_vaddr & 0xfff);
       },
       Stage::kLayout, EINVAL},
      {"memsz_huge", [](std::string& b) { Phdr(b, DataSegment(b))->p_memsz = ~0ull << 16; },
       Stage::kLayout, EINVAL},
      {"entry_past_task_size", [](std::string& b) { Ehdr(b)->e_entry = kHostTaskSize; },
       Stage::kLayout, EINVAL},
      {"dyn_without_load",
       [](std::string& b) {
         Ehdr(b)->e_type = ET_DYN;
         for (int i = 0; i < Ehdr(b)->e_phnum; i++) {
           if (Phdr(b, i)->p_type == PT_LOAD) Phdr(b, i)->p_type = PT_NULL;
         }
       },
       Stage::kLayout, EINVAL},
      {"interp_unterminated", [](std::string& b) { MakeInterp(b, Note(b), "/nonexistent"); },
       Stage::kParse, ENOEXEC},
      {"interp_size_1", [](std::string& b) { MakeInterp(b, Note(b), std::string(1, '\0')); },
       Stage::kParse, ENOEXEC},
      {"interp_size_4097",
       [](std::string& b) { MakeInterp(b, Note(b), std::string(4096, '/') + '\0'); },
       Stage::kParse, ENOEXEC},
      {"interp_past_eof",
       [](std::string& b) {
         int note = Note(b);
         MakeInterp(b, note, std::string(kLdSo) + '\0');
         Phdr(b, note)->p_filesz += 1;
       },
       Stage::kParse, EIO},
      // Linux reads the first PT_INTERP and never looks at another.
      {"two_interp_second_bad",
       [](std::string& b) {
         int first = Note(b, 0), second = Note(b, 1);
         MakeInterp(b, first, std::string(kLdSo) + '\0');
         MakeInterp(b, second, "junk");
       },
       Stage::kOk, 0, [](const ElfImage& i) { EXPECT_EQ(i.interpreter.value_or(""), kLdSo); }},
      {"two_interp_first_bad",
       [](std::string& b) {
         int first = Note(b, 0), second = Note(b, 1);
         MakeInterp(b, first, "junk");
         MakeInterp(b, second, std::string(kLdSo) + '\0');
       },
       Stage::kParse, ENOEXEC},
      {"interp_embedded_nul",
       [](std::string& b) { MakeInterp(b, Note(b), std::string(kLdSo) + '\0' + "x" + '\0'); },
       Stage::kOk, 0, [](const ElfImage& i) { EXPECT_EQ(i.interpreter.value_or(""), kLdSo); }},
      {"exec_stack",
       [](std::string& b) {
         Phdr(b, FindPhdr(b, [](const Elf64_Phdr& p) { return p.p_type == PT_GNU_STACK; }))
             ->p_flags |= PF_X;
       },
       Stage::kOk, 0, [](const ElfImage& i) { EXPECT_TRUE(i.exec_stack); }},
  };
}

void RunCorruptionTable(const std::string& base_path, bool ask_kernel) {
  const std::string base = Slurp(base_path);
  ASSERT_GE(base.size(), sizeof(Elf64_Ehdr));
  TempDir dir;
  for (const Corruption& c : Corruptions()) {
    SCOPED_TRACE(c.name);
    std::string bytes = base;
    c.mutate(bytes);
    auto image = Parse(bytes);
    Result<LoadLayout> layout = Error(0, "not computed");
    if (image.ok()) {
      uint64_t bias =
          ChooseLoadBias(*image, DefaultEtDynBase(kHostTaskSize)).value_or(0x10000000);
      layout = ComputeLayout(*image, bias, kHostTaskSize);
    }
    switch (c.stage) {
      case Stage::kOk:
        ASSERT_TRUE(image.ok()) << image.error().ToString();
        EXPECT_TRUE(layout.ok()) << layout.error().ToString();
        if (c.check) c.check(*image);
        break;
      case Stage::kParse:
        ASSERT_FALSE(image.ok());
        EXPECT_EQ(image.error().code(), c.err) << image.error().ToString();
        break;
      case Stage::kLayout:
        ASSERT_TRUE(image.ok()) << image.error().ToString();
        ASSERT_FALSE(layout.ok());
        EXPECT_EQ(layout.error().code(), c.err) << layout.error().ToString();
        break;
    }
    if (!ask_kernel) continue;
    // The host kernel: errors we report from ParseElf are execve's errno; those from the layout
    // come after the point of no return, where Linux kills the process with SIGSEGV.
    if (image.ok() && image->interpreter && !PathExists(*image->interpreter)) continue;
    std::string path = dir.Write(c.name, bytes);
    ExecOutcome k = Exec(path, {path, "--exit"}, {});
    if (c.stage == Stage::kParse) {
      EXPECT_EQ(k.exec_errno, c.err) << "kernel: " << ErrnoName(k.exec_errno);
    } else {
      EXPECT_EQ(k.exec_errno, 0) << "kernel: " << ErrnoName(k.exec_errno);
      if (c.stage == Stage::kLayout) {
        EXPECT_EQ(k.term_signal, SIGSEGV);
      }
    }
  }
}

TEST(ElfCorruptTest, FromBusybox) {
  if (!PathExists("/bin/busybox")) GTEST_SKIP() << "no /bin/busybox";
  RunCorruptionTable("/bin/busybox", /*ask_kernel=*/true);
}

// The same table on the static helper, which every build has.
TEST(ElfCorruptTest, FromStaticHelper) { RunCorruptionTable(LOADER_HELPER_STATIC, true); }

TEST(ElfCorruptTest, InterpreterRoleErrors) {
  std::string good = Slurp(LOADER_HELPER_STATIC);
  EXPECT_TRUE(Parse(good, ElfRole::kInterpreter).ok());
  std::string bad_magic = good;
  bad_magic[0] = 0;
  EXPECT_EQ(Parse(bad_magic, ElfRole::kInterpreter).error().code(), ELIBBAD);
  std::string bad_phent = good;
  Ehdr(bad_phent)->e_phentsize = 1;
  EXPECT_EQ(Parse(bad_phent, ElfRole::kInterpreter).error().code(), ELIBBAD);
  EXPECT_EQ(Parse(good.substr(0, 40), ElfRole::kInterpreter).error().code(), EIO);
  // An interpreter's own PT_INTERP is not read.
  std::string with_interp = good;
  MakeInterp(with_interp, Note(with_interp), "junk");
  auto image = Parse(with_interp, ElfRole::kInterpreter);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_FALSE(image->interpreter);

  // The kernel agrees: a PIE whose PT_INTERP names these files.
  TempDir dir;
  std::string pie = Slurp(LOADER_HELPER_PIE);
  int interp = FindPhdr(pie, [](const Elf64_Phdr& p) { return p.p_type == PT_INTERP; });
  for (auto [name, file, err] : {std::tuple{"bad_magic", bad_magic, ELIBBAD},
                                 std::tuple{"short", good.substr(0, 40), EIO}}) {
    std::string interp_path = dir.Write(std::string("interp_") + name, file);
    std::string exe = pie;
    MakeInterp(exe, interp, interp_path + '\0');
    std::string exe_path = dir.Write(std::string("exe_") + name, exe);
    EXPECT_EQ(Exec(exe_path, {exe_path, "--exit"}, {}).exec_errno, err) << name;
  }
}

// ---- Layout ---------------------------------------------------------------------------------

ElfImage OneSegment(Segment seg, bool pie = false) {
  ElfImage image;
  image.pie = pie;
  image.entry = seg.vaddr;
  image.loads.push_back(seg);
  image.file_size = 1 << 20;
  return image;
}

TEST(LayoutTest, DataSegmentWithBss) {
  ElfImage image = OneSegment({.vaddr = 0x401234, .memsz = 0x3000, .filesz = 0x100,
                               .offset = 0x1234, .prot = PROT_READ | PROT_WRITE, .align = 0x1000});
  auto layout = ComputeLayout(image, 0);
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();
  const SegmentMapping& m = layout->segments.at(0);
  EXPECT_EQ(m.file_start, 0x401000u);
  EXPECT_EQ(m.file_end, 0x402000u);
  EXPECT_EQ(m.file_offset, 0x1000u);
  EXPECT_EQ(m.zero_start, 0x401334u);  // from the end of p_filesz ...
  EXPECT_EQ(m.zero_end, 0x402000u);    // ... to the end of its page
  EXPECT_EQ(m.anon_start, 0x402000u);
  EXPECT_EQ(m.anon_end, 0x405000u);  // 0x401234 + 0x3000, page-aligned up
  EXPECT_EQ(m.anon_prot, PROT_READ | PROT_WRITE);
  EXPECT_EQ(layout->brk_start, 0x405000u);
}

TEST(LayoutTest, ReadOnlyBssIsNotZeroedButAnonIsWritable) {
  ElfImage image = OneSegment({.vaddr = 0x400000, .memsz = 0x2100, .filesz = 0x10,
                               .offset = 0, .prot = PROT_READ | PROT_EXEC, .align = 0x1000});
  auto layout = ComputeLayout(image, 0);
  ASSERT_TRUE(layout.ok());
  const SegmentMapping& m = layout->segments[0];
  EXPECT_EQ(m.zero_start, m.zero_end);
  EXPECT_EQ(m.anon_start, 0x401000u);
  EXPECT_EQ(m.anon_end, 0x403000u);
  EXPECT_EQ(m.anon_prot, PROT_READ | PROT_WRITE | PROT_EXEC);
  EXPECT_EQ(layout->start_code, 0x400000u);
  EXPECT_EQ(layout->end_code, 0x400010u);
}

TEST(LayoutTest, BssWithinTheLastFilePageNeedsNoAnonPages) {
  ElfImage image = OneSegment({.vaddr = 0x600010, .memsz = 0x20, .filesz = 0x10,
                               .offset = 0x10, .prot = PROT_READ | PROT_WRITE, .align = 0x1000});
  auto layout = ComputeLayout(image, 0);
  ASSERT_TRUE(layout.ok());
  const SegmentMapping& m = layout->segments[0];
  EXPECT_EQ(m.zero_start, 0x600020u);
  EXPECT_EQ(m.zero_end, 0x601000u);  // the whole rest of the page, past p_memsz too
  EXPECT_EQ(m.anon_start, m.anon_end);
  EXPECT_EQ(layout->brk_start, 0x601000u);
}

TEST(LayoutTest, FileSizeZeroIsAllAnonymous) {
  ElfImage image = OneSegment({.vaddr = 0x700800, .memsz = 0x1000, .filesz = 0, .offset = 3,
                               .prot = PROT_READ, .align = 0x1000});
  auto layout = ComputeLayout(image, 0);  // the unaligned offset does not matter without a file part
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();
  const SegmentMapping& m = layout->segments[0];
  EXPECT_EQ(m.file_start, m.file_end);
  EXPECT_EQ(m.anon_start, 0x700000u);
  EXPECT_EQ(m.anon_end, 0x702000u);
}

TEST(LayoutTest, BiasApplies) {
  ElfImage image = OneSegment({.vaddr = 0x1000, .memsz = 0x1000, .filesz = 0x1000,
                               .offset = 0x1000, .prot = PROT_READ | PROT_EXEC, .align = 0x1000},
                              /*pie=*/true);
  image.phdr_vaddr = 0x40;
  auto layout = ComputeLayout(image, 0x555555554000);
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->segments[0].file_start, 0x555555555000u);
  EXPECT_EQ(layout->entry, 0x555555555000u);
  EXPECT_EQ(layout->phdr_addr, 0x555555554040u);
  EXPECT_EQ(ComputeLayout(image, 0x1234).error().code(), EINVAL);  // unaligned bias
  EXPECT_EQ(ComputeLayout(image, kDefaultTaskSize - 0x1000).error().code(), EINVAL);
}

TEST(LayoutTest, LoadBiasChoice) {
  ElfImage image = OneSegment({.vaddr = 0, .memsz = 0x5000, .filesz = 0x1000, .offset = 0,
                               .prot = PROT_READ, .align = 0x200000},
                              /*pie=*/true);
  image.loads.push_back({.vaddr = 0x400000, .memsz = 0x1000, .align = 3});  // not a power of 2
  EXPECT_EQ(MaxAlignment(image), 0x200000u);
  EXPECT_EQ(TotalMappingSize(image), 0x401000u);
  // Static-pie: the memory manager picks the place.
  EXPECT_FALSE(ChooseLoadBias(image, DefaultEtDynBase(kDefaultTaskSize)));
  EXPECT_EQ(BiasForBase(image, 0x7f0000000000), 0x7f0000000000u);
  image.interpreter = "/lib/ld.so";
  uint64_t base = DefaultEtDynBase(kDefaultTaskSize);
  EXPECT_EQ(base, 0x540000000000u);
  EXPECT_EQ(ChooseLoadBias(image, base, 0x123456789), (base + 0x123456789) & ~0x1fffffull);
  // The first PT_LOAD lands at the chosen base.
  image.loads[0].vaddr = 0x10000;
  EXPECT_EQ(ChooseLoadBias(image, base), base - 0x10000);
  EXPECT_EQ(BiasForBase(image, 0x7f0000000000), 0x7f0000000000u - 0x10000);
  image.pie = false;
  EXPECT_EQ(ChooseLoadBias(image, base), 0u);
}

// Found by elf_fuzz: Linux sizes an ET_DYN image first and refuses one that spans nothing.
TEST(LayoutTest, EmptyDynImageIsRejected) {
  ElfImage image = OneSegment({.vaddr = 0, .memsz = 0, .filesz = 0, .offset = 0,
                               .prot = PROT_READ, .align = 0x1000},
                              /*pie=*/true);
  EXPECT_EQ(TotalMappingSize(image), 0u);
  EXPECT_EQ(ComputeLayout(image, 0x100000000).error().code(), EINVAL);
  image.pie = false;  // ET_EXEC maps nothing and goes on, as Linux does
  EXPECT_TRUE(ComputeLayout(image, 0).ok());
}

TEST(LayoutTest, InitialBrk) {
  ElfImage image = OneSegment({.vaddr = 0x1000, .memsz = 0x1000, .filesz = 0x1000,
                               .offset = 0x1000, .prot = PROT_READ, .align = 0x1000},
                              /*pie=*/true);
  auto layout = ComputeLayout(image, 0x7d0000000000);
  ASSERT_TRUE(layout.ok());
  // ld.so run directly: brk moves out of the mmap area to ELF_ET_DYN_BASE.
  EXPECT_EQ(InitialBrk(image, *layout, 0x555555554aaa), 0x555555555000u);
  image.interpreter = "/lib/ld.so";
  EXPECT_EQ(InitialBrk(image, *layout, 0x555555554aaa), layout->brk_start);
}

// ---- Stack and layout against real processes --------------------------------------------------

AuxvValues AuxvFromKernel(const ParsedStack& k) {
  AuxvValues v;
  for (auto [key, value] : k.auxv) {
    switch (key) {
      case AT_SYSINFO_EHDR: v.sysinfo_ehdr = value; break;
      case kAtMinSigStkSz: v.minsigstksz = value; break;
      case AT_HWCAP: v.hwcap = value; break;
      case AT_PAGESZ: v.pagesz = value; break;
      case AT_CLKTCK: v.clktck = value; break;
      case AT_PHDR: v.phdr = value; break;
      case AT_PHENT: v.phent = value; break;
      case AT_PHNUM: v.phnum = value; break;
      case AT_BASE: v.base = value; break;
      case AT_FLAGS: v.flags = value; break;
      case AT_ENTRY: v.entry = value; break;
      case AT_UID: v.uid = value; break;
      case AT_EUID: v.euid = value; break;
      case AT_GID: v.gid = value; break;
      case AT_EGID: v.egid = value; break;
      case AT_SECURE: v.secure = value; break;
      case AT_HWCAP2: v.hwcap2 = value; break;
      case kAtRseqFeatureSize: v.rseq_feature_size = value; break;
      case kAtRseqAlign: v.rseq_align = value; break;
      case AT_RANDOM: case AT_EXECFN: case AT_PLATFORM: case AT_NULL: break;  // ours to place
      default: ADD_FAILURE() << "the host kernel sets auxv key " << key << ", unknown to us";
    }
  }
  return v;
}

// Runs a helper and checks that BuildStack reproduces its initial stack byte for byte, and
// ComputeLayout its mappings, entry, AT_PHDR and brk.
void CompareWithKernel(const std::string& helper) {
  std::vector<std::string> argv = {helper, "one", "", "three with spaces", "\t\x01\xff"};
  std::vector<std::string> envp = {"A=1", "EMPTY=", "BIG=" + std::string(5000, 'x'), "Z"};
  ExecOutcome run = Exec(helper, argv, envp);
  ASSERT_EQ(run.exec_errno, 0) << ErrnoName(run.exec_errno);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  HelperDump d = ParseDump(run.out);
  ASSERT_EQ(d.mem.size(), d.top - d.sp);
  ParsedStack k = ReadStack(d.mem, d.sp);
  EXPECT_EQ(k.argv, argv);
  EXPECT_EQ(k.envp, envp);

  StackInput in;
  in.stack_top = d.top;
  in.argv = argv;
  in.envp = envp;
  in.execfn = helper;
  std::vector<uint8_t> random = StackReader(d.mem, d.sp).Bytes(k.Aux(AT_RANDOM), 16);
  ASSERT_EQ(random.size(), 16u);
  std::copy(random.begin(), random.end(), in.random.begin());
  in.auxv = AuxvFromKernel(k);
  auto image = BuildStack(in);
  ASSERT_TRUE(image.ok()) << image.error().ToString();
  EXPECT_EQ(Keys(image->auxv), Keys(k.auxv));
  EXPECT_EQ(image->auxv, k.auxv);
  EXPECT_EQ(image->sp, d.sp);
  ASSERT_EQ(image->bytes.size(), d.mem.size());
  for (size_t i = 0; i < d.mem.size(); i++) {
    if (image->bytes[i] != d.mem[i]) {
      ADD_FAILURE() << "stacks differ first at sp+" << i;
      break;
    }
  }
  // /proc/pid/stat: startstack, arg_start, arg_end, env_start, env_end.
  EXPECT_EQ(d.StatField(28), image->sp);
  EXPECT_EQ(d.StatField(48), image->argv_start);
  EXPECT_EQ(d.StatField(49), image->argv_end);
  EXPECT_EQ(d.StatField(50), image->envp_start);
  EXPECT_EQ(d.StatField(51), image->envp_end);

  // The load layout.
  auto elf = Parse(Slurp(helper));
  ASSERT_TRUE(elf.ok()) << elf.error().ToString();
  uint64_t bias = 0;
  if (elf->pie) {
    auto chosen = ChooseLoadBias(*elf, DefaultEtDynBase(kHostTaskSize));
    ASSERT_TRUE(chosen);
    bias = *chosen;
  }
  auto layout = ComputeLayout(*elf, bias, kHostTaskSize);
  ASSERT_TRUE(layout.ok()) << layout.error().ToString();
  EXPECT_EQ(layout->entry, k.Aux(AT_ENTRY));
  EXPECT_EQ(layout->phdr_addr, k.Aux(AT_PHDR));
  EXPECT_EQ(elf->phnum, k.Aux(AT_PHNUM));
  EXPECT_EQ(d.StatField(26), layout->start_code);
  EXPECT_EQ(d.StatField(27), layout->end_code);
  EXPECT_EQ(d.StatField(45), layout->start_data);
  EXPECT_EQ(d.StatField(46), layout->end_data);
  EXPECT_EQ(d.StatField(47), InitialBrk(*elf, *layout, DefaultEtDynBase(kHostTaskSize)));

  std::string real = std::filesystem::canonical(helper);
  auto covered = [&](uint64_t start, uint64_t end, bool file, uint64_t offset) {
    for (uint64_t page = start; page < end; page += kPageSize) {
      bool found = false;
      for (const MapLine& m : d.maps) {
        if (page < m.start || page >= m.end) continue;
        found = file ? m.path == real && m.offset + (page - m.start) == offset + (page - start)
                     : m.path.empty() || m.path == "[heap]";
      }
      if (!found) return false;
    }
    return true;
  };
  for (const SegmentMapping& m : layout->segments) {
    EXPECT_TRUE(covered(m.file_start, m.file_end, true, m.file_offset))
        << std::hex << "file part " << m.file_start << "-" << m.file_end;
    EXPECT_TRUE(covered(m.anon_start, m.anon_end, false, 0))
        << std::hex << "anonymous part " << m.anon_start << "-" << m.anon_end;
    // The bss head was zeroed: nothing else wrote there before main (this program has none).
  }
}

TEST(StackKernelTest, StaticExecutableMatchesKernel) { CompareWithKernel(LOADER_HELPER_STATIC); }
TEST(StackKernelTest, DynamicPieMatchesKernel) { CompareWithKernel(LOADER_HELPER_PIE); }

// bprm_stack_limits: with a 1 MiB stack rlimit, a quarter of it, less the pointers, is the most
// the strings may take, execfn included.
TEST(StackKernelTest, ArgSpaceLimitMatchesKernel) {
  const std::string helper = LOADER_HELPER_STATIC;
  const uint64_t rlimit = 1 << 20;
  ASSERT_EQ(ArgSpaceLimit(rlimit), 256u << 10);
  for (int extra : {0, 1}) {
    std::vector<std::string> argv = {helper, "--exit", std::string(100000, 'a'),
                                     std::string(100000, 'b'), ""};
    uint64_t used = (helper.size() + 1) * 2 + 7 + 100001 * 2 + 1;
    uint64_t room = ArgSpaceLimit(rlimit) - argv.size() * 8;
    argv.back() = std::string(room - used + extra, 'c');
    ExecOutcome k = Exec(helper, argv, {}, rlimit);
    StackInput in;
    in.stack_top = kHostTaskSize;
    in.argv = argv;
    in.execfn = helper;
    in.stack_rlimit = rlimit;
    auto ours = BuildStack(in);
    if (extra == 0) {
      EXPECT_EQ(k.exec_errno, 0) << ErrnoName(k.exec_errno);
      EXPECT_TRUE(ours.ok()) << ours.error().ToString();
    } else {
      EXPECT_EQ(k.exec_errno, E2BIG) << ErrnoName(k.exec_errno);
      ASSERT_FALSE(ours.ok());
      EXPECT_EQ(ours.error().code(), E2BIG);
    }
  }
}

// ---- Stack: synthetic --------------------------------------------------------------------------

StackInput SampleInput() {
  StackInput in;
  in.stack_top = 0x7ffffffff000;
  in.argv = {"prog", "-a", "hello world"};
  in.envp = {"HOME=/root", "X="};
  in.execfn = "/usr/bin/prog";
  for (int i = 0; i < 16; i++) in.random[i] = 0xa0 + i;
  AuxvValues& a = in.auxv;
  a.phdr = 0x400040;
  a.phnum = 10;
  a.base = 0x7ffff7fc3000;
  a.entry = 0x401000;
  a.uid = 1;
  a.euid = 2;
  a.gid = 3;
  a.egid = 4;
  a.secure = 1;
  a.hwcap = 0x1234;
  a.hwcap2 = 2;
  a.minsigstksz = 3000;
  a.sysinfo_ehdr = 0x7ffff7ffd000;
  a.rseq_feature_size = 32;
  a.rseq_align = 32;
  return in;
}

TEST(StackTest, ReadsBack) {
  StackInput in = SampleInput();
  auto s = BuildStack(in);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s->sp % 16, 0u);
  EXPECT_EQ(s->bytes.size(), in.stack_top - s->sp);
  ParsedStack p = ReadStack(s->bytes, s->sp);
  StackReader r(s->bytes, s->sp);
  EXPECT_EQ(p.argc, 3u);
  EXPECT_EQ(p.argv, in.argv);
  EXPECT_EQ(p.envp, in.envp);
  // The strings are packed in order: argv, then envp, then execfn, then a zero word.
  EXPECT_EQ(p.argv_ptrs[0], s->argv_start);
  EXPECT_EQ(p.argv_ptrs[1], s->argv_start + 5);
  EXPECT_EQ(s->argv_end, s->argv_start + 5 + 3 + 12);
  EXPECT_EQ(p.envp_ptrs[0], s->envp_start);
  EXPECT_EQ(s->envp_start, s->argv_end);
  EXPECT_EQ(s->envp_end, s->envp_start + 11 + 3);
  EXPECT_EQ(s->execfn_addr, s->envp_end);
  EXPECT_EQ(s->execfn_addr + in.execfn.size() + 1, in.stack_top - 8);
  EXPECT_EQ(r.Word(in.stack_top - 8), 0u);

  EXPECT_EQ(Keys(p.auxv),
            (std::vector<uint64_t>{AT_SYSINFO_EHDR, kAtMinSigStkSz, AT_HWCAP, AT_PAGESZ,
                                   AT_CLKTCK, AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS,
                                   AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE,
                                   AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_PLATFORM,
                                   kAtRseqFeatureSize, kAtRseqAlign, AT_NULL}));
  EXPECT_EQ(p.auxv, s->auxv);
  EXPECT_EQ(p.Aux(AT_PHDR), 0x400040u);
  EXPECT_EQ(p.Aux(AT_PHENT), 56u);
  EXPECT_EQ(p.Aux(AT_PAGESZ), 4096u);
  EXPECT_EQ(p.Aux(AT_EGID), 4u);
  EXPECT_EQ(p.Aux(AT_SECURE), 1u);
  EXPECT_EQ(p.Aux(AT_RANDOM), s->random_addr);
  std::vector<uint8_t> random = r.Bytes(s->random_addr, 16);
  EXPECT_TRUE(std::equal(random.begin(), random.end(), in.random.begin()));
  EXPECT_EQ(r.CStr(p.Aux(AT_EXECFN)), in.execfn);
  EXPECT_EQ(r.CStr(p.Aux(AT_PLATFORM)), "x86_64");
  // Platform string right above the random bytes, both just below the aligned string area.
  EXPECT_EQ(s->platform_addr, s->random_addr + 16);
  EXPECT_EQ(s->platform_addr + 7, s->argv_start & ~15ull);
}

TEST(StackTest, OptionalAuxvEntriesAndPad) {
  StackInput in = SampleInput();
  in.auxv.sysinfo_ehdr.reset();
  in.auxv.rseq_feature_size.reset();
  in.auxv.rseq_align.reset();
  in.stack_pad = 100;
  auto s = BuildStack(in);
  ASSERT_TRUE(s.ok());
  ParsedStack p = ReadStack(s->bytes, s->sp);
  EXPECT_FALSE(p.HasAux(AT_SYSINFO_EHDR));
  EXPECT_FALSE(p.HasAux(kAtRseqAlign));
  EXPECT_EQ(Keys(p.auxv).front(), kAtMinSigStkSz);
  EXPECT_EQ(s->platform_addr + 7, (s->argv_start - 100) & ~15ull);
  EXPECT_EQ(s->sp % 16, 0u);
}

TEST(StackTest, EmptyArgvGetsEmptyArgv0) {
  StackInput in = SampleInput();
  in.argv.clear();
  auto s = BuildStack(in);
  ASSERT_TRUE(s.ok());
  ParsedStack p = ReadStack(s->bytes, s->sp);
  EXPECT_EQ(p.argv, std::vector<std::string>{""});
  EXPECT_EQ(s->argv_end, s->argv_start + 1);
}

TEST(StackTest, SpIsAlignedForEveryShape) {
  // The tables' size changes in 8-byte steps and the strings' by single bytes; sp must stay
  // 16-aligned and everything must still read back.
  for (int argc = 0; argc < 4; argc++) {
    for (int envc = 0; envc < 4; envc++) {
      for (int len = 0; len < 17; len++) {
        StackInput in = SampleInput();
        in.argv.assign(argc, std::string(len, 'a'));
        in.envp.assign(envc, std::string(len, 'e'));
        auto s = BuildStack(in);
        ASSERT_TRUE(s.ok());
        EXPECT_EQ(s->sp % 16, 0u);
        ParsedStack p = ReadStack(s->bytes, s->sp);
        EXPECT_EQ(p.argc, static_cast<uint64_t>(std::max(argc, 1)));
        EXPECT_EQ(p.envp.size(), static_cast<size_t>(envc));
      }
    }
  }
}

TEST(StackTest, Limits) {
  EXPECT_EQ(ArgSpaceLimit(8 << 20), 2u << 20);
  EXPECT_EQ(ArgSpaceLimit(100 << 10), 128u << 10);
  EXPECT_EQ(ArgSpaceLimit(RLIM_INFINITY), 6u << 20);
  EXPECT_EQ(ArgSpaceLimit(64 << 20), 6u << 20);

  StackInput in = SampleInput();
  in.argv = {"p", std::string(kMaxArgStrlen - 1, 'x')};  // with its NUL, exactly the maximum
  EXPECT_TRUE(BuildStack(in).ok());
  in.argv = {"p", std::string(kMaxArgStrlen, 'x')};
  EXPECT_EQ(BuildStack(in).error().code(), E2BIG);
  in.argv = {"p"};
  in.envp = {std::string(kMaxArgStrlen, 'x')};
  EXPECT_EQ(BuildStack(in).error().code(), E2BIG);
  in.envp.assign(20, std::string(120000, 'e'));  // 2.4 MB > 2 MiB
  EXPECT_EQ(BuildStack(in).error().code(), E2BIG);
  in.stack_rlimit = 64 << 20;  // 6 MiB allowed
  EXPECT_TRUE(BuildStack(in).ok());
  in.stack_top = 0x100000;  // too low to hold it
  EXPECT_EQ(BuildStack(in).error().code(), EINVAL);
  in.stack_top = 0x7ffffffff001;
  EXPECT_EQ(BuildStack(in).error().code(), EINVAL);
}

// ---- Shebang ------------------------------------------------------------------------------

struct ShebangCase {
  std::string line;
  int err;  // 0: parses to interp/arg
  std::string interp;
  std::optional<std::string> arg;
};

TEST(ShebangTest, Cases) {
  const std::string sp300(300, ' ');
  const std::vector<ShebangCase> cases = {
      {"#!/bin/sh\n", 0, "/bin/sh", std::nullopt},
      {"#!/bin/sh -e\necho hi\n", 0, "/bin/sh", "-e"},
      {"#! \t/usr/bin/env   python3 -u \t\nx", 0, "/usr/bin/env", "python3 -u"},
      {"#!/bin/sh", 0, "/bin/sh", std::nullopt},  // no newline before EOF
      {"#!/bin/sh\targ", 0, "/bin/sh", "arg"},
      {"#!/bin/sh -x\r\n", 0, "/bin/sh", "-x\r"},  // only spaces and tabs are trimmed
      {std::string("#!/bin/sh\0junk\n", 15), 0, "/bin/sh", std::nullopt},
      {std::string("#!/bin/sh \0arg\n", 15), 0, "/bin/sh", ""},
      {"#!/bin/sh" + sp300, 0, "/bin/sh", std::nullopt},
      {"#!/bin/echo " + std::string(300, 'x'), 0, "/bin/echo", std::string(255 - 12, 'x')},
      {"#!" + std::string(253, 'a') + "\n", 0, std::string(253, 'a'), std::nullopt},
      {"#!" + std::string(254, 'a') + "\n", ENOEXEC, "", std::nullopt},  // name truncated
      {"#!/" + std::string(300, 'e') + "\n", ENOEXEC, "", std::nullopt},
      {"#!", EACCES, "", std::nullopt},
      {std::string("#!\0/bin/sh\n", 11), EACCES, "", std::nullopt},
      {std::string("#! \0", 4), EACCES, "", std::nullopt},
      {"#!\n", ENOEXEC, "", std::nullopt},
      {"#!   \t\n", ENOEXEC, "", std::nullopt},
      {"#!" + sp300 + "\n", ENOEXEC, "", std::nullopt},
      {"", ENOEXEC, "", std::nullopt},
      {"#", ENOEXEC, "", std::nullopt},
      {"\x7f" "ELF", ENOEXEC, "", std::nullopt},
  };
  for (const ShebangCase& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.line.substr(0, 40)));
    auto r = ParseShebang(c.line);
    if (c.err) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code(), c.err);
    } else {
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      EXPECT_EQ(r->interpreter, c.interp);
      EXPECT_EQ(r->arg, c.arg);
    }
  }
}

TEST(ShebangTest, Argv) {
  std::vector<std::string> argv = {"./s", "x", "y"};
  EXPECT_EQ(ShebangArgv({"/bin/sh", std::nullopt}, "./s", argv),
            (std::vector<std::string>{"/bin/sh", "./s", "x", "y"}));
  EXPECT_EQ(ShebangArgv({"/usr/bin/env", "python3 -u"}, "/abs/s", argv),
            (std::vector<std::string>{"/usr/bin/env", "python3 -u", "/abs/s", "x", "y"}));
  EXPECT_EQ(ShebangArgv({"/bin/sh", std::nullopt}, "./s", {}),
            (std::vector<std::string>{"/bin/sh", "./s"}));
  EXPECT_TRUE(IsShebang("#!"));
  EXPECT_FALSE(IsShebang("#"));
}

// Every case once more through the host kernel, with the static helper as the interpreter so the
// argv it got can be read back from its stack.
TEST(ShebangTest, MatchesKernel) {
  const std::string h = LOADER_HELPER_STATIC;
  const std::vector<std::string> lines = {
      "#!" + h + "\n",
      "#!" + h + " -x\n",
      "#! \t" + h + "   a b\t c \t \n",
      "#!" + h,
      "#!" + h + "\targ",
      "#!" + h + " -x\r\n",
      "#!" + h + std::string("\0junk\n", 6),
      "#!" + h + std::string(" \0arg\n", 6),
      "#!" + h + std::string(300, ' '),
      "#!" + h + " " + std::string(300, 'x'),
      "#!" + std::string(300, '/') + "\n",
      "#!",
      std::string("#!\0", 3) + h + "\n",
      "#!\n",
      "#!   \t\n",
      "#!" + std::string(300, ' ') + "\n",
  };
  TempDir dir;
  for (size_t i = 0; i < lines.size(); i++) {
    SCOPED_TRACE(::testing::PrintToString(lines[i].substr(0, 80)));
    std::string script = dir.Write("script" + std::to_string(i), lines[i]);
    std::vector<std::string> argv = {script, "A1", "A2"};
    ExecOutcome k = Exec(script, argv, {});
    auto ours = ParseShebang(lines[i]);
    if (!ours.ok()) {
      EXPECT_EQ(k.exec_errno, ours.error().code())
          << "kernel " << ErrnoName(k.exec_errno) << ", ours " << ours.error().ToString();
      continue;
    }
    ASSERT_EQ(k.exec_errno, 0) << ErrnoName(k.exec_errno);
    HelperDump d = ParseDump(k.out);
    EXPECT_EQ(ReadStack(d.mem, d.sp).argv, ShebangArgv(*ours, script, argv));
  }
}

TEST(ShebangTest, DepthLimitMatchesKernel) {
  // Scripts s0 -> s1 -> ... -> helper: kMaxInterpreterDepth scripts run, one more is ELOOP.
  TempDir dir;
  for (int n : {kMaxInterpreterDepth, kMaxInterpreterDepth + 1}) {
    std::string next = LOADER_HELPER_STATIC;
    std::string first;
    for (int i = n - 1; i >= 0; i--) {
      next = first = dir.Write("d" + std::to_string(n) + "_" + std::to_string(i),
                               "#!" + next + "\n");
    }
    ExecOutcome k = Exec(first, {first, "--exit"}, {});
    EXPECT_EQ(k.exec_errno, n <= kMaxInterpreterDepth ? 0 : ELOOP)
        << n << " scripts: " << ErrnoName(k.exec_errno);
  }
}

// ---- Fuzz corpus ----------------------------------------------------------------------------

// Seeds named ok_* load, bad_* fail to parse or lay out, sh_ok_* / sh_bad_* are #! lines.
TEST(FuzzCorpusTest, SeedsBehave) {
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LOADER_FUZZ_CORPUS_DIR)) {
    std::string name = entry.path().filename();
    SCOPED_TRACE(name);
    std::string data = Slurp(entry.path());
    seeds++;
    if (name.starts_with("sh_")) {
      EXPECT_EQ(ParseShebang(data).ok(), name.starts_with("sh_ok_"));
      continue;
    }
    auto image = Parse(data);
    bool ok = image.ok();
    if (ok) {
      uint64_t bias = ChooseLoadBias(*image, DefaultEtDynBase(kDefaultTaskSize))
                          .value_or(BiasForBase(*image, 0x100000000));
      ok = ComputeLayout(*image, bias).ok();
    }
    EXPECT_EQ(ok, name.starts_with("ok_"));
  }
  EXPECT_GE(seeds, 6);
}

}  // namespace
}  // namespace stockade::sentry::loader
