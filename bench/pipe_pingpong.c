// pipe_pingpong [N]: the cost of a wake-up between two processes. The process forks; parent
// and child pass one byte back and forth over two pipes N times (default 20000), timed with
// CLOCK_MONOTONIC; prints the mean nanoseconds per round trip (two writes, two reads, two
// wake-ups). Built static so it runs unchanged on the host and inside a busybox rootfs.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void Pass(int in, int out, long n, int first) {
  char c = 'x';
  for (long i = 0; i < n; i++) {
    if (first && write(out, &c, 1) != 1) exit(3);
    if (read(in, &c, 1) != 1) exit(3);
    if (!first && write(out, &c, 1) != 1) exit(3);
  }
}

int main(int argc, char** argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  if (n <= 0) {
    fprintf(stderr, "pipe_pingpong: N must be a positive number\n");
    return 2;
  }
  int to_child[2], to_parent[2];
  if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
    perror("pipe_pingpong: pipe");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("pipe_pingpong: fork");
    return 1;
  }
  if (child == 0) {
    Pass(to_child[0], to_parent[1], n + 100, 0);
    _exit(0);
  }
  Pass(to_parent[0], to_child[1], 100, 1);  // warm-up round trips
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  Pass(to_parent[0], to_child[1], n, 1);
  clock_gettime(CLOCK_MONOTONIC, &b);
  int status;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "pipe_pingpong: the child failed\n");
    return 1;
  }
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  printf("%.1f\n", ns / (double)n);
  return 0;
}
