/*
** mm_pack.c: string.pack formats over a map (see mm_pack.h).
**
** Semantics: Lua 5.4's string.pack and string.unpack (reference manual
** 6.4.2, with lua5.4 itself as the judge of behaviour and of error texts).
** Written for this module; no code of Lua's. Sizes are those of the C
** types Lua names (short, int, long, size_t, float, double), with
** lua_Integer taken as a 64-bit integer and lua_Number as a double, Lua
** 5.4's default (src/mmap.c checks both when it is compiled). Where
** mm:unpack and mm:pack differ from them, on purpose (manual §12):
**   - offsets are 0-based: unpack's offset defaults to 0 and the offset
**     returned after the values is 0-based; pack takes an offset, which
**     string.pack has no use for;
**   - alignment ('!', 'X') is reckoned from the start of the map, not from
**     the offset where packing starts;
**   - an unpack offset before the start of the map raises "initial
**     position out of string" (string.unpack would clamp it);
**   - pack writes nothing unless every value is valid and all the bytes
**     fit in the map ("data out of range");
**   - a page that the file no longer backs raises the module's bus error.
*/
#define _POSIX_C_SOURCE 200809L  /* sigsetjmp, for the bus-error guard */

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "mm_pack.h"
#include "mm_sys.h"

/* Sizes Lua's options stand for. */
#define SZ_INTEGER 8   /* j J: lua_Integer */
#define SZ_NUMBER 8    /* n: lua_Number */

/* The strictest alignment a C object needs: what '!' alone asks for. */
struct widest { char c; union { double d; void *p; int64_t i; long l; } u; };
#define NATIVE_ALIGN ((int)offsetof(struct widest, u))

/*
** The work done while a guard is armed lives in a function of its own, kept
** out of line: the armed frame then changes no variable after sigsetjmp,
** and none can be clobbered by the jump back (gcc's -Wclobbered).
*/
#define OUT_OF_LINE __attribute__((noinline))

/* The largest count (mmp_countmax): digits stop before it overflows. */
static int64_t count_max = INT_MAX;

void mmp_countmax (int64_t max) {
  count_max = max;
}

static const struct { int blame; const char *text; } statuses[] = {
#define MMP_TABLE_ITEM(code, blame, text) { MMP_BLAME_##blame, text },
  MMP_STATUSES(MMP_TABLE_ITEM)
#undef MMP_TABLE_ITEM
};


const char *mmp_message (int status) {
  if (status > MMP_EBASE && status <= MMP_ELAST)
    return statuses[status - MMP_EBASE - 1].text;
  return mm_message(status);
}


int mmp_blame (int status) {
  if (status > MMP_EBASE && status <= MMP_ELAST)
    return statuses[status - MMP_EBASE - 1].blame;
  return MMP_BLAME_NONE;
}


static int host_little (void) {
  const uint16_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}


/*
** {======================================================
** The format
** =======================================================
*/

void mmp_init (mmp_format *f, const char *fmt) {
  f->p = fmt;
  f->countmax = count_max;
  f->little = host_little();
  f->maxalign = 1;
}


static int isdigit_ (int c) {
  return c >= '0' && c <= '9';
}


/* A count after an option, or dflt when no digit follows. */
static int64_t count (mmp_format *f, int64_t dflt) {
  int64_t n, stop = (f->countmax - 9) / 10;
  if (!isdigit_(*f->p)) return dflt;
  n = 0;
  do
    n = n * 10 + (*f->p++ - '0');
  while (isdigit_(*f->p) && n <= stop);
  return n;
}


/* An integral size in [1, 16], dflt when none is written. */
static int intsize (mmp_format *f, int dflt, int *size, int64_t *detail) {
  int64_t n = count(f, dflt);
  if (n < 1 || n > MMP_MAXINTSIZE) {
    *detail = n;
    return MMP_ELIMITS;
  }
  *size = (int)n;
  return MM_OK;
}


