// getppid_loop [N]: the cost of a trivial system call. Makes N (default 200000) getppid
// calls through libc's wrapper (`mov $nr,%eax; syscall`, the site systrap patches), timed
// with CLOCK_MONOTONIC, and prints the mean nanoseconds per call. Built static
// so it runs unchanged on the host and inside a busybox rootfs.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
  if (n <= 0) {
    fprintf(stderr, "getppid_loop: N must be a positive number\n");
    return 2;
  }
  // A few calls first, so that the timed loop starts warm.
  for (int i = 0; i < 1000; i++) getppid();
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) getppid();
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  printf("%.1f\n", ns / (double)n);
  return 0;
}
