#include "sentry/fsimpl/proc/proc_text.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace stockade::sentry::fsimpl {
namespace {

using kernel::Task;
using kernel::ThreadGroup;

constexpr uint64_t kPage = 4096;

char StateOf(const ThreadGroup& g) {
  if (g.zombie) return 'Z';
  if (g.stopped) return 'T';
  return 'S';  // blocked in the Sentry or running: Linux shows S for a sleeper, R when on a CPU
}

std::string Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Printf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return std::string(buf, static_cast<size_t>(std::min<int>(std::max(n, 0), sizeof buf - 1)));
}

// The process's memory: its mm, from any live task.
std::shared_ptr<mm::MemoryManager> MmOf(const ThreadGroup& g) {
  for (Task* t : g.tasks) {
    if (t->mm) return t->mm;
  }
  return nullptr;
}

std::string Hex16(uint64_t v) { return Printf("%016" PRIx64, v); }

}  // namespace

// The thread a per-thread file describes: `tid`'s task, or the leader.
Task* ThreadOf(kernel::Kernel& k, ThreadGroup* g, int tid) {
  if (!tid) return g->leader;
  Task* t = k.TaskByTidLocked(tid);
  return t && t->tg == g ? t : nullptr;
}

std::string ProcStat(kernel::Kernel& k, int tgid, int tid) {
  std::lock_guard<std::mutex> l(k.mu);
  ThreadGroup* g = k.GroupByTgidLocked(tgid);
  if (!g || !g->leader) return "";
  Task* th = ThreadOf(k, g, tid);
  if (!th) return "";
  auto mm = MmOf(*g);
  uint64_t vsize = mm ? mm->VirtualSize() : 0;
  auto tty = k.CttyLocked(g->sid);
  int tty_nr = tty ? static_cast<int>((136u << 8) | (static_cast<unsigned>(tty->index) & 0xff) |
                                      ((static_cast<unsigned>(tty->index) & ~0xffu) << 12))
                   : 0;
  int tpgid = tty ? tty->fg_pgid : -1;
  int nice = g->leader ? g->leader->nice : 0;
  // Fields 1-52 of proc_pid_stat(5); the CPU and fault counters are not kept.
  return Printf("%d (%s) %c %d %d %d %d %d 4194560 0 0 0 0 0 0 0 0 %d %d %zu 0 %" PRIu64 " %" PRIu64
                " %" PRIu64 " %" PRIu64,
                th->tid, th->comm.c_str(), StateOf(*g), g->parent ? g->parent->tgid : 0, g->pgid, g->sid,
                tty_nr, tpgid, 20 + nice, nice, g->tasks.size(), g->start_ticks, vsize, vsize / kPage / 4,
                static_cast<uint64_t>(g->rlimits[RLIMIT_RSS].rlim_cur)) +
         " 0 0 0 0 0 0 0 0 0 0 0 0 0 " + std::to_string(g->exit_signal) + " 0 0 0 0 0 0 0 0 0 0 0 0\n";
}

