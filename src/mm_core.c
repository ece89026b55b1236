/*
** mm_core.c: the mapping core of lua-mmap (see mm_core.h).
**
** All offset and length arithmetic is done on int64_t values that have been
** range-checked first, so nothing wraps: a size is at most INT64_MAX (it came
** from a non-negative int64_t) and every sum is tested against INT64_MAX
** before it is formed.
*/
#define _POSIX_C_SOURCE 200809L  /* sigsetjmp, for the bus-error guard */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mm_core.h"
#include "mm_search.h"
#include "mm_sys.h"

#define I64MAX INT64_MAX

#define MM_TEXT_ITEM(code, text) text,
static const char *const messages[] = { MM_STATUSES(MM_TEXT_ITEM) };
#undef MM_TEXT_ITEM


const char *mm_message (int status) {
  if (status < 0 || status >= MM_NSTATUS)
    return "unknown error";
  return messages[status];
}


size_t mm_pagesize (void) {
  return mms_pagesize();
}


size_t mm_granularity (void) {
  return mms_granularity();
}


int mm_tagnames (void) {
  return mms_platform.tagnames;
}


int mm_advises (void) {
  return mms_platform.advise;
}


const char *mm_oserror (char *buf, size_t size, int *code) {
  return mms_strerror(errno, buf, size, code);
}


const mm_const *mm_constants (void) {
  return mms_constants;
}


int mm_filefd (FILE *f) {
  return mms_filefd(f);
}


/* Does a non-negative int64_t fit in size_t? (Only not on 32-bit systems.) */
static int fits_size (int64_t v) {
  return (uint64_t)v <= (uint64_t)(size_t)-1;
}


static int is_anonymous (const mm_map *m) {
  return (m->flags & mms_map_anonymous) != 0;
}


/*
** {======================================================
** Life cycle
** =======================================================
*/

/* Python's access <-> prot/flags rules; MM_OK or the misuse code. */
static int derive_access (int *flags, int *prot, int *access) {
  const int rw = mms_prot_read | mms_prot_write;
  if (*access != MM_ACCESS_DEFAULT && (*flags != mms_map_shared || *prot != rw))
    return MM_EACCESSBOTH;
  switch (*access) {
    case MM_ACCESS_READ: *flags = mms_map_shared; *prot = mms_prot_read; break;
    case MM_ACCESS_WRITE: *flags = mms_map_shared; *prot = rw; break;
    case MM_ACCESS_COPY: *flags = mms_map_private; *prot = rw; break;
    case MM_ACCESS_DEFAULT:
      if ((*prot & rw) == rw) *access = MM_ACCESS_DEFAULT;
      else if (*prot & mms_prot_write) *access = MM_ACCESS_WRITE;
      else *access = MM_ACCESS_READ;
      break;
    default: return MM_EACCESS;
  }
  return MM_OK;
}


/*
** For a regular file, check offset/length against its size and resolve
** length 0 ("to the end"). The file is never extended here.
*/
static int check_filesize (int fd, int64_t *length, int64_t offset) {
  int64_t fsize;
  int isreg;
  if (mms_fstat(fd, &fsize, &isreg) != 0 || !isreg)
    return MM_OK;  /* as Python: not a regular file, or unknown: let mmap decide */
  if (*length == 0) {
    if (fsize == 0) return MM_EEMPTY;
    if (offset >= fsize) return MM_EOFFSETSIZE;
    *length = fsize - offset;
  }
  else if (offset > fsize || fsize - offset < *length)
    return MM_ELENGTHSIZE;
  return MM_OK;
}


static int hold_fd (int fd, int fdmode) {
  if (fd == -1 || fdmode == MM_FD_BORROW) return -1;
  return fdmode == MM_FD_OWN ? fd : mms_dup(fd);
}


/*
** mmap(2) of whole pages (huge ones under MAP_HUGETLB), their length in
** *maplen: close and resize use it, never reckoning it again. Length 0
** goes to the system as it is, which refuses it with its own errno.
*/
static void *map_whole (int64_t length, int prot, int flags, int fd,
                        int64_t offset, const char *tag, size_t *maplen,
                        void **sys) {
  size_t len = mms_mapsize((size_t)length, flags);
  if (len == 0 && length != 0) { errno = ENOMEM; return NULL; }
  *maplen = len;
  return mms_map(len, prot, flags, fd, offset, tag, sys);
}


