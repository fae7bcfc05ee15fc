// file_bench: file-system costs seen from inside a container. Built static (like
// getppid_loop.c) so it runs unchanged on the host and inside a busybox rootfs.
//
//   file_bench make TREE DIRS FILES_PER_DIR FILE_SIZE
//       (on the host, before the runs) creates TREE/dNN/fNNNNN: DIRS directories of
//       FILES_PER_DIR files of FILE_SIZE bytes each.
//   file_bench run TREE DIRS FILES_PER_DIR FILE_SIZE DATA_DIR MIB [PHASES]
//       times the phases in PHASES (comma-separated, default stat,open,prime,write,read), in
//       that order, each with CLOCK_MONOTONIC, and prints one JSON line per phase:
//         stat   stat() of every file of TREE, by absolute path
//         open   open(O_RDONLY) + read() of the whole file + close() of every file of TREE
//         write  DATA_DIR/file_bench.data: open(O_CREAT|O_TRUNC), MIB write()s of 1 MiB,
//                fsync(), close(). With `prime` in PHASES, the same MIB MiB are first
//                written, untimed and without fsync, to DATA_DIR/file_bench.prime, which is
//                then removed: the timed write then gets page-cache pages the host just
//                freed. (On a VM that hands freed memory back to its hypervisor, memory idle
//                for a couple of seconds costs a fault in the hypervisor when next touched;
//                without priming, a runtime whose earlier phases take longer pays more of
//                that in its write phase.) The write line gives prime_ns.
//         read   the same file: open(), read()s of 1 MiB to the end, close()
//       The data file is removed at the end (also when a phase fails). Every result is
//       checked (sizes, bytes read and written), so a runtime that returns wrong data fails
//       instead of being fast.
//
// Exit status: 0 if every phase ran and checked out, 1 otherwise (the failure on stderr),
// 2 for bad arguments.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1L << 20)

static char data_path[4096];

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void fail(const char* what, const char* path) {
  fprintf(stderr, "file_bench: %s %s: %s\n", what, path ? path : "", strerror(errno));
  if (data_path[0]) unlink(data_path);
  exit(1);
}

static void bad(const char* fmt, const char* path, long a, long b) {
  fprintf(stderr, "file_bench: ");
  fprintf(stderr, fmt, path, a, b);
  fputc('\n', stderr);
  if (data_path[0]) unlink(data_path);
  exit(1);
}

static long number(const char* s, const char* name) {
  char* end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v <= 0) {
    fprintf(stderr, "file_bench: %s must be a positive number, not '%s'\n", name, s);
    exit(2);
  }
  return v;
}

static void file_name(char* buf, size_t len, const char* tree, long d, long f) {
  snprintf(buf, len, "%s/d%02ld/f%05ld", tree, d, f);
}

static void make_tree(const char* tree, long dirs, long per_dir, long size) {
  char path[4096];
  char* buf = malloc(size);
  if (!buf) fail("malloc", "");
  if (mkdir(tree, 0755) && errno != EEXIST) fail("mkdir", tree);
  for (long d = 0; d < dirs; d++) {
    snprintf(path, sizeof path, "%s/d%02ld", tree, d);
    if (mkdir(path, 0755) && errno != EEXIST) fail("mkdir", path);
    for (long f = 0; f < per_dir; f++) {
      file_name(path, sizeof path, tree, d, f);
      // Distinct contents per file, so nothing can share or skip them.
      for (long i = 0; i < size; i++) buf[i] = (char)(d * 131 + f * 7 + i);
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) fail("open", path);
      if (write(fd, buf, size) != size) fail("write", path);
      if (close(fd)) fail("close", path);
    }
  }
  free(buf);
}

static void report(const char* phase, long ops, int64_t ns, long bytes, const char* extra) {
  printf("{\"phase\":\"%s\",\"ops\":%ld,\"total_ns\":%lld,\"ns_per_op\":%.1f", phase, ops,
         (long long)ns, (double)ns / (double)ops);
  if (bytes > 0)
    printf(",\"bytes\":%ld,\"mib_per_s\":%.1f", bytes,
           (double)bytes / (1024.0 * 1024.0) / ((double)ns / 1e9));
  printf("%s}\n", extra ? extra : "");
  fflush(stdout);
}

static void phase_stat(const char* tree, long dirs, long per_dir, long size) {
  char path[4096];
  struct stat st;
  int64_t t0 = now_ns();
  for (long d = 0; d < dirs; d++) {
    for (long f = 0; f < per_dir; f++) {
      file_name(path, sizeof path, tree, d, f);
      if (stat(path, &st)) fail("stat", path);
      if (st.st_size != size) bad("stat %s: size %ld, not %ld", path, (long)st.st_size, size);
    }
  }
  report("stat", dirs * per_dir, now_ns() - t0, 0, NULL);
}

