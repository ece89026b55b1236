/*
** mm_sys.h: the platform layer of lua-mmap.
**
** Every system call the core makes goes through these functions, so that a
** second platform is a second implementation file (mm_posix.c is the first),
** not a scattering of #ifdefs. Functions that can fail return -1 (or NULL)
** with errno set, and never touch Lua.
*/
#ifndef MM_SYS_H
#define MM_SYS_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mm_core.h"

/* The few platform values the core itself needs to reason about. */
extern const int mms_prot_read, mms_prot_write;
extern const int mms_map_shared, mms_map_private, mms_map_anonymous;
extern const int mms_ms_sync;

/* The platform's constants (mm_const is the core's type). */
extern const mm_const mms_constants[];

size_t mms_pagesize(void);

/* Descriptors. */
int mms_dup(int fd);                     /* close-on-exec duplicate */
int mms_close(int fd);
int mms_open(const char *path, int writable, int create, int *created);
int mms_remove(const char *path);
int mms_fstat(int fd, int64_t *size, int *isreg);
int mms_truncate(int fd, int64_t size);
int mms_filefd(FILE *f);                 /* flush a stdio stream, give its fd */

/* Mappings. */
void *mms_map(size_t len, int prot, int flags, int fd, int64_t offset);
int mms_flags_ok(int flags);          /* 0: flags no map object can honour */
int mms_unmap(void *addr, size_t len);
void *mms_remap(void *addr, size_t oldlen, size_t newlen);
int mms_sync(void *addr, size_t len, int flags);
int mms_advise(void *addr, size_t len, int advice);
int mms_advice_discards(int advice);  /* 1: it changes the file's bytes */
int mms_lock(void *addr, size_t len);
int mms_unlock(void *addr, size_t len);
/* len rounded up to the pages mmap(2) uses under `flags` (huge pages with
   MAP_HUGETLB: the kernel maps, and unmaps, whole ones); 0 on overflow or
   when the huge page size cannot be found. */
size_t mms_mapsize(size_t len, int flags);

/*
** {======================================================
** The bus-error guard
**
** Touching a page of a file map that the file no longer backs (the file was
** truncated, or a hole of a sparse file cannot be allocated on a full disk)
** raises SIGBUS, which kills the process by default. The guard turns it into
** an error return of the one core function that was touching the memory:
**
**   mms_guard g;
**   MMS_ARM(g, lo, hi);                 bytes [lo, hi) are about to be touched
**   if (MMS_FAULTED(g)) return ...;     control comes back here on a fault
**   ... touch the memory (memcpy, memchr, a byte) ...
**   MMS_DISARM();
**
** Arming stores a pointer to the frame's guard in a thread-local variable;
** MMS_FAULTED is sigsetjmp(env, 0): it saves registers only, no signal mask,
** so entering and leaving a guard makes no system call. The handler, run on
** the faulting thread, checks that the faulting address lies in that
** thread's armed range and that the kernel sent the signal, then
** siglongjmps back. It is installed with SA_NODEFER: SIGBUS is not blocked
** while it runs, so jumping out leaves the signal mask as it was and no
** system call is needed to restore it. Any other SIGBUS (none armed, an
** address elsewhere, a kill(2)) goes to the handler that was installed
** before ours, or to the default action.
**
** Rules for the functions that arm a guard: the memory access happens in the
** same function as MMS_FAULTED (a jump can only return to a live frame); no
** Lua API call, no malloc, no lock while armed (the jump would skip their
** unwinding); locals changed after MMS_FAULTED are not read after a fault.
** =======================================================
*/
#define MMS_THREAD __thread __attribute__((tls_model("initial-exec")))

typedef struct mms_guard {
  sigjmp_buf env;
  const unsigned char *lo, *hi;  /* a fault in [lo, hi) is ours */
} mms_guard;

extern MMS_THREAD mms_guard *mms_armed;          /* this thread's guard */
extern MMS_THREAD const unsigned char *mms_fault; /* the last caught fault */

/* A compiler barrier: memory accesses stay between arm and disarm. */
#define MMS_FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define MMS_ARM(g, l, h) \
  ((g).lo = (l), (g).hi = (h), mms_armed = &(g), MMS_FENCE())
#define MMS_FAULTED(g) (sigsetjmp((g).env, 0) != 0)
#define MMS_DISARM() (MMS_FENCE(), mms_armed = NULL)

/* Install the handler, again if a host replaced it; 0 or -1 with errno. */
int mms_guard_install(void);

/* }====================================================== */

#endif
