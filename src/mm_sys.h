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

#ifndef _WIN32
#include <setjmp.h>
#endif
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

/*
** What the platform's maps can and cannot do: the core and the binding
** choose by these values, so that no #ifdef of a system's name reaches
** them.
*/
typedef struct mms_traits {
  int sizes_unmapped;    /* 1: a file's size cannot change while a view of
                            it exists (Windows): resize unmaps, sets the
                            size, maps again */
  int anon_shared_grows; /* 0: shared anonymous memory cannot grow (Linux:
                            pages past the first length would fault) */
  int tagnames;          /* 1: Windows' signature (tagname; no flags, prot) */
  int advise;            /* 1: there is a madvise */
} mms_traits;
extern const mms_traits mms_platform;

size_t mms_pagesize(void);
size_t mms_granularity(void);  /* what a map's offset must be a multiple of */
/* -1, with the error the system gives a map at an offset off the
   granularity (for a refusal made before the system is asked). */
int mms_misaligned(void);

/* The text and the code of a failure whose errno was err, as the system
   words it; buf (of size bytes) may hold the text. */
const char *mms_strerror(int err, char *buf, size_t size, int *code);

/* Descriptors. */
int mms_dup(int fd);                     /* close-on-exec duplicate */
int mms_close(int fd);
int mms_open(const char *path, int writable, int create, int *created);
int mms_remove(const char *path);
int mms_fstat(int fd, int64_t *size, int *isreg);
int mms_truncate(int fd, int64_t size);
int mms_filefd(FILE *f);                 /* flush a stdio stream, give its fd */

/*
** Mappings. tag names shared memory (NULL: none) where tagnames is 1.
** *sys receives what the platform keeps for the map besides its address
** (Windows: the section's handle, which keeps a tagname alive; POSIX:
** NULL); mms_unmap and mms_remap take it back.
*/
void *mms_map(size_t len, int prot, int flags, int fd, int64_t offset,
              const char *tag, void **sys);
int mms_flags_ok(int flags);          /* 0: flags no map object can honour */
int mms_unmap(void *addr, size_t len, void *sys);
/* The map [addr, addr + oldlen), made by mms_map(oldlen, prot, flags, fd,
   offset), to newlen bytes: the address may move; on failure it is as it
   was. Where the system cannot move a map's pages, a larger map is a new
   one (a private map's bytes copied into it; ENOTSUP for shared anonymous
   memory, which a new map would not share with forked children). */
void *mms_remap(void *addr, size_t oldlen, size_t newlen, int prot, int flags,
                int fd, int64_t offset, const char *tag, void **sys);
int mms_sync(void *addr, size_t len, int flags, int fd);  /* fd may be -1 */
int mms_advise(void *addr, size_t len, int advice);
int mms_advice_discards(int advice);  /* 1: it changes the file's bytes */
int mms_lock(void *addr, size_t len);
int mms_unlock(void *addr, size_t len);
/* len rounded up to the pages mmap(2) uses under `flags` (huge pages with
   MAP_HUGETLB: the kernel maps, and unmaps, whole ones); 0 on overflow or
   when the huge page size cannot be found. */
size_t mms_mapsize(size_t len, int flags);

/*
** Waiting on a 4-byte word (mm_wait, mm_notify; doc/mmap.md §12). With
** Linux's futex: mms_wait sleeps while *addr holds `expected`, until an
** mms_notify on the same word or for at most ns nanoseconds (ns < 0: no
** limit); shared: the word may be waited on from other processes
** (MAP_SHARED), else only from threads of this one. mms_wait returns
** MMS_WOKEN (perhaps spuriously), MMS_NOTEQUAL, MMS_TIMEDOUT, MMS_EINTR
** (a signal came: the caller decides), MMS_NOWAIT where the platform has
** no such wait (the caller polls, with mms_nap), or -1 with errno (EFAULT:
** the page cannot be read). mms_notify returns the number of waiters
** woken (at most count), 0 where there is no such wait, or -1 with errno.
** Neither touches the word itself except through the system call.
*/
enum { MMS_WOKEN, MMS_NOTEQUAL, MMS_TIMEDOUT, MMS_EINTR, MMS_NOWAIT };
int mms_wait(const void *addr, uint32_t expected, int shared, int64_t ns);
int mms_notify(const void *addr, int shared, int count);
int64_t mms_clock(void);   /* a monotonic clock, in nanoseconds */
void mms_nap(int64_t ns);  /* sleep about ns nanoseconds */

