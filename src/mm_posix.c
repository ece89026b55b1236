/*
** mm_posix.c: the platform layer for Linux and other POSIX systems.
** See mm_sys.h for the contract: -1 or NULL with errno set on failure.
**
** It needs POSIX.1-2008 alone (and /dev/zero where a system has no flag
** for anonymous memory). Each extension beyond it is found by a feature
** test in the block below, never by the system's name, and its fallback
** is a small function of its own. Built with -D_POSIX_C_SOURCE=200809L
** (make POSIX_ONLY=1), the headers show none of them: that is how the
** portable layer runs on Linux too.
*/
#if !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE)
#define _GNU_SOURCE            /* glibc: mremap, the MAP_ and MADV_ extras */
#endif
#define _FILE_OFFSET_BITS 64   /* 64-bit off_t on 32-bit systems */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mm_sys.h"


/*
** {======================================================
** What the system offers beyond POSIX.1-2008
** =======================================================
*/

/* mremap(2) (Linux): a map grows, shrinks or moves with its pages. */
#ifdef MREMAP_MAYMOVE
#define HAVE_MREMAP 1
#else
#define HAVE_MREMAP 0
#endif

/* Anonymous memory: MAP_ANONYMOUS (POSIX.1-2024 and most systems before
   it), MAP_ANON (older BSDs), or else a map of /dev/zero, which a flag bit
   of this layer's own marks (mms_flags_ok keeps callers from passing it). */
#if defined(MAP_ANONYMOUS)
#define ANON_FLAG MAP_ANONYMOUS
#define ANON_DEVZERO 0
#elif defined(MAP_ANON)
#define ANON_FLAG MAP_ANON
#define ANON_DEVZERO 0
#else
#define ANON_FLAG 0x40000000
#define ANON_DEVZERO 1
#endif

/* madvise(2) and its MADV_ hints, or else POSIX's posix_madvise. */
#ifdef MADV_NORMAL
#define HAVE_MADVISE 1
#else
#define HAVE_MADVISE 0
#endif

/* The raw system call, where the C library shows it (see mms_lock). */
#ifdef _GNU_SOURCE
#include <sys/syscall.h>
#endif
#if defined(_GNU_SOURCE) && defined(SYS_mlock) && defined(SYS_munlock)
#define HAVE_RAW_MLOCK 1
#else
#define HAVE_RAW_MLOCK 0
#endif

/* SA_ONSTACK (XSI): the guard's handler runs on the host's signal stack,
   if the host set one up. Without it, on the thread's own stack. */
#ifndef SA_ONSTACK
#define SA_ONSTACK 0
#endif

/*
** A library the linker could not mark "never unload" (-z nodelete: macOS
** has no such flag) keeps itself loaded instead: the Makefile defines
** MMS_PIN_SELF there, and the guard's first install takes a reference to
** this library that it never gives back (pin_self, below).
*/
#ifndef MMS_PIN_SELF
#define MMS_PIN_SELF 0
#endif
#if MMS_PIN_SELF
#include <dlfcn.h>
#endif

/* }====================================================== */


const int mms_prot_read = PROT_READ, mms_prot_write = PROT_WRITE;
const int mms_map_shared = MAP_SHARED, mms_map_private = MAP_PRIVATE;
const int mms_map_anonymous = ANON_FLAG;
const int mms_ms_sync = MS_SYNC;

/* Files resize under their maps; shared anonymous memory stays as it was
   made (Linux: mremap would give it pages no one backs); flags and prot;
   madvise or posix_madvise. */
const mms_traits mms_platform = { 0, 0, 0, 1 };


/*
** {======================================================
** Constants: each one only where <sys/mman.h> defines it, so a platform
** without it simply lacks the field. Never hard-coded.
** =======================================================
*/
#define C(name) { #name, name },