/* The map's own copy of its tagname; 0, or -1 (ENOMEM). */
static int keep_tag (mm_map *m, const char *tag) {
  size_t n;
  if (tag == NULL || *tag == '\0') return 0;  /* "" names nothing */
  n = strlen(tag) + 1;
  if ((m->tag = (char *)malloc(n)) == NULL) { errno = ENOMEM; return -1; }
  memcpy(m->tag, tag, n);
  return 0;
}


void mm_defaults (mm_params *p) {
  p->fd = -1;
  p->length = 0;
  p->flags = mms_map_shared;
  p->prot = mms_prot_read | mms_prot_write;
  p->access = MM_ACCESS_DEFAULT;
  p->offset = 0;
  p->fdmode = MM_FD_DUP;
  p->unsized = 0;
  p->tag = NULL;
}


int mm_create (mm_map *m, const mm_params *p) {
  int st, fd = p->fd, flags = p->flags, prot = p->prot, access = p->access;
  int64_t length = p->length;
  memset(m, 0, sizeof *m);
  m->fd = -1;
  if (length < 0) return MM_ELENGTHNEG;
  if (p->offset < 0) return MM_EOFFSETNEG;
  if ((st = derive_access(&flags, &prot, &access)) != MM_OK) return st;
  if (!mms_flags_ok(flags)) return MM_EFLAGS;
  if (fd == -1)
    flags |= mms_map_anonymous;
  else if (!p->unsized &&
           (st = check_filesize(fd, &length, p->offset)) != MM_OK)
    return st;
  if (!fits_size(length)) { errno = ENOMEM; return MM_EOS; }
  if (mms_guard_install() != 0 || keep_tag(m, p->tag) != 0) return MM_EOS;
  m->fd = hold_fd(fd, p->fdmode);
  if (m->fd == -1 && fd != -1 && p->fdmode == MM_FD_DUP) {
    free(m->tag);
    m->tag = NULL;
    return MM_EOS;
  }
  m->data = map_whole(length, prot, flags, fd, p->offset, m->tag,
                      &m->maplen, &m->sys);
  if (m->data == NULL) {
    int e = errno;
    if (p->fdmode == MM_FD_DUP && m->fd != -1) mms_close(m->fd);
    m->fd = -1;
    free(m->tag);
    m->tag = NULL;
    errno = e;
    return MM_EOS;
  }
  m->size = (size_t)length;
  m->offset = p->offset;
  m->flags = flags;
  m->prot = prot;
  m->access = access;
  m->trackfd = p->fdmode != MM_FD_BORROW;
  return MM_OK;
}


/*
** Bring the file of a new "r+" or "w+" map to its size: "w+" empties it
** and extends it to end with zeros, "r+" extends a shorter one. The file
** is first extended, when it must grow at all, so that the one step that
** may well fail (EFBIG, a quota, a seal) comes while nothing is lost.
*/
static int size_file (int fd, int mode, int64_t oldsize, int64_t end) {
  if (oldsize < end && mms_truncate(fd, end) != 0) return MM_EOS;
  if (mode == MM_MODE_WPLUS && oldsize > 0 &&
      (mms_truncate(fd, 0) != 0 || mms_truncate(fd, end) != 0))
    return MM_EOS;
  return MM_OK;
}


/*
** Where a file's size cannot change under a view of it (Windows), the
** file is sized first, once the offset is known to be one that the system
** can map, and given its size back if the map then fails ("w+" has
** emptied it by then: its old bytes are not kept).
*/
static int size_then_create (mm_map *m, const mm_params *p, int mode,
                             int64_t oldsize) {
  int st, e;
  if (p->offset % (int64_t)mms_granularity() != 0) {
    mms_misaligned();  /* the code a map there would fail with */
    return MM_EOS;
  }
  if ((st = size_file(p->fd, mode, oldsize, p->offset + p->length)) == MM_OK &&
      (st = mm_create(m, p)) == MM_OK)
    return MM_OK;
  e = errno;
  mms_truncate(p->fd, oldsize);
  errno = e;
  return st;
}