/* The integer options of a fixed size: 1 and their kind and size. */
static int fixedint (int c, mmp_kind *kind, int *size) {
  switch (c) {
    case 'b': *kind = MMP_INT; *size = 1; return 1;
    case 'B': *kind = MMP_UINT; *size = 1; return 1;
    case 'h': *kind = MMP_INT; *size = (int)sizeof(short); return 1;
    case 'H': *kind = MMP_UINT; *size = (int)sizeof(short); return 1;
    case 'l': *kind = MMP_INT; *size = (int)sizeof(long); return 1;
    case 'L': *kind = MMP_UINT; *size = (int)sizeof(long); return 1;
    case 'j': *kind = MMP_INT; *size = SZ_INTEGER; return 1;
    case 'J': *kind = MMP_UINT; *size = SZ_INTEGER; return 1;
    case 'T': *kind = MMP_UINT; *size = (int)sizeof(size_t); return 1;
    default: return 0;
  }
}


/* Read one option: its kind and size, with no alignment yet. */
static int option (mmp_format *f, mmp_option *o, int64_t *detail) {
  int c = (unsigned char)*f->p++, st = MM_OK, isize = 0;
  int64_t size = 0;
  mmp_kind kind = MMP_INT;
  switch (c) {
    case 'i': st = intsize(f, (int)sizeof(int), &isize, detail); size = isize; break;
    case 'I':
      kind = MMP_UINT;
      st = intsize(f, (int)sizeof(int), &isize, detail);
      size = isize;
      break;
    case 'f': kind = MMP_FLOAT; size = (int)sizeof(float); break;
    case 'd': kind = MMP_DOUBLE; size = (int)sizeof(double); break;
    case 'n': kind = MMP_DOUBLE; size = SZ_NUMBER; break;
    case 's':
      kind = MMP_STRING;
      st = intsize(f, (int)sizeof(size_t), &isize, detail);
      size = isize;
      break;
    case 'c':
      kind = MMP_CHAR;
      size = count(f, -1);
      if (size < 0) st = MMP_EMISSING;
      break;
    case 'z': kind = MMP_ZSTR; break;
    case 'x': kind = MMP_PAD; size = 1; break;
    case 'X': kind = MMP_NONE; size = -1; break;  /* -1: X, see mmp_next */
    case ' ': kind = MMP_NONE; break;
    case '<': kind = MMP_NONE; f->little = 1; break;
    case '>': kind = MMP_NONE; f->little = 0; break;
    case '=': kind = MMP_NONE; f->little = host_little(); break;
    case '!':
      kind = MMP_NONE;
      st = intsize(f, NATIVE_ALIGN, &f->maxalign, detail);
      break;
    default:
      if (!fixedint(c, &kind, &isize)) {
        *detail = c;
        st = MMP_EOPTION;
      }
      size = isize;
  }
  o->kind = (unsigned char)kind;
  o->size = size;
  o->little = (unsigned char)f->little;
  o->pad = 0;
  return st;
}


/*
** The next option, with the padding that aligns it when it would start at
** absolute offset pos: an option aligns to its own size, or X to the size
** of the option after it, capped by the '!' in force; c and the options of
** no size do not align.
*/
int mmp_next (mmp_format *f, uint64_t pos, mmp_option *o, int64_t *detail) {
  int st;
  int64_t align;
  if (*f->p == '\0') {
    o->kind = MMP_END;
    o->size = 0;
    o->pad = 0;
    return MM_OK;
  }
  if ((st = option(f, o, detail)) != MM_OK) return st;
  align = o->size;
  if (align < 0) {  /* X: the next option gives the alignment, then is gone */
    mmp_option next;
    if (*f->p == '\0') return MMP_ENEXT;
    if ((st = option(f, &next, detail)) != MM_OK) return st;
    if (next.kind == MMP_CHAR || next.size <= 0) return MMP_ENEXT;
    align = next.size;
    o->size = 0;
  }
  if (align > 1 && o->kind != MMP_CHAR) {
    uint64_t mask;
    if (align > f->maxalign) align = f->maxalign;
    if ((align & (align - 1)) != 0) return MMP_EALIGN;
    mask = (uint64_t)align - 1;
    o->pad = (unsigned char)(((uint64_t)align - (pos & mask)) & mask);
  }
  return MM_OK;
}


