/*
** mm_core.h: the mapping core of lua-mmap. Plain C, no Lua API.
**
** A map is an mm_map. Functions return an mm_status: MM_OK, MM_EOS (a system
** call failed; see errno) or a misuse code whose text is mm_message(code).
** Optional integer arguments are pointers: NULL means "omitted", so that no
** in-band value (say INT64_MIN) can be mistaken for a default.
**
** Every byte of mapped memory is read or written by a function of this file
** (mm_getbyte .. mm_scatter) or of another core file (mm_match.c,
** mm_pack.c, mm_atomic.c), each under the bus-error guard (mm_bus_error reports what it
** catches): nothing else dereferences m->data.
*/
#ifndef MM_CORE_H
#define MM_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { MM_ACCESS_DEFAULT, MM_ACCESS_READ, MM_ACCESS_WRITE, MM_ACCESS_COPY };

/* What mm_create does with the caller's descriptor. */
enum {
  MM_FD_DUP,     /* hold a close-on-exec duplicate (trackfd = true) */
  MM_FD_OWN,     /* take the descriptor itself, on success only */
  MM_FD_BORROW   /* hold nothing (trackfd = false) */
};

/* Modes of mm_openpath, as numpy.memmap's. */
enum { MM_MODE_R, MM_MODE_RPLUS, MM_MODE_WPLUS, MM_MODE_C };

/*
** Every status with its text, side by side: the enum below and
** mm_message's table are both made from this one list. MM_EBUS's text is a
** format: the binding fills in the offset (mm_fault_offset) as a string.
*/
#define MM_STATUSES(X) \
  X(MM_OK,          "no error") \
  X(MM_EOS,         "system error")  /* a system call failed: errno */ \
  X(MM_ECLOSED,     "mmap closed or invalid") \
  X(MM_EREADONLY,   "mmap can't modify a readonly memory map.") \
  X(MM_ENOTREADABLE, "mmap is not readable") \
  X(MM_ELENGTHNEG,  "memory mapped length must be positive") \
  X(MM_EOFFSETNEG,  "memory mapped offset must be positive") \
  X(MM_EACCESSBOTH, "mmap can't specify both access and flags, prot.") \
  X(MM_EACCESS,     "mmap invalid access parameter.") \
  X(MM_EEMPTY,      "cannot mmap an empty file") \
  X(MM_EOFFSETSIZE, "mmap offset is greater than file size") \
  X(MM_ELENGTHSIZE, "mmap length is greater than file size") \
  X(MM_EKEY,        "mmap indices must be integers") \
  X(MM_EINDEX,      "mmap index out of range") \
  X(MM_EVALUE,      "mmap item value must be an int") \
  X(MM_EVALUERANGE, "mmap item value must be in range(0, 256)") \
  X(MM_EBYTE,       "byte must be in range(0, 256)") \
  X(MM_EDATA,       "data out of range") \
  X(MM_EWRITEBYTE,  "write byte out of range") \
  X(MM_ESEEK,       "seek out of range") \
  X(MM_EWHENCE,     "unknown seek type") \
  X(MM_EMOVE,       "source, destination, or count out of range") \
  X(MM_EFLUSH,      "flush values out of range") \
  X(MM_EADVSTART,   "madvise start out of bounds") \
  X(MM_EADVLEN,     "madvise length invalid") \
  X(MM_EADVBIG,     "madvise length too large") \
  X(MM_ESLICESIZE,  "mmap slice assignment is wrong size") \
  X(MM_ESTEP,       "slice step cannot be zero") \
  X(MM_ENEWSIZE,    "new size out of range") \
  X(MM_ERESIZEFD,   "mmap can't resize with trackfd=False.") \
  X(MM_ERESIZERO,   "mmap can't resize a readonly or copy-on-write memory map.") \
  X(MM_ERESIZEANON, "mmap: can't expand a shared anonymous mapping on Linux") \
  X(MM_ESIZEFD,     "can't get size with trackfd=False") \
  X(MM_EFLAGS,      "mmap: flags MAP_FIXED, MAP_FIXED_NOREPLACE and " \
                    "MAP_GROWSDOWN are not supported") \
  X(MM_EBUS,        "mmap: bus error at offset %s: the file shrank beneath " \
                    "the map or its disk is full") \
  X(MM_EPATTERN,    "malformed pattern")  /* the text is in mm_matchres */ \
  X(MM_EATOMICFMT,  "invalid atomic format '%s': one integer option of " \
                    "1, 2, 4 or 8 bytes expected")  /* %s: the format */ \
  X(MM_EATOMICRANGE, "mmap atomic offset out of range") \
  X(MM_EATOMICALIGN, "mmap atomic offset must be a multiple of the " \
                     "value's size") \
  X(MM_ETIMEOUT,    "timeout is not a number (NaN)")

#define MM_ENUM_ITEM(code, text) code,
typedef enum mm_status { MM_STATUSES(MM_ENUM_ITEM) MM_NSTATUS } mm_status;
#undef MM_ENUM_ITEM