/*
** A new map of a file that open may size: mapped first, while the file is
** as it was (mmap(2) does not look at a regular file's size), so that
** every refusal of the arguments (an unaligned offset, a length too large
** for memory) comes before the file is touched; then sized. If sizing
** fails, the map goes and the file gets its size back.
*/
static int create_sized (mm_map *m, const mm_params *p, int mode,
                         int64_t oldsize) {
  int st, e;
  if (mms_platform.sizes_unmapped)
    return size_then_create(m, p, mode, oldsize);
  if ((st = mm_create(m, p)) != MM_OK) return st;
  if (size_file(p->fd, mode, oldsize, p->offset + p->length) == MM_OK)
    return MM_OK;
  e = errno;
  m->fd = -1;  /* the caller's still: it closes it */
  mm_close(m);
  mms_truncate(p->fd, oldsize);
  errno = e;
  return MM_EOS;
}


int mm_openpath (mm_map *m, const char *path, int mode, int64_t length,
                 int64_t offset) {
  static const int access[] = {
    MM_ACCESS_READ, MM_ACCESS_WRITE, MM_ACCESS_WRITE, MM_ACCESS_COPY };
  int writable = (mode == MM_MODE_RPLUS || mode == MM_MODE_WPLUS);
  int fd, st, created, isreg;
  int64_t oldsize;
  mm_params p;
  memset(m, 0, sizeof *m);
  m->fd = -1;
  if (length < 0) return MM_ELENGTHNEG;  /* before the file is touched */
  if (offset < 0) return MM_EOFFSETNEG;
  if (writable && offset > I64MAX - length) { errno = EFBIG; return MM_EOS; }
  fd = mms_open(path, writable, mode == MM_MODE_WPLUS, &created);
  if (fd < 0) return MM_EOS;
  mm_defaults(&p);
  p.fd = fd;
  p.length = length;
  p.access = access[mode];
  p.offset = offset;
  p.fdmode = MM_FD_OWN;
  if (mms_fstat(fd, &oldsize, &isreg) != 0)
    st = MM_EOS;
  else if (writable && isreg && length > 0 &&
           (mode == MM_MODE_WPLUS || oldsize < offset + length)) {
    p.unsized = 1;
    st = create_sized(m, &p, mode, oldsize);
  }
  else
    st = mm_create(m, &p);
  if (st != MM_OK) {
    int e = errno;
    mms_close(fd);
    if (created) mms_remove(path);  /* it was not there before */
    errno = e;
  }
  return st;
}


/* Idempotent, and never fails: there is nothing a caller could do. */
void mm_close (mm_map *m) {
  if (m->data != NULL) {
    mms_unmap(m->data, m->maplen, m->sys);
    m->data = NULL;
    m->sys = NULL;
  }
  if (m->fd != -1) {
    mms_close(m->fd);
    m->fd = -1;
  }
  free(m->tag);
  m->tag = NULL;
}


static int remap (mm_map *m, size_t newsize) {
  size_t len = mms_mapsize(newsize, m->flags);  /* newsize >= 1 */
  void *p;
  if (len == 0) { errno = ENOMEM; return MM_EOS; }
  p = mms_remap(m->data, m->maplen, len, m->prot, m->flags, m->fd,
                m->offset, m->tag, &m->sys);
  if (p == NULL) return MM_EOS;
  m->data = p;
  m->size = newsize;
  m->maplen = len;
  return MM_OK;
}


/*
** After a private map grew from old bytes: the rest of the last page it
** had (a huge page under MAP_HUGETLB) still holds what a write put there
** before a shrink, but the bytes a grow exposes read as zero, as the file
** (or fresh anonymous memory) has them. A shared map needs nothing: the
** file's truncation zeroed its page. Guarded: a file map's page may be
** gone again already.
*/
static int zero_exposed (mm_map *m, size_t old, size_t oldmaplen) {
  size_t end = m->size < oldmaplen ? m->size : oldmaplen;
  mms_guard g;
  if (!(m->flags & mms_map_private) || end <= old) return MM_OK;
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g)) return mm_bus_error(m, old, end);
  memset(m->data + old, 0, end - old);
  MMS_DISARM();
  return MM_OK;
}