static void phase_open(const char* tree, long dirs, long per_dir, long size) {
  char path[4096];
  char* buf = malloc(size + 1);
  if (!buf) fail("malloc", "");
  long total = 0;
  int64_t t0 = now_ns();
  for (long d = 0; d < dirs; d++) {
    for (long f = 0; f < per_dir; f++) {
      file_name(path, sizeof path, tree, d, f);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) fail("open", path);
      // One read of size + 1 bytes: the whole file, and a short count proves the end.
      ssize_t n = read(fd, buf, size + 1);
      if (n < 0) fail("read", path);
      if (n != size) bad("read %s: %ld bytes, not %ld", path, (long)n, size);
      if (close(fd)) fail("close", path);
      total += n;
    }
  }
  int64_t ns = now_ns() - t0;
  // Spot-check the contents of the last file.
  if (buf[size - 1] != (char)((dirs - 1) * 131 + (per_dir - 1) * 7 + size - 1))
    bad("%s: wrong contents (%ld, %ld)", path, buf[size - 1], 0);
  report("open", dirs * per_dir, ns, total, NULL);
  free(buf);
}

static int64_t prime(char* buf, long mib) {
  char path[4096 + 16];
  snprintf(path, sizeof path, "%.4096s.prime", data_path);
  int64_t t0 = now_ns();
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", path);
  for (long i = 0; i < mib; i++) {
    if (write(fd, buf, CHUNK) != CHUNK) {
      unlink(path);
      fail("write", path);
    }
  }
  if (close(fd) || unlink(path)) fail("close and unlink", path);
  return now_ns() - t0;
}

static void phase_write(char* buf, long mib, int primed) {
  int64_t prime_ns = primed ? prime(buf, mib) : 0;
  int64_t t0 = now_ns();
  int fd = open(data_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", data_path);
  for (long i = 0; i < mib; i++) {
    buf[0] = (char)i;  // each chunk differs
    ssize_t n = write(fd, buf, CHUNK);
    if (n < 0) fail("write", data_path);
    if (n != CHUNK) bad("write %s: %ld bytes, not %ld", data_path, (long)n, CHUNK);
  }
  int64_t t1 = now_ns();
  if (fsync(fd)) fail("fsync", data_path);
  int64_t t2 = now_ns();
  if (close(fd)) fail("close", data_path);
  int64_t t3 = now_ns();
  char extra[160];
  snprintf(extra, sizeof extra, ",\"write_ns\":%lld,\"fsync_ns\":%lld,\"primed\":%s,\"prime_ns\":%lld",
           (long long)(t1 - t0), (long long)(t2 - t1), primed ? "true" : "false",
           (long long)prime_ns);
  report("write", mib, t3 - t0, mib * CHUNK, extra);
}

static void phase_read(char* buf, long mib) {
  long total = 0, ops = 0;
  int64_t t0 = now_ns();
  int fd = open(data_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("open", data_path);
  for (;;) {
    ssize_t n = read(fd, buf, CHUNK);
    if (n < 0) fail("read", data_path);
    if (n == 0) break;
    // The host may return short reads; count bytes, and the calls that returned data.
    total += n;
    ops++;
  }
  if (close(fd)) fail("close", data_path);
  int64_t ns = now_ns() - t0;
  if (total != mib * CHUNK) bad("read %s: %ld bytes, not %ld", data_path, total, mib * CHUNK);
  report("read", ops, ns, total, NULL);
}

static int has_phase(const char* phases, const char* name) {
  size_t len = strlen(name);
  for (const char* p = phases; *p;) {
    const char* end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && !strncmp(p, name, n)) return 1;
    if (!end) break;
    p = end + 1;
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: file_bench make TREE DIRS FILES_PER_DIR FILE_SIZE\n"
          "       file_bench run TREE DIRS FILES_PER_DIR FILE_SIZE DATA_DIR MIB "
          "[stat,open,prime,write,read]\n");
  exit(2);
}

int main(int argc, char** argv) {
  if (argc < 6) usage();
  const char* tree = argv[2];
  long dirs = number(argv[3], "DIRS");
  long per_dir = number(argv[4], "FILES_PER_DIR");
  long size = number(argv[5], "FILE_SIZE");
  if (!strcmp(argv[1], "make") && argc == 6) {
    make_tree(tree, dirs, per_dir, size);
    return 0;
  }
  if (strcmp(argv[1], "run") || argc < 8 || argc > 9) usage();
  const char* data_dir = argv[6];
  long mib = number(argv[7], "MIB");
  const char* phases = argc > 8 ? argv[8] : "stat,open,prime,write,read";
  for (const char* p = phases; *p;) {
    const char* end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (!((n == 4 && (!strncmp(p, "stat", 4) || !strncmp(p, "open", 4) || !strncmp(p, "read", 4))) ||
          (n == 5 && (!strncmp(p, "write", 5) || !strncmp(p, "prime", 5))))) {
      fprintf(stderr, "file_bench: unknown phase in '%s'\n", phases);
      return 2;
    }
    if (!end) break;
    p = end + 1;
  }
  snprintf(data_path, sizeof data_path, "%s/file_bench.data", data_dir);

  if (has_phase(phases, "stat")) phase_stat(tree, dirs, per_dir, size);
  if (has_phase(phases, "open")) phase_open(tree, dirs, per_dir, size);
  if (has_phase(phases, "write") || has_phase(phases, "read")) {
    char* buf = malloc(CHUNK);
    if (!buf) fail("malloc", "");
    for (long i = 0; i < CHUNK; i++) buf[i] = (char)(i * 31 + 7);
    if (has_phase(phases, "write")) phase_write(buf, mib, has_phase(phases, "prime"));
    if (has_phase(phases, "read")) phase_read(buf, mib);
    free(buf);
  }
  if (data_path[0] && unlink(data_path) && errno != ENOENT) fail("unlink", data_path);
  return 0;
}
