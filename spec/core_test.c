/*
** core_test.c: the mapping core alone, without Lua, at the limits of
** int64_t. Prints TAP ("ok N - ...", "not ok N - ...") for spec/run.
**
** Maps with a huge size are synthetic (no memory behind them): only the
** functions that must refuse before touching memory are called on them.
**
** The same file builds for Windows (make windows: core_test.exe, run under
** wine by make check-wine): the tests of the core alone are shared; what
** tests the platform layer has a POSIX section and a Windows section.
*/
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <io.h>
#else
#define _GNU_SOURCE  /* MAP_HUGETLB, MAP_HUGE_SHIFT, memfd_create, seals */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm_core.h"
#include "mm_sys.h"

#define MAX INT64_MAX
#define MIN INT64_MIN

static int tests, failures;

static void check (int cond, const char *what) {
  tests++;
  if (!cond) failures++;
  printf("%sok %d - core: %s\n", cond ? "" : "not ", tests, what);
  fflush(stdout);  /* (wine: nothing lost if the process dies) */
}

#ifndef _WIN32
/* {====================================================== POSIX */

/* A check that cannot run in this build: a TAP skip with the reason. */
static void skip (const char *what, const char *why) {
  tests++;
  printf("ok %d - core: %s # SKIP %s\n", tests, what, why);
}

/* make check POSIX_ONLY=1: the objects under test are the portable layer
   alone (spec/run exports MMAP_POSIX_ONLY=1). */
static int posix_only (void) {
  const char *v = getenv("MMAP_POSIX_ONLY");
  return v != NULL && strcmp(v, "1") == 0;
}

/* A failure of the system for lack of memory (EINVAL under valgrind). */
static int out_of_memory (void) {
  return errno == ENOMEM || errno == EINVAL;
}

#define make_temp(path) mkstemp(path)
#define file_size(fd) lseek(fd, 0, SEEK_END)
#define TEMPLATE "/tmp/core_testXXXXXX"

/* Whether the layer under test knows the constant `name`. */
static int layer_knows (const char *name) {
  const mm_const *c;
  for (c = mms_constants; c->name != NULL; c++)
    if (strcmp(c->name, name) == 0) return 1;
  return 0;
}

/* }====================================================== */
#endif

#ifdef _WIN32
/* {====================================================== Windows */

/* The system's code of the last failure (mms_strerror: the layer keeps
   it); 0 when the C library failed instead. */
static int syscode (void) {
  char buf[256];
  int code;
  const char *msg = mms_strerror(errno, buf, sizeof buf, &code);
  return (msg != buf) ? 0 : code;
}

/* Anonymous memory beyond the paging file: the system's code for that
   (not enough memory, a commitment limit, or a size it refuses). */
static int out_of_memory (void) {
  int code = syscode();
  return code == ERROR_NOT_ENOUGH_MEMORY || code == ERROR_OUTOFMEMORY ||
         code == ERROR_COMMITMENT_LIMIT || code == ERROR_INVALID_PARAMETER ||
         code == ERROR_DISK_FULL;
}

/* A new file in the temporary directory, read-write; its name in path. */
static int make_temp (char *path) {
  char dir[MAX_PATH];
  if (GetTempPathA(sizeof dir, dir) == 0 ||
      GetTempFileNameA(dir, "cor", 0, path) == 0)
    return -1;
  return _open(path, _O_RDWR | _O_BINARY);
}

#define file_size(fd) _lseeki64(fd, 0, SEEK_END)
#define write _write
#define close _close
#define unlink _unlink
#define TEMPLATE ""

/* }====================================================== */
#endif

/* A map that claims `size` bytes and has none: for refusals only. */
static mm_map fake (size_t size, int64_t offset) {
  mm_map m;
  memset(&m, 0, sizeof m);
  m.data = NULL;
  m.size = size;
  m.offset = offset;
  m.fd = -1;
  m.trackfd = 1;
  m.access = MM_ACCESS_WRITE;
  m.prot = mms_prot_read | mms_prot_write;
  m.flags = mms_map_shared;
  return m;
}