/*
** Is fmt one integer option of at most 8 bytes, perhaps after a byte
** order, and nothing else ("<i4", "J", ">I2")? Then it is *o, which needs
** no alignment (no '!' came first), and the answer is 1: a quick path for
** the commonest unpack. Anything else is left to mmp_next.
*/
int mmp_single (const char *fmt, mmp_option *o) {
  const char *p = fmt;
  int little = host_little(), size;
  mmp_kind kind;
  switch (*p) {
    case '<': little = 1; p++; break;
    case '>': little = 0; p++; break;
    case '=': p++; break;
    default: break;
  }
  if (*p == 'i' || *p == 'I') {
    kind = *p++ == 'i' ? MMP_INT : MMP_UINT;
    size = (int)sizeof(int);
    if (*p >= '1' && *p <= '8') size = *p++ - '0';
  }
  else if (!fixedint((unsigned char)*p++, &kind, &size))
    return 0;
  if (*p != '\0') return 0;
  o->kind = (unsigned char)kind;
  o->little = (unsigned char)little;
  o->pad = 0;
  o->size = size;
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Integers and floats in bytes
** =======================================================
*/

/* Byte i (0: the least significant) of an n-byte field at p. */
#define BYTE(p, i, n, little) ((p)[(little) ? (i) : (n) - 1 - (i)])

/* Store v in size bytes; bytes beyond the eighth repeat the sign, neg. */
static void put_int (unsigned char *p, uint64_t v, int size, int little,
                     int neg) {
  int i;
  for (i = 0; i < size; i++) {
    unsigned char b = i < 8 ? (unsigned char)(v >> (8 * i))
                            : (unsigned char)(neg ? 0xff : 0);
    BYTE(p, i, size, little) = b;
  }
}


/* Two's complement of a 64-bit pattern, without an out-of-range cast. */
static int64_t as_signed (uint64_t v) {
  return v <= (uint64_t)INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}


/*
** Read a size-byte integer. Shorter than 8 bytes: zero- or sign-extended.
** Longer: the bytes beyond the eighth must only extend the 64-bit value
** (zeros, or 0xff for a negative signed one), else it does not fit.
*/
static int get_int (const unsigned char *p, int size, int little,
                    int issigned, int64_t *out) {
  uint64_t v = 0;
  int i, low = size < 8 ? size : 8;
  if (little)
    for (i = low - 1; i >= 0; i--) v = (v << 8) | p[i];
  else
    for (i = size - low; i < size; i++) v = (v << 8) | p[i];
  if (size < 8) {
    if (issigned) {
      uint64_t sign = (uint64_t)1 << (8 * size - 1);
      v = (v ^ sign) - sign;
    }
  }
  else if (size > 8) {
    unsigned char fill = (issigned && v >> 63) ? 0xff : 0;
    for (i = 8; i < size; i++)
      if (BYTE(p, i, size, little) != fill) return MMP_EFIT;
  }
  *out = as_signed(v);
  return MM_OK;
}


/*
** A double rounded to a float as IEEE 754 rounds it, with no undefined
** conversion: beyond FLT_MAX by half a unit in the last place or more it
** is an infinity, closer it is FLT_MAX.
*/
static float to_float (double d) {
  const double inf_from = 0x1.ffffffp127;  /* FLT_MAX + half its ulp */
  if (d >= inf_from) return HUGE_VALF;
  if (d <= -inf_from) return -HUGE_VALF;
  if (d > FLT_MAX) return FLT_MAX;
  if (d < -FLT_MAX) return -FLT_MAX;
  return (float)d;
}


static void put_float (unsigned char *p, double d, int little) {
  float f = to_float(d);
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  put_int(p, u, 4, little, 0);
}


static void put_double (unsigned char *p, double d, int little) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  put_int(p, u, 8, little, 0);
}


static double get_float (const unsigned char *p, int little) {
  uint32_t u = 0;
  float f;
  int i;
  for (i = 3; i >= 0; i--)
    u = (u << 8) | BYTE(p, i, 4, little);
  memcpy(&f, &u, sizeof f);
  return (double)f;
}


static double get_double (const unsigned char *p, int little) {
  uint64_t u = 0;
  double d;
  int i;
  for (i = 7; i >= 0; i--)
    u = (u << 8) | BYTE(p, i, 8, little);
  memcpy(&d, &u, sizeof d);
  return d;
}