const mm_const mms_constants[] = {
#ifdef PROT_READ
  C(PROT_READ)
#endif
#ifdef PROT_WRITE
  C(PROT_WRITE)
#endif
#ifdef PROT_EXEC
  C(PROT_EXEC)
#endif
#ifdef MAP_SHARED
  C(MAP_SHARED)
#endif
#ifdef MAP_PRIVATE
  C(MAP_PRIVATE)
#endif
#ifdef MAP_ANON
  C(MAP_ANON)
#endif
#ifdef MAP_ANONYMOUS
  C(MAP_ANONYMOUS)
#endif
#ifdef MAP_DENYWRITE
  C(MAP_DENYWRITE)
#endif
#ifdef MAP_EXECUTABLE
  C(MAP_EXECUTABLE)
#endif
#ifdef MAP_NORESERVE
  C(MAP_NORESERVE)
#endif
#ifdef MAP_POPULATE
  C(MAP_POPULATE)
#endif
#ifdef MAP_STACK
  C(MAP_STACK)
#endif
#ifdef MAP_32BIT
  C(MAP_32BIT)
#endif
#ifdef MAP_HUGETLB
  C(MAP_HUGETLB)
#endif
#ifdef MAP_ALIGNED_SUPER
  C(MAP_ALIGNED_SUPER)
#endif
#ifdef MAP_CONCEAL
  C(MAP_CONCEAL)
#endif
#ifdef MAP_JIT
  C(MAP_JIT)
#endif
#ifdef MADV_NORMAL
  C(MADV_NORMAL)
#endif
#ifdef MADV_RANDOM
  C(MADV_RANDOM)
#endif
#ifdef MADV_SEQUENTIAL
  C(MADV_SEQUENTIAL)
#endif
#ifdef MADV_WILLNEED
  C(MADV_WILLNEED)
#endif
#ifdef MADV_DONTNEED
  C(MADV_DONTNEED)
#endif
#ifdef MADV_FREE
  C(MADV_FREE)
#endif
#ifdef MADV_REMOVE
  C(MADV_REMOVE)
#endif
#ifdef MADV_DONTFORK
  C(MADV_DONTFORK)
#endif
#ifdef MADV_DOFORK
  C(MADV_DOFORK)
#endif
#ifdef MADV_MERGEABLE
  C(MADV_MERGEABLE)
#endif
#ifdef MADV_UNMERGEABLE
  C(MADV_UNMERGEABLE)
#endif
#ifdef MADV_POPULATE_READ
  C(MADV_POPULATE_READ)
#endif
#ifdef MADV_POPULATE_WRITE
  C(MADV_POPULATE_WRITE)
#endif
#ifdef MADV_HUGEPAGE
  C(MADV_HUGEPAGE)
#endif
#ifdef MADV_NOHUGEPAGE
  C(MADV_NOHUGEPAGE)
#endif
#ifdef MADV_DONTDUMP
  C(MADV_DONTDUMP)
#endif
#ifdef MADV_DODUMP
  C(MADV_DODUMP)
#endif
#ifdef MADV_HWPOISON
  C(MADV_HWPOISON)
#endif
#ifdef MADV_SOFT_OFFLINE
  C(MADV_SOFT_OFFLINE)
#endif
#ifdef MADV_NOSYNC
  C(MADV_NOSYNC)
#endif
#ifdef MADV_AUTOSYNC
  C(MADV_AUTOSYNC)
#endif
#ifdef MADV_NOCORE
  C(MADV_NOCORE)
#endif
#ifdef MADV_CORE
  C(MADV_CORE)
#endif
#ifdef MADV_PROTECT
  C(MADV_PROTECT)
#endif
#ifdef MADV_FREE_REUSABLE
  C(MADV_FREE_REUSABLE)
#endif
#ifdef MADV_FREE_REUSE
  C(MADV_FREE_REUSE)
#endif
#if !HAVE_MADVISE
  /* The hints posix_madvise shares with madvise, under madvise's names
     (not POSIX_MADV_DONTNEED: a hint there, a discard under Linux). */
  { "MADV_NORMAL", POSIX_MADV_NORMAL },
  { "MADV_RANDOM", POSIX_MADV_RANDOM },
  { "MADV_SEQUENTIAL", POSIX_MADV_SEQUENTIAL },
  { "MADV_WILLNEED", POSIX_MADV_WILLNEED },
#endif
#ifdef MS_ASYNC
  C(MS_ASYNC)
#endif
#ifdef MS_SYNC
  C(MS_SYNC)
#endif
#ifdef MS_INVALIDATE
  C(MS_INVALIDATE)
#endif
  { NULL, 0 }
};

#undef C
/* }====================================================== */


size_t mms_pagesize (void) {
  long n = sysconf(_SC_PAGESIZE);
  return n > 0 ? (size_t)n : 4096;
}