/*
** A file-backed resize changes two things, the file's size and the map's,
** and when the second step fails the first is undone. The order makes
** that undo lose nothing wherever it can:
**   - a file that grows goes first (cutting it back loses nothing): no
**     page the map gains is ever without its file;
**   - otherwise the map goes first when it grows (dropping the new pages
**     loses nothing) or is shared (its bytes are the file's, which is
**     untouched until the map is done);
**   - a private map that shrinks keeps private bytes that no remap could
**     bring back, so the file goes first: its refusal (a read-only
**     descriptor, a seal) then changes nothing. Only if the map then
**     could not shrink (the system out of mappings) would the file's cut
**     bytes come back as zeros.
*/
static int resize_file (mm_map *m, size_t newsize) {
  int64_t oldfile, target = m->offset + (int64_t)newsize;
  int isreg, e;
  size_t oldsize = m->size, oldmaplen = m->maplen;
  if (mms_fstat(m->fd, &oldfile, &isreg) != 0) return MM_EOS;
  if (target > oldfile ||
      ((m->flags & mms_map_private) && newsize < oldsize)) {
    if (mms_truncate(m->fd, target) != 0) return MM_EOS;
    if (remap(m, newsize) == MM_OK)
      return zero_exposed(m, oldsize, oldmaplen);
    e = errno;
    mms_truncate(m->fd, oldfile);
  }
  else {
    if (remap(m, newsize) != MM_OK) return MM_EOS;
    if (mms_truncate(m->fd, target) == 0)
      return zero_exposed(m, oldsize, oldmaplen);
    e = errno;
    remap(m, oldsize);
  }
  errno = e;
  return MM_EOS;
}


/*
** Where a file's size cannot change under a view of it (Windows): the map
** goes, the file is sized, the map comes back at the new size. If the
** system refuses (another view of the file) or the new map cannot be
** made, the file gets its size back and the old length is mapped again:
** the same bytes, the file's, perhaps at another address. Only if even
** that fails is the map lost (closed), with the first step's error.
*/
static int resize_unmapped (mm_map *m, size_t newsize) {
  int64_t oldfile, target = m->offset + (int64_t)newsize;
  int isreg, e;
  size_t len = mms_mapsize(newsize, m->flags);
  void *p;
  if (len == 0) { errno = ENOMEM; return MM_EOS; }
  if (mms_fstat(m->fd, &oldfile, &isreg) != 0) return MM_EOS;
  mms_unmap(m->data, m->maplen, m->sys);
  m->sys = NULL;
  if (mms_truncate(m->fd, target) == 0) {
    p = mms_map(len, m->prot, m->flags, m->fd, m->offset, m->tag, &m->sys);
    if (p != NULL) {
      m->data = (unsigned char *)p;
      m->size = newsize;
      m->maplen = len;
      return MM_OK;
    }
    e = errno;
    mms_truncate(m->fd, oldfile);
  }
  else
    e = errno;
  m->data = (unsigned char *)mms_map(m->maplen, m->prot, m->flags, m->fd,
                                     m->offset, m->tag, &m->sys);
  if (m->data == NULL) mm_close(m);
  errno = e;
  return MM_EOS;
}


int mm_resize (mm_map *m, int64_t newsize) {
  size_t oldsize = m->size, oldmaplen = m->maplen;
  if (!m->trackfd) return MM_ERESIZEFD;
  if (m->access == MM_ACCESS_READ || m->access == MM_ACCESS_COPY)
    return MM_ERESIZERO;
  if (newsize < 1 || I64MAX - newsize < m->offset || !fits_size(newsize))
    return MM_ENEWSIZE;
  if (!is_anonymous(m))
    return mms_platform.sizes_unmapped ? resize_unmapped(m, (size_t)newsize)
                                       : resize_file(m, (size_t)newsize);
  /* Linux cannot grow a shared anonymous mapping: new pages would SIGBUS. */
  if (!(m->flags & mms_map_private) && (size_t)newsize > m->size &&
      !mms_platform.anon_shared_grows)
    return MM_ERESIZEANON;
  if (remap(m, (size_t)newsize) != MM_OK) return MM_EOS;
  return zero_exposed(m, oldsize, oldmaplen);
}


/* mlock / munlock the whole mapping. */
int mm_lock (mm_map *m, int lock) {
  size_t len = m->maplen;
  return (lock ? mms_lock(m->data, len) : mms_unlock(m->data, len)) == 0
         ? MM_OK : MM_EOS;
}


int mm_size (const mm_map *m, int64_t *size) {
  int isreg;
  if (!m->trackfd) return MM_ESIZEFD;
  if (is_anonymous(m)) { *size = (int64_t)m->size; return MM_OK; }
  return mms_fstat(m->fd, size, &isreg) == 0 ? MM_OK : MM_EOS;
}