/* }====================================================== */


/*
** {======================================================
** Unpacking
** =======================================================
*/

/*
** Decode the option o, whose bytes (after its padding) start at offset at,
** with room bytes left in the map from there. On success *used is the
** count of bytes it spans and, when it has a value, *val is set and
** *has is 1. Runs armed: no allocation, no Lua.
*/
static int decode (const mm_map *m, const mmp_option *o, size_t at,
                   size_t room, mmp_value *val, int *has, size_t *used,
                   int64_t *detail) {
  const unsigned char *p = m->data + at;
  size_t len;
  int st;
  *has = 1;
  *used = (size_t)o->size;
  switch (o->kind) {
    case MMP_INT: case MMP_UINT:
      val->kind = MMP_INT;
      st = get_int(p, o->size, o->little, o->kind == MMP_INT, &val->v.i);
      if (st != MM_OK) *detail = o->size;
      return st;
    case MMP_FLOAT:
      val->kind = MMP_DOUBLE;
      val->v.d = get_float(p, o->little);
      return MM_OK;
    case MMP_DOUBLE:
      val->kind = MMP_DOUBLE;
      val->v.d = get_double(p, o->little);
      return MM_OK;
    case MMP_CHAR:
      len = (size_t)o->size;
      break;
    case MMP_STRING: {
      int64_t n;
      if (get_int(p, o->size, o->little, 0, &n) != MM_OK) {
        *detail = o->size;
        return MMP_EFIT;
      }
      if ((uint64_t)n > (uint64_t)(room - (size_t)o->size))
        return MMP_ESHORT;
      len = (size_t)n;
      at += (size_t)o->size;
      *used += len;
      break;
    }
    case MMP_ZSTR: {
      const unsigned char *z = memchr(p, 0, room);
      if (z == NULL) return MMP_EUNFINISHED;
      len = (size_t)(z - p);
      *used = len + 1;
      break;
    }
    default:  /* x and the options of no size */
      *has = 0;
      return MM_OK;
  }
  val->kind = MMP_CHAR;
  val->v.str.at = at;
  val->v.str.len = len;
  return MM_OK;
}


/* The whole format from pos; runs armed, so it only fills in *res. */
OUT_OF_LINE
static int unpack_all (const mm_map *m, const char *fmt, size_t pos,
                       mmp_value *vals, size_t cap, mmp_result *res) {
  mmp_format f;
  mmp_option o;
  size_t count = 0, used;
  int st, has;
  mmp_init(&f, fmt);
  for (;;) {
    st = mmp_next(&f, pos, &o, &res->detail);
    if (st != MM_OK || o.kind == MMP_END) break;
    if ((size_t)o.pad + (size_t)o.size > m->size - pos) {
      st = MMP_ESHORT;
      break;
    }
    pos += o.pad;
    if (count == cap && o.kind != MMP_PAD && o.kind != MMP_NONE) {
      st = MMP_EMANY;
      break;
    }
    st = decode(m, &o, pos, m->size - pos, &vals[count], &has, &used,
                &res->detail);
    if (st != MM_OK) break;
    count += (size_t)has;
    pos += used;
  }
  res->n = count;
  res->next = pos;
  return st;
}


/*
** A fault is reported at the first byte from pos on that the file no
** longer backs: bytes of a string or of padding that decoding skipped
** count too, as copying the strings out would touch them.
*/
int mm_unpack (const mm_map *m, const char *fmt, size_t pos,
               mmp_value *vals, size_t cap, mmp_result *res) {
  mms_guard g;
  int st;
  res->n = 0;
  res->next = pos;
  res->detail = 0;
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g)) return mm_bus_error(m, pos, m->size);
  st = unpack_all(m, fmt, pos, vals, cap, res);
  MMS_DISARM();
  return st;
}


int mm_unpack_int (const mm_map *m, size_t at, const mmp_option *o,
                   int64_t *v) {
  mms_guard g;
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g)) return mm_bus_error(m, at, at + (size_t)o->size);
  get_int(m->data + at, o->size, o->little, o->kind == MMP_INT, v);
  MMS_DISARM();
  return MM_OK;
}

/* }====================================================== */


