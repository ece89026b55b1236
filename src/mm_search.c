/*
** mm_search.c: byte-string search (see mm_search.h).
**
** Forwards, glibc's memmem is linear in the worst case; elsewhere (or in
** a build that shows no extension: make POSIX_ONLY=1), a Two-Way search
** of our own is, in O(1) space (it runs under the guard: no malloc).
** Backwards, libc has memrchr at most. Where the compiler targets SSE2, a
** filter runs in front of both: 16 candidate positions a step are kept
** only when the needle's first and last bytes both match there, and only
** those are compared. Loads stay inside [hay, hay + hlen): the guard's
** range is the map, and a load past it could fault on a page that is not
** ours.
*/
#if !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE)
#define _GNU_SOURCE  /* glibc: memmem, memrchr */
#endif

#include <string.h>

#include "mm_search.h"

/*
** The C library's extensions, where a feature test finds them: glibc's
** memmem (Two-Way inside: linear) and memrchr under _GNU_SOURCE; the
** BSDs' memrchr when their headers show it. Elsewhere the fallbacks
** below.
*/
#if defined(_GNU_SOURCE) && defined(__GLIBC__)
#define HAVE_LINEAR_MEMMEM 1
#define HAVE_MEMRCHR 1
#elif (defined(__FreeBSD__) || defined(__OpenBSD__) || \
       defined(__NetBSD__)) && !defined(_POSIX_C_SOURCE)
#define HAVE_LINEAR_MEMMEM 0
#define HAVE_MEMRCHR 1
#else
#define HAVE_LINEAR_MEMMEM 0
#define HAVE_MEMRCHR 0
#endif


/*
** {======================================================
** Fallbacks
** =======================================================
*/

#if !HAVE_MEMRCHR
/* The last c in s[0 .. n-1]. */
static void *last_byte (const void *s, int c, size_t n) {
  const unsigned char *p = (const unsigned char *)s + n;
  while (n-- > 0)
    if (*--p == (unsigned char)c) return (void *)p;
  return NULL;
}

#define memrchr last_byte
#endif


#if !HAVE_LINEAR_MEMMEM
/*
** Two-Way (Crochemore and Perrin): the needle is cut at a critical
** position c into u = n[0 .. c-1] and v = n[c ..]. Each try compares v
** left to right, then u right to left; a mismatch in v shifts by as far
** as it got, a match of v with a mismatch in u shifts by the period p.
** When u is a suffix of v's period (a periodic needle), the prefix that
** a shift by p keeps matched is remembered, so no byte is compared twice.
** At most 2 * hlen comparisons, no memory.
*/

/*
** The start of the maximal suffix of n[0 .. len-1] and its period, for
** the byte order (flip 0) or its reverse (flip 1). s: the suffix so far,
** j + k: the byte compared against s + k - 1, p: the period so far.
*/
static size_t max_suffix (const unsigned char *n, size_t len, size_t *period,
                          int flip) {
  size_t s = 0, j = 0, k = 1, p = 1;
  while (j + k < len) {
    unsigned char a = n[j + k], b = n[s + k - 1];
    if (flip ? a > b : a < b) {  /* the suffix at s stays; period grows */
      j += k;
      k = 1;
      p = j + 1 - s;
    }
    else if (a == b) {           /* the period repeats */
      if (k != p) k++;
      else { j += p; k = 1; }
    }
    else {                       /* a larger suffix starts after j */
      s = j + 1;
      j = s;
      k = p = 1;
    }
  }
  *period = p;
  return s;
}


static void *two_way (const void *hay, size_t hlen, const void *needle,
                      size_t nlen) {
  const unsigned char *h = (const unsigned char *)hay;
  const unsigned char *n = (const unsigned char *)needle;
  size_t c, p, c2, p2, j = 0, keep = 0, i, periodic;
  if (nlen == 0) return (void *)h;
  if (nlen > hlen) return NULL;
  c = max_suffix(n, nlen, &p, 0);
  c2 = max_suffix(n, nlen, &p2, 1);
  if (c2 > c) { c = c2; p = p2; }  /* the later cut is critical */
  periodic = memcmp(n, n + p, c) == 0;
  if (!periodic)  /* no overlap of two matches closer than this */
    p = (c > nlen - c ? c : nlen - c) + 1;
  while (j <= hlen - nlen) {
    i = c > keep ? c : keep;
    while (i < nlen && n[i] == h[j + i]) i++;
    if (i < nlen) {  /* v differs at i */
      j += i - c + 1;
      keep = 0;
      continue;
    }
    i = c;           /* v matched: u, right to left, down to what is kept */
    while (i > keep && n[i - 1] == h[j + i - 1]) i--;
    if (i <= keep) return (void *)(h + j);
    j += p;
    keep = periodic ? nlen - p : 0;
  }
  return NULL;
}

