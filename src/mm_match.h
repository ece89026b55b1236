/*
** mm_match.h: Lua 5.4 patterns run over the mapped bytes, in place. Plain
** C, no Lua API: the binding turns the result into Lua values.
**
** The subject is the map's bytes [0, stop); the search starts at `start`
** (start <= stop <= m->size, checked by the caller), so that a frontier or
** a back-reference sees the bytes before start, as string.match's do with
** its init argument. Offsets in the result are 0-based offsets into the
** map.
*/
#ifndef MM_MATCH_H
#define MM_MATCH_H

#include <stddef.h>

#include "mm_core.h"

#define MM_MAXCAPTURES 32      /* LUA_MAXCAPTURES */
#define MM_MATCHDEPTH 200      /* nested matcher calls: Lua's MAXCCALLS */

/* A capture's len, when it holds no bytes. */
#define MM_CAP_OPEN ((size_t)-1)      /* "(" seen, ")" not yet */
#define MM_CAP_POSITION ((size_t)-2)  /* "()": the offset `at` */

typedef struct mm_capture {
  size_t at;   /* offset of its first byte (of the position for "()") */
  size_t len;  /* byte count, or MM_CAP_OPEN / MM_CAP_POSITION */
} mm_capture;

typedef struct mm_matchres {
  int found;                        /* 0: no match; the rest is unset */
  size_t start, end;                /* the whole match: [start, end) */
  int ncap;                         /* 0: the value is the whole match */
  mm_capture cap[MM_MAXCAPTURES];
  char msg[48];                     /* MM_EPATTERN: Lua's own text */
} mm_matchres;

/*
** Search for the first match starting at start, start + 1, ... stop (a
** match may be empty). `gmatch` selects string.gmatch's rules: a leading
** "^" is an ordinary character, and a match that ends at *lastmatch (when
** lastmatch is not NULL) is passed over, as gmatch passes over an empty
** match right after the previous one.
**
** Returns MM_OK (r->found tells), MM_EBUS (mm_fault_offset) or MM_EPATTERN
** (r->msg holds Lua's message; malformed parts of a pattern are found only
** when the matcher reaches them, as in Lua, so a pattern may match before
** its error is seen). A match with an unfinished capture is MM_EPATTERN
** "unfinished capture" with r->found, start and end set.
*/
int mm_match(const mm_map *m, const char *pat, size_t plen, size_t start,
             size_t stop, int gmatch, const size_t *lastmatch,
             mm_matchres *r);

#endif