/*
** {======================================================
** Packing
** =======================================================
*/

/* Totals stop growing here: far beyond any map, and safe to add to. */
#define TOTAL_CAP ((uint64_t)INT64_MAX)

static void add_total (uint64_t *total, uint64_t n) {
  *total = n > TOTAL_CAP - *total ? TOTAL_CAP : *total + n;
}


int mmp_measure (const mmp_item *it, uint64_t *total) {
  int64_t size = it->opt.size;
  uint64_t bytes = (uint64_t)size;
  switch (it->opt.kind) {
    case MMP_INT:
      if (size < 8) {
        int64_t lim = (int64_t)1 << (8 * size - 1);
        if (it->v.i < -lim || it->v.i >= lim) return MMP_EOVERFLOW;
      }
      break;
    case MMP_UINT:
      if (size < 8 && (uint64_t)it->v.i >= (uint64_t)1 << (8 * size))
        return MMP_EUNSIGNED;
      break;
    case MMP_CHAR:
      if (it->v.str.len > (size_t)size) return MMP_ELONGER;
      break;
    case MMP_STRING:
      if (size < 8 && (uint64_t)it->v.str.len >= (uint64_t)1 << (8 * size))
        return MMP_ELENGTH;
      add_total(&bytes, it->v.str.len);
      break;
    case MMP_ZSTR:
      if (memchr(it->v.str.s, 0, it->v.str.len) != NULL) return MMP_EZEROS;
      bytes = 1;
      add_total(&bytes, it->v.str.len);
      break;
    default:
      break;
  }
  add_total(total, it->opt.pad);
  add_total(total, bytes);
  return MM_OK;
}


/* Write one item at p (its padding first); returns the end of it. */
static unsigned char *encode (unsigned char *p, const mmp_item *it) {
  const mmp_option *o = &it->opt;
  size_t len = it->v.str.len;
  memset(p, 0, o->pad);
  p += o->pad;
  switch (o->kind) {
    case MMP_INT:
      put_int(p, (uint64_t)it->v.i, o->size, o->little, it->v.i < 0);
      break;
    case MMP_UINT:
      put_int(p, (uint64_t)it->v.i, o->size, o->little, 0);
      break;
    case MMP_FLOAT:
      put_float(p, it->v.d, o->little);
      break;
    case MMP_DOUBLE:
      put_double(p, it->v.d, o->little);
      break;
    case MMP_CHAR:
      memcpy(p, it->v.str.s, len);
      memset(p + len, 0, (size_t)o->size - len);
      break;
    case MMP_STRING:
      put_int(p, (uint64_t)len, o->size, o->little, 0);
      memcpy(p + o->size, it->v.str.s, len);
      return p + o->size + len;
    case MMP_ZSTR:
      memcpy(p, it->v.str.s, len);
      p[len] = 0;
      return p + len + 1;
    case MMP_PAD:
      *p = 0;
      break;
    default:
      break;
  }
  return p + o->size;
}


/*
** The probe bytes from at are read, a byte a page, before the first byte is
** written, so that a page the file has lost faults while nothing has
** changed. (A hole that a full disk cannot back still reads, and faults
** only on the write, part way; a map that cannot be read is not probed.)
** Runs armed.
*/
OUT_OF_LINE
static void pack_all (mm_map *m, size_t at, const mmp_item *items,
                      size_t n, size_t probe) {
  size_t page = mms_pagesize(), q, i;
  unsigned char *p = m->data + at;
  volatile unsigned char sink = 0;
  if (mm_readable(m))  /* a write-only page may not be readable */
    for (q = at; q < at + probe; q += page - q % page)
      sink = m->data[q];
  (void)sink;
  for (i = 0; i < n; i++)
    p = encode(p, &items[i]);
}


int mm_pack (mm_map *m, size_t at, const mmp_item *items, size_t n,
             size_t bytes, size_t probe) {
  mms_guard g;
  size_t hi = at + (probe > bytes ? probe : bytes);
  if (hi == at) return MM_OK;  /* nothing to read or write */
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g)) return mm_bus_error(m, at, hi);
  pack_all(m, at, items, n, probe);
  MMS_DISARM();
  return MM_OK;
}

/* }====================================================== */
