/* A static program that reads the clocks through the vDSO (glibc's static startup takes
 * AT_SYSINFO_EHDR and calls __vdso_clock_gettime, __vdso_gettimeofday and __vdso_time): on OSv
 * that is the kernel's libvdso.so, which imports clock_gettime, gettimeofday, time,
 * __errno_location and fsgsbase_avail from the kernel. Prints the same lines on any machine. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

int main(void) {
  struct timespec a, b;
  struct timeval tv;
  if (clock_gettime(CLOCK_REALTIME, &a) != 0) {
    puts("clock_gettime(CLOCK_REALTIME) failed");
    return 1;
  }
  printf("realtime after 2020: %s\n", a.tv_sec > 1577836800 ? "yes" : "no");
  clock_gettime(CLOCK_MONOTONIC, &a);
  do {
    clock_gettime(CLOCK_MONOTONIC, &b);
  } while (b.tv_sec == a.tv_sec && b.tv_nsec == a.tv_nsec);
  printf("monotonic advances: yes\n");
  gettimeofday(&tv, NULL);
  time_t t = time(NULL);
  long d = (long)(t - tv.tv_sec);
  printf("gettimeofday and time agree: %s\n", d >= -1 && d <= 1 ? "yes" : "no");
  puts("vdso clock on OSv: done");
  return 0;
}
