/*
** mm_pack.h: string.pack formats over a map (mm:pack, mm:unpack; manual §12).
** Plain C, no Lua API.
**
** The format language is Lua 5.4's (reference manual 6.4.2). A format is
** read one option at a time by mmp_next, which also says how many zero
** bytes of alignment come before the option; alignment is reckoned from
** offset 0 of the map, so the caller passes absolute offsets.
**
** Unpacking is one call, mm_unpack, which parses and decodes the whole
** format under one arming of the bus-error guard and hands back C values;
** strings come back as (offset, length) in the map, for the caller to copy
** out with mm_copyout. Packing keeps no more than a fixed number of items,
** so that its memory does not grow with the format. First the caller takes
** each option from mmp_next, fills in its value, and has mmp_measure check
** the value and count its bytes. Only when all of that succeeded, and the
** total fits, does it hand the items to mm_pack: those it kept, when that
** was all of them, else all of them again, read anew from the format and
** the values, in batches of that fixed size. The first batch reads every
** page of the whole range before its first write, so that a page the file
** lost faults while nothing has changed.
**
** The codes below extend mm_status (mm_core.h); mmp_message gives each its
** text, with a %c or %d for the detail that comes with it.
*/
#ifndef MM_PACK_H
#define MM_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "mm_core.h"

#define MMP_MAXINTSIZE 16  /* the largest integer size, i16 / I16 / s16 */

typedef enum mmp_kind {
  MMP_END,     /* the format is done */
  MMP_INT,     /* b h i[n] l j: signed integer */
  MMP_UINT,    /* B H I[n] L J T: unsigned integer */
  MMP_FLOAT,   /* f */
  MMP_DOUBLE,  /* d n (a lua_Number is a double) */
  MMP_CHAR,    /* c[n]: a string of exactly n bytes */
  MMP_STRING,  /* s[n]: a string after its length, an n-byte unsigned */
  MMP_ZSTR,    /* z: a string and a terminating zero byte */
  MMP_PAD,     /* x: one zero byte */
  MMP_NONE     /* X[op], spaces, < > = ![n]: nothing but alignment */
} mmp_kind;

/*
** The codes of this file, which extend mm_status (mm_core.h), each with
** the argument that string.pack / string.unpack blame for it and its text
** (with a %c or %d for the detail that comes with it), side by side: the
** enum and mmp_message's table are both made from this one list.
*/
enum {
  MMP_BLAME_NONE,     /* raised without "bad argument" */
  MMP_BLAME_FORMAT,   /* the format */
  MMP_BLAME_DATA      /* unpack: the data (our offset); pack: the value */
};

#define MMP_STATUSES(X) \
  X(MMP_EOPTION,     NONE,   "invalid format option '%c'") \
  X(MMP_ELIMITS,     NONE,   "integral size (%d) out of limits [1,16]") \
  X(MMP_EALIGN,      FORMAT, "format asks for alignment not power of 2") \
  X(MMP_ENEXT,       FORMAT, "invalid next option for option 'X'") \
  X(MMP_EMISSING,    NONE,   "missing size for format option 'c'") \
  X(MMP_ESHORT,      DATA,   "data string too short") \
  X(MMP_EUNFINISHED, DATA,   "unfinished string for format 'z'") \
  X(MMP_EFIT,        NONE,   "%d-byte integer does not fit into Lua Integer") \
  X(MMP_EOVERFLOW,   DATA,   "integer overflow") \
  X(MMP_EUNSIGNED,   DATA,   "unsigned overflow") \
  X(MMP_ELENGTH,     DATA,   "string length does not fit in given size") \
  X(MMP_ELONGER,     DATA,   "string longer than given size") \
  X(MMP_EZEROS,      DATA,   "string contains zeros") \
  X(MMP_EMANY,       NONE,   "too many results")  /* more values than room */