/*
** The caller's range is checked as given; only then is its start moved
** down to a page boundary, because msync(2) wants an aligned address.
*/
int mm_flush (mm_map *m, const int64_t *offset, const int64_t *size,
              const int *flags) {
  int64_t off = offset ? *offset : 0, len;
  size_t start, page = mms_pagesize();
  if (off < 0 || (uint64_t)off > m->size) return MM_EFLUSH;
  len = size ? *size : (int64_t)(m->size - (size_t)off);
  if (len < 0 || (uint64_t)len > m->size - (size_t)off) return MM_EFLUSH;
  if (m->access == MM_ACCESS_READ || m->access == MM_ACCESS_COPY)
    return MM_OK;  /* nothing of ours can be dirty in the file */
  start = (size_t)off - (size_t)off % page;
  if (mms_sync(m->data + start, (size_t)off + (size_t)len - start,
               flags ? *flags : mms_ms_sync, m->fd) != 0)
    return MM_EOS;
  return MM_OK;
}


int mm_advise (mm_map *m, int option, const int64_t *start,
               const int64_t *length) {
  int64_t st = start ? *start : 0;
  int64_t len = length ? *length : (int64_t)m->size;
  if (st < 0 || (uint64_t)st >= m->size) return MM_EADVSTART;
  if (len < 0) return MM_EADVLEN;
  if (I64MAX - st < len) return MM_EADVBIG;
  if ((uint64_t)(st + len) > m->size) len = (int64_t)m->size - st;
  if (mms_advice_discards(option) && !mm_writable(m)) return MM_EREADONLY;
  if (mms_advise(m->data + st, (size_t)len, option) != 0) return MM_EOS;
  return MM_OK;
}

/* }====================================================== */


/*
** {======================================================
** Arithmetic
** =======================================================
*/

int mm_writable (const mm_map *m) {
  return m->access != MM_ACCESS_READ;
}


int mm_readable (const mm_map *m) {
  return (m->prot & mms_prot_read) != 0;
}


/* A Python index: negative counts from the end. */
int mm_index (const mm_map *m, int64_t i, size_t *at) {
  if (i < 0) i += (int64_t)m->size;  /* cannot overflow: size <= I64MAX */
  if (i < 0 || (uint64_t)i >= m->size) return MM_EINDEX;
  *at = (size_t)i;
  return MM_OK;
}


size_t mm_remaining (const mm_map *m) {
  return m->pos < m->size ? m->size - m->pos : 0;
}


int mm_seek (mm_map *m, int64_t off, int whence, int64_t *newpos) {
  int64_t base;
  switch (whence) {
    case 0: base = 0; break;
    case 1: base = (int64_t)m->pos; break;
    case 2: base = (int64_t)m->size; break;
    default: return MM_EWHENCE;
  }
  /* base >= 0, so only a positive off can overflow */
  if (off > 0 && off > I64MAX - base) return MM_ESEEK;
  if (base + off < 0 || (uint64_t)(base + off) > m->size) return MM_ESEEK;
  m->pos = (size_t)(base + off);
  *newpos = base + off;
  return MM_OK;
}


/* Python's slice bound adjustment; -1 is "before the first byte". */
static int64_t slice_bound (int64_t v, int64_t len, int64_t step) {
  if (v < 0) {
    v += len;
    if (v < 0) v = step < 0 ? -1 : 0;
  }
  else if (v >= len)
    v = step < 0 ? len - 1 : len;
  return v;
}


int mm_slice_resolve (const mm_map *m, const int64_t *start,
                      const int64_t *stop, const int64_t *step,
                      mm_slice *s) {
  int64_t len = (int64_t)m->size, a, b, st = step ? *step : 1;
  if (st == 0) return MM_ESTEP;
  if (st < -I64MAX) st = -I64MAX;  /* so that -st exists */
  a = start ? slice_bound(*start, len, st) : (st < 0 ? len - 1 : 0);
  b = stop ? slice_bound(*stop, len, st) : (st < 0 ? -1 : len);
  s->step = st;
  s->count = 0;
  s->start = 0;
  if (st > 0 && a < b) s->count = (size_t)((b - a - 1) / st + 1);
  else if (st < 0 && b < a) s->count = (size_t)((a - b - 1) / -st + 1);
  if (s->count > 0) s->start = (size_t)a;
  return MM_OK;
}


