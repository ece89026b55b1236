/*
** guard.c: what the bus-error guard adds to one call into the core.
**
** Times mm_getbyte (guarded: arm, sigsetjmp, access, disarm) against a
** copy of it without the guard, compiled the same way and called the same
** way (through a function pointer, so neither is inlined into the loop).
** The two run alternately, A/B/A/B, and the medians are compared.
** Prints the medians in ns per call: guarded, unguarded, and their
** difference, what the guard adds.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mm_core.h"
#include "mm_sys.h"

#define CALLS 50000000L
#define ROUNDS 7
#define MASK 65535

typedef int (*getter)(const mm_map *, size_t, int *);

/* The same work as mm_getbyte, with no guard. */
static int unguarded (const mm_map *m, size_t at, int *byte) {
  *byte = m->data[at];
  return MM_OK;
}

static double now (void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ns per call of f over CALLS calls. */
static double run (getter volatile f, const mm_map *m, long *sum) {
  double t0 = now();
  long i;
  int b;
  for (i = 0; i < CALLS; i++) {
    f(m, (size_t)(i & MASK), &b);
    *sum += b;
  }
  return (now() - t0) * 1e9 / (double)CALLS;
}

static int cmp (const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main (void) {
  mm_map m;
  double with[ROUNDS], without[ROUNDS];
  long sum = 0;
  int i;
  mm_params p;
  mm_defaults(&p);
  p.length = MASK + 1;
  if (mm_create(&m, &p) != MM_OK)
    return 1;
  for (i = 0; i < ROUNDS; i++) {
    without[i] = run(unguarded, &m, &sum);
    with[i] = run(mm_getbyte, &m, &sum);
  }
  qsort(with, ROUNDS, sizeof with[0], cmp);
  qsort(without, ROUNDS, sizeof without[0], cmp);
  printf("%.3f %.3f %.3f\n", with[ROUNDS / 2], without[ROUNDS / 2],
         with[ROUNDS / 2] - without[ROUNDS / 2]);
  mm_close(&m);
  return sum == 42;  /* keeps the loads */
}
