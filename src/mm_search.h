/*
** mm_search.h: byte-string search for find and rfind. Plain C, no Lua, no
** map: the core calls these under the bus-error guard, and
** spec/search_test.c calls them directly.
*/
#ifndef MM_SEARCH_H
#define MM_SEARCH_H

#include <stddef.h>

/* The first occurrence of needle in hay; NULL if none (nlen 0: hay). */
const void *mm_memmem(const void *hay, size_t hlen, const void *needle,
                      size_t nlen);

/* The last occurrence of needle (nlen >= 1) in hay; NULL if none. */
const void *mm_memrmem(const void *hay, size_t hlen, const void *needle,
                       size_t nlen);

#endif
