/*
** mm_win32.c: the platform layer for Windows (built with mingw-w64, tested
** under wine). See mm_sys.h for the contract: -1 or NULL with errno set on
** failure. A Win32 call that fails sets errno to WIN_ERRNO and keeps the
** system's own code for this thread, so that mms_strerror gives the
** system's number and words, not a C library approximation.
**
** Windows maps through a section object (CreateFileMapping) and views of
** it (MapViewOfFile). The section's handle stays open as long as the view
** (the map's `sys`): a tagname names the section only while a handle to it
** is open. What differs from POSIX, as Python documents it:
**   - a view's offset is a multiple of the allocation granularity (64 KiB);
**   - a file's size cannot change while a view of it exists: resize
**     unmaps, sizes, maps again (mms_platform.sizes_unmapped, mm_core.c);
**   - anonymous memory is backed by the paging file, and a tagname names
**     a section that every map of the same name, in any process, shares;
**   - there is no madvise, no prot and no flags: access alone says what
**     a map may do.
** The descriptors the core holds are the C library's (_open, _dup): a Lua
** file handle's, or a CRT descriptor, as Python takes them.
*/
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0600  /* Vista: SetFileInformationByHandle, InitOnce */
#endif
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "mm_sys.h"


/*
** The core's own values for what POSIX calls prot and flags. They never
** reach Lua: the binding takes access, never flags or prot, here.
*/
#define W_READ    1
#define W_WRITE   2
#define W_SHARED  1
#define W_PRIVATE 2
#define W_ANON    4
#define W_SYNC    1  /* flush: the file's buffers too (FlushFileBuffers) */

const int mms_prot_read = W_READ, mms_prot_write = W_WRITE;
const int mms_map_shared = W_SHARED, mms_map_private = W_PRIVATE;
const int mms_map_anonymous = W_ANON;
const int mms_ms_sync = W_SYNC;

/* Sizes change only without views; paging-file memory grows by a copy
   (no fork shares it); tagnames; no madvise. */
const mms_traits mms_platform = { 1, 1, 1, 0 };

/* No PROT_, MAP_, MADV_ or MS_ value has a meaning here: none is given. */
const mm_const mms_constants[] = { { NULL, 0 } };


/*
** {======================================================
** Errors
** =======================================================
*/

#define WIN_ERRNO 0x7e57  /* no C library uses it: "see lasterror" */

static MMS_THREAD DWORD lasterror;

static int fail (DWORD code) {
  lasterror = code;
  errno = WIN_ERRNO;
  return -1;
}


static int failed (void) {
  return fail(GetLastError());
}


/* The system's message, without the line end and final period it adds. */
const char *mms_strerror (int err, char *buf, size_t size, int *code) {
  DWORD n;
  if (err != WIN_ERRNO) {
    *code = err;
    return strerror(err);
  }
  *code = (int)lasterror;
  n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                     NULL, lasterror, 0, buf, (DWORD)size, NULL);
  while (n > 0 && strchr("\r\n .", buf[n - 1]) != NULL) n--;
  if (n == 0)
    snprintf(buf, size, "system error %lu", (unsigned long)lasterror);
  else
    buf[n] = '\0';
  return buf;
}

/* }====================================================== */


static void sysinfo (SYSTEM_INFO *si) {
  GetSystemInfo(si);
}


size_t mms_pagesize (void) {
  SYSTEM_INFO si;
  sysinfo(&si);
  return si.dwPageSize;
}


size_t mms_granularity (void) {
  SYSTEM_INFO si;
  sysinfo(&si);
  return si.dwAllocationGranularity;
}


int mms_misaligned (void) {
  return fail(ERROR_MAPPED_ALIGNMENT);  /* MapViewOfFile's */
}


/*
** {======================================================
** Descriptors: the C library's, each over a system handle
** =======================================================
*/

/* The handle under a descriptor; EBADF (from the C library, or here for
   a negative one, which it would hand to its invalid-parameter handler). */
static HANDLE osfhandle (int fd) {
  if (fd < 0) {
    errno = EBADF;
    return INVALID_HANDLE_VALUE;
  }
  return (HANDLE)_get_osfhandle(fd);
}


