/*
** mm_atomic.c: atomic access to the integers of a map, and waiting on a
** word (see mm_atomic.h).
**
** Each operation is one __atomic builtin with __ATOMIC_SEQ_CST on an
** unsigned type of the value's size: unsigned, so that add and sub wrap
** as C defines it, and sequentially consistent, so that all the atomic
** operations on a map, in every thread and process, appear in one order
** that each of them agrees with. Only sizes whose atomics are lock-free
** are accepted: a lock the compiler's runtime would take instead lives
** in this process and would protect nothing from another one.
**
** wait and notify go through the platform layer (mms_wait, mms_notify:
** the futex on Linux). Where the platform has no such wait, mm_wait polls
** the word with naps that double from NAP_MIN up to NAP_MAX, and mm_notify
** wakes nobody (it returns 0): a poller notices the change of the word
** itself, within NAP_MAX or so, but not a notify that changed nothing.
*/
#define _POSIX_C_SOURCE 200809L  /* sigsetjmp, for the bus-error guard */

#include <errno.h>
#include <stdint.h>

#include "mm_atomic.h"
#include "mm_pack.h"
#include "mm_sys.h"

/* The armed work lives out of line: see mm_pack.c. */
#define OUT_OF_LINE __attribute__((noinline))

#define SEQ __ATOMIC_SEQ_CST

#define NAP_MIN 1000     /* ns: the first nap of a poller */
#define NAP_MAX 1000000  /* ns: the longest; a poller looks at least this often */


/*
** {======================================================
** Types and offsets
** =======================================================
*/

/* 1 when atomics of this size never take a lock (a constant per size). */
static int lock_free (int size) {
  switch (size) {
    case 1: return __atomic_always_lock_free(1, 0);
    case 2: return __atomic_always_lock_free(2, 0);
    case 4: return __atomic_always_lock_free(4, 0);
    case 8: return __atomic_always_lock_free(8, 0);
    default: return 0;
  }
}


int mma_type_of (const char *fmt, size_t len, mma_type *t) {
  size_t used = 1;
  if (len == 0) return MM_EATOMICFMT;
  t->issigned = fmt[0] >= 'a';  /* every lower-case option is signed */
  switch (fmt[0]) {
    case 'b': case 'B': t->size = 1; break;
    case 'h': case 'H': t->size = (int)sizeof(short); break;
    case 'l': case 'L': t->size = (int)sizeof(long); break;
    case 'j': case 'J': t->size = 8; break;  /* lua_Integer */
    case 'T': t->size = (int)sizeof(size_t); break;
    case 'i': case 'I':
      t->size = (int)sizeof(int);
      if (len >= 2 && fmt[1] >= '0' && fmt[1] <= '9') {  /* one digit */
        t->size = fmt[1] - '0';
        used = 2;
      }
      break;
    default: return MM_EATOMICFMT;
  }
  if (used != len || !lock_free(t->size)) return MM_EATOMICFMT;
  return MM_OK;
}


/* string.pack's rules (mmp_measure): the same errors for the same values. */
int mma_fits (const mma_type *t, int64_t v) {
  if (t->size >= 8) return MM_OK;
  if (t->issigned) {
    int64_t lim = (int64_t)1 << (8 * t->size - 1);
    return (v < -lim || v >= lim) ? MMP_EOVERFLOW : MM_OK;
  }
  return (uint64_t)v >= (uint64_t)1 << (8 * t->size) ? MMP_EUNSIGNED : MM_OK;
}


int mm_atomic_at (const mm_map *m, int64_t offset, int size, size_t *at) {
  if (offset < 0 || (uint64_t)offset > m->size ||
      (size_t)size > m->size - (size_t)offset)
    return MM_EATOMICRANGE;
  if (offset % size != 0) return MM_EATOMICALIGN;
  *at = (size_t)offset;
  return MM_OK;
}

/* }====================================================== */


/*
** {======================================================
** Operations
** =======================================================
*/

/*
** One operation on a value of type T at p: the value before (for a store,
** v). A function per size, each made by this macro.
*/
#define APPLY(name, T) \
  static uint64_t name (void *p, int op, uint64_t v, uint64_t w) { \
    T *q = (T *)p, x = (T)v, e = x; \
    switch (op) { \
      case MMA_LOAD: return __atomic_load_n(q, SEQ); \
      case MMA_STORE: __atomic_store_n(q, x, SEQ); return v; \
      case MMA_ADD: return __atomic_fetch_add(q, x, SEQ); \
      case MMA_SUB: return __atomic_fetch_sub(q, x, SEQ); \
      case MMA_AND: return __atomic_fetch_and(q, x, SEQ); \
      case MMA_OR: return __atomic_fetch_or(q, x, SEQ); \
      case MMA_XOR: return __atomic_fetch_xor(q, x, SEQ); \
      case MMA_EXCHANGE: return __atomic_exchange_n(q, x, SEQ); \
      default:  /* MMA_CAS: e becomes the value found when it differs */ \
        __atomic_compare_exchange_n(q, &e, (T)w, 0, SEQ, SEQ); \
        return e; \
    } \
  }

APPLY(apply8, uint8_t)
APPLY(apply16, uint16_t)
APPLY(apply32, uint32_t)
APPLY(apply64, uint64_t)