/* mm_create with Python's defaults but for the descriptor, length, offset. */
static int create (mm_map *m, int fd, int64_t length, int64_t offset) {
  mm_params p;
  mm_defaults(&p);
  p.fd = fd;
  p.length = length;
  p.offset = offset;
  return mm_create(m, &p);
}

static void test_create (void) {
  mm_map m;
  char path[300] = TEMPLATE;
  int fd = make_temp(path);
  check(fd >= 0 && write(fd, "0123456789", 10) == 10, "temporary file");
  check(create(&m, fd, MAX, 0)
        == MM_ELENGTHSIZE, "length INT64_MAX on a 10-byte file");
  check(create(&m, fd, 1, MAX)
        == MM_ELENGTHSIZE, "offset INT64_MAX with length 1");
  check(create(&m, fd, 0, MAX)
        == MM_EOFFSETSIZE, "offset INT64_MAX with length 0");
  check(create(&m, fd, MIN, 0)
        == MM_ELENGTHNEG, "length INT64_MIN");
  check(create(&m, fd, 0, MIN)
        == MM_EOFFSETNEG, "offset INT64_MIN");
  check(create(&m, -1, MAX, 0)
        == MM_EOS && out_of_memory(),
        "anonymous INT64_MAX is an OS error, for lack of memory");
  check(m.data == NULL && m.fd == -1, "a failed create holds nothing");
  check(create(&m, fd, 0, 0) == MM_OK
        && m.size == 10, "whole file");
  check(mm_resize(&m, MAX) == MM_EOS, "resize to INT64_MAX fails cleanly");
  check(m.size == 10 && file_size(fd) == 10,
        "failed resize leaves map and file as they were");
  mm_close(&m);
  mm_close(&m);
  check(m.data == NULL && m.fd == -1, "close is idempotent");
  close(fd);
  unlink(path);
}

static void test_index_seek (void) {
  mm_map m = fake((size_t)MAX, 0);
  size_t at;
  int64_t pos;
  check(mm_index(&m, -1, &at) == MM_OK && at == (size_t)MAX - 1,
        "index -1 of an INT64_MAX map");
  check(mm_index(&m, MIN, &at) == MM_EINDEX, "index INT64_MIN");
  check(mm_index(&m, MAX, &at) == MM_EINDEX, "index INT64_MAX");
  check(mm_seek(&m, MAX, 0, &pos) == MM_OK && pos == MAX, "seek to the end");
  check(mm_seek(&m, 1, 1, &pos) == MM_ESEEK, "seek past INT64_MAX (cur)");
  check(mm_seek(&m, MAX, 2, &pos) == MM_ESEEK, "seek INT64_MAX from end");
  check(mm_seek(&m, MIN, 1, &pos) == MM_ESEEK, "seek INT64_MIN from cur");
  check(mm_seek(&m, MIN, 2, &pos) == MM_ESEEK, "seek INT64_MIN from end");
  check(mm_seek(&m, -MAX, 2, &pos) == MM_OK && pos == 0, "seek -MAX from end");
  check(mm_seek(&m, 0, 3, &pos) == MM_EWHENCE, "whence 3");
  m.pos = (size_t)MAX - 1;
  check(mm_write(&m, "ab", 2) == MM_EDATA, "write 2 bytes at INT64_MAX");
  m.pos = (size_t)MAX;
  check(mm_write_byte(&m, 1) == MM_EWRITEBYTE, "write_byte at the end");
  check(mm_remaining(&m) == 0, "nothing remains at INT64_MAX");
}

