/*
** memsearch.c: the physical limit of bench/find.lua and bench/find.py.
**
**   bench/memsearch PATH NEEDLE
**
** Maps PATH read-only with MAP_POPULATE (untimed, as the Lua and Python
** scripts do), then times one search of the whole map for NEEDLE: glibc's
** memchr for a 1-byte needle, memmem otherwise. Prints the process CPU
** seconds of the search alone; exits 1 if the needle was found (the
** benchmark uses absent needles) and 2 on an error.
*/
#define _GNU_SOURCE  /* memmem, MAP_POPULATE */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double cpu (void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main (int argc, char **argv) {
  struct stat st;
  const char *needle;
  size_t n, size;
  const void *data, *hit;
  double t0, t1;
  int fd;
  if (argc != 3) {
    fprintf(stderr, "usage: %s PATH NEEDLE\n", argv[0]);
    return 2;
  }
  needle = argv[2];
  n = strlen(needle);
  if ((fd = open(argv[1], O_RDONLY)) < 0 || fstat(fd, &st) != 0) {
    perror(argv[1]);
    return 2;
  }
  size = (size_t)st.st_size;
  data = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (data == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  t0 = cpu();
  if (n == 1)
    hit = memchr(data, (unsigned char)needle[0], size);
  else
    hit = memmem(data, size, needle, n);
  t1 = cpu();
  printf("%.6f\n", t1 - t0);
  munmap((void *)data, size);
  close(fd);
  return hit != NULL;
}