size_t mms_granularity (void) {
  return mms_pagesize();
}


int mms_misaligned (void) {
  errno = EINVAL;  /* mmap(2)'s */
  return -1;
}


const char *mms_strerror (int err, char *buf, size_t size, int *code) {
  (void)buf; (void)size;
  *code = err;
  return strerror(err);
}


/*
** {======================================================
** Descriptors
** =======================================================
*/

int mms_dup (int fd) {
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}


int mms_close (int fd) {
  return close(fd);
}


/*
** Never truncates: mmap.open sizes the file itself once the map exists.
** *created tells whether this call made the file, so that a failure can
** take it away again.
*/
int mms_open (const char *path, int writable, int create, int *created) {
  int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, fd;
  *created = 0;
  if (create) {
    fd = open(path, flags | O_CREAT | O_EXCL, 0666);  /* the umask applies */
    if (fd >= 0 || errno != EEXIST) {
      *created = fd >= 0;
      return fd;
    }
  }
  fd = open(path, flags);
  if (fd < 0 && create && errno == ENOENT)  /* a dangling link: its target */
    fd = open(path, flags | O_CREAT, 0666);
  return fd;
}


int mms_remove (const char *path) {
  return unlink(path);
}


int mms_fstat (int fd, int64_t *size, int *isreg) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return -1;
  *size = (int64_t)st.st_size;
  *isreg = S_ISREG(st.st_mode) != 0;
  return 0;
}


int mms_truncate (int fd, int64_t size) {
  int r;
  do r = ftruncate(fd, (off_t)size);
  while (r != 0 && errno == EINTR);
  return r;
}


int mms_filefd (FILE *f) {
  if (fflush(f) != 0)
    return -1;
  return fileno(f);
}

/* }====================================================== */


/*
** {======================================================
** Mappings
** =======================================================
*/

/*
** Anonymous memory where the system has no flag for it: /dev/zero mapped
** private is fresh zeroed memory, mapped shared it is memory shared with
** the children a fork makes, as MAP_ANONYMOUS gives them. The offset is
** checked as for MAP_ANONYMOUS (a multiple of the page size), then not
** used: a shared map of /dev/zero at an offset has no pages there.
*/
static void *map_devzero (size_t len, int prot, int flags, int64_t offset) {
  int fd, e;
  void *p;
  if (offset % (int64_t)mms_pagesize() != 0) {
    errno = EINVAL;
    return MAP_FAILED;
  }
  if ((fd = open("/dev/zero", O_RDWR | O_CLOEXEC)) < 0) return MAP_FAILED;
  p = mmap(NULL, len, prot, flags & ~ANON_FLAG, fd, 0);
  e = errno;
  close(fd);  /* the map keeps what it needs */
  errno = e;
  return p;
}


void *mms_map (size_t len, int prot, int flags, int fd, int64_t offset,
               const char *tag, void **sys) {
  void *p;
  (void)tag;  /* tagnames is 0: the binding gives none */
  *sys = NULL;  /* the address says it all */
  if (ANON_DEVZERO && (flags & ANON_FLAG))
    p = map_devzero(len, prot, flags, offset);
  else
    p = mmap(NULL, len, prot, flags, fd, (off_t)offset);
  if (p == NULL) {  /* page 0 (vm.mmap_min_addr 0): unusable as a map */
    munmap(p, len);
    errno = ENOMEM;
  }
  return p == MAP_FAILED ? NULL : p;
}


/* Flags that would place the map at an address (none is given) or let
   it grow by itself beyond its length: no map object can honour them. */
int mms_flags_ok (int flags) {
  int bad = 0;
#ifdef MAP_FIXED
  bad |= MAP_FIXED;
#endif
#ifdef MAP_FIXED_NOREPLACE
  bad |= MAP_FIXED_NOREPLACE;
#endif
#ifdef MAP_GROWSDOWN
  bad |= MAP_GROWSDOWN;
#endif
  if (ANON_DEVZERO) bad |= ANON_FLAG;  /* ours, not the system's */
  return (flags & bad) == 0;
}


int mms_unmap (void *addr, size_t len, void *sys) {
  (void)sys;
  return munmap(addr, len);
}


#if HAVE_MREMAP