static void test_ranges (void) {
  mm_map m = fake((size_t)MAX, 0), off = fake(100, 4096);
  int64_t zero = 0, one = 1, max = MAX, neg = -1, big = 4096;
  check(mm_move(&m, MAX, 0, 1) == MM_EMOVE, "move dest INT64_MAX");
  check(mm_move(&m, 0, MAX, 1) == MM_EMOVE, "move src INT64_MAX");
  check(mm_move(&m, 1, 1, MAX) == MM_EMOVE, "move count INT64_MAX");
  check(mm_move(&m, MIN, 0, 0) == MM_EMOVE, "move dest INT64_MIN");
  check(mm_flush(&m, &max, &one, NULL) == MM_EFLUSH, "flush offset MAX size 1");
  check(mm_flush(&m, &one, &max, NULL) == MM_EFLUSH, "flush offset 1 size MAX");
  check(mm_flush(&m, &neg, NULL, NULL) == MM_EFLUSH, "flush offset -1");
  check(mm_flush(&m, &zero, &neg, NULL) == MM_EFLUSH, "flush size -1");
  check(mm_advise(&m, 0, &max, NULL) == MM_EADVSTART, "advise start MAX");
  check(mm_advise(&m, 0, &zero, &neg) == MM_EADVLEN, "advise length -1");
  check(mm_advise(&m, 0, &big, &max) == MM_EADVBIG, "advise 4096 + MAX");
  check(mm_resize(&off, MAX) == MM_ENEWSIZE, "resize offset + MAX");
  check(mm_resize(&off, 0) == MM_ENEWSIZE, "resize 0");
  check(mm_resize(&off, MIN) == MM_ENEWSIZE, "resize INT64_MIN");
}

static void test_slices (void) {
  mm_map m = fake((size_t)MAX, 0), s16 = fake(16, 0);
  int64_t max = MAX, min = MIN, zero = 0, m1 = -1, two = 2;
  mm_slice s;
  check(mm_slice_resolve(&m, NULL, NULL, NULL, &s) == MM_OK &&
        s.count == (size_t)MAX && s.start == 0, "whole INT64_MAX slice");
  check(mm_slice_resolve(&m, NULL, NULL, &min, &s) == MM_OK &&
        s.count == 1 && s.start == (size_t)MAX - 1, "step INT64_MIN");
  check(mm_slice_resolve(&m, &max, &min, &m1, &s) == MM_OK &&
        s.count == (size_t)MAX, "reverse over all of INT64_MAX");
  check(mm_slice_resolve(&m, &min, &max, &max, &s) == MM_OK &&
        s.count == 1, "step INT64_MAX");
  check(mm_slice_resolve(&m, NULL, NULL, &zero, &s) == MM_ESTEP, "step 0");
  check(mm_slice_resolve(&s16, &two, NULL, &two, &s) == MM_OK &&
        s.start == 2 && s.count == 7, "[2::2] of 16");
  check(mm_slice_resolve(&s16, &m1, &min, &m1, &s) == MM_OK &&
        s.start == 15 && s.count == 16, "[-1:MIN:-1] of 16");
}

static void test_find (void) {
  mm_map m;
  int64_t found, max = MAX, min = MIN, past = 17, m1 = -1;
  check(create(&m, -1, 16, 0) == MM_OK,
        "anonymous 16 bytes");
  mm_write(&m, "one two ones", 12);
  check(mm_find(&m, "one", 3, &min, &max, 0, &found) == MM_OK && found == 0,
        "find over [MIN, MAX)");
  check(mm_find(&m, "one", 3, &min, &max, 1, &found) == MM_OK && found == 8,
        "rfind over [MIN, MAX)");
  check(mm_find(&m, "", 0, &past, NULL, 0, &found) == MM_OK && found == -1,
        "empty needle past the end");
  check(mm_find(&m, "", 0, &max, NULL, 1, &found) == MM_OK && found == -1,
        "empty needle at INT64_MAX");
  check(mm_find(&m, "s", 1, &m1, NULL, 0, &found) == MM_OK && found == -1,
        "start -1 sees only the last byte");
  mm_close(&m);
}

/* One guarded load of p[at], p[0..len) armed: 1 if it faulted. */
static volatile unsigned char sink;  /* a load valgrind cannot drop */

