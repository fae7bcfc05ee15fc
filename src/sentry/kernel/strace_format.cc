#include "sentry/kernel/strace_format.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>

#include "base/error.h"
#include "sentry/kernel/syscall_names.h"

namespace stockade::sentry::kernel {
namespace {

// How each argument of a system call is shown, one letter per argument:
//   d  int              a  dirfd (AT_FDCWD)     u  unsigned size     x  hex
//   p  path (string)    b  input buffer; the next argument is its length
//   B  output buffer; shown at exit, with the result as its length
//   f  open flags       o  octal mode           s  signal            v  string vector
// Calls not listed show six hex arguments.
const std::map<uint64_t, const char*>& ArgSpecs() {
  static const std::map<uint64_t, const char*> specs = {
      {SYS_read, "dBu"},          {SYS_write, "dbu"},          {SYS_open, "pfo"},
      {SYS_close, "d"},           {SYS_stat, "px"},            {SYS_fstat, "dx"},
      {SYS_lstat, "px"},          {SYS_poll, "xud"},           {SYS_lseek, "ddd"},
      {SYS_mmap, "xuxxdx"},       {SYS_mprotect, "xux"},       {SYS_munmap, "xu"},
      {SYS_brk, "x"},             {SYS_rt_sigaction, "sxxu"},  {SYS_rt_sigprocmask, "dxxu"},
      {SYS_ioctl, "dxx"},         {SYS_pread64, "dBud"},       {SYS_pwrite64, "dbud"},
      {SYS_readv, "dxd"},         {SYS_writev, "dxd"},         {SYS_access, "po"},
      {SYS_pipe, "x"},            {SYS_dup, "d"},              {SYS_dup2, "dd"},
      {SYS_nanosleep, "xx"},      {SYS_getpid, ""},            {SYS_clone, "xxxxx"},
      {SYS_fork, ""},             {SYS_vfork, ""},             {SYS_execve, "pvv"},
      {SYS_exit, "d"},            {SYS_wait4, "dxdx"},         {SYS_kill, "ds"},
      {SYS_uname, "x"},           {SYS_fcntl, "ddx"},          {SYS_getdents64, "dxu"},
      {SYS_getcwd, "Bu"},         {SYS_chdir, "p"},            {SYS_fchdir, "d"},
      {SYS_rename, "pp"},         {SYS_mkdir, "po"},           {SYS_rmdir, "p"},
      {SYS_link, "pp"},           {SYS_unlink, "p"},           {SYS_symlink, "pp"},
      {SYS_readlink, "pBu"},      {SYS_chmod, "po"},           {SYS_fchmod, "do"},
      {SYS_chown, "pdd"},         {SYS_umask, "o"},            {SYS_getppid, ""},
      {SYS_setsid, ""},           {SYS_setpgid, "dd"},         {SYS_getuid, ""},
      {SYS_geteuid, ""},          {SYS_getgid, ""},            {SYS_getegid, ""},
      {SYS_gettid, ""},           {SYS_tkill, "ds"},           {SYS_tgkill, "dds"},
      {SYS_exit_group, "d"},      {SYS_set_tid_address, "x"},  {SYS_arch_prctl, "xx"},
      {SYS_openat, "apfo"},       {SYS_mkdirat, "apo"},        {SYS_newfstatat, "apxx"},
      {SYS_unlinkat, "apx"},      {SYS_renameat, "apap"},      {SYS_renameat2, "apapx"},
      {SYS_linkat, "apapx"},      {SYS_symlinkat, "pap"},      {SYS_readlinkat, "apBu"},
      {SYS_fchmodat, "apo"},      {SYS_fchownat, "apddx"},     {SYS_faccessat, "apo"},
      {SYS_faccessat2, "apox"},   {SYS_utimensat, "apxx"},     {SYS_statx, "apxxx"},
      {SYS_pipe2, "xf"},          {SYS_dup3, "ddf"},           {SYS_truncate, "pu"},
      {SYS_ftruncate, "du"},      {SYS_sethostname, "bu"},     {SYS_chroot, "p"},
      {SYS_rt_sigsuspend, "xu"},  {SYS_rt_sigreturn, ""},      {SYS_sched_yield, ""},
      {SYS_getrandom, "Bux"},     {SYS_prctl, "dxxxx"},        {SYS_set_robust_list, "xu"},
      {SYS_sendfile, "ddxu"},     {SYS_prlimit64, "ddxx"},     {SYS_getpgrp, ""},
      {SYS_setuid, "d"},          {SYS_setgid, "d"},           {SYS_pause, ""},
  };
  return specs;
}

constexpr size_t kShownBytes = 32;

std::string Name(uint64_t nr) {
  const char* n = NameOfSyscall(nr);
  return n ? n : "syscall_" + std::to_string(nr);
}

std::string Hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%#" PRIx64, v);
  return b;
}

// A C-style quoted string of bytes, "..." after it when cut.
std::string Quote(const std::string& s, bool cut) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char b[8];
          snprintf(b, sizeof b, "\\x%02x", c);
          out += b;
        }
    }
  }
  out += "\"";
  if (cut) out += "...";
  return out;
}