typedef struct mm_map {
  unsigned char *data;   /* the mapping; NULL once closed */
  size_t size;           /* mapped length: what #mm returns */
  size_t maplen;         /* what the system mapped: whole (huge) pages */
  size_t pos;            /* may exceed size after a shrinking resize */
  int64_t offset;        /* file offset of data[0] */
  int fd;                /* the descriptor the map holds, or -1 */
  int flags, prot;       /* as given to mmap(2), MAP_ANONYMOUS included */
  int access;            /* MM_ACCESS_*, derived from prot when DEFAULT */
  int trackfd;
  char *tag;             /* the tagname (Windows), owned; or NULL */
  void *sys;             /* the platform's own for the map (mms_map) */
} mm_map;

/* What mm_create maps; mm_defaults fills in Python's defaults. */
typedef struct mm_params {
  int fd;          /* the file's descriptor; -1 for anonymous memory */
  int64_t length;  /* 0: from offset to the end of the file */
  int flags, prot; /* as for mmap(2): MAP_SHARED, PROT_READ | PROT_WRITE */
  int access;      /* MM_ACCESS_*, or -1 when invalid */
  int64_t offset;
  int fdmode;      /* MM_FD_*: MM_FD_DUP */
  int unsized;     /* 1: map a file whatever its size, which the caller
                      then sets (mmap.open's "r+" and "w+"); 0 */
  const char *tag; /* the tagname where mm_tagnames(): shared memory by
                      name; NULL */
} mm_params;

/* A named integer constant of the platform, for the module's table; the
   list that mm_constants gives ends with name NULL. */
typedef struct mm_const {
  const char *name;
  long long value;
} mm_const;

/* A slice resolved against a map: count bytes from start, step apart. */
typedef struct mm_slice {
  size_t start;
  int64_t step;
  size_t count;
} mm_slice;

const char *mm_message(int status);
/* The last system failure (MM_EOS) as the system words it, and its code
   (errno, or the system's own number on Windows); buf may hold the text. */
const char *mm_oserror(char *buf, size_t size, int *code);
int64_t mm_fault_offset(void);  /* of this thread's last MM_EBUS */
/* After a fault caught by a guard of another core file, in an operation
   on [lo, hi): record its offset, as the functions here do; MM_EBUS. */
int mm_bus_error(const mm_map *m, size_t lo, size_t hi);
size_t mm_pagesize(void);
size_t mm_granularity(void);  /* ALLOCATIONGRANULARITY: offsets' multiple */
int mm_tagnames(void);   /* 1: Windows' signature, tagname, no flags/prot */
int mm_advises(void);    /* 1: the platform has madvise */
const mm_const *mm_constants(void);
int mm_filefd(FILE *f);  /* flush a stdio stream; its descriptor, or -1 */

/* Life cycle */
void mm_defaults(mm_params *p);
int mm_create(mm_map *m, const mm_params *p);
int mm_openpath(mm_map *m, const char *path, int mode, int64_t length,
                int64_t offset);
void mm_close(mm_map *m);
int mm_resize(mm_map *m, int64_t newsize);
int mm_size(const mm_map *m, int64_t *size);
int mm_flush(mm_map *m, const int64_t *offset, const int64_t *size,
             const int *flags);  /* flags NULL: MS_SYNC */
int mm_advise(mm_map *m, int option, const int64_t *start,
              const int64_t *length);
int mm_lock(mm_map *m, int lock);  /* mlock (1) or munlock (0) all of it */

/* Arithmetic: checks and positions, no memory access */
int mm_writable(const mm_map *m);
int mm_readable(const mm_map *m);
int mm_index(const mm_map *m, int64_t i, size_t *at);
size_t mm_remaining(const mm_map *m);
int mm_seek(mm_map *m, int64_t off, int whence, int64_t *newpos);
int mm_slice_resolve(const mm_map *m, const int64_t *start,
                     const int64_t *stop, const int64_t *step,
                     mm_slice *s);
size_t mm_slice_end(const mm_slice *s);  /* one past its highest byte */

/*
** Memory access: the only functions that touch m->data. Each runs under the
** bus-error guard (mm_sys.h) and returns MM_EBUS, with nothing changed, when
** the file no longer backs a page it touches.
*/
int mm_getbyte(const mm_map *m, size_t at, int *byte);
int mm_copyout(const mm_map *m, size_t at, size_t n, char *dst);
int mm_setbyte(mm_map *m, size_t at, int byte);
int mm_read(mm_map *m, size_t n, char *dst);
int mm_read_byte(mm_map *m, int *byte);
int mm_getline(mm_map *m, char *buf, size_t cap, size_t *len);
int mm_write(mm_map *m, const char *src, size_t n);
int mm_write_byte(mm_map *m, int byte);
int mm_move(mm_map *m, int64_t dest, int64_t src, int64_t count);
int mm_find(const mm_map *m, const char *sub, size_t n,
            const int64_t *start, const int64_t *stop, int reverse,
            int64_t *found);
int mm_gather(const mm_map *m, const mm_slice *s, char *dst);
int mm_scatter(mm_map *m, const mm_slice *s, const char *src);

#endif