static int touch_guarded (volatile unsigned char *p, size_t len, size_t at) {
  mms_guard g;
  MMS_ARM(g, (const unsigned char *)p, (const unsigned char *)p + len);
  if (MMS_FAULTED(g)) return 1;
  sink = p[at];
  MMS_DISARM();
  return 0;
}


#ifndef _WIN32
/* {====================================================== POSIX */

/* Lengths given to mmap/mremap/munmap: whole pages, huge ones under
   MAP_HUGETLB (the size named in the flags, or the system's default). */
static void test_mapsize (void) {
  size_t page = mms_pagesize();
  check(mms_mapsize(1, 0) == page, "mapsize rounds 1 up to a page");
  check(mms_mapsize(page, 0) == page, "mapsize keeps a whole page");
  check(mms_mapsize(SIZE_MAX, 0) == 0, "mapsize: SIZE_MAX overflows to 0");
#if defined(MAP_HUGETLB) && defined(MAP_HUGE_SHIFT)
  if (!layer_knows("MAP_HUGETLB"))  /* the headers it was built with hid it */
    skip("mapsize of huge pages", "needs MAP_HUGETLB, which the "
         "POSIX_ONLY build leaves out");
  else {
    int huge2m = MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
    int huge1g = MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);
    check(mms_mapsize(100, huge2m) == (size_t)2 << 20,
          "mapsize: 100 bytes of 2 MiB huge pages is one");
    check(mms_mapsize(((size_t)2 << 20) + 1, huge2m) == (size_t)4 << 20,
          "mapsize: one byte past a 2 MiB huge page is two");
    check(mms_mapsize(5, huge1g) == (size_t)1 << 30,
          "mapsize: 1 GiB huge pages");
    check(mms_mapsize(SIZE_MAX - 5, huge2m) == 0,
          "mapsize: rounding near SIZE_MAX overflows to 0");
    check(mms_mapsize(100, MAP_HUGETLB) % page == 0 &&
          mms_mapsize(100, MAP_HUGETLB) >= page,
          "mapsize: the default huge page size is whole pages");
  }
#endif
}


/*
** A shrinking resize whose ftruncate fails must remap the map back: the
** file here is a memfd sealed against shrinking (F_SEAL_SHRINK), so the
** kernel refuses the second step after the first succeeded.
*/
static void test_shrink_undone (void) {
  mm_map m;
  size_t page = mms_pagesize(), i;
  char buf[3 * 4096];
  int fd = memfd_create("core_test", MFD_ALLOW_SEALING), same = 1;
  if (fd < 0 || page > 4096) {  /* no memfd here: nothing to check */
    check(1, "shrink undone: skipped (no memfd or large pages)");
    return;
  }
  memset(buf, 'r', sizeof buf);
  check(write(fd, buf, 3 * page) == (ssize_t)(3 * page) &&
        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0, "sealed memfd");
  check(create(&m, fd, 0, 0) == MM_OK,
        "map of the sealed memfd");
  check(mm_resize(&m, (int64_t)page) == MM_EOS && errno == EPERM,
        "shrink refused by the seal: EPERM");
  check(m.size == 3 * page && lseek(fd, 0, SEEK_END) == (off_t)(3 * page),
        "shrink undone: map and file keep their size");
  memset(buf, 0, sizeof buf);
  check(m.size == 3 * page && mm_copyout(&m, 0, 3 * page, buf) == MM_OK,
        "every byte still reads");  /* (copyout trusts its bounds) */
  for (i = 0; i < 3 * page; i++) same &= buf[i] == 'r';
  check(same, "shrink undone: every byte is as it was");
  check(mm_resize(&m, (int64_t)(4 * page)) == MM_OK && m.size == 4 * page,
        "growing still works on the sealed file");
  mm_close(&m);
  close(fd);
}


/*
** The guard takes a SIGSEGV inside its range as it takes a SIGBUS (some
** systems report lost pages so): a PROT_NONE page stands in for one here.
** A thread that blocks SIGSEGV gets it unblocked while armed, and blocked
** again afterwards.
*/