/* Runs armed: the one access to the map. */
OUT_OF_LINE
static uint64_t apply (unsigned char *p, int size, int op, uint64_t v,
                       uint64_t w) {
  switch (size) {
    case 1: return apply8(p, op, v, w);
    case 2: return apply16(p, op, v, w);
    case 4: return apply32(p, op, v, w);
    default: return apply64(p, op, v, w);
  }
}


/* The bits of a value as string.unpack gives it: zero- or sign-extended
   to 64 bits, then read as two's complement without an overflowing cast. */
static int64_t extend (uint64_t bits, const mma_type *t) {
  if (t->size < 8) {
    uint64_t sign = (uint64_t)1 << (8 * t->size - 1);
    bits &= (sign << 1) - 1;
    if (t->issigned) bits = (bits ^ sign) - sign;
  }
  return bits <= (uint64_t)INT64_MAX ? (int64_t)bits
                                     : -(int64_t)(~bits) - 1;
}


int mm_atomic (mm_map *m, size_t at, const mma_type *t, int op, int64_t v,
               int64_t desired, int64_t *old) {
  mms_guard g;
  uint64_t bits;
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g)) return mm_bus_error(m, at, at + (size_t)t->size);
  bits = apply(m->data + at, t->size, op, (uint64_t)v, (uint64_t)desired);
  MMS_DISARM();
  *old = extend(bits, t);  /* a store gives v back, which fits t */
  return MM_OK;
}

/* }====================================================== */


/*
** {======================================================
** wait and notify
** =======================================================
*/

OUT_OF_LINE
static uint32_t load32 (const unsigned char *p) {
  return __atomic_load_n((const uint32_t *)p, SEQ);
}


/* The word at offset at, read under the guard. */
static int word (const mm_map *m, size_t at, uint32_t *v) {
  mms_guard g;
  MMS_ARM(g, m->data, m->data + m->size);
  if (MMS_FAULTED(g)) return mm_bus_error(m, at, at + 4);
  *v = load32(m->data + at);
  MMS_DISARM();
  return MM_OK;
}


static int shared (const mm_map *m) {
  return (m->flags & mms_map_shared) != 0;
}


/*
** The system call met a page it could not read (EFAULT rather than a
** signal): the file shrank under the word since word() read it. Reading
** it again under the guard reports the bus error; should that succeed
** (the file grew back), the failure is the system call's.
*/
static int unreadable (const mm_map *m, size_t at) {
  uint32_t v;
  int st = word(m, at, &v);
  if (st != MM_OK) return st;
  errno = EFAULT;
  return MM_EOS;
}


/* ns from now on the monotonic clock, or -1 (no limit) for ns < 0. */
static int64_t deadline_of (int64_t ns) {
  int64_t now = mms_clock();
  if (ns < 0) return -1;
  return ns > INT64_MAX - now ? INT64_MAX : now + ns;
}


/*
** Look at the word, then sleep, as often as it takes: a signal (EINTR) or
** a nap of a poller only sends us round again with the time that is left.
** Once slept, a word that no longer holds expected means a notify came (or
** at least the change a notify announces): MMA_OK, not MMA_NOTEQUAL.
*/
int mm_wait (const mm_map *m, size_t at, uint32_t expected, int64_t ns,
             int *outcome) {
  int64_t deadline = deadline_of(ns), left = -1, nap = NAP_MIN;
  int slept = 0, r, st;
  uint32_t now;
  for (;;) {
    if ((st = word(m, at, &now)) != MM_OK) return st;
    if (now != expected) {
      *outcome = slept ? MMA_OK : MMA_NOTEQUAL;
      return MM_OK;
    }
    if (deadline >= 0 && (left = deadline - mms_clock()) <= 0) {
      *outcome = MMA_TIMEDOUT;
      return MM_OK;
    }
    r = mms_wait(m->data + at, expected, shared(m), left);
    switch (r) {
      case MMS_WOKEN: *outcome = MMA_OK; return MM_OK;
      case MMS_TIMEDOUT: *outcome = MMA_TIMEDOUT; return MM_OK;
      case MMS_NOTEQUAL:  /* it changed between word() and the call */
        *outcome = slept ? MMA_OK : MMA_NOTEQUAL;
        return MM_OK;
      case MMS_EINTR: slept = 1; break;
      case MMS_NOWAIT:  /* no wait here: poll */
        mms_nap(left >= 0 && left < nap ? left : nap);
        nap = nap < NAP_MAX / 2 ? nap * 2 : NAP_MAX;
        slept = 1;
        break;
      default:
        return errno == EFAULT ? unreadable(m, at) : MM_EOS;
    }
  }
}


int mm_notify (const mm_map *m, size_t at, int64_t count, int64_t *woken) {
  uint32_t v;
  int st = word(m, at, &v), r;  /* a lost page: the bus error, as anywhere */
  if (st != MM_OK) return st;
  r = mms_notify(m->data + at, shared(m),
                 count > INT32_MAX ? INT32_MAX : (int)count);
  if (r < 0) return errno == EFAULT ? unreadable(m, at) : MM_EOS;
  *woken = r;
  return MM_OK;
}

/* }====================================================== */
