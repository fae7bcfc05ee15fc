#include "sentry/kernel/exec.h"

#include <sys/random.h>

#include "sentry/kernel/path_ops.h"
#include "sentry/kernel/signal_frame.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/layout.h"
#include "sentry/loader/shebang.h"
#include "sentry/loader/stack.h"

namespace stockade::sentry::kernel {
namespace {

using platform::kMaxUserAddress;

// The loader reads files through the Sentry's mappable view of them.
class MappableReader : public loader::FileReader {
 public:
  explicit MappableReader(std::shared_ptr<mm::Mappable> m) : m_(std::move(m)) {}
  Result<size_t> ReadAt(uint64_t off, void* buf, size_t len) override { return m_->ReadAt(off, buf, len); }
  uint64_t Size() override { return m_->Size().ok() ? *m_->Size() : 0; }

 private:
  std::shared_ptr<mm::Mappable> m_;
};

struct OpenedExe {
  std::shared_ptr<vfs::File> file;
  std::shared_ptr<mm::Mappable> map;
  std::string abs;   // as execve named it (the name comm is made from)
  std::string real;  // the file's own path (through /proc/self/exe, the binary's)
};

Result<OpenedExe> OpenExecutable(Task& t, const std::string& path) {
  ASSIGN_OR_RETURN(std::string abs, AbsolutePath(t, AT_FDCWD, path));
  auto f = OpenAt(t, AT_FDCWD, path, O_RDONLY, 0);
  if (!f.ok()) return f.error().code() == EISDIR ? Error(EACCES, "") : f.error();
  ASSIGN_OR_RETURN(struct stat st, (*f)->Stat());
  if (!S_ISREG(st.st_mode)) return Error(EACCES, "not a regular file");
  if (!(st.st_mode & 0111)) return Error(EACCES, "not executable");
  auto m = (*f)->Mappable();
  if (!m.ok()) return Error(EACCES, "not mappable");
  std::string real = (*f)->HasMountPath() ? (*f)->MountPath() : abs;
  return OpenedExe{*f, *m, abs, real};
}

// Maps one ELF image's segments; returns its layout.
Result<loader::LoadLayout> MapImage(mm::MemoryManager& mm, const loader::ElfImage& img, const OpenedExe& exe,
                                    uint64_t bias) {
  ASSIGN_OR_RETURN(loader::LoadLayout layout, loader::ComputeLayout(img, bias, kMaxUserAddress));
  for (const auto& s : layout.segments) {
    if (s.file_end > s.file_start) {
      mm::MapRequest r;
      r.addr = s.file_start;
      r.length = s.file_end - s.file_start;
      r.prot = s.prot;
      r.fixed = true;
      r.file = exe.map;
      r.offset = s.file_offset;
      r.name = exe.real;
      TRY(mm.Map(r));
    }
    if (s.zero_end > s.zero_start) {
      // Written through the Sentry's view, whatever the page's protection.
      std::vector<char> zeros(s.zero_end - s.zero_start);
      (void)mm.CopyOut(s.zero_start, zeros.data(), zeros.size());
    }
    if (s.anon_end > s.anon_start) {
      mm::MapRequest r;
      r.addr = s.anon_start;
      r.length = s.anon_end - s.anon_start;
      r.prot = s.anon_prot;
      r.fixed = true;
      TRY(mm.Map(r));
    }
  }
  return layout;
}

// For images Linux lets mmap place (static-pie, the interpreter): reserve
// room in the mmap area and return the bias that puts the image there.
Result<uint64_t> PlaceImage(mm::MemoryManager& mm, const loader::ElfImage& img) {
  uint64_t size = loader::TotalMappingSize(img);
  uint64_t align = loader::MaxAlignment(img);
  mm::MapRequest r;
  r.length = size + align;
  r.prot = PROT_NONE;
  ASSIGN_OR_RETURN(uint64_t at, mm.Map(r));
  TRY(mm.Unmap(at, size + align));
  uint64_t base = (at + align - 1) & ~(align - 1);
  return loader::BiasForBase(img, base);
}

}  // namespace

Result<LoadedImage> LoadProgram(Task& t, const std::string& path_in, std::vector<std::string> argv,
                                std::vector<std::string> envp) {
  std::string path = path_in;
  std::string execfn = path_in;
  OpenedExe exe;
  loader::ElfImage image;
  for (int depth = 0;; depth++) {
    ASSIGN_OR_RETURN(exe, OpenExecutable(t, path));
    char head[loader::kBinprmBufSize] = {};
    MappableReader reader(exe.map);
    ASSIGN_OR_RETURN(size_t got, reader.ReadAt(0, head, sizeof head));
    std::string_view hv(head, got);
    if (loader::IsShebang(hv)) {
      if (depth >= loader::kMaxInterpreterDepth) return Error(ELOOP, "");
      ASSIGN_OR_RETURN(loader::Shebang sb, loader::ParseShebang(hv));
      argv = loader::ShebangArgv(sb, path, argv);
      path = sb.interpreter;
      continue;
    }
    ASSIGN_OR_RETURN(image, loader::ParseElf(reader));
    break;
  }

  std::optional<OpenedExe> interp;
  loader::ElfImage interp_image;
  if (image.interpreter) {
    auto ie = OpenExecutable(t, *image.interpreter);
    if (!ie.ok()) return ie.error().code() == EACCES ? Error(EACCES, "") : ie.error();
    MappableReader ir(ie->map);
    ASSIGN_OR_RETURN(interp_image, loader::ParseElf(ir, loader::ElfRole::kInterpreter));
    interp = std::move(ie).value();
  }
  TRY(loader::CheckSegments(image, 0, kMaxUserAddress));

  // The point after which a failure would kill the process on Linux; here
  // the old image is untouched until CommitExec, so errors still return.
  ASSIGN_OR_RETURN(auto as, t.kernel->platform().NewAddressSpace());
  auto mm = std::make_shared<mm::MemoryManager>(t.kernel->memory_file(), std::move(as));
  uint64_t stack_limit = std::min<uint64_t>(t.rlimit_cur(RLIMIT_STACK), 1ull << 30);
  if (stack_limit < (128 << 10)) stack_limit = 128 << 10;
  const uint64_t stack_top = kMaxUserAddress;
  uint64_t gap = std::max<uint64_t>(stack_limit, 128ull << 20);
  mm->SetMmapBase(stack_top - gap);
  mm->SetAddressLimit(t.rlimit_cur(RLIMIT_AS) == RLIM_INFINITY ? 0 : t.rlimit_cur(RLIMIT_AS));

  uint64_t et_dyn_base = loader::DefaultEtDynBase(kMaxUserAddress);
  uint64_t bias = 0;
  if (image.pie) {
    auto chosen = loader::ChooseLoadBias(image, et_dyn_base);
    if (chosen) {
      bias = *chosen;
    } else {
      ASSIGN_OR_RETURN(bias, PlaceImage(*mm, image));
    }
  }
  ASSIGN_OR_RETURN(loader::LoadLayout layout, MapImage(*mm, image, exe, bias));
  uint64_t entry = layout.entry;
  uint64_t interp_base = 0;
  if (interp) {
    ASSIGN_OR_RETURN(uint64_t ibias, PlaceImage(*mm, interp_image));
    ASSIGN_OR_RETURN(loader::LoadLayout il, MapImage(*mm, interp_image, *interp, ibias));
    entry = il.entry;
    interp_base = ibias;
  }
  mm->SetBrkStart(loader::InitialBrk(image, layout, et_dyn_base));

  mm::MapRequest sr;
  sr.addr = stack_top - stack_limit;
  sr.length = stack_limit;
  sr.prot = PROT_READ | PROT_WRITE | (image.exec_stack ? PROT_EXEC : 0);
  sr.fixed = true;
  sr.growsdown = true;
  sr.name = "[stack]";
  TRY(mm->Map(sr));

  loader::StackInput in;
  in.stack_top = stack_top;
  in.argv = std::move(argv);
  in.envp = std::move(envp);
  in.execfn = execfn;
  (void)getrandom(in.random.data(), in.random.size(), 0);
  in.stack_rlimit = t.rlimit_cur(RLIMIT_STACK);
  const Credentials& c = t.creds();
  in.auxv.phdr = layout.phdr_addr;
  in.auxv.phnum = image.phnum;
  in.auxv.base = interp_base;
  in.auxv.entry = layout.entry;
  in.auxv.uid = c.ruid;
  in.auxv.euid = c.euid;
  in.auxv.gid = c.rgid;
  in.auxv.egid = c.egid;
  unsigned eax, ebx, ecx, edx;
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  in.auxv.hwcap = edx;
  in.auxv.minsigstksz = 2048;
  ASSIGN_OR_RETURN(loader::StackImage st, loader::BuildStack(in));
  TRY(mm->CopyOut(st.sp, st.bytes.data(), st.bytes.size()));
  mm->set_image_info({exe.real, st.argv_start, st.argv_end, st.envp_start, st.envp_end});
  if (auto est = exe.file->Stat(); est.ok()) mm->set_exe_hold(t.kernel->executing().Hold(est->st_dev, est->st_ino));

  LoadedImage out;
  out.mm = std::move(mm);
  out.regs.rip = entry;
  out.regs.rsp = st.sp;
  out.regs.cs = 0x33;
  out.regs.ss = 0x2b;
  out.regs.eflags = 0x202;
  out.regs.orig_rax = static_cast<uint64_t>(-1);
  auto slash = exe.abs.rfind('/');
  out.comm = exe.abs.substr(slash == std::string::npos ? 0 : slash + 1).substr(0, 15);
  out.exe = exe.real;
  return out;
}

void CommitExec(Task& t, LoadedImage img) {
  t.mm = std::move(img.mm);
  t.regs = img.regs;
  t.pending_fp = InitialFpState();
  t.comm = img.comm;
  {
    // Marked exec'd before the close-on-exec FDs go (begin_new_exec clears
    // PF_FORKNOEXEC first): whoever sees one of them close may rely on it,
    // e.g. a parent's setpgid then failing with EACCES.
    std::lock_guard<std::mutex> l(t.kernel->mu);
    t.tg->execed = true;
    t.tg->creds.Renew();  // execve prepares new credentials
  }
  t.fds->CloseOnExec();
  std::lock_guard<std::mutex> l(t.kernel->mu);
  // Handled signals go back to their defaults; ignored ones stay ignored.
  auto fresh = std::make_shared<SignalHandlers>();
  for (int s = 1; s <= kMaxSignal; s++) {
    if (t.tg->handlers->actions[s].handler == reinterpret_cast<uint64_t>(SIG_IGN)) {
      fresh->actions[s].handler = reinterpret_cast<uint64_t>(SIG_IGN);
    }
  }
  t.tg->handlers = std::move(fresh);
  t.altstack = stack_t{nullptr, SS_DISABLE, 0};
  t.clear_child_tid = 0;
  t.robust_list = 0;
  if (t.vfork_done) {
    *t.vfork_done = true;
    if (t.vfork_waitq) t.vfork_waitq->NotifyAll();
    t.vfork_done.reset();
  }
}

}  // namespace stockade::sentry::kernel