/* Python's clamped find bound: negative from the end, then into [0, len]. */
static int64_t find_bound (int64_t v, int64_t len) {
  if (v < 0) {
    v += len;
    if (v < 0) v = 0;
  }
  return v;
}

/* }====================================================== */


/*
** {======================================================
** Memory access. Every function here arms the bus-error guard around its
** accesses (see mm_sys.h), and checks only the bounds that only it can know.
** =======================================================
*/

static MMS_THREAD int64_t fault_offset;

int64_t mm_fault_offset (void) {
  return fault_offset;
}


#define ARM(g, m) MMS_ARM(g, (m)->data, (m)->data + (m)->size)


/* Can the byte at offset `at` be read now? */
static int probe (const mm_map *m, size_t at) {
  mms_guard g;
  volatile unsigned char sink;
  ARM(g, m);
  if (MMS_FAULTED(g)) return 0;
  sink = m->data[at];
  MMS_DISARM();
  (void)sink;
  return 1;
}


/* The first page from the one holding `lo` up to `limit` that cannot be read. */
static size_t first_lost (const mm_map *m, size_t lo, size_t limit) {
  size_t page = mms_pagesize(), p;
  for (p = lo - lo % page; p < limit; p += page)
    if (!probe(m, p)) return p;
  return limit;
}


/*
** After a fault in an operation that touches [lo1, hi1) and [lo2, hi2):
** record the offset of its first byte that the file no longer backs. The
** fault itself may be on a later page (memcpy may copy backwards), so the
** pages before it are probed; if all of them read (a hole that cannot be
** allocated on a full disk reads as zeros on most filesystems), the page
** of the fault itself is the answer.
*/
static int bus_error2 (const mm_map *m, size_t lo1, size_t hi1, size_t lo2,
                       size_t hi2) {
  size_t page = mms_pagesize(), at = (size_t)(mms_fault - m->data);
  size_t lo = lo1 < lo2 ? lo1 : lo2;
  size_t f = first_lost(m, lo, at - at % page);
  size_t n1 = f < hi1 ? (f > lo1 ? f : lo1) : (size_t)-1;
  size_t n2 = f < hi2 ? (f > lo2 ? f : lo2) : (size_t)-1;
  size_t n = n1 < n2 ? n1 : n2;
  fault_offset = (int64_t)(n != (size_t)-1 ? n : at);
  return MM_EBUS;
}


/* The same for an operation on the one range [lo, hi). */
static int bus_error (const mm_map *m, size_t lo, size_t hi) {
  return bus_error2(m, lo, hi, lo, hi);
}


int mm_bus_error (const mm_map *m, size_t lo, size_t hi) {
  return bus_error(m, lo, hi);
}


int mm_getbyte (const mm_map *m, size_t at, int *byte) {
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, at, at + 1);
  *byte = m->data[at];
  MMS_DISARM();
  return MM_OK;
}


int mm_setbyte (mm_map *m, size_t at, int byte) {
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, at, at + 1);
  m->data[at] = (unsigned char)byte;
  MMS_DISARM();
  return MM_OK;
}


/* Copy bytes [at, at + n) of the map (the caller checked the range). */
int mm_copyout (const mm_map *m, size_t at, size_t n, char *dst) {
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, at, at + n);
  memcpy(dst, m->data + at, n);
  MMS_DISARM();
  return MM_OK;
}


/* Copy n bytes from the position (the caller clamped n) and advance. */
int mm_read (mm_map *m, size_t n, char *dst) {
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, m->pos, m->pos + n);
  memcpy(dst, m->data + m->pos, n);
  MMS_DISARM();
  m->pos += n;
  return MM_OK;
}


/* The byte at the position, or -1 at the end. */
int mm_read_byte (mm_map *m, int *byte) {
  *byte = -1;
  if (m->pos >= m->size) return MM_OK;
  if (mm_getbyte(m, m->pos, byte) != MM_OK) return MM_EBUS;
  m->pos++;
  return MM_OK;
}


/*
** The line at the position in one guarded step: its length ("\n"
** included; 0 at the end) in *len and, when it fits in cap bytes, its bytes
** in buf with the position advanced past it. A longer line is left for
** mm_read, position unchanged.
*/
int mm_getline (mm_map *m, char *buf, size_t cap, size_t *len) {
  size_t left = mm_remaining(m), n;
  const unsigned char *p, *nl;
  mms_guard g;
  *len = 0;
  if (left == 0) return MM_OK;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, m->pos, m->pos + left);
  p = m->data + m->pos;
  nl = memchr(p, '\n', left);
  n = nl ? (size_t)(nl - p) + 1 : left;
  if (n <= cap) memcpy(buf, p, n);
  MMS_DISARM();
  *len = n;
  if (n <= cap) m->pos += n;
  return MM_OK;
}