void *mms_remap (void *addr, size_t oldlen, size_t newlen, int prot,
                 int flags, int fd, int64_t offset, const char *tag,
                 void **sys) {
  void *p = mremap(addr, oldlen, newlen, MREMAP_MAYMOVE);
  (void)prot; (void)flags; (void)fd; (void)offset; (void)tag; (void)sys;
  return p == MAP_FAILED ? NULL : p;
}

#else

/*
** Without mremap. Pages are only ever added by a new map, made before
** the old one goes, so that a failure leaves the old one as it was.
*/

/* Shrinking never moves: the tail pages go (as mremap does it too). */
static void *shrink (void *addr, size_t oldlen, size_t newlen) {
  if (newlen < oldlen && munmap((unsigned char *)addr + newlen, oldlen - newlen) != 0)
    return NULL;
  return addr;
}


/*
** A private map's bytes are its own: they move to the new map, under the
** guard (a file cut short by another process faults on the old pages).
** A map that cannot be read is made readable for the copy, and is put
** back as it was if the copy fails. A fault leaves EFAULT.
*/
static int copy_bytes (unsigned char *to, unsigned char *from, size_t len,
                       int prot) {
  int unreadable = !(prot & PROT_READ);
  mms_guard g;
  if (unreadable && mprotect(from, len, prot | PROT_READ) != 0) return -1;
  MMS_ARM(g, from, from + len);
  if (MMS_FAULTED(g)) {
    if (unreadable) mprotect(from, len, prot);
    errno = EFAULT;
    return -1;
  }
  memcpy(to, from, len);
  MMS_DISARM();
  return 0;
}


/*
** Growing: a new, larger map of the same thing, at an address of the
** system's choosing (as MREMAP_MAYMOVE allows). A shared file map needs
** no more: its bytes are the file's. A private one (file or anonymous)
** gets its old bytes copied, and so holds a private copy of every page
** it had, touched or not. A shared anonymous map cannot be grown so:
** its memory is shared with the children a fork made, and a new map
** would not be; ENOTSUP.
*/
static void *grow (void *addr, size_t oldlen, size_t newlen, int prot,
                   int flags, int fd, int64_t offset) {
  int copy = (flags & MAP_PRIVATE) != 0, e;
  void *sys;
  int wprot = copy ? prot | PROT_READ | PROT_WRITE : prot;
  unsigned char *p;
  if (!copy && (flags & ANON_FLAG)) { errno = ENOTSUP; return NULL; }
  p = (unsigned char *)mms_map(newlen, wprot, flags, fd, offset, NULL, &sys);
  (void)sys;  /* NULL here */
  if (p == NULL) return NULL;
  if (copy && (copy_bytes(p, (unsigned char *)addr, oldlen, prot) != 0 ||
                  (wprot != prot && mprotect(p, newlen, prot) != 0))) {
    e = errno;
    munmap(p, newlen);
    errno = e;
    return NULL;
  }
  munmap(addr, oldlen);
  return p;
}


void *mms_remap (void *addr, size_t oldlen, size_t newlen, int prot,
                 int flags, int fd, int64_t offset, const char *tag,
                 void **sys) {
  (void)tag; (void)sys;
  if (newlen <= oldlen) return shrink(addr, oldlen, newlen);
  return grow(addr, oldlen, newlen, prot, flags, fd, offset);
}

#endif


int mms_sync (void *addr, size_t len, int flags, int fd) {
  (void)fd;  /* msync reaches the file */
  return msync(addr, len, flags);
}


int mms_advise (void *addr, size_t len, int advice) {
#if HAVE_MADVISE
  return madvise(addr, len, advice);
#else
  int e = posix_madvise(addr, len, advice);  /* the error, not -1 */
  if (e == 0) return 0;
  errno = e;
  return -1;
#endif
}


/* Advice that changes or throws away the file's bytes, not just the
   map's copy of them: MADV_REMOVE punches a hole, MADV_HWPOISON makes
   the page cache's page unreadable. */
int mms_advice_discards (int advice) {
#ifdef MADV_REMOVE
  if (advice == MADV_REMOVE) return 1;
#endif
#ifdef MADV_HWPOISON
  if (advice == MADV_HWPOISON) return 1;
#endif
  (void)advice;
  return 0;
}