/* A duplicate that no child process inherits (as O_CLOEXEC). */
int mms_dup (int fd) {
  HANDLE h = osfhandle(fd), self = GetCurrentProcess(), d;
  int nfd, e;
  if (h == INVALID_HANDLE_VALUE) return -1;
  if (!DuplicateHandle(self, h, self, &d, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return failed();
  if ((nfd = _open_osfhandle((intptr_t)d, _O_BINARY | _O_NOINHERIT)) < 0) {
    e = errno;
    CloseHandle(d);
    errno = e;
  }
  return nfd;
}


int mms_close (int fd) {
  return _close(fd);
}


/* As POSIX's: never truncates; *created says whether this call made it. */
int mms_open (const char *path, int writable, int create, int *created) {
  int flags = (writable ? _O_RDWR : _O_RDONLY) | _O_BINARY | _O_NOINHERIT, fd;
  *created = 0;
  if (create) {
    fd = _open(path, flags | _O_CREAT | _O_EXCL, _S_IREAD | _S_IWRITE);
    if (fd >= 0 || errno != EEXIST) {
      *created = fd >= 0;
      return fd;
    }
  }
  return _open(path, flags);
}


int mms_remove (const char *path) {
  return _unlink(path);
}


int mms_fstat (int fd, int64_t *size, int *isreg) {
  struct _stati64 st;
  if (fd < 0) {
    errno = EBADF;
    return -1;
  }
  if (_fstati64(fd, &st) != 0)
    return -1;
  *size = (int64_t)st.st_size;
  *isreg = (st.st_mode & _S_IFMT) == _S_IFREG;
  return 0;
}


/* The end of file moves; the file position does not (as ftruncate). */
int mms_truncate (int fd, int64_t size) {
  HANDLE h = osfhandle(fd);
  FILE_END_OF_FILE_INFO info;
  if (h == INVALID_HANDLE_VALUE) return -1;
  info.EndOfFile.QuadPart = size;
  if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &info, sizeof info))
    return failed();
  return 0;
}


int mms_filefd (FILE *f) {
  if (fflush(f) != 0)
    return -1;
  return _fileno(f);
}

/* }====================================================== */


/*
** {======================================================
** Mappings
** =======================================================
*/

/* The section's protection and the view's access for prot and flags. */
static void rights (int prot, int flags, DWORD *protect, DWORD *access) {
  if (flags & W_PRIVATE) {  /* ACCESS_COPY: writes stay in this view */
    *protect = (flags & W_ANON) ? PAGE_READWRITE : PAGE_WRITECOPY;
    *access = FILE_MAP_COPY;
  }
  else if (prot & W_WRITE) {
    *protect = PAGE_READWRITE;
    *access = FILE_MAP_WRITE;
  }
  else {
    *protect = PAGE_READONLY;
    *access = FILE_MAP_READ;
  }
}


/*
** A section exactly offset + len long (a longer one of a file would extend
** it, or be refused for a read-only one), then the view. A tagname that
** names a section already there opens that one instead, whatever it maps.
*/
void *mms_map (size_t len, int prot, int flags, int fd, int64_t offset,
               const char *tag, void **sys) {
  HANDLE file = INVALID_HANDLE_VALUE, section;
  uint64_t end = (uint64_t)offset + len, off = (uint64_t)offset;
  DWORD protect, access, e;
  void *p;
  if (!(flags & W_ANON) && (file = osfhandle(fd)) == INVALID_HANDLE_VALUE)
    return NULL;
  rights(prot, flags, &protect, &access);
  section = CreateFileMappingA(file, NULL, protect, (DWORD)(end >> 32),
                               (DWORD)end, tag);
  if (section == NULL) {
    failed();
    return NULL;
  }
  p = MapViewOfFile(section, access, (DWORD)(off >> 32), (DWORD)off, len);
  if (p == NULL) {
    e = GetLastError();
    CloseHandle(section);
    fail(e);
    return NULL;
  }
  *sys = section;
  return p;
}


int mms_flags_ok (int flags) {
  (void)flags;  /* the binding gives none: access says it all */
  return 1;
}


int mms_unmap (void *addr, size_t len, void *sys) {
  int r = UnmapViewOfFile(addr) ? 0 : failed();  /* a view goes whole */
  (void)len;
  CloseHandle(sys);
  return r;
}


/*
** Only anonymous memory comes here (files: mm_core.c's resize_unmapped).
** Without a tagname it is this process's alone: a new section gets its
** bytes. With one, other maps share it by name, which a new section
** would not be: refused, and the map stays as it was.
*/
void *mms_remap (void *addr, size_t oldlen, size_t newlen, int prot,
                 int flags, int fd, int64_t offset, const char *tag,
                 void **sys) {
  void *p, *section;
  if (tag != NULL || !(flags & W_ANON)) {
    fail(ERROR_NOT_SUPPORTED);
    return NULL;
  }
  if ((p = mms_map(newlen, prot, flags, fd, offset, NULL, &section)) == NULL)
    return NULL;
  memcpy(p, addr, oldlen < newlen ? oldlen : newlen);
  mms_unmap(addr, oldlen, *sys);
  *sys = section;
  return p;
}


/* The view's dirty pages to the file; unless flags is 0 (there are no
   MS_ constants here: the default is W_SYNC), through the file's buffers
   to the disk too, as msync(MS_SYNC) waits for them. A length of 0 is
   nothing to flush (FlushViewOfFile reads it as "to the view's end", and
   refuses an address at that end: flush(#mm)). */
int mms_sync (void *addr, size_t len, int flags, int fd) {
  HANDLE h;
  if (len > 0 && !FlushViewOfFile(addr, len)) return failed();
  if (flags == 0 || fd == -1) return 0;
  if ((h = osfhandle(fd)) == INVALID_HANDLE_VALUE) return -1;
  return FlushFileBuffers(h) ? 0 : failed();
}


int mms_advise (void *addr, size_t len, int advice) {
  (void)addr; (void)len; (void)advice;  /* the binding offers no madvise */
  return fail(ERROR_NOT_SUPPORTED);
}


