/*
** mm_match.c: Lua 5.4's pattern language over the mapped bytes, with no
** copy of them (see mm_match.h).
**
** Semantics: Lua 5.4's string.match and string.gmatch (reference manual
** 6.4.1, with lua5.4 as the judge of what the manual leaves open: when an
** error is seen, which inputs are "too complex", the exact error texts).
** Written for this module; no code of Lua's. Where mm:match and mm:gmatch
** differ from them, on purpose (manual §12):
**   - positions are 0-based offsets into the map: the `start` argument and
**     the value of a position capture "()";
**   - the subject is the map's bytes [0, stop), with `stop` an argument
**     that string.match lacks; a `start` past `stop` finds nothing;
**   - a negative `start` or `stop` counts from the end of the map and is
**     then clamped to 0;
**   - gmatch reads the map's length again at each step, so a map resized
**     between steps is searched as it is then;
**   - a page that the file no longer backs raises the module's bus error.
**
** A backtracking matcher. match_here() tries the rest of a pattern at one
** subject position. It calls itself, one level deeper, only where a choice
** is made: for each length a repetition may take, after "?" took its byte,
** and after a capture opens or closes. Everything else is a loop. Only
** those calls count towards MM_MATCHDEPTH, as in Lua, so that "pattern too
** complex" comes for the same patterns on the same subjects.
**
** Errors do not jump: error() records the message, and every level returns
** NULL as soon as it sees ms->failed.
**
** Everything runs under the bus-error guard armed by mm_match(), so there
** is no allocation here and no library call but ctype, memchr and memcmp.
*/
#define _POSIX_C_SOURCE 200809L  /* mm_sys.h: sigsetjmp */

#include <ctype.h>
#include <string.h>

#include "mm_match.h"
#include "mm_sys.h"

typedef const unsigned char *subj;  /* a position in the subject */

typedef struct mstate {
  subj base;          /* the map's first byte: what "before the start" sees */
  subj end;           /* the subject's end (stop), never read */
  const char *pend;   /* the pattern's end */
  int depth;          /* nested match_here calls */
  int level;          /* captures opened so far (closed or not) */
  int failed;         /* an error was found: msg holds it */
  char *msg;
  struct {
    subj at;
    size_t len;       /* or MM_CAP_OPEN / MM_CAP_POSITION */
  } cap[MM_MAXCAPTURES];
} mstate;


/* Record Lua's message (with a digit appended when `digit` is not 0). */
static void error (mstate *ms, const char *text, int digit) {
  size_t n = strlen(text);  /* every text fits in mm_matchres.msg */
  memcpy(ms->msg, text, n);
  if (digit) ms->msg[n++] = (char)digit;
  ms->msg[n] = '\0';
  ms->failed = 1;
}


/*
** {======================================================
** Single-byte classes: "x", ".", "%x", "[set]"
** =======================================================
*/

/* Does byte c belong to class letter cl ("%a", "%A", ...)? */
static int class_match (int c, int cl) {
  int upper = (cl >= 'A' && cl <= 'Z');  /* class letters are ASCII: no */
  int yes;                               /* locale call per byte tested */
  switch (upper ? cl + ('a' - 'A') : cl) {
    case 'a': yes = isalpha(c); break;
    case 'c': yes = iscntrl(c); break;
    case 'd': yes = isdigit(c); break;
    case 'g': yes = isgraph(c); break;
    case 'l': yes = islower(c); break;
    case 'p': yes = ispunct(c); break;
    case 's': yes = isspace(c); break;
    case 'u': yes = isupper(c); break;
    case 'w': yes = isalnum(c); break;
    case 'x': yes = isxdigit(c); break;
    case 'z': yes = (c == 0); break;  /* deprecated, but 5.4 still has it */
    default: return cl == c;  /* "%" and any other byte: that byte itself */
  }
  yes = (yes != 0);
  return upper ? !yes : yes;  /* the upper-case letter: complement */
}