static void test_guard_segv (void) {
  size_t page = mms_pagesize();
  void *sys;
  sigset_t segv, mask;
  unsigned char *p = mms_map(2 * page, mms_prot_read | mms_prot_write,
                             mms_map_private | mms_map_anonymous, -1, 0, NULL, &sys);
  check(p != NULL && mprotect(p + page, page, PROT_NONE) == 0 &&
        mms_guard_install() == 0, "a page, then a PROT_NONE page");
  if (p == NULL) return;
  check(touch_guarded(p, 2 * page, page + 5) == 1 &&
        mms_fault == p + page + 5 && mms_armed == NULL,
        "guard: a SIGSEGV inside the armed range is caught, at its address");
  check(touch_guarded(p, 2 * page, 5) == 0, "guard: the readable page reads");
  sigemptyset(&segv);
  sigaddset(&segv, SIGSEGV);
  pthread_sigmask(SIG_BLOCK, &segv, NULL);
  mms_guard_install();  /* the mask is read again at the next access */
  check(touch_guarded(p, 2 * page, page) == 1,
        "guard: caught too where the thread blocks SIGSEGV");
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  check(sigismember(&mask, SIGSEGV) == 1,
        "guard: SIGSEGV is blocked again afterwards");
  pthread_sigmask(SIG_UNBLOCK, &segv, NULL);
  mms_unmap(p, 2 * page, sys);
}


/*
** mms_remap where the system has no mremap (the POSIX_ONLY build): a
** shared anonymous map cannot grow (ENOTSUP) and stays; a private file
** map whose file another process cut short fails (EFAULT) and stays. With
** mremap, both grow.
*/
static void test_remap (void) {
  size_t page = mms_pagesize();
  void *sys;
  int shared = mms_map_shared | mms_map_anonymous, rw = PROT_READ | PROT_WRITE;
  int fd, fd2, moved;
  char path[] = "/tmp/core_remapXXXXXX";
  unsigned char *p = mms_map(page, rw, shared, -1, 0, NULL, &sys), *q;
  check(p != NULL, "remap: a shared anonymous page");
  if (p == NULL) return;
  p[0] = 's';
  errno = 0;
  q = mms_remap(p, page, 2 * page, rw, shared, -1, 0, NULL, &sys);
  if (posix_only())
    check(q == NULL && errno == ENOTSUP && p[0] == 's',
          "remap without mremap: shared anonymous growth is ENOTSUP, "
          "the map stays");
  else
    check(q != NULL && q[0] == 's', "remap with mremap: shared anonymous "
          "memory grows");
  mms_unmap(q != NULL ? q : p, q != NULL ? 2 * page : page, sys);

  fd = mkstemp(path);
  fd2 = open(path, O_RDWR);
  check(fd >= 0 && fd2 >= 0 && ftruncate(fd, (off_t)(4 * page)) == 0,
        "remap: a 4-page file");
  p = mms_map(3 * page, rw, mms_map_private, fd, 0, NULL, &sys);
  check(p != NULL, "remap: a private map of 3 pages");
  if (p != NULL) {
    p[0] = 'p';  /* (the cut takes away private copies past it too) */
    check(ftruncate(fd2, (off_t)page) == 0, "another descriptor cuts "
          "the file to 1 page");
    errno = 0;
    q = mms_remap(p, 3 * page, 4 * page, rw, mms_map_private, fd, 0, NULL, &sys);
    moved = q != NULL;
    if (posix_only())
      check(q == NULL && errno == EFAULT && p[0] == 'p',
            "remap without mremap: the copy faults, EFAULT, the map stays "
            "with its private bytes");
    else
      check(q != NULL && q[0] == 'p',
            "remap with mremap: the private map grows with its bytes");
    mms_unmap(moved ? q : p, moved ? 4 * page : 3 * page, sys);
  }
  close(fd);
  close(fd2);
  unlink(path);
}

/* }====================================================== */
#else
/* {====================================================== Windows */