int mms_advice_discards (int advice) {
  (void)advice;
  return 0;
}


int mms_lock (void *addr, size_t len) {
  return VirtualLock(addr, len) ? 0 : failed();
}


int mms_unlock (void *addr, size_t len) {
  return VirtualUnlock(addr, len) ? 0 : failed();
}


/* A view is as long as asked: the section must not outgrow the file. */
size_t mms_mapsize (size_t len, int flags) {
  (void)flags;
  return len;
}

/* }====================================================== */


/*
** {======================================================
** The bus-error guard (design: mm_sys.h)
**
** Windows reports a page that cannot be read in (a lost network share,
** removed media, a full disk under a sparse file) as an in-page error;
** wine reports a file cut short from outside as an access violation. A
** vectored handler, first in the process's list, sees either before any
** frame-based handler: inside the thread's armed range it jumps back to
** the guard; anything else goes on, untouched, to the host's handlers.
**
** There are no signal masks. mms_busmask starts MMS_BUS_UNKNOWN in each
** thread, so that its first MMS_ARM calls mms_guard_open, which marks the
** thread in a slot of the system's own thread-local storage and sets
** MMS_BUS_FREE. The handler looks at that slot first: mingw's __thread
** variables are emulated, and the first touch of them in a thread
** allocates memory, which a thread that never used a map and faults
** while it holds the C heap's lock must not be made to do.
** =======================================================
*/

MMS_THREAD mms_guard *mms_armed;
MMS_THREAD const unsigned char *mms_fault;
MMS_THREAD int mms_busmask;  /* MMS_BUS_UNKNOWN */

static DWORD armed_slot = TLS_OUT_OF_INDEXES;  /* non-NULL: a thread that arms */

void mms_guard_open (void) {
  TlsSetValue(armed_slot, (LPVOID)1);
  mms_busmask = MMS_BUS_FREE;
}


/* Has this thread ever armed a guard? Asked without the C heap and
   without changing the thread's last error, which TlsGetValue clears. */
static int arming_thread (void) {
  DWORD e = GetLastError();
  int yes = TlsGetValue(armed_slot) != NULL;
  SetLastError(e);
  return yes;
}


/* Called by every MMS_DISARM here, for the jump's sake (mm_sys.h): it must
   stay a real call, out of line, in this file. */
void mms_guard_close (void) {
}


static LONG CALLBACK on_exception (EXCEPTION_POINTERS *ep) {
  const EXCEPTION_RECORD *r = ep->ExceptionRecord;
  const unsigned char *a;
  mms_guard *g;
  if ((r->ExceptionCode != EXCEPTION_IN_PAGE_ERROR &&
       r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION) ||
      r->NumberParameters < 2)
    return EXCEPTION_CONTINUE_SEARCH;
  if (!arming_thread()) return EXCEPTION_CONTINUE_SEARCH;
  g = mms_armed;
  a = (const unsigned char *)r->ExceptionInformation[1];
  if (g == NULL || a < g->lo || a >= g->hi)
    return EXCEPTION_CONTINUE_SEARCH;
  mms_armed = NULL;
  mms_fault = a;
  __builtin_longjmp(g->env, 1);
}


/*
** Once per process. The library takes a reference to itself that it never
** gives back (GET_MODULE_HANDLE_EX_FLAG_PIN): a host's FreeLibrary cannot
** unload the handler while the system still calls it.
*/
static char self;  /* an address inside this library */

static BOOL CALLBACK install_once (PINIT_ONCE once, PVOID arg, PVOID *ctx) {
  HMODULE mod;
  (void)once; (void)arg; (void)ctx;
  if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_PIN |
                          GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, &self, &mod))
    return FALSE;
  if ((armed_slot = TlsAlloc()) == TLS_OUT_OF_INDEXES)
    return FALSE;
  return AddVectoredExceptionHandler(1, on_exception) != NULL;
}


int mms_guard_install (void) {
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  return InitOnceExecuteOnce(&once, install_once, NULL, NULL) ? 0 : failed();
}

/* }====================================================== */


/*
** {======================================================
** Waiting on a word (contract: mm_sys.h). Windows' WaitOnAddress does not
** reach other processes, so wait polls (mm_atomic.c), as on a POSIX system
** without a futex.
** =======================================================
*/

int mms_wait (const void *addr, uint32_t expected, int shared, int64_t ns) {
  (void)addr; (void)expected; (void)shared; (void)ns;
  return MMS_NOWAIT;
}


int mms_notify (const void *addr, int shared, int count) {
  (void)addr; (void)shared; (void)count;
  return 0;  /* pollers notice the change of the word themselves */
}


int64_t mms_clock (void) {
  LARGE_INTEGER c, f;
  QueryPerformanceCounter(&c);
  QueryPerformanceFrequency(&f);
  return (c.QuadPart / f.QuadPart) * 1000000000 +
         (c.QuadPart % f.QuadPart) * 1000000000 / f.QuadPart;
}


void mms_nap (int64_t ns) {
  Sleep((DWORD)((ns + 999999) / 1000000));  /* whole milliseconds */
}

/* }====================================================== */
