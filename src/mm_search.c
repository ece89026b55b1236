/*
** mm_search.c: byte-string search (see mm_search.h).
**
** Forwards, glibc's memmem is linear in the worst case; backwards, libc
** has nothing. Where the compiler targets SSE2, a filter runs in front of
** both: 16 candidate positions a step are kept only when the needle's
** first and last bytes both match there, and only those are compared.
** Loads stay inside [hay, hay + hlen): the guard's range is the map, and a
** load past it could fault on a page that is not ours.
*/
#define _GNU_SOURCE  /* memmem, memrchr */

#include <string.h>

#include "mm_search.h"


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