/* A view is exactly as long as asked: there is nothing to round. */
static void test_mapsize (void) {
  size_t page = mms_pagesize();
  check(mms_mapsize(1, 0) == 1 && mms_mapsize(page + 1, 0) == page + 1,
        "mapsize: a view is as long as asked");
  check(mms_pagesize() == 4096 && mms_granularity() == 65536,
        "pages of 4 KiB, offsets in steps of 64 KiB");
}


/*
** The guard takes an access violation inside its range (what wine raises
** for a page its file lost; an in-page error is taken the same way): a
** PAGE_NOACCESS page stands in for one here.
*/
static void test_guard_segv (void) {
  size_t page = mms_pagesize();
  void *sys;
  DWORD old;
  unsigned char *p = mms_map(2 * page, mms_prot_read | mms_prot_write,
                             mms_map_private | mms_map_anonymous, -1, 0, NULL, &sys);
  check(p != NULL && VirtualProtect(p + page, page, PAGE_NOACCESS, &old) &&
        mms_guard_install() == 0, "a page, then a PAGE_NOACCESS page");
  if (p == NULL) return;
  check(touch_guarded(p, 2 * page, page + 5) == 1 &&
        mms_fault == p + page + 5 && mms_armed == NULL,
        "guard: an access violation inside the armed range is caught, at "
        "its address");
  check(touch_guarded(p, 2 * page, 5) == 0, "guard: the readable page reads");
  check(touch_guarded(p, 2 * page, 2 * page - 1) == 1 &&
        mms_fault == p + 2 * page - 1, "guard: caught again, at the last byte");
  check(mms_guard_install() == 0, "guard: a second install is harmless");
  check(touch_guarded(p, 2 * page, page) == 1 && mms_fault == p + page,
        "guard: still one handler that catches");
  mms_unmap(p, 2 * page, sys);
}


/*
** mms_remap: memory of the paging file without a tagname is a new section
** with the old bytes; with a tagname (other maps share it by name) and for
** a file (mm_core.c resizes those by unmapping) it is refused, the map as
** it was.
*/
static void test_remap (void) {
  size_t page = mms_pagesize();
  void *sys, *sys2;
  int anon = mms_map_shared | mms_map_anonymous;
  int rw = mms_prot_read | mms_prot_write;
  unsigned char *p = mms_map(page, rw, anon, -1, 0, NULL, &sys), *q, *t;
  check(p != NULL, "remap: a page of the paging file");
  if (p == NULL) return;
  p[0] = 's';
  p[page - 1] = 'e';
  q = mms_remap(p, page, 3 * page, rw, anon, -1, 0, NULL, &sys);
  check(q != NULL && q[0] == 's' && q[page - 1] == 'e' && q[page] == 0 &&
        q[3 * page - 1] == 0, "remap: it grows by a copy that keeps the bytes");
  if (q != NULL) p = q;
  q = mms_remap(p, 3 * page, 10, rw, anon, -1, 0, NULL, &sys);
  check(q != NULL && q[0] == 's', "remap: and shrinks");
  if (q != NULL) p = q;
  mms_unmap(p, 10, sys);

  p = mms_map(page, rw, anon, -1, 0, "core_test_remap", &sys);
  t = mms_map(page, rw, anon, -1, 0, "core_test_remap", &sys2);
  check(p != NULL && t != NULL, "remap: two maps of one tagname");
  if (p == NULL || t == NULL) return;
  p[1] = 't';
  errno = 0;
  q = mms_remap(p, page, 2 * page, rw, anon, -1, 0, "core_test_remap", &sys);
  check(q == NULL && syscode() == ERROR_NOT_SUPPORTED,
        "remap: a tagname refuses, ERROR_NOT_SUPPORTED");
  t[2] = 'u';
  check(p[1] == 't' && p[2] == 'u' && t[1] == 't',
        "remap: the refused map still shares its tagname's bytes");
  mms_unmap(p, page, sys);
  mms_unmap(t, page, sys2);
}