#define memmem two_way
#endif

/* }====================================================== */


/* The last of the candidates 0 .. end-1 where the needle starts; NULL if none. */
static const void *last_from (const unsigned char *h, size_t end,
                              const unsigned char *n, size_t nlen) {
  while (end > 0) {
    const unsigned char *p = memrchr(h, n[0], end);
    if (p == NULL) return NULL;
    if (memcmp(p, n, nlen) == 0) return p;
    end = (size_t)(p - h);
  }
  return NULL;
}


#ifdef __SSE2__
#include <emmintrin.h>

/* Bit j set: candidate i + j has the needle's first and last bytes. */
static unsigned candidates (const unsigned char *h, size_t i, size_t nlen,
                            __m128i first, __m128i last) {
  __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
  __m128i b = _mm_loadu_si128((const __m128i *)(const void *)
                              (h + i + nlen - 1));
  return (unsigned)_mm_movemask_epi8(
      _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
}


/* How far the inner bytes match at c: nlen - 1 means the whole needle. */
static size_t inner (const unsigned char *c, const unsigned char *n,
                     size_t nlen) {
  size_t k = 1;
  while (k < nlen - 1 && c[k] == n[k]) k++;
  return k;
}


/*
** Forwards, lowest candidate first. Past a budget of compared bytes linear
** in hlen, glibc's linear-time memmem finishes: no input is quadratic.
*/
static const void *filtered_memmem (const unsigned char *h, size_t hlen,
                                    const unsigned char *n, size_t nlen) {
  const __m128i first = _mm_set1_epi8((char)n[0]);
  const __m128i last = _mm_set1_epi8((char)n[nlen - 1]);
  size_t i = 0, budget = 4096 + hlen;
  for (; i + nlen - 1 + 16 <= hlen; i += 16) {
    unsigned mask = candidates(h, i, nlen, first, last);
    while (mask != 0) {
      const unsigned char *c = h + i + (unsigned)__builtin_ctz(mask);
      size_t k = inner(c, n, nlen);
      if (k >= nlen - 1) return c;
      if (budget < k) return memmem(h + i, hlen - i, n, nlen);
      budget -= k;
      mask &= mask - 1;
    }
  }
  return memmem(h + i, hlen - i, n, nlen);
}


/*
** Backwards, highest candidate first. libc has no linear-time reverse
** search to hand over to; like Python's rfind, the worst case is
** hlen * nlen.
*/
static const void *filtered_memrmem (const unsigned char *h, size_t hlen,
                                     const unsigned char *n, size_t nlen) {
  const __m128i first = _mm_set1_epi8((char)n[0]);
  const __m128i last = _mm_set1_epi8((char)n[nlen - 1]);
  size_t end = hlen - nlen + 1;  /* candidates are 0 .. end-1 */
  for (; end >= 16; end -= 16) {
    unsigned mask = candidates(h, end - 16, nlen, first, last);
    while (mask != 0) {
      unsigned bit = 31u - (unsigned)__builtin_clz(mask);
      const unsigned char *c = h + end - 16 + bit;
      if (inner(c, n, nlen) >= nlen - 1) return c;
      mask &= ~(1u << bit);
    }
  }
  return last_from(h, end, n, nlen);
}
#endif


const void *mm_memmem (const void *hay, size_t hlen, const void *needle,
                       size_t nlen) {
#ifdef __SSE2__
  if (nlen >= 2 && hlen >= nlen + 16)
    return filtered_memmem((const unsigned char *)hay, hlen,
                           (const unsigned char *)needle, nlen);
#endif
  return memmem(hay, hlen, needle, nlen);
}


const void *mm_memrmem (const void *hay, size_t hlen, const void *needle,
                        size_t nlen) {
  const unsigned char *h = (const unsigned char *)hay;
  const unsigned char *n = (const unsigned char *)needle;
  if (nlen > hlen) return NULL;
  if (nlen == 1) return memrchr(h, n[0], hlen);
#ifdef __SSE2__
  if (hlen >= nlen + 16) return filtered_memrmem(h, hlen, n, nlen);
#endif
  return last_from(h, hlen - nlen + 1, n, nlen);
}