/*
** Where the class at p (p < pend) ends. A set's first member is taken
** whatever it is, so "[]]" and "[^]]" hold a ']'; "%" escapes the byte after
** it, so "[%]]" holds one too. NULL after an error.
*/
static const char *class_end (mstate *ms, const char *p) {
  const char *q = p + 1;
  if (*p == '%') {
    if (q == ms->pend) {
      error(ms, "malformed pattern (ends with '%')", 0);
      return NULL;
    }
    return q + 1;
  }
  if (*p != '[')
    return q;
  if (q < ms->pend && *q == '^')
    q++;
  do {
    if (q == ms->pend) {
      error(ms, "malformed pattern (missing ']')", 0);
      return NULL;
    }
    if (*q++ == '%' && q < ms->pend)
      q++;
  } while (q == ms->pend || *q != ']');
  return q + 1;
}


/* Is byte c in the set from p ('[') to close (its ']')? */
static int set_match (int c, const char *p, const char *close) {
  int in = 1;
  p++;
  if (*p == '^') {  /* there is always a member after it */
    in = 0;
    p++;
  }
  while (p < close) {
    if (*p == '%') {  /* a class, or an escaped byte */
      if (class_match(c, (unsigned char)p[1])) return in;
      p += 2;
    }
    else if (p[1] == '-' && p + 2 < close) {  /* a range x-y */
      if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return in;
      p += 3;
    }
    else {
      if ((unsigned char)*p == c) return in;
      p++;
    }
  }
  return !in;
}


/* Does the byte at s match the class [p, ep)? Never past the subject's end. */
static int item_match (const mstate *ms, subj s, const char *p,
                       const char *ep) {
  int c;
  if (s >= ms->end) return 0;
  c = *s;
  switch (*p) {
    case '.': return 1;
    case '%': return class_match(c, (unsigned char)p[1]);
    case '[': return set_match(c, p, ep - 1);
    default: return (unsigned char)*p == c;
  }
}

/* }====================================================== */


/*
** {======================================================
** The matcher
** =======================================================
*/

static subj match_here (mstate *ms, subj s, const char *p);


/* p[-1] is '*' or '+': the longest run of the class [p, ep) first. */
static subj greedy (mstate *ms, subj s, const char *p, const char *ep) {
  size_t n = 0;
  subj res;
  while (item_match(ms, s + n, p, ep))
    n++;
  for (;;) {
    res = match_here(ms, s + n, ep + 1);
    if (res != NULL || ms->failed || n == 0) return res;
    n--;
  }
}


/* The same for '-': the shortest run first. */
static subj lazy (mstate *ms, subj s, const char *p, const char *ep) {
  subj res;
  for (;;) {
    res = match_here(ms, s, ep + 1);
    if (res != NULL || ms->failed || !item_match(ms, s, p, ep)) return res;
    s++;
  }
}


/* "(" or "()" at s; p is the pattern after it. */
static subj open_capture (mstate *ms, subj s, const char *p, size_t kind) {
  subj res;
  if (ms->level == MM_MAXCAPTURES) {
    error(ms, "too many captures", 0);
    return NULL;
  }
  ms->cap[ms->level].at = s;
  ms->cap[ms->level].len = kind;
  ms->level++;
  res = match_here(ms, s, p);
  if (res == NULL) ms->level--;  /* this capture was never made */
  return res;
}


/* ")" at s: closes the innermost capture still open. */
static subj close_capture (mstate *ms, subj s, const char *p) {
  int l = ms->level;
  subj res;
  do {
    if (--l < 0) {
      error(ms, "invalid pattern capture", 0);
      return NULL;
    }
  } while (ms->cap[l].len != MM_CAP_OPEN);
  ms->cap[l].len = (size_t)(s - ms->cap[l].at);
  res = match_here(ms, s, p);
  if (res == NULL) ms->cap[l].len = MM_CAP_OPEN;  /* open again */
  return res;
}


/* "%1".."%9" (digit is the byte after '%'): the bytes of that capture again. */
static subj backref (mstate *ms, subj s, int digit) {
  int l = digit - '1';
  size_t len;
  if (l < 0 || l >= ms->level || ms->cap[l].len == MM_CAP_OPEN) {
    error(ms, "invalid capture index %", digit);
    return NULL;
  }
  len = ms->cap[l].len;
  if (len == MM_CAP_POSITION)  /* a position is no text: never matches */
    return NULL;
  if ((size_t)(ms->end - s) < len || memcmp(ms->cap[l].at, s, len) != 0)
    return NULL;
  return s + len;
}


