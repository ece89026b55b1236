/*
** search_test.c: mm_memmem and mm_memrmem (src/mm_search.c) against a
** naive search. Prints TAP ("ok N - ...", "not ok N - ...") for spec/run.
**
** Every haystack ends at a page followed by an inaccessible one, and
** starts right after another: a load outside [hay, hay + hlen), which
** the SSE2 filter must never make, faults here instead of passing.
*/
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mm_search.h"

static int tests, failures;

static void check (int cond, const char *what) {
  tests++;
  if (!cond) failures++;
  printf("%sok %d - search: %s\n", cond ? "" : "not ", tests, what);
}


static const unsigned char *naive (const unsigned char *h, size_t hlen,
                                   const unsigned char *n, size_t nlen,
                                   int reverse) {
  size_t i, last;
  const unsigned char *found = NULL;
  if (nlen > hlen) return NULL;
  last = hlen - nlen;
  for (i = 0; i <= last; i++)
    if (memcmp(h + i, n, nlen) == 0) {
      found = h + i;
      if (!reverse) break;
    }
  return found;
}


/* A deterministic generator, so a failure can be replayed. */
static uint32_t seed = 12345;
static uint32_t next (void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}


/* Room for a haystack between two inaccessible pages. */
static unsigned char *room;
static size_t roomsize, page;

static int make_room (size_t size) {
  unsigned char *p;
  page = (size_t)sysconf(_SC_PAGESIZE);
  roomsize = (size + page - 1) / page * page;
  p = mmap(NULL, roomsize + 2 * page, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  if (mprotect(p, page, PROT_NONE) != 0 ||
      mprotect(p + page + roomsize, page, PROT_NONE) != 0)
    return 0;
  room = p + page;
  return 1;
}


/* Both directions of one case; the haystack sits at the end of the room. */
static int same (const unsigned char *h, size_t hlen, const unsigned char *n,
                 size_t nlen) {
  const void *f = mm_memmem(h, hlen, n, nlen);
  if (f != naive(h, hlen, n, nlen, 0)) return 0;
  if (nlen == 0) return 1;  /* rfind's caller handles "" itself */
  return mm_memrmem(h, hlen, n, nlen) == naive(h, hlen, n, nlen, 1);
}


/* Random haystacks over a small alphabet: many near misses. */
static void test_random (int rounds, int alphabet) {
  unsigned char needle[64];
  int r, bad = 0;
  char what[96];
  for (r = 0; r < rounds && !bad; r++) {
    size_t hlen = next() % 300, nlen = next() % 40, i;
    unsigned char *h = room + roomsize - hlen;  /* its end meets the guard */
    if (r % 2) h = room;                         /* its start does */
    for (i = 0; i < hlen; i++) h[i] = (unsigned char)('a' + next() % alphabet);
    if (hlen > 0 && nlen <= hlen && next() % 2) {  /* a needle that occurs */
      memcpy(needle, h + next() % (hlen - nlen + 1), nlen);
      if (nlen > 0 && next() % 3 == 0) needle[next() % nlen] ^= 1;
    }
    else
      for (i = 0; i < nlen; i++)
        needle[i] = (unsigned char)('a' + next() % alphabet);
    bad = !same(h, hlen, needle, nlen);
  }
  snprintf(what, sizeof what, "%d random cases over %d letters agree with "
           "a naive search", rounds, alphabet);
  check(!bad, what);
}


/*
** Long periodic haystacks and needles that nearly match everywhere: the
** SSE2 filter spends its budget and hands over to the linear search
** (glibc's memmem, or the Two-Way fallback of a build without it) in the
** middle of the haystack; every answer still agrees with a naive search.
*/
static void test_handover (int rounds) {
  unsigned char needle[200];
  int r, bad = 0;
  for (r = 0; r < rounds && !bad; r++) {
    size_t hlen = 4000 + next() % 12000, nlen = 20 + next() % 180, i;
    size_t period = 1 + next() % 5;
    unsigned char *h = room + roomsize - hlen;
    for (i = 0; i < hlen; i++) h[i] = (unsigned char)("aab"[i % period % 3]);
    for (i = 0; i < nlen; i++) needle[i] = h[i];
    needle[next() % nlen] ^= (unsigned char)(next() % 2);  /* maybe absent */
    if (next() % 2) memcpy(h + hlen - nlen, needle, nlen);  /* or at the end */
    bad = !same(h, hlen, needle, nlen);
  }
  check(!bad, "long periodic haystacks past the filter's budget agree with "
        "a naive search");
}


/* The inputs that make a naive search quadratic. */
static void test_worst (void) {
  size_t hlen = roomsize, i;
  unsigned char *h = room, needle[600];
  memset(h, 'a', hlen);
  memset(needle, 'a', sizeof needle);
  needle[sizeof needle - 1] = 'b';
  check(mm_memmem(h, hlen, needle, sizeof needle) == NULL,
        "a^n against a^599 b: absent");
  h[hlen - 1] = 'b';
  check(mm_memmem(h, hlen, needle, sizeof needle) ==
        h + hlen - sizeof needle, "a^n b against a^599 b: at the end");
  check(mm_memrmem(h, hlen, needle, sizeof needle) ==
        h + hlen - sizeof needle, "rfind of a^599 b: at the end");
  needle[0] = 'b';
  needle[sizeof needle - 1] = 'a';
  check(mm_memrmem(h, hlen, needle, sizeof needle) == NULL,
        "rfind of b a^599 in a^n b: absent");
  for (i = 0; i < hlen; i++) h[i] = (unsigned char)("ab"[i % 2]);
  memcpy(needle, "abababababababac", 16);
  check(mm_memmem(h, hlen, needle, 16) == NULL &&
        mm_memrmem(h, hlen, needle, 16) == NULL,
        "periodic haystack, needle breaking the period last: absent");
  check(mm_memmem(h + 1, hlen - 1, "ba", 2) == h + 1 &&
        mm_memrmem(h, hlen, "ab", 2) == h + hlen - 2,
        "periodic haystack: first and last of a 2-byte needle");
  check(mm_memmem(h, 0, "", 0) == h, "the empty needle is at the start");
}


int main (void) {
  if (!make_room(64 * 1024)) {
    printf("not ok 1 - search: the guarded room could not be mapped\n");
    printf("1..1\n");
    return 1;
  }
  test_random(20000, 2);
  test_random(20000, 4);
  test_random(5000, 26);
  test_handover(300);
  test_worst();
  printf("1..%d\n", tests);
  return failures != 0;
}
