/*
** mm_atomic.h: atomic access to the integers of a map, and waiting on a
** word (mm:atomic_*, mm:wait, mm:notify; doc/mmap.md §12). Plain C, no Lua
** API.
**
** A value is one integer of 1, 2, 4 or 8 bytes in the host's byte order,
** at an offset that is a multiple of its size (the map itself starts on a
** page boundary, so the address is aligned too). Every operation is one
** sequentially consistent __atomic builtin under the bus-error guard: a
** value is never seen half written by another thread or process that uses
** these functions on the same bytes. Values travel as int64_t: what
** string.unpack would give for the format (zero- or sign-extended; an
** 8-byte unsigned one as its two's complement bits), and what the caller
** took from string.pack's rules (mma_fits) on the way in.
*/
#ifndef MM_ATOMIC_H
#define MM_ATOMIC_H

#include <stddef.h>
#include <stdint.h>

#include "mm_core.h"

/* The operations of mm_atomic. */
enum {
  MMA_LOAD, MMA_STORE, MMA_ADD, MMA_SUB, MMA_AND, MMA_OR, MMA_XOR,
  MMA_EXCHANGE, MMA_CAS
};

/* What mm_wait found. */
enum { MMA_OK, MMA_NOTEQUAL, MMA_TIMEDOUT };

/* The type of a value, from its string.pack format. */
typedef struct mma_type {
  int size;      /* 1, 2, 4 or 8 */
  int issigned;  /* 1 for b h i[n] l j, 0 for B H I[n] L J T */
} mma_type;

/*
** fmt (len bytes) as one integer option of string.pack whose size is 1,
** 2, 4 or 8 and for which the platform has lock-free atomics: "i1" .. "i8",
** "I1" .. "I8", "b", "B", "h", "H", "i", "I", "l", "L", "j", "J", "T" (the
** sizes of the host's C types; no byte order, no alignment option).
** MM_OK, or MM_EATOMICFMT.
*/
int mma_type_of(const char *fmt, size_t len, mma_type *t);

/* Does v fit type t as string.pack sees it? MM_OK, or mm_pack.h's
   MMP_EOVERFLOW (signed) or MMP_EUNSIGNED (unsigned), with its text. */
int mma_fits(const mma_type *t, int64_t v);

/* The byte offset of a size-byte value at offset: MM_OK and *at, or
   MM_EATOMICRANGE (not all of it in the map), MM_EATOMICALIGN. */
int mm_atomic_at(const mm_map *m, int64_t offset, int size, size_t *at);

/*
** Operation op on the value of type t at offset at (from mm_atomic_at):
** *old is the value before (for MMA_LOAD the value; for MMA_STORE, v).
** MMA_CAS stores desired iff the value before equals v. Arithmetic wraps
** as C's unsigned arithmetic does. MM_OK, or MM_EBUS with nothing done.
*/
int mm_atomic(mm_map *m, size_t at, const mma_type *t, int op, int64_t v,
              int64_t desired, int64_t *old);

/*
** mm:wait: while the 4-byte word at offset at holds expected (compared as
** 32 bits), sleep until an mm_notify on it or for at most ns nanoseconds
** (ns < 0: no limit). *outcome: MMA_NOTEQUAL at once if it did not hold
** expected, MMA_OK when woken, MMA_TIMEDOUT. MM_OK, MM_EBUS, or MM_EOS.
*/
int mm_wait(const mm_map *m, size_t at, uint32_t expected, int64_t ns,
            int *outcome);

/* mm:notify: wake at most count (>= 0) waiters on the word at offset at;
   *woken says how many. MM_OK, MM_EBUS, or MM_EOS. */
int mm_notify(const mm_map *m, size_t at, int64_t count, int64_t *woken);

#endif