/*
** The system calls themselves where the platform names them: sanitizer
** runtimes replace mlock/munlock with no-ops that always succeed, and a
** pinning the caller asked for must really happen (or really fail).
*/
#if HAVE_RAW_MLOCK
#define MLOCK(a, n)   syscall(SYS_mlock, (a), (n))
#define MUNLOCK(a, n) syscall(SYS_munlock, (a), (n))
#else
#define MLOCK(a, n)   mlock((a), (n))
#define MUNLOCK(a, n) munlock((a), (n))
#endif

int mms_lock (void *addr, size_t len) {
  return MLOCK(addr, len) == 0 ? 0 : -1;
}


int mms_unlock (void *addr, size_t len) {
  return MUNLOCK(addr, len) == 0 ? 0 : -1;
}


#if defined(MAP_HUGETLB) && defined(MAP_HUGE_SHIFT) && defined(MAP_HUGE_MASK)
/*
** The default huge page size when /proc is not there (a chroot, a
** container): a one-byte huge page map holds one whole page, and the
** kernel refuses (EINVAL) to unmap less than a whole huge page, so the
** first power of two that unmaps it is its size. 0 if no huge page can
** be had, as the map that asked would fail then too.
*/
static size_t probe_hugepage (void) {
  size_t size;
  void *p = mmap(NULL, 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
                 -1, 0);
  if (p == MAP_FAILED) return 0;
  for (size = mms_pagesize(); size != 0; size <<= 1)
    if (munmap(p, size) == 0) return size;
  return 0;
}


/* The default huge page size, from /proc/meminfo or by probing; 0 if
   neither tells. */
static size_t default_hugepage (void) {
  static size_t size;  /* found once: it is fixed at boot */
  char line[128];
  unsigned long kb;
  FILE *f;
  if (size != 0) return size;
  if ((f = fopen("/proc/meminfo", "re")) != NULL) {
    while (fgets(line, sizeof line, f) != NULL)
      if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
        size = (size_t)kb * 1024;
    fclose(f);
  }
  if (size == 0) size = probe_hugepage();
  return size;
}
#endif