/*
** {======================================================
** The bus-error guard (doc/mmap.md §13)
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
** Some systems report a lost page as SIGSEGV instead: a SIGSEGV inside the
** armed range is caught the same way. What follows says SIGBUS; it holds
** for each of the two signals, each with its own records (the disposition
** found at the latest and at the first install), and mms_busmask's
** "blocked" means that the host blocks either one.
**
** Arming stores a pointer to the frame's guard in a thread-local variable;
** MMS_FAULTED is sigsetjmp(env, 0): it saves registers only, no signal mask,
** so entering and leaving a guard makes no system call. The handler, run on
** the faulting thread, checks that the faulting address lies in that
** thread's armed range and that the kernel sent the signal, then sets the
** thread's mask back to what the interrupted code had (one system call: a
** host handler that passed the fault on to ours may have run with more
** signals blocked, and the jump restores no mask) and siglongjmps back. It
** is installed with SA_NODEFER, so that SIGBUS is not blocked while it runs.
**
** Threads that block SIGBUS. A fault in a thread that has SIGBUS blocked is
** not queued: the kernel resets the action to the default and ends the
** process, and no handler runs. Hosts do block it: a thread that blocks
** every signal and leaves them to a sigwait thread of the host's own, or a
** process whose parent blocked SIGBUS before exec (the mask is inherited).
** So each thread keeps what it knows of its own mask (mms_busmask): nothing
** until its first guarded access, and nothing again each time it makes a
** map (mms_guard_install). Where SIGBUS is not blocked, MMS_ARM and
** MMS_DISARM cost a thread-local load each and no system call. Where it is,
** MMS_ARM unblocks it (one pthread_sigmask, which also reads the mask anew)
** and MMS_DISARM, or the handler on a fault, blocks it again: two system
** calls per guarded access, the price of that host's choice. Limits:
**   - a thread that blocks SIGBUS after it has used maps is noticed at its
**     next map creation; a fault before that ends the process, as it would
**     without the module.
**   - while such a thread runs a guarded access, SIGBUS is unblocked in it:
**     a kill -BUS meant for another thread (or pending for a sigwait) can
**     be delivered there, and is then handled as any foreign SIGBUS below
**     (with no host handler, the default action ends the process).
**
** A foreign SIGBUS (none armed, an address elsewhere, a kill(2)) goes where
** it would have gone without the module:
**   - to the disposition found when the handler was installed: each map
**     creation puts it back in front if a host replaced it, remembering what
**     it found there;
**   - ignored, if that disposition is SIG_IGN and the signal was sent by a
**     process (si_code <= 0); a fault (si_code > 0) cannot be ignored: the
**     kernel would end the process, and so does the handler;
**   - to the default action (which ends the process) if that is SIG_DFL.
** Two handlers that both chain to the one they found would pass a foreign
** SIGBUS to each other forever: a second copy of this module in the
** process (libmmap.a linked into a host that also loads mmap.so), or a host
** handler installed after the module that passes on to the one it
** replaced, once a new map has put ours back in front of it. So the handler
** notes, per thread, the signal (its siginfo and context pointers) it is
** passing on and how deep on the stack it does so. A call for that same
** signal from deeper down is the loop coming back: it goes to the
** disposition this copy found at its very first install instead, which
** predates it, so every chain ends. A note left behind by a handler that
** never returned (it jumped out) is never deeper than a new signal's call
** at the same place on the stack, and so is not taken for a loop.
**
** Rules for the functions that arm a guard: the memory access happens in the
** same function as MMS_FAULTED (a jump can only return to a live frame); no
** Lua API call, no malloc, no lock while armed (the jump would skip their
** unwinding); locals changed after MMS_FAULTED are not read after a fault;
** guards do not nest (MMS_DISARM blocks SIGBUS again where the host blocks
** it).
** =======================================================
*/
/*
** The jump. POSIX: sigsetjmp without the mask. Windows has no signals: a
** vectored exception handler jumps back with GCC's builtin pair, which
** does not unwind through the system's exception frames as the C
** library's longjmp does there.
*/
/*
** GCC keeps __builtin_setjmp's landing point only where a call after it
** could jump there: a fault in a plain load is no such call. So on Windows
** MMS_DISARM always calls mms_guard_close (which does nothing), out of
** line, after the access; on POSIX only where the host blocks SIGBUS.
*/
#ifdef _WIN32
#define MMS_THREAD __thread
typedef void *mms_jmpbuf[5];
#define MMS_SETJMP(b) __builtin_setjmp(b)
#define MMS_CLOSE() mms_guard_close()
#else
#define MMS_THREAD __thread __attribute__((tls_model("initial-exec")))
typedef sigjmp_buf mms_jmpbuf;
#define MMS_SETJMP(b) sigsetjmp(b, 0)
#define MMS_CLOSE() \
  (mms_busmask == MMS_BUS_HELD ? mms_guard_close() : (void)0)
#endif

typedef struct mms_guard {
  mms_jmpbuf env;
  const unsigned char *lo, *hi;  /* a fault in [lo, hi) is ours */
} mms_guard;

extern MMS_THREAD mms_guard *mms_armed;          /* this thread's guard */
extern MMS_THREAD const unsigned char *mms_fault; /* the last caught fault */

/* What mms_busmask knows of this thread's mask. */
#define MMS_BUS_UNKNOWN 0  /* read it at the next MMS_ARM */
#define MMS_BUS_FREE    1  /* SIGBUS is not blocked: nothing to do */
#define MMS_BUS_HELD    2  /* blocked by the host: unblocked while armed */
extern MMS_THREAD int mms_busmask;

void mms_guard_open(void);   /* MMS_ARM's part unless MMS_BUS_FREE */
void mms_guard_close(void);  /* MMS_DISARM's part when MMS_BUS_HELD */

/* A compiler barrier: memory accesses stay between arm and disarm. */
#define MMS_FENCE() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define MMS_ARM(g, l, h) \
  ((g).lo = (l), (g).hi = (h), \
   (mms_busmask != MMS_BUS_FREE ? mms_guard_open() : (void)0), \
   mms_armed = &(g), MMS_FENCE())
#define MMS_FAULTED(g) (MMS_SETJMP((g).env) != 0)
#define MMS_DISARM() \
  (MMS_FENCE(), mms_armed = NULL, MMS_CLOSE())

/* Install the handler, again if a host replaced it, and forget what this
   thread's mask was; 0 or -1 with errno. */
int mms_guard_install(void);

/* }====================================================== */

#endif