int mm_write (mm_map *m, const char *src, size_t n) {
  mms_guard g;
  if (m->pos > m->size || m->size - m->pos < n) return MM_EDATA;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, m->pos, m->pos + n);
  memcpy(m->data + m->pos, src, n);
  MMS_DISARM();
  m->pos += n;
  return MM_OK;
}


int mm_write_byte (mm_map *m, int byte) {
  if (m->pos >= m->size) return MM_EWRITEBYTE;
  if (mm_setbyte(m, m->pos, byte) != MM_OK) return MM_EBUS;
  m->pos++;
  return MM_OK;
}


int mm_move (mm_map *m, int64_t dest, int64_t src, int64_t count) {
  int64_t size = (int64_t)m->size;
  mms_guard g;
  if (dest < 0 || src < 0 || count < 0 || size - dest < count ||
      size - src < count)
    return MM_EMOVE;
  ARM(g, m);
  if (MMS_FAULTED(g))
    return bus_error2(m, (size_t)src, (size_t)(src + count), (size_t)dest,
                      (size_t)(dest + count));
  memmove(m->data + dest, m->data + src, (size_t)count);
  MMS_DISARM();
  return MM_OK;
}


/* Search [a, b) (already clamped, b - a >= n > 0) under the guard. */
static int search (const mm_map *m, const char *sub, size_t n, size_t a,
                   size_t b, int reverse, int64_t *found) {
  const unsigned char *p;
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return bus_error(m, a, b);
  p = reverse ? mm_memrmem(m->data + a, b - a, sub, n)
              : mm_memmem(m->data + a, b - a, sub, n);
  *found = p ? (int64_t)(p - m->data) : -1;
  MMS_DISARM();
  return MM_OK;
}


int mm_find (const mm_map *m, const char *sub, size_t n,
             const int64_t *start, const int64_t *stop, int reverse,
             int64_t *found) {
  int64_t len = (int64_t)m->size;
  int64_t a = find_bound(start ? *start : (int64_t)m->pos, len);
  int64_t b = find_bound(stop ? *stop : len, len);
  *found = -1;
  if (a > len) return MM_OK;  /* nothing, not even "", past the end */
  if (b > len) b = len;
  if (b < a || (uint64_t)(b - a) < n) return MM_OK;
  if (n == 0) { *found = reverse ? b : a; return MM_OK; }
  return search(m, sub, n, (size_t)a, (size_t)b, reverse, found);
}


/* The offset of a slice's last byte (count > 0). */
static size_t slice_last (const mm_slice *s) {
  return (size_t)((int64_t)s->start + (int64_t)(s->count - 1) * s->step);
}


size_t mm_slice_end (const mm_slice *s) {
  if (s->count == 0) return 0;
  return (s->step > 0 ? slice_last(s) : s->start) + 1;
}


/* A slice's fault, reported within the span from its lowest to highest byte. */
static int slice_error (const mm_map *m, const mm_slice *s) {
  return s->step > 0 ? bus_error(m, s->start, slice_last(s) + 1)
                     : bus_error(m, slice_last(s), s->start + 1);
}


int mm_gather (const mm_map *m, const mm_slice *s, char *dst) {
  size_t i;
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return slice_error(m, s);
  if (s->step == 1)
    memcpy(dst, m->data + s->start, s->count);
  else
    for (i = 0; i < s->count; i++)  /* i * step stays within the map */
      dst[i] = (char)m->data[(int64_t)s->start + (int64_t)i * s->step];
  MMS_DISARM();
  return MM_OK;
}


int mm_scatter (mm_map *m, const mm_slice *s, const char *src) {
  size_t i;
  mms_guard g;
  ARM(g, m);
  if (MMS_FAULTED(g)) return slice_error(m, s);
  if (s->step == 1)
    memcpy(m->data + s->start, src, s->count);
  else
    for (i = 0; i < s->count; i++)
      m->data[(int64_t)s->start + (int64_t)i * s->step] = (unsigned char)src[i];
  MMS_DISARM();
  return MM_OK;
}

/* }====================================================== */