/* MAP_HUGE_SHIFT's bits choose a size (log2); none means the default. */
static size_t pagesize_of (int flags) {
#if defined(MAP_HUGETLB) && defined(MAP_HUGE_SHIFT) && defined(MAP_HUGE_MASK)
  if (flags & MAP_HUGETLB) {
    unsigned bits = ((unsigned)flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    return bits != 0 && bits < 8 * sizeof(size_t) ? (size_t)1 << bits
                                                   : default_hugepage();
  }
#else
  (void)flags;  /* no huge pages: every map has the one page size */
#endif
  return mms_pagesize();
}


size_t mms_mapsize (size_t len, int flags) {
  size_t page = pagesize_of(flags);
  if (page == 0) return 0;  /* a huge page size that nothing tells */
  if (len % page == 0) return len;
  if (len > SIZE_MAX - page) return 0;
  return len + (page - len % page);
}

/* }====================================================== */


/*
** {======================================================
** The bus-error guard (design: mm_sys.h)
** =======================================================
*/

MMS_THREAD mms_guard *mms_armed;
MMS_THREAD const unsigned char *mms_fault;
MMS_THREAD int mms_busmask;

/*
** The signals a lost page raises: SIGBUS on Linux, macOS and the BSDs for
** a truncated file; SIGSEGV where a system reports other lost pages so.
** Either one inside the armed range is the guard's; each is chained on
** its own (below). FAULT_BIT numbers them for the per-signal records.
*/
#define FAULT_BIT(sig) ((sig) == SIGSEGV)
#define NFAULT 2

/*
** Per signal, `previous` is what the latest install found in front of it:
** a foreign signal goes there. `original` is what the very first install
** found: it predates this copy of the module, so a loop (mm_sys.h) ends
** there.
*/
typedef struct disposition {
  struct sigaction previous, original;
  int installed;
} disposition;
static disposition dispositions[NFAULT];

/* The foreign signal this thread is passing on, and where on the stack. */
typedef struct passing {
  const siginfo_t *si;
  const void *ctx;
  uintptr_t depth;  /* the address of a local of that call */
} passing;
static MMS_THREAD passing on_the_way;

/* Which of the two the host blocks in this thread (bit FAULT_BIT(sig)),
   while mms_busmask is MMS_BUS_HELD. */
static MMS_THREAD int held;


/* The signals in `bits` (1 << FAULT_BIT(sig) each) as a set. */
static void fault_set (sigset_t *set, int bits) {
  sigemptyset(set);
  if (bits & (1 << FAULT_BIT(SIGBUS))) sigaddset(set, SIGBUS);
  if (bits & (1 << FAULT_BIT(SIGSEGV))) sigaddset(set, SIGSEGV);
}


/* The host blocks SIGBUS or SIGSEGV in this thread, or the state is not
   known yet: unblock both for the guarded access, and learn which were. */
void mms_guard_open (void) {
  sigset_t both, old;
  fault_set(&both, 3);
  if (pthread_sigmask(SIG_UNBLOCK, &both, &old) != 0) return;
  held = (sigismember(&old, SIGBUS) == 1) << FAULT_BIT(SIGBUS) |
         (sigismember(&old, SIGSEGV) == 1) << FAULT_BIT(SIGSEGV);
  mms_busmask = held != 0 ? MMS_BUS_HELD : MMS_BUS_FREE;
}


/* The guarded access is over: blocked again, as the host had them. */
void mms_guard_close (void) {
  sigset_t set;
  fault_set(&set, held);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}


/*
** Before jumping back to the guarded code: its mask, from the context the
** kernel saved (a host handler we were reached through may have run with
** the signal and more blocked, and siglongjmp restores no mask), with the
** signals the host blocks blocked again.
*/
static void restore_mask (const void *ctx) {
  sigset_t set;
  if (ctx != NULL)
    set = ((const ucontext_t *)ctx)->uc_sigmask;
  else
    pthread_sigmask(SIG_BLOCK, NULL, &set);
  if (mms_busmask == MMS_BUS_HELD) {
    if (held & (1 << FAULT_BIT(SIGBUS))) sigaddset(&set, SIGBUS);
    if (held & (1 << FAULT_BIT(SIGSEGV))) sigaddset(&set, SIGSEGV);
  }
  pthread_sigmask(SIG_SETMASK, &set, NULL);
}


/* The default action, which for SIGBUS and SIGSEGV ends the process. */
static void by_default (int sig) {
  struct sigaction dfl;
  sigset_t set;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, NULL);
  raise(sig);  /* SA_NODEFER: not blocked, so this ends the process */
  fault_set(&set, 1 << FAULT_BIT(sig));  /* unless a host handler we came */
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);  /* through blocked it */
}


/* A foreign signal to disposition `to`, as the kernel would deliver it. */
static void deliver (const struct sigaction *to, int sig, siginfo_t *si,
                     void *ctx) {
  if (to->sa_handler == SIG_IGN) {
    if (si->si_code > 0)  /* a fault: the kernel does not let it be ignored */
      by_default(sig);
  }                       /* sent by a process: discarded */
  else if (to->sa_handler == SIG_DFL)
    by_default(sig);
  else if (to->sa_flags & SA_SIGINFO)
    to->sa_sigaction(sig, si, ctx);
  else
    to->sa_handler(sig);
}


/*
** A signal that is not ours, to the handler found in front of ours. If
** that handler (or one it chains to) passes the same signal back to us, we
** see it again deeper on the stack, with the same siginfo and context:
** then it goes to `original` instead, and the loop ends. A note left by a
** call that never returned (the handler it called jumped out) lies no
** deeper than a new signal's call at the same place, so it is simply
** replaced.
*/
static void pass_on (int sig, siginfo_t *si, void *ctx) {
  const disposition *d = &dispositions[FAULT_BIT(sig)];
  passing *p = &on_the_way;
  passing outer = *p;  /* a signal this one interrupted, still on its way */
  char here;
  uintptr_t depth = (uintptr_t)&here;
  if (p->si == si && p->ctx == ctx && depth < p->depth) {
    deliver(&d->original, sig, si, ctx);  /* the stack grows down */
    return;
  }
  p->si = si;
  p->ctx = ctx;
  p->depth = depth;
  deliver(&d->previous, sig, si, ctx);
  *p = outer;  /* after the call: it also keeps this call in its frame */
}


static void on_fault (int sig, siginfo_t *si, void *ctx) {
  mms_guard *g = mms_armed;
  const unsigned char *a = (const unsigned char *)si->si_addr;
  if (g != NULL && si->si_code > 0 && a >= g->lo && a < g->hi) {
    mms_armed = NULL;
    mms_fault = a;
    restore_mask(ctx);
    siglongjmp(g->env, 1);
  }
  pass_on(sig, si, ctx);
}


