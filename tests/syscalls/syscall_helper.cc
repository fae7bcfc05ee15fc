// A tiny static program that the conformance tests execve() to observe a freshly exec'd image.
// It lives next to the test programs (and in /conformance/ inside the sandbox).
//
//   syscall_helper exit N            exit with status N
//   syscall_helper echo-args ...     write argv then envp to stdout, each string NUL-terminated,
//                                    with the string "--env--" between them
//   syscall_helper fd-state FD...    print "open" or "closed" per FD, space-separated
//   syscall_helper ids               print "PID TID"
//   syscall_helper sigstate SIG...   print per SIG "<dfl|ign|handler>,<blocked 0|1>"
//   syscall_helper wait-stdin        read stdin until EOF, then exit 0
//   syscall_helper auxv              check the auxiliary vector; exit 0 if sane, else print why
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;

static void WriteAllOut(const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w <= 0) _exit(3);
    s += w;
    n -= w;
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syscall_helper MODE ...\n");
    return 2;
  }
  const char* mode = argv[1];
  if (strcmp(mode, "exit") == 0 && argc == 3) {
    return atoi(argv[2]);
  }
  if (strcmp(mode, "echo-args") == 0) {
    for (int i = 0; i < argc; i++) WriteAllOut(argv[i], strlen(argv[i]) + 1);
    WriteAllOut("--env--", 8);
    for (char** e = environ; *e; e++) WriteAllOut(*e, strlen(*e) + 1);
    return 0;
  }
  if (strcmp(mode, "fd-state") == 0) {
    for (int i = 2; i < argc; i++) {
      int fd = atoi(argv[i]);
      bool open = fcntl(fd, F_GETFD) != -1 || errno != EBADF;
      printf("%s%s", i > 2 ? " " : "", open ? "open" : "closed");
    }
    return 0;
  }
  if (strcmp(mode, "ids") == 0) {
    printf("%ld %ld", (long)getpid(), (long)syscall(SYS_gettid));
    return 0;
  }
  if (strcmp(mode, "sigstate") == 0) {
    sigset_t mask;
    sigprocmask(SIG_SETMASK, nullptr, &mask);
    for (int i = 2; i < argc; i++) {
      int sig = atoi(argv[i]);
      struct sigaction sa;
      if (sigaction(sig, nullptr, &sa) != 0) return 4;
      const char* disp = sa.sa_handler == SIG_DFL ? "dfl" : sa.sa_handler == SIG_IGN ? "ign" : "handler";
      printf("%s%s,%d", i > 2 ? " " : "", disp, sigismember(&mask, sig));
    }
    return 0;
  }
  if (strcmp(mode, "wait-stdin") == 0) {
    char buf[64];
    for (;;) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n == 0) return 0;
      if (n < 0 && errno != EINTR) return 5;
    }
  }
  if (strcmp(mode, "auxv") == 0) {
    int bad = 0;
    if (getauxval(AT_PAGESZ) != (unsigned long)sysconf(_SC_PAGESIZE) || getauxval(AT_PAGESZ) == 0) {
      fprintf(stderr, "AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
      bad = 1;
    }
    if (getauxval(AT_RANDOM) == 0) { fprintf(stderr, "no AT_RANDOM\n"); bad = 1; }
    if (getauxval(AT_PHDR) == 0) { fprintf(stderr, "no AT_PHDR\n"); bad = 1; }
    if (getauxval(AT_ENTRY) == 0) { fprintf(stderr, "no AT_ENTRY\n"); bad = 1; }
    const char* execfn = (const char*)getauxval(AT_EXECFN);
    if (execfn == nullptr || strcmp(execfn, argv[0]) != 0) {
      fprintf(stderr, "AT_EXECFN %s != argv[0] %s\n", execfn ? execfn : "(null)", argv[0]);
      bad = 1;
    }
    if (getauxval(AT_UID) != getuid() || getauxval(AT_EUID) != geteuid() ||
        getauxval(AT_GID) != getgid() || getauxval(AT_EGID) != getegid()) {
      fprintf(stderr, "AT_UID/EUID/GID/EGID mismatch\n");
      bad = 1;
    }
    if (getauxval(AT_SECURE) != 0) { fprintf(stderr, "AT_SECURE set\n"); bad = 1; }
    return bad;
  }
  fprintf(stderr, "syscall_helper: unknown mode %s\n", mode);
  return 2;
}