#define MMP_ENUM_ITEM(code, blame, text) code,
enum mmp_status {
  MMP_EBASE = 63,     /* above every mm_status */
  MMP_STATUSES(MMP_ENUM_ITEM)
  MMP_ELAST = MMP_EMANY
};
#undef MMP_ENUM_ITEM

/* The state of a format being read; it ends at its first '\0'. */
typedef struct mmp_format {
  const char *p;      /* the next character */
  int64_t countmax;   /* where a count's digits stop (mmp_countmax) */
  int little;         /* byte order now in force */
  int maxalign;       /* set by '!' */
} mmp_format;

/* One option, as mmp_next gives it. */
typedef struct mmp_option {
  unsigned char kind;    /* mmp_kind */
  unsigned char little;  /* its byte order */
  unsigned char pad;     /* zero bytes before it, for alignment (< 16) */
  int64_t size;          /* fixed bytes: c's n, s's length prefix, z's 0 */
} mmp_option;

/* A value to pack: the option and what the caller took from its argument. */
typedef struct mmp_item {
  mmp_option opt;
  union {
    int64_t i;                                /* MMP_INT, MMP_UINT */
    double d;                                 /* MMP_FLOAT, MMP_DOUBLE */
    struct { const char *s; size_t len; } str;  /* MMP_CHAR .. MMP_ZSTR */
  } v;
} mmp_item;

/* A value unpacked: an integer, a float, or a string of the map. */
typedef struct mmp_value {
  unsigned char kind;  /* MMP_INT, MMP_DOUBLE or MMP_CHAR */
  union {
    int64_t i;
    double d;
    struct { size_t at, len; } str;
  } v;
} mmp_value;

const char *mmp_message(int status);
int mmp_blame(int status);

/*
** Begin reading fmt; each mmp_next then gives the next option, with the
** padding it needs when it would start at offset pos (kind MMP_END at the
** end), or returns an error code of this file (and *detail). mmp_single
** says whether fmt is one integer option of at most 8 bytes and nothing
** else (a byte order may come first), and gives it: a quick path.
*/
void mmp_init(mmp_format *f, const char *fmt);
int mmp_next(mmp_format *f, uint64_t pos, mmp_option *o, int64_t *detail);

/*
** The largest count a format may write (c's length, an integral size),
** as the running Lua's string.pack reads one: digits are read while the
** number is at most (max - 9) / 10, the next ones start a new option.
** Lua 5.4 and before stop near INT_MAX, 5.5 near INT64_MAX. Set once by
** the binding for the Lua it is built for; INT_MAX until then.
*/
void mmp_countmax(int64_t max);
int mmp_single(const char *fmt, mmp_option *o);

/* What mm_unpack found. */
typedef struct mmp_result {
  size_t n;     /* values decoded */
  size_t next;  /* the offset reached */
  int64_t detail;  /* for the message of an error code of this file */
} mmp_result;

/*
** Unpack fmt from offset pos (<= m->size) into at most cap values: MM_OK,
** MM_EBUS, or a code of this file; *res is filled in unless MM_EBUS.
*/
int mm_unpack(const mm_map *m, const char *fmt, size_t pos, mmp_value *vals,
              size_t cap, mmp_result *res);

/* The quick path: the integer of option o (from mmp_single) at offset at,
   whose o->size bytes the caller checked are in the map. */
int mm_unpack_int(const mm_map *m, size_t at, const mmp_option *o,
                  int64_t *v);

/* Check an item's value and add its bytes, padding included, to *total. */
int mmp_measure(const mmp_item *it, uint64_t *total);

/*
** Write n measured items, which span bytes bytes, at offset at (the caller
** checked that they fit). When probe is not 0, every page of the probe
** bytes from at is read first, before anything is written: the first batch
** of a pack passes the total, so that a page the file lost faults while
** nothing has changed. Returns MM_OK, or MM_EBUS with nothing of this
** batch written unless the file lost a page only on the write (a full disk
** under a hole) or after the probe.
*/
int mm_pack(mm_map *m, size_t at, const mmp_item *items, size_t n,
            size_t bytes, size_t probe);

#endif