/* A file of n bytes of `c`; its descriptor, its name in path. */
static int filled (char *path, size_t n, int c) {
  char buf[4096];
  int fd = make_temp(path);
  size_t k;
  memset(buf, c, sizeof buf);
  for (k = 0; fd >= 0 && k < n; k += sizeof buf)
    if (write(fd, buf, (unsigned)(n - k < sizeof buf ? n - k : sizeof buf)) < 0)
      return -1;
  return fd;
}


/*
** Windows will not cut a file short while a view of it exists: a shrink
** under a second map returns the system's error (ERROR_USER_MAPPED_FILE),
** and the map is back, the same length and bytes, still usable; once the
** other map is gone it shrinks.
*/
static void test_second_view (void) {
  mm_map m, other;
  char path[300], buf[3 * 4096];
  size_t page = mms_pagesize(), i;
  int fd = filled(path, 3 * page, 'r'), same = 1;
  check(fd >= 0 && create(&m, fd, 0, 0) == MM_OK &&
        create(&other, fd, 0, 0) == MM_OK, "two maps of a 3-page file");
  if (fd < 0) return;
  m.pos = 7;
  check(mm_resize(&m, (int64_t)page) == MM_EOS &&
        syscode() == ERROR_USER_MAPPED_FILE,
        "shrink under a second view: ERROR_USER_MAPPED_FILE");
  check(m.data != NULL && m.size == 3 * page && m.pos == 7 &&
        file_size(fd) == (int64_t)(3 * page),
        "shrink refused: map and file keep their size");
  memset(buf, 0, sizeof buf);
  check(mm_copyout(&m, 0, 3 * page, buf) == MM_OK, "every byte still reads");
  for (i = 0; i < 3 * page; i++) same &= buf[i] == 'r';
  check(same, "shrink refused: every byte is as it was");
  m.data[100] = 'w';
  check(other.data[100] == 'w', "shrink refused: still a map of the file");
  mm_close(&other);
  check(mm_resize(&m, (int64_t)page) == MM_OK && m.size == page &&
        file_size(fd) == (int64_t)page && m.data[100] == 'w',
        "with the other view closed the shrink works");
  check(mm_resize(&m, (int64_t)(2 * page)) == MM_OK && m.size == 2 * page &&
        m.data[page] == 0 && file_size(fd) == (int64_t)(2 * page),
        "and it grows again, zeros past the old end");
  mm_close(&m);
  close(fd);
  unlink(path);
}


/* Offsets: a multiple of the granularity maps those bytes; a page is not
   enough (ERROR_MAPPED_ALIGNMENT), and nothing is held after it. */
static void test_offsets (void) {
  mm_map m;
  char path[300];
  size_t gran = mms_granularity();
  int fd = filled(path, 2 * gran, 'o');
  check(fd >= 0 && _lseeki64(fd, (int64_t)gran, SEEK_SET) == (int64_t)gran &&
        write(fd, "second", 6) == 6, "a file of two granules");
  if (fd < 0) return;
  check(create(&m, fd, 6, (int64_t)gran) == MM_OK && m.size == 6 &&
        memcmp(m.data, "second", 6) == 0, "offset 64 KiB maps its bytes");
  mm_close(&m);
  check(create(&m, fd, 6, (int64_t)mms_pagesize()) == MM_EOS &&
        syscode() == ERROR_MAPPED_ALIGNMENT && m.data == NULL && m.sys == NULL,
        "offset 4 KiB: ERROR_MAPPED_ALIGNMENT, nothing held");
  close(fd);
  check(unlink(path) == 0, "the file goes: no handle was left on it");
}

/* }====================================================== */
#endif


int main (void) {
  test_guard_segv();
  test_remap();
  test_mapsize();
#ifdef _WIN32
  test_second_view();
  test_offsets();
#else
  test_shrink_undone();
#endif
  test_create();
  test_index_seek();
  test_ranges();
  test_slices();
  test_find();
  printf("1..%d\n", tests);
  return failures != 0;
}
