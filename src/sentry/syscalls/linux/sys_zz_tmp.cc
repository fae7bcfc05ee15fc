// TEMPORARY minimal file syscalls until sys_file.cc lands (helper). Delete then.
#include <sys/syscall.h>
#include <sys/uio.h>
#include <dirent.h>
#include <cstring>
#include <linux/fs.h>
#include "sentry/syscalls/linux/sys_common.h"
#include "sentry/vfs/pipe.h"

namespace stockade::sentry::syscalls {
namespace {
int64_t Read(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  std::vector<char> buf(std::min<uint64_t>(a[2], 1 << 20));
  SYS_ASSIGN(size_t n, f->Read(t, buf.data(), buf.size()));
  SYS_TRY(t.memory().CopyOut(a[1], buf.data(), n));
  return n;
}
int64_t Write(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  std::vector<char> buf(std::min<uint64_t>(a[2], 1 << 20));
  SYS_TRY(t.memory().CopyIn(a[1], buf.data(), buf.size()));
  auto r = f->Write(t, buf.data(), buf.size());
  if (!r.ok() && r.error().code() == EPIPE) {
    std::lock_guard<std::mutex> l(t.kernel->mu);
    siginfo_t si{}; si.si_signo = SIGPIPE; si.si_code = SI_USER;
    t.kernel->SendToTaskLocked(&t, si);
  }
  SYS_ASSIGN(size_t n, std::move(r));
  return n;
}
int64_t Writev(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  std::string all;
  for (uint64_t i = 0; i < a[2] && i < 1024; i++) {
    struct iovec v; SYS_TRY(t.memory().CopyIn(a[1] + i * 16, &v, 16));
    std::string s(v.iov_len, 0); SYS_TRY(t.memory().CopyIn((uint64_t)v.iov_base, s.data(), s.size()));
    all += s;
  }
  SYS_ASSIGN(size_t n, f->Write(t, all.data(), all.size()));
  return n;
}
int64_t Openat(Task& t, int dirfd, uint64_t p, int flags, int mode) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, p));
  SYS_ASSIGN(auto f, kernel::OpenAt(t, dirfd, path, flags, mode));
  SYS_ASSIGN(int fd, t.fds->Install(f, flags & O_CLOEXEC, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  return fd;
}
int64_t Open(Task& t, const SyscallArgs& a) { return Openat(t, AT_FDCWD, a[0], (int)a[1], (int)a[2]); }
int64_t OpenatS(Task& t, const SyscallArgs& a) { return Openat(t, (int)a[0], a[1], (int)a[2], (int)a[3]); }
int64_t Close(Task& t, const SyscallArgs& a) { SYS_ASSIGN(auto f, t.fds->Remove((int)a[0])); (void)f; return 0; }
int64_t Fstat(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  SYS_ASSIGN(struct stat st, f->Stat());
  SYS_TRY(t.memory().CopyOut(a[1], &st, sizeof st)); return 0;
}
int64_t Newfstatat(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[1]));
  int fl = (int)a[3];
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, (int)a[0], path, !(fl & AT_SYMLINK_NOFOLLOW), fl & AT_EMPTY_PATH));
  SYS_TRY(t.memory().CopyOut(a[2], &st, sizeof st)); return 0;
}
int64_t Stat(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[0]));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, AT_FDCWD, path, true, false));
  SYS_TRY(t.memory().CopyOut(a[1], &st, sizeof st)); return 0;
}
int64_t Lstat(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[0]));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, AT_FDCWD, path, false, false));
  SYS_TRY(t.memory().CopyOut(a[1], &st, sizeof st)); return 0;
}
int64_t Lseek(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  SYS_ASSIGN(int64_t r, f->Seek((int64_t)a[1], (int)a[2])); return r;
}
int64_t Ioctl(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  SYS_ASSIGN(int64_t r, f->Ioctl(t.memory(), a[1], a[2])); return r;
}
int64_t Pipe2(Task& t, const SyscallArgs& a) {
  auto [r, w] = vfs::NewPipe((int)a[1]);
  bool ce = a[1] & O_CLOEXEC;
  SYS_ASSIGN(int rf, t.fds->Install(r, ce, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  SYS_ASSIGN(int wf, t.fds->Install(w, ce, 0, t.rlimit_cur(RLIMIT_NOFILE)));
  int fds[2] = {rf, wf};
  SYS_TRY(t.memory().CopyOut(a[0], fds, 8)); return 0;
}
int64_t Pipe(Task& t, const SyscallArgs& a) { SyscallArgs b = a; b.a[1] = 0; return Pipe2(t, b); }
int64_t Dup(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  SYS_ASSIGN(int fd, t.fds->Install(f, false, 0, t.rlimit_cur(RLIMIT_NOFILE))); return fd;
}
int64_t Dup2(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  if (a[0] == a[1]) return a[1];
  SYS_TRY(t.fds->InstallAt((int)a[1], f, false, t.rlimit_cur(RLIMIT_NOFILE))); return a[1];
}
int64_t Dup3(Task& t, const SyscallArgs& a) {
  if (a[0] == a[1]) return -EINVAL;
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  SYS_TRY(t.fds->InstallAt((int)a[1], f, a[2] & O_CLOEXEC, t.rlimit_cur(RLIMIT_NOFILE))); return a[1];
}
int64_t Fcntl(Task& t, const SyscallArgs& a) {
  int fd = (int)a[0];
  bool ce = false;
  auto f = t.fds->Get(fd, &ce);
  if (!f) return -EBADF;
  switch ((int)a[1]) {
    case F_DUPFD: case F_DUPFD_CLOEXEC: {
      SYS_ASSIGN(int n, t.fds->Install(f, a[1] == F_DUPFD_CLOEXEC, (int)a[2], t.rlimit_cur(RLIMIT_NOFILE))); return n; }
    case F_GETFD: return ce ? FD_CLOEXEC : 0;
    case F_SETFD: SYS_TRY(t.fds->SetCloexec(fd, a[2] & FD_CLOEXEC)); return 0;
    case F_GETFL: return f->flags();
    case F_SETFL: f->SetStatusFlags((int)a[2]); return 0;
    default: return -EINVAL;
  }
}
int64_t Getdents64(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(auto f, kernel::FileFor(t, (int)a[0]));
  SYS_ASSIGN(auto ents, f->ReadDir());
  std::lock_guard<std::mutex> l(f->pos_mu);
  std::string out;
  size_t i = f->dir_pos;
  for (; i < ents.size(); i++) {
    size_t reclen = (19 + ents[i].name.size() + 1 + 7) & ~size_t{7};
    if (out.size() + reclen > a[2]) break;
    std::string rec(reclen, 0);
    uint64_t ino = ents[i].ino; int64_t off = (int64_t)i + 1; uint16_t rl = (uint16_t)reclen;
    memcpy(&rec[0], &ino, 8); memcpy(&rec[8], &off, 8); memcpy(&rec[16], &rl, 2); rec[18] = (char)ents[i].type;
    memcpy(&rec[19], ents[i].name.data(), ents[i].name.size());
    out += rec;
  }
  if (out.empty() && i < ents.size()) return -EINVAL;
  f->dir_pos = i;
  SYS_TRY(t.memory().CopyOut(a[1], out.data(), out.size()));
  return (int64_t)out.size();
}
int64_t Getcwd(Task& t, const SyscallArgs& a) {
  std::string cwd; { std::lock_guard<std::mutex> l(t.fs->mu); cwd = t.fs->cwd; }
  if (cwd.size() + 1 > a[1]) return -ERANGE;
  SYS_TRY(t.memory().CopyOut(a[0], cwd.c_str(), cwd.size() + 1)); return (int64_t)cwd.size() + 1;
}
int64_t Chdir(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[0]));
  SYS_ASSIGN(std::string abs, kernel::AbsolutePath(t, AT_FDCWD, path));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, AT_FDCWD, abs, true, false));
  if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
  std::lock_guard<std::mutex> l(t.fs->mu); t.fs->cwd = abs; return 0;
}
int64_t Access(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[0]));
  SYS_ASSIGN(struct stat st, kernel::StatAt(t, AT_FDCWD, path, true, false));
  if ((a[1] & X_OK) && !(st.st_mode & 0111) && !S_ISDIR(st.st_mode)) return -EACCES;
  return 0;
}
int64_t Readlink(Task& t, const SyscallArgs& a) {
  SYS_ASSIGN(std::string path, kernel::CopyInPath(t, a[0]));
  SYS_ASSIGN(std::string abs, kernel::AbsolutePath(t, AT_FDCWD, path));
  auto [fs, rel] = kernel::ResolveMount(t, abs);
  SYS_ASSIGN(std::string target, fs->ReadLink(rel));
  size_t n = std::min<size_t>(target.size(), a[2]);
  SYS_TRY(t.memory().CopyOut(a[1], target.data(), n)); return (int64_t)n;
}
int64_t Umask(Task& t, const SyscallArgs& a) { std::lock_guard<std::mutex> l(t.fs->mu); int old = t.fs->umask; t.fs->umask = a[0] & 0777; return old; }
int64_t Poll(Task& t, const SyscallArgs& a) { (void)t; (void)a; return -ENOSYS; }
}  // namespace
void RegisterFileSyscalls(Kernel& k) {
  k.SetSyscall(SYS_read, Read); k.SetSyscall(SYS_write, Write); k.SetSyscall(SYS_writev, Writev);
  k.SetSyscall(SYS_open, Open); k.SetSyscall(SYS_openat, OpenatS); k.SetSyscall(SYS_close, Close);
  k.SetSyscall(SYS_fstat, Fstat); k.SetSyscall(SYS_newfstatat, Newfstatat); k.SetSyscall(SYS_stat, Stat);
  k.SetSyscall(SYS_lstat, Lstat); k.SetSyscall(SYS_lseek, Lseek); k.SetSyscall(SYS_ioctl, Ioctl);
  k.SetSyscall(SYS_pipe2, Pipe2); k.SetSyscall(SYS_pipe, Pipe); k.SetSyscall(SYS_dup, Dup);
  k.SetSyscall(SYS_dup2, Dup2); k.SetSyscall(SYS_dup3, Dup3); k.SetSyscall(SYS_fcntl, Fcntl);
  k.SetSyscall(SYS_getdents64, Getdents64); k.SetSyscall(SYS_getcwd, Getcwd); k.SetSyscall(SYS_chdir, Chdir);
  k.SetSyscall(SYS_access, Access); k.SetSyscall(SYS_readlink, Readlink); k.SetSyscall(SYS_umask, Umask);
}
void RegisterPollSyscalls(Kernel& k) { k.SetSyscall(SYS_poll, Poll); }
}  // namespace stockade::sentry::syscalls