std::string ProcStatus(kernel::Kernel& k, int tgid, int tid) {
  std::lock_guard<std::mutex> l(k.mu);
  ThreadGroup* g = k.GroupByTgidLocked(tgid);
  if (!g || !g->leader) return "";
  const auto& c = g->creds;
  Task* t = ThreadOf(k, g, tid);
  if (!t) return "";
  auto mm = MmOf(*g);
  uint64_t vsize_kb = mm ? mm->VirtualSize() / 1024 : 0;
  uint64_t ignored = 0, caught = 0;
  for (int s = 1; s <= kernel::kMaxSignal; s++) {
    uint64_t h = g->handlers->actions[s].handler;
    if (h == reinterpret_cast<uint64_t>(SIG_IGN)) ignored |= kernel::SigBit(s);
    else if (h != reinterpret_cast<uint64_t>(SIG_DFL)) caught |= kernel::SigBit(s);
  }
  std::string groups;
  for (uint32_t gid : c.groups) groups += std::to_string(gid) + " ";
  std::ostringstream o;
  o << "Name:\t" << t->comm << "\n"
    << "Umask:\t" << Printf("%04o", t->fs ? t->fs->umask : 022) << "\n"
    << "State:\t" << StateOf(*g) << (g->zombie ? " (zombie)" : g->stopped ? " (stopped)" : " (sleeping)") << "\n"
    << "Tgid:\t" << g->tgid << "\nNgid:\t0\nPid:\t" << t->tid << "\n"
    << "PPid:\t" << (g->parent ? g->parent->tgid : 0) << "\nTracerPid:\t0\n"
    << "Uid:\t" << c.ruid << "\t" << c.euid << "\t" << c.suid << "\t" << c.fsuid << "\n"
    << "Gid:\t" << c.rgid << "\t" << c.egid << "\t" << c.sgid << "\t" << c.fsgid << "\n"
    << "FDSize:\t64\nGroups:\t" << groups << "\n"
    << "NStgid:\t" << g->tgid << "\nNSpid:\t" << t->tid << "\nNSpgid:\t" << g->pgid << "\nNSsid:\t" << g->sid << "\n"
    << "VmPeak:\t" << Printf("%8" PRIu64, vsize_kb) << " kB\n"
    << "VmSize:\t" << Printf("%8" PRIu64, vsize_kb) << " kB\n"
    << "Threads:\t" << g->tasks.size() << "\n"
    << "SigQ:\t" << g->pending.queue.size() << "/" << g->rlimits[RLIMIT_SIGPENDING].rlim_cur << "\n"
    << "SigPnd:\t" << Hex16(t->pending.set) << "\nShdPnd:\t" << Hex16(g->pending.set) << "\n"
    << "SigBlk:\t" << Hex16(t->sigmask) << "\nSigIgn:\t" << Hex16(ignored) << "\nSigCgt:\t" << Hex16(caught) << "\n"
    << "CapInh:\t" << Hex16(c.cap_inheritable) << "\nCapPrm:\t" << Hex16(c.cap_permitted) << "\n"
    << "CapEff:\t" << Hex16(c.cap_effective) << "\nCapBnd:\t" << Hex16(c.cap_bounding) << "\n"
    << "CapAmb:\t" << Hex16(c.cap_ambient) << "\n"
    << "NoNewPrivs:\t" << (c.no_new_privs ? 1 : 0) << "\n"
    << "Seccomp:\t" << (t->seccomp ? 2 : 0) << "\nSeccomp_filters:\t" << (t->seccomp ? 1 : 0) << "\n";
  return o.str();
}

std::string ProcLimits(kernel::Kernel& k, int tgid) {
  static const struct {
    const char* name;
    const char* unit;
  } kNames[RLIM_NLIMITS] = {
      {"Max cpu time", "seconds"},  {"Max file size", "bytes"},      {"Max data size", "bytes"},
      {"Max stack size", "bytes"},  {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
      {"Max processes", "processes"}, {"Max open files", "files"},  {"Max locked memory", "bytes"},
      {"Max address space", "bytes"}, {"Max file locks", "locks"},  {"Max pending signals", "signals"},
      {"Max msgqueue size", "bytes"}, {"Max nice priority", ""},    {"Max realtime priority", ""},
      {"Max realtime timeout", "us"},
  };
  std::lock_guard<std::mutex> l(k.mu);
  ThreadGroup* g = k.GroupByTgidLocked(tgid);
  if (!g) return "";
  auto lim = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v); };
  std::string out = Printf("%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
  for (int r = 0; r < RLIM_NLIMITS; r++) {
    out += Printf("%-25s %-20s %-20s %-10s\n", kNames[r].name, lim(g->rlimits[r].rlim_cur).c_str(),
                  lim(g->rlimits[r].rlim_max).c_str(), kNames[r].unit);
  }
  return out;
}