/* "%bxy" (p is after "%b"): from an x at s to its balancing y. */
static subj balance (mstate *ms, subj s, const char *p) {
  int open, close, depth = 1;
  if (ms->pend - p < 2) {
    error(ms, "malformed pattern (missing arguments to '%b')", 0);
    return NULL;
  }
  open = (unsigned char)p[0];
  close = (unsigned char)p[1];
  if (s >= ms->end || *s != open) return NULL;
  while (++s < ms->end) {
    if (*s == close) {  /* checked first: "%bxx" ends at the next x */
      if (--depth == 0) return s + 1;
    }
    else if (*s == open)
      depth++;
  }
  return NULL;
}


/*
** "%f[set]" (p is after "%f"): the pattern after the set when the byte
** before s is not in the set and the byte at s is; a '\0' stands for the
** bytes before the map and after the subject. NULL otherwise.
*/
static const char *frontier (mstate *ms, subj s, const char *p) {
  const char *ep;
  int before, here;
  if (p == ms->pend || *p != '[') {
    error(ms, "missing '[' after '%f' in pattern", 0);
    return NULL;
  }
  if ((ep = class_end(ms, p)) == NULL) return NULL;
  before = s > ms->base ? s[-1] : 0;
  here = s < ms->end ? *s : 0;
  if (set_match(before, p, ep - 1) || !set_match(here, p, ep - 1))
    return NULL;
  return ep;
}


/* The pattern items from p on, at s; only match_here calls it. */
static subj match_items (mstate *ms, subj s, const char *p) {
  const char *ep;
  subj res;
  int next;
  while (p < ms->pend) {
    switch (*p) {
      case '(':
        if (p + 1 < ms->pend && p[1] == ')')
          return open_capture(ms, s, p + 2, MM_CAP_POSITION);
        return open_capture(ms, s, p + 1, MM_CAP_OPEN);
      case ')':
        return close_capture(ms, s, p + 1);
      case '$':
        if (p + 1 == ms->pend)  /* the last byte: the subject's end */
          return s == ms->end ? s : NULL;
        break;  /* elsewhere an ordinary byte */
      case '%':
        if (p + 1 == ms->pend) break;  /* class_end reports it */
        if (p[1] == 'b') {
          if ((s = balance(ms, s, p + 2)) == NULL) return NULL;
          p += 4;
          continue;
        }
        if (p[1] == 'f') {
          if ((p = frontier(ms, s, p + 2)) == NULL) return NULL;
          continue;
        }
        if (p[1] >= '0' && p[1] <= '9') {
          if ((s = backref(ms, s, p[1])) == NULL) return NULL;
          p += 2;
          continue;
        }
        break;
      default:
        break;
    }
    /* a single-byte class, perhaps followed by a repetition */
    if ((ep = class_end(ms, p)) == NULL) return NULL;
    next = ep < ms->pend ? *ep : '\0';
    if (!item_match(ms, s, p, ep)) {
      if (next != '*' && next != '?' && next != '-') return NULL;
      p = ep + 1;  /* zero of them is fine */
      continue;
    }
    switch (next) {
      case '?':
        res = match_here(ms, s + 1, ep + 1);
        if (res != NULL || ms->failed) return res;
        p = ep + 1;  /* without the optional byte */
        break;
      case '+': return greedy(ms, s + 1, p, ep);
      case '*': return greedy(ms, s, p, ep);
      case '-': return lazy(ms, s, p, ep);
      default:
        s++;
        p = ep;
        break;
    }
  }
  return s;  /* the whole pattern matched: s is the end of the match */
}


/* The end of a match of pattern p at s, or NULL; one level deeper. */
static subj match_here (mstate *ms, subj s, const char *p) {
  subj res;
  if (ms->depth == MM_MATCHDEPTH) {
    error(ms, "pattern too complex", 0);
    return NULL;
  }
  ms->depth++;
  res = match_items(ms, s, p);
  ms->depth--;
  return res;
}

/* }====================================================== */


/*
** {======================================================
** The search
** =======================================================
*/

