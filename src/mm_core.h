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
** mm_pack.c), each under the bus-error guard (mm_bus_error reports what it
** catches): nothing else dereferences m->data.
*/
#ifndef MM_CORE_H
#define MM_CORE_H

#include <stddef.h>
#include <stdint.h>

enum { MM_ACCESS_DEFAULT, MM_ACCESS_READ, MM_ACCESS_WRITE, MM_ACCESS_COPY };

/* What mm_create does with the caller's descriptor. */
enum {
  MM_FD_DUP,     /* hold a close-on-exec duplicate (trackfd = true) */
  MM_FD_OWN,     /* take the descriptor itself, on success only */
  MM_FD_BORROW   /* hold nothing (trackfd = false) */
};

/* Modes of mm_openpath, as numpy.memmap's. */
enum { MM_MODE_R, MM_MODE_RPLUS, MM_MODE_WPLUS, MM_MODE_C };

typedef enum mm_status {
  MM_OK = 0,
  MM_EOS,                /* system failure: errno says which */
  MM_ECLOSED,
  MM_EREADONLY,
  MM_ENOTREADABLE,
  MM_ELENGTHNEG,
  MM_EOFFSETNEG,
  MM_EACCESSBOTH,
  MM_EACCESS,
  MM_EEMPTY,
  MM_EOFFSETSIZE,
  MM_ELENGTHSIZE,
  MM_EKEY,               /* index not an integer */
  MM_EINDEX,
  MM_EVALUE,             /* item value not an integer */
  MM_EVALUERANGE,
  MM_EBYTE,              /* write_byte's argument */
  MM_EDATA,
  MM_EWRITEBYTE,
  MM_ESEEK,
  MM_EWHENCE,
  MM_EMOVE,
  MM_EFLUSH,
  MM_EADVSTART,
  MM_EADVLEN,
  MM_EADVBIG,
  MM_ESLICESIZE,
  MM_ESTEP,
  MM_ENEWSIZE,
  MM_ERESIZEFD,
  MM_ERESIZERO,
  MM_ERESIZEANON,
  MM_ESIZEFD,
  MM_EBUS,               /* a page the file no longer backs: mm_fault_offset */
  MM_EPATTERN            /* a malformed pattern: its text is in mm_matchres */
} mm_status;

typedef struct mm_map {
  unsigned char *data;   /* the mapping; NULL once closed */
  size_t size;           /* mapped length: what #mm returns */
  size_t pos;            /* may exceed size after a shrinking resize */
  int64_t offset;        /* file offset of data[0] */
  int fd;                /* the descriptor the map holds, or -1 */
  int flags, prot;       /* as given to mmap(2), MAP_ANONYMOUS included */
  int access;            /* MM_ACCESS_*, derived from prot when DEFAULT */
  int trackfd;
} mm_map;

/* A slice resolved against a map: count bytes from start, step apart. */
typedef struct mm_slice {
  size_t start;
  int64_t step;
  size_t count;
} mm_slice;

const char *mm_message(int status);
int64_t mm_fault_offset(void);  /* of this thread's last MM_EBUS */
/* After a fault caught by a guard of another core file, in an operation
   on [lo, hi): record its offset, as the functions here do; MM_EBUS. */
int mm_bus_error(const mm_map *m, size_t lo, size_t hi);
size_t mm_pagesize(void);

/* Life cycle */
int mm_create(mm_map *m, int fd, int64_t length, int flags, int prot,
              int access, int64_t offset, int fdmode);
int mm_openpath(mm_map *m, const char *path, int mode, int64_t length,
                int64_t offset);
void mm_close(mm_map *m);
int mm_resize(mm_map *m, int64_t newsize);
int mm_size(const mm_map *m, int64_t *size);
int mm_flush(mm_map *m, const int64_t *offset, const int64_t *size,
             int flags);
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