std::string ProcCmdline(kernel::Kernel& k, int tgid, bool environ) {
  std::shared_ptr<mm::MemoryManager> mm;
  {
    std::lock_guard<std::mutex> l(k.mu);
    ThreadGroup* g = k.GroupByTgidLocked(tgid);
    if (!g) return "";
    mm = MmOf(*g);
  }
  if (!mm) return "";
  auto info = mm->image_info();
  uint64_t start = environ ? info.envp_start : info.argv_start;
  uint64_t end = environ ? info.envp_end : info.argv_end;
  if (end <= start || end - start > (1u << 20)) return "";
  std::string out(end - start, '\0');
  out.resize(mm->CopyInPartial(start, out.data(), out.size()));
  return out;
}

namespace {
void Cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  __asm__("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
}  // namespace

std::string ProcCpuinfo() {
  // From CPUID: the sandbox cannot read the host's /proc (it sits in an
  // empty root), and the CPUs it runs on are the host's.
  unsigned r[4];
  Cpuid(0, 0, r);
  char vendor[13] = {};
  memcpy(vendor, &r[1], 4);
  memcpy(vendor + 4, &r[3], 4);
  memcpy(vendor + 8, &r[2], 4);
  unsigned max_leaf = r[0];
  Cpuid(1, 0, r);
  unsigned eax1 = r[0], ecx1 = r[2], edx1 = r[3];
  unsigned family = (eax1 >> 8) & 0xf, model = (eax1 >> 4) & 0xf, stepping = eax1 & 0xf;
  if (family == 0xf) family += (eax1 >> 20) & 0xff;
  if (family >= 6) model |= ((eax1 >> 16) & 0xf) << 4;
  unsigned ebx7 = 0;
  if (max_leaf >= 7) {
    Cpuid(7, 0, r);
    ebx7 = r[1];
  }
  char brand[49] = {};
  Cpuid(0x80000000, 0, r);
  if (r[0] >= 0x80000004) {
    for (unsigned i = 0; i < 3; i++) {
      Cpuid(0x80000002 + i, 0, r);
      memcpy(brand + 16 * i, r, 16);
    }
  }
  static const struct {
    int reg;  // 0: leaf 1 edx, 1: leaf 1 ecx, 2: leaf 7 ebx
    int bit;
    const char* name;
  } kFlags[] = {
      {0, 0, "fpu"},   {0, 4, "tsc"},    {0, 5, "msr"},     {0, 8, "cx8"},       {0, 15, "cmov"},
      {0, 19, "clflush"}, {0, 23, "mmx"}, {0, 24, "fxsr"},  {0, 25, "sse"},      {0, 26, "sse2"},
      {0, 28, "ht"},   {1, 0, "pni"},    {1, 1, "pclmulqdq"}, {1, 9, "ssse3"},   {1, 12, "fma"},
      {1, 13, "cx16"}, {1, 19, "sse4_1"}, {1, 20, "sse4_2"}, {1, 22, "movbe"},   {1, 23, "popcnt"},
      {1, 25, "aes"},  {1, 26, "xsave"}, {1, 28, "avx"},    {1, 29, "f16c"},     {1, 30, "rdrand"},
      {2, 3, "bmi1"},  {2, 5, "avx2"},   {2, 8, "bmi2"},    {2, 9, "erms"},      {2, 16, "avx512f"},
      {2, 18, "rdseed"}, {2, 19, "adx"}, {2, 29, "sha_ni"},
  };
  std::string flags;
  for (const auto& f : kFlags) {
    unsigned v = f.reg == 0 ? edx1 : f.reg == 1 ? ecx1 : ebx7;
    if ((v >> f.bit) & 1) flags += std::string(flags.empty() ? "" : " ") + f.name;
  }
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  std::string out;
  for (int i = 0; i < cpus; i++) {
    out += Printf("processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", i, vendor, family, model);
    out += Printf("model name\t: %s\nstepping\t: %u\n", brand, stepping);
    out += Printf("physical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\n", cpus, i, cpus);
    out += "fpu\t\t: yes\nflags\t\t: " + flags + "\n\n";
  }
  return out;
}

std::string ProcMeminfo(kernel::Kernel& k) {
  struct sysinfo si {};
  sysinfo(&si);
  uint64_t total = si.totalram * si.mem_unit / 1024;
  uint64_t used = k.memory_file() ? k.memory_file()->allocated() / 1024 : 0;
  uint64_t free_kb = total > used ? total - used : 0;
  return Printf("MemTotal:       %8" PRIu64 " kB\nMemFree:        %8" PRIu64 " kB\nMemAvailable:   %8" PRIu64
                " kB\nBuffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
                "SwapTotal:             0 kB\nSwapFree:              0 kB\nShmem:                 0 kB\n",
                total, free_kb, free_kb);
}

std::string ProcUptime(kernel::Kernel& k) {
  double up = static_cast<double>(kernel::NowNs(CLOCK_MONOTONIC) - static_cast<int64_t>(k.boot_monotonic_ns())) / 1e9;
  return Printf("%.2f %.2f\n", up, 0.0);
}

std::string ProcLoadavg(kernel::Kernel& k) {
  std::lock_guard<std::mutex> l(k.mu);
  auto groups = k.GroupsLocked();
  int last = 0;
  for (ThreadGroup* g : groups) last = std::max(last, g->tgid);
  return Printf("0.00 0.00 0.00 1/%zu %d\n", groups.size(), last);
}

std::string ProcVersion(kernel::Kernel& k) {
  struct utsname h {};
  uname(&h);
  return Printf("Linux version %s (stockade@sentry) %s\n", h.release, h.version);
}

std::string ProcFilesystems() { return "nodev\ttmpfs\nnodev\tproc\nnodev\tsysfs\nnodev\tdevpts\n"; }

namespace {

// What /proc/mounts and mountinfo say of a mount: its type from the file
// system's magic ("overlay" for the rootfs under the memory overlay, "9p" for
// the gofer's mounts, as runsc shows them), its source and its rw/ro.
struct MountFacts {
  const char* type;
  const char* source;
  const char* opts;
};

MountFacts FactsOf(vfs::Filesystem& fs) {
  struct statfs sfs {};
  if (auto f = fs.StatFs(); f.ok()) sfs = *f;
  const char* type = sfs.f_type == 0x9fa0 ? "proc" : sfs.f_type == 0x62656572 ? "sysfs"
                     : sfs.f_type == 0x1cd1 ? "devpts" : sfs.f_type == 0x01021994 ? "tmpfs"
                     : sfs.f_type == 0x794c7630 ? "overlay" : "9p";
  return {type, std::string(type) == "9p" ? "none" : type, fs.ReadOnly() ? "ro" : "rw"};
}

}  // namespace

std::string ProcMounts(kernel::Kernel& k) {
  std::string out;
  auto mounts = k.mounts().mounts();
  // Shortest point first, as they were mounted.
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
    MountFacts m = FactsOf(*it->fs);
    out += Printf("%s %s %s %s 0 0\n", m.source, it->point.c_str(), m.type, m.opts);
  }
  return out;
}

std::string ProcMountinfo(kernel::Kernel& k) {
  // ID PARENT MAJOR:MINOR ROOT POINT OPTIONS - TYPE SOURCE SUPER-OPTIONS; every
  // mount's parent is the root's (1), which is its own.
  std::string out;
  auto mounts = k.mounts().mounts();
  int id = 1;
  for (auto it = mounts.rbegin(); it != mounts.rend(); ++it, ++id) {
    struct stat st {};
    if (auto s = it->fs->Stat("/", true); s.ok()) st = *s;
    MountFacts m = FactsOf(*it->fs);
    out += Printf("%d %d %u:%u / %s %s - %s %s %s\n", id, it->point == "/" ? id : 1, major(st.st_dev),
                  minor(st.st_dev), it->point.c_str(), m.opts, m.type, m.source, m.opts);
  }
  return out;
}

}  // namespace stockade::sentry::fsimpl