#if MMS_PIN_SELF
/* A reference to this library, found from one of its own objects, that
   is never given back: the host's dlclose cannot unload the handler. */
static void pin_self (void) {
  static int pinned;
  Dl_info info;
  if (pinned) return;
  if (dladdr(&pinned, &info) != 0 && info.dli_fname != NULL &&
      dlopen(info.dli_fname, RTLD_NOW | RTLD_LOCAL) != NULL)
    pinned = 1;
}
#else
#define pin_self() ((void)0)  /* the linker marked it: never unloaded */
#endif


/* One signal's handler in front again, if a host replaced it. */
static int install (int sig) {
  disposition *d = &dispositions[FAULT_BIT(sig)];
  struct sigaction cur, sa;
  if (sigaction(sig, NULL, &cur) != 0)
    return -1;
  if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault)
    return 0;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK | SA_RESTART;
  d->previous = cur;
  if (!d->installed) {
    d->original = cur;
    d->installed = 1;
  }
  return sigaction(sig, &sa, NULL);
}


/*
** Called for each new map, by the thread that makes it: one sigaction(2)
** query per signal. A host that installs its own handler after ours gets
** ours back in front of it (chained) the next time a map is made. The
** thread's mask is read again at its next guarded access.
*/
int mms_guard_install (void) {
  mms_busmask = MMS_BUS_UNKNOWN;
  pin_self();
  if (install(SIGBUS) != 0 || install(SIGSEGV) != 0)
    return -1;
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** Waiting on a word (contract: mm_sys.h). Linux has the futex, keyed by
** the address for a private word and by the file's page for a shared one,
** so that processes that map the same file wait on the same word. Where
** there is none (or MMS_NO_FUTEX is defined, to test the other path),
** mms_wait says MMS_NOWAIT and mm_wait polls (mm_atomic.c).
** =======================================================
*/
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#endif

#if defined(SYS_futex) && defined(FUTEX_WAIT) && defined(FUTEX_WAKE) && \
    !defined(MMS_NO_FUTEX)

/* FUTEX_PRIVATE_FLAG (2.6.22) spares the kernel the file lookup. */
static int futex_op (int op, int shared) {
#ifdef FUTEX_PRIVATE_FLAG
  if (!shared) op |= FUTEX_PRIVATE_FLAG;
#else
  (void)shared;
#endif
  return op;
}


int mms_wait (const void *addr, uint32_t expected, int shared, int64_t ns) {
  struct timespec ts, *rel = NULL;
  long r;
  if (ns >= 0) {  /* FUTEX_WAIT takes a relative time */
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    rel = &ts;
  }
  r = syscall(SYS_futex, addr, futex_op(FUTEX_WAIT, shared),
              (int)expected, rel, NULL, 0);
  if (r == 0) return MMS_WOKEN;
  switch (errno) {
    case EAGAIN: return MMS_NOTEQUAL;  /* EWOULDBLOCK is the same */
    case ETIMEDOUT: return MMS_TIMEDOUT;
    case EINTR: return MMS_EINTR;
    case ENOSYS: return MMS_NOWAIT;  /* a kernel (or sandbox) without it */
    default: return -1;
  }
}


int mms_notify (const void *addr, int shared, int count) {
  long r;
  if (count <= 0) return 0;
  r = syscall(SYS_futex, addr, futex_op(FUTEX_WAKE, shared), count, NULL,
              NULL, 0);
  if (r < 0) return errno == ENOSYS ? 0 : -1;  /* its waiters poll */
  return (int)r;
}

#else

int mms_wait (const void *addr, uint32_t expected, int shared, int64_t ns) {
  (void)addr; (void)expected; (void)shared; (void)ns;
  return MMS_NOWAIT;
}


int mms_notify (const void *addr, int shared, int count) {
  (void)addr; (void)shared; (void)count;
  return 0;  /* pollers notice the change of the word themselves */
}

#endif


int64_t mms_clock (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}


void mms_nap (int64_t ns) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  nanosleep(&ts, NULL);  /* early on a signal: the caller looks again */
}

/* }====================================================== */