/*
** The class every match of p must start with, when there is one: the first
** single-byte class after any opening captures, when it must occur at
** least once (no '*', '?' or '-' after it). An attempt at a byte outside it
** fails at once, with no error and no deeper nesting than the captures
** (at most MM_MAXCAPTURES of them), so the search passes such bytes by:
** with memchr when the class is one ordinary byte (*byte >= 0).
*/
typedef struct first {
  const char *p, *ep;  /* the class [p, ep); p is NULL when there is none */
  int byte;            /* the byte an ordinary class stands for, or -1 */
} first;

static void first_class (mstate *ms, const char *p, first *f) {
  int opened = 0;
  const char *ep;
  f->p = NULL;
  f->byte = -1;
  while (p < ms->pend && *p == '(' && opened < MM_MAXCAPTURES) {
    p += (p + 1 < ms->pend && p[1] == ')') ? 2 : 1;
    opened++;
  }
  if (p == ms->pend || *p == '(' || *p == ')' ||
      (*p == '$' && p + 1 == ms->pend))
    return;
  if (*p == '%' && p + 1 < ms->pend &&
      (p[1] == 'b' || p[1] == 'f' || (p[1] >= '0' && p[1] <= '9')))
    return;
  ep = class_end(ms, p);
  if (ep == NULL) {  /* the first attempt will report it */
    ms->failed = 0;
    ms->msg[0] = '\0';
    return;
  }
  if (ep < ms->pend && (*ep == '*' || *ep == '?' || *ep == '-'))
    return;
  f->p = p;
  f->ep = ep;
  if (ep == p + 1 && *p != '.')
    f->byte = (unsigned char)*p;
}


/* Fill r with the match [s, e) and its captures. */
static int found (mstate *ms, subj s, subj e, mm_matchres *r) {
  int i;
  r->found = 1;
  r->start = (size_t)(s - ms->base);
  r->end = (size_t)(e - ms->base);
  r->ncap = ms->level;
  for (i = 0; i < ms->level; i++) {
    r->cap[i].at = (size_t)(ms->cap[i].at - ms->base);
    r->cap[i].len = ms->cap[i].len;
    if (ms->cap[i].len == MM_CAP_OPEN) {
      error(ms, "unfinished capture", 0);
      return MM_EPATTERN;
    }
  }
  return MM_OK;
}


/* Try p at start, start + 1, ... the subject's end (only start if anchored). */
static int search (mstate *ms, const char *p, size_t start, int anchor,
                   const size_t *lastmatch, mm_matchres *r) {
  subj s = ms->base + start, e;
  first f;
  f.p = f.ep = NULL;  /* f.ep is read only with f.p set; said for gcc */
  f.byte = -1;
  if (!anchor) first_class(ms, p, &f);
  for (;;) {
    if (f.byte >= 0) {
      if (s == ms->end) return MM_OK;
      s = memchr(s, f.byte, (size_t)(ms->end - s));
      if (s == NULL) return MM_OK;
    }
    else if (f.p != NULL) {
      while (s < ms->end && !item_match(ms, s, f.p, f.ep)) s++;
      if (s == ms->end) return MM_OK;
    }
    ms->level = 0;
    ms->depth = 0;
    e = match_here(ms, s, p);
    if (ms->failed) return MM_EPATTERN;
    if (e != NULL &&
        (lastmatch == NULL || (size_t)(e - ms->base) != *lastmatch))
      return found(ms, s, e, r);
    if (anchor || s == ms->end) return MM_OK;
    s++;
  }
}


int mm_match (const mm_map *m, const char *pat, size_t plen, size_t start,
              size_t stop, int gmatch, const size_t *lastmatch,
              mm_matchres *r) {
  mstate ms;
  mms_guard g;
  int anchor = !gmatch && plen > 0 && pat[0] == '^';
  int st;
  ms.base = m->data;
  ms.end = m->data + stop;
  ms.pend = pat + plen;
  ms.failed = 0;
  ms.msg = r->msg;
  r->found = 0;
  r->msg[0] = '\0';
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g))  /* only "%f" at start reads the byte before it */
    return mm_bus_error(m, mms_fault < m->data + start ? start - 1 : start,
                        stop);
  st = search(&ms, pat + anchor, start, anchor, lastmatch, r);
  MMS_DISARM();
  return st;
}

/* }====================================================== */