std::string Buffer(Task& t, uint64_t addr, uint64_t len) {
  std::string bytes(std::min<uint64_t>(len, kShownBytes), '\0');
  size_t got = t.memory().CopyInPartial(addr, bytes.data(), bytes.size());
  if (got == 0 && len) return Hex(addr);
  bytes.resize(got);
  return Quote(bytes, len > got);
}

std::string String(Task& t, uint64_t addr) {
  auto s = t.memory().CopyInString(addr, 4096);
  if (!s.ok()) return Hex(addr);
  bool cut = s->size() > 256;
  return Quote(cut ? s->substr(0, 256) : *s, cut);
}

std::string StringVector(Task& t, uint64_t addr) {
  if (addr == 0) return "NULL";
  std::string out = "[";
  for (int i = 0;; i++) {
    uint64_t p;
    if (!t.memory().CopyIn(addr + 8 * static_cast<uint64_t>(i), &p, sizeof p).ok()) return out + "?]";
    if (p == 0) break;
    if (i == 8) return out + ", ...]";
    if (i) out += ", ";
    out += String(t, p);
  }
  return out + "]";
}

std::string OpenFlags(uint64_t v) {
  // Multi-bit flags first (O_TMPFILE holds O_DIRECTORY's bit, O_SYNC O_DSYNC's). The kernel's
  // O_LARGEFILE, which the x86-64 headers define as 0.
  static const std::pair<int, const char*> bits[] = {
      {O_TMPFILE, "O_TMPFILE"},     {O_SYNC, "O_SYNC"},         {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
      {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
      {O_DSYNC, "O_DSYNC"},         {O_DIRECT, "O_DIRECT"},     {0100000, "O_LARGEFILE"},
      {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
      {O_CLOEXEC, "O_CLOEXEC"},     {O_PATH, "O_PATH"},
  };
  int f = static_cast<int>(v);
  std::string out = (f & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : (f & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
                    : (f & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_ACCMODE";
  int rest = f & ~O_ACCMODE;
  for (auto [bit, name] : bits) {
    if ((rest & bit) == bit) {
      out += std::string("|") + name;
      rest &= ~bit;
    }
  }
  if (rest) out += "|" + Hex(static_cast<uint32_t>(rest));
  return out;
}

std::string Signal(uint64_t v) {
  int sig = static_cast<int>(v);
  const char* abbrev = sig > 0 && sig < 32 ? sigabbrev_np(sig) : nullptr;
  if (abbrev) return std::string("SIG") + abbrev;
  if (sig >= 32 && sig <= 64) return "SIGRT_" + std::to_string(sig - 32);
  return std::to_string(sig);
}

std::string Arg(Task& t, char kind, const SyscallArgs& a, int i) {
  uint64_t v = a[i];
  switch (kind) {
    case 'd': return std::to_string(static_cast<int32_t>(v));
    case 'a': return static_cast<int32_t>(v) == AT_FDCWD ? "AT_FDCWD" : std::to_string(static_cast<int32_t>(v));
    case 'u': return std::to_string(v);
    case 'p': return String(t, v);
    case 'b': return Buffer(t, v, i + 1 < 6 ? a[i + 1] : 0);
    case 'f': return OpenFlags(v);
    case 'o': {
      char b[16];
      snprintf(b, sizeof b, "%#" PRIo64, v);
      return b;
    }
    case 's': return Signal(v);
    case 'v': return StringVector(t, v);
    default: return Hex(v);  // 'x', and 'B' before the call has filled it
  }
}

}  // namespace

std::string FormatSyscallEntry(Task& t, uint64_t nr, const SyscallArgs& a) {
  auto it = ArgSpecs().find(nr);
  const char* spec = it == ArgSpecs().end() ? "xxxxxx" : it->second;
  std::string out = Name(nr) + "(";
  for (int i = 0; spec[i] && i < 6; i++) {
    if (i) out += ", ";
    out += Arg(t, spec[i], a, i);
  }
  return out + ")";
}

std::string FormatSyscallExit(Task& t, uint64_t nr, const SyscallArgs& a, int64_t ret) {
  std::string out = Name(nr) + " = ";
  if (ret < 0 && ret > -4096) return out + "-1 " + ErrnoName(static_cast<int>(-ret));
  out += std::to_string(ret);
  if (ret > 0xffff) out += " (" + Hex(static_cast<uint64_t>(ret)) + ")";
  // What the call wrote into an output buffer.
  auto it = ArgSpecs().find(nr);
  if (it != ArgSpecs().end() && ret > 0) {
    const char* spec = it->second;
    for (int i = 0; spec[i] && i < 6; i++) {
      if (spec[i] == 'B') out += " " + Buffer(t, a[i], static_cast<uint64_t>(ret));
    }
  }
  return out;
}

}  // namespace stockade::sentry::kernel
