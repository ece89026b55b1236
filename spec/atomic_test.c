/*
** atomic_test.c: atomics, wait and notify between threads of one C host
** that embeds Lua (doc/mmap.md §12, "Sharing a map"). Run from the
** repository root (it loads ./mmap.so, or what MMAP_CPATH names, through
** require, so that make check-asan runs the sanitizer build). Prints TAP
** lines for spec/run; exits non-zero on any failure.
**
**   counts    two threads, each with its own lua_State and its own map of
**             one file, add 1 to counters of every width 100,000 times
**             each: the totals are exact
**   pingpong  the two states hand a turn back and forth 10,000 times with
**             wait and notify on the shared file's word
**   private   a private anonymous map: its waits and notifies meet those of
**             another thread made with the raw futex calls of a private
**             word; a shared map's do not meet private ones
** A hang fails: every wait has a timeout, and an alarm ends the process.
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE  /* syscall */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#if defined(__linux__)
#include <linux/futex.h>
#endif

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#define CTEST_NAME "atomic"
#include "ctest.h"




/* Run code with arguments path and n; its string result (copied into
   out), or the error message there and -1. */
static int run_lua (lua_State *L, const char *code, const char *path,
                    long n, char *out, size_t size) {
  int ok = luaL_loadstring(L, code) == 0;
  if (ok) {
    lua_pushstring(L, path);
    lua_pushinteger(L, n);
    ok = lua_pcall(L, 2, 1, 0) == 0;
  }
  snprintf(out, size, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
  lua_pop(L, 1);
  if (!ok) fprintf(stderr, "# %s\n", out);
  return ok ? 0 : -1;
}


/* {====================================================== two states */

#define COUNT 100000
#define ROUNDS 10000
#define ROUNDS_S "10000"  /* the same, for the chunk */

/* Both threads count in at word 0 and go on when both have. */
#define BARRIER \
  "local function barrier(mm)\n" \
  "  mm:atomic_add(0, 1, 'i4') mm:notify(0)\n" \
  "  local v = mm:atomic_load(0, 'i4')\n" \
  "  while v < 2 do mm:wait(0, v, 1) v = mm:atomic_load(0, 'i4') end\n" \
  "end\n"

static const char *const counts_chunk =
  "local path, n = ...\n"
  "local mm = assert(require('mmap').open(path, 'r+'))\n"
  BARRIER
  "barrier(mm)\n"
  "for _ = 1, n do\n"
  "  mm:atomic_add(8, 1, 'i1') mm:atomic_add(10, 1, 'I2')\n"
  "  mm:atomic_add(12, 1, 'i4') mm:atomic_add(16, 1, 'j')\n"
  "  mm:atomic_sub(24, 1, 'J')\n"
  "end\n"
  "mm:close()\n"
  "return 'done'\n";

static const char *const pingpong_chunk =
  "local path, me = ...\n"
  "local mm = assert(require('mmap').open(path, 'r+'))\n"
  BARRIER
  "barrier(mm)\n"
  "for i = 1, " ROUNDS_S " do\n"
  "  local want = 2 * (i - 1) + me\n"
  "  local v = mm:atomic_load(32, 'i4')\n"
  "  while v ~= want do\n"
  "    if mm:wait(32, v, 30) == 'timed-out' then return 'timed out' end\n"
  "    v = mm:atomic_load(32, 'i4')\n"
  "  end\n"
  "  mm:atomic_add(32, 1, 'i4') mm:notify(32)\n"
  "end\n"
  "mm:close()\n"
  "return 'done'\n";

typedef struct job {
  const char *code;
  const char *path;
  long n;
  char out[256];
} job;

static void *worker (void *arg) {
  job *j = (job *)arg;
  lua_State *L = newstate();
  run_lua(L, j->code, j->path, j->n, j->out, sizeof j->out);
  lua_close(L);
  return NULL;
}

/* Run code in two threads, each with its own state; 1 if both said done. */
static int two_states (const char *code, const char *path, long n0,
                       long n1) {
  pthread_t t[2];
  job jobs[2];
  int i;
  for (i = 0; i < 2; i++) {
    jobs[i].code = code;
    jobs[i].path = path;
    jobs[i].n = i == 0 ? n0 : n1;
    strcpy(jobs[i].out, "not run");
    pthread_create(&t[i], NULL, worker, &jobs[i]);
  }
  for (i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  return strcmp(jobs[0].out, "done") == 0 && strcmp(jobs[1].out, "done") == 0;
}

/* A file of 64 zero bytes; 0, or -1 with the reason printed. */
static int zeros (const char *path) {
  FILE *f = fopen(path, "wb");
  static const unsigned char z[64];
  if (f == NULL || fwrite(z, 1, sizeof z, f) != sizeof z) {
    perror(path);
    if (f) fclose(f);
    return -1;
  }
  return fclose(f);
}

static int read_file (const char *path, unsigned char *buf, size_t n) {
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(buf, 1, n, f) : 0;
  if (f) fclose(f);
  return got == n ? 0 : -1;
}

static void test_counts (const char *path) {
  unsigned char b[64];
  int8_t i1; uint16_t u2; int32_t i4; int64_t j, J;
  int done;
  if (zeros(path) != 0) { check(0, "two states: a file to share"); return; }
  done = two_states(counts_chunk, path, COUNT, COUNT);
  check(done, "two states, two threads: both ran their 100,000 additions");
  if (read_file(path, b, sizeof b) != 0) { check(0, "read the file back"); return; }
  memcpy(&i1, b + 8, 1); memcpy(&u2, b + 10, 2); memcpy(&i4, b + 12, 4);
  memcpy(&j, b + 16, 8); memcpy(&J, b + 24, 8);
  check(i1 == (int8_t)(uint8_t)(2 * COUNT % 256), "'i1' wrapped to the exact count");
  check(u2 == (uint16_t)(2 * COUNT % 65536), "'I2' wrapped to the exact count");
  check(i4 == 2 * COUNT, "'i4' exact");
  check(j == 2 * COUNT, "'j' exact");
  check(J == -2 * COUNT, "'J' wrapped below 0 to the exact count");
}

static void test_pingpong (const char *path) {
  unsigned char b[64];
  int32_t w;
  if (zeros(path) != 0) { check(0, "two states: a file to share"); return; }
  check(two_states(pingpong_chunk, path, 0, 1),
        "two states: 10,000 round trips of wait and notify, no wait timed out");
  if (read_file(path, b, sizeof b) != 0) { check(0, "read the file back"); return; }
  memcpy(&w, b + 32, 4);
  check(w == 2 * ROUNDS, "the turn word counts every move");
}

/* }====================================================== */


/* {====================================================== private words */

#if defined(SYS_futex) && defined(FUTEX_WAIT_PRIVATE) && defined(FUTEX_WAKE_PRIVATE)

typedef struct raw {
  uint32_t *word;
  int op;        /* FUTEX_WAIT_PRIVATE or a wake */
  int tries;     /* wakes: how many, a millisecond apart, until one wakes */
  long result;   /* the wait's return (0: woken), or the wake's count */
  int err;
} raw;

/* Sleep a millisecond. */
static void nap (void) {
  struct timespec ts = { 0, 1000000 };
  nanosleep(&ts, NULL);
}

/* A raw futex wait (30 s at most), or wakes until one waiter woke. */
static void *raw_thread (void *arg) {
  raw *r = (raw *)arg;
  if (r->op == FUTEX_WAIT_PRIVATE) {
    struct timespec ts = { 30, 0 };
    r->result = syscall(SYS_futex, r->word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    r->err = r->result == 0 ? 0 : errno;
  }
  else {
    int i;
    r->result = 0;
    for (i = 0; i < r->tries && r->result == 0; i++) {
      r->result = syscall(SYS_futex, r->word, r->op, 1, NULL, NULL, 0);
      if (r->result < 0) { r->err = errno; break; }
      if (r->result == 0) nap();
    }
  }
  return NULL;
}

/* Lua makes the map and hands its address to C. */
static uint32_t *newmap (lua_State *L, const char *flags) {
  char code[256];
  snprintf(code, sizeof code,
           "local mmap = require 'mmap'\n"
           "mm = assert(mmap.mmap(-1, 64, { flags = %s }))\n"
           "return mm:topointer()\n", flags);
  if (luaL_loadstring(L, code) != 0 || lua_pcall(L, 0, 1, 0) != 0) {
    fprintf(stderr, "# %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return NULL;
  }
  {
    uint32_t *p = (uint32_t *)lua_touserdata(L, -1);
    lua_pop(L, 1);
    return p;
  }
}

static void test_private (void) {
  lua_State *L = newstate();
  uint32_t *word = newmap(L, "mmap.MAP_PRIVATE + mmap.MAP_ANONYMOUS");
  pthread_t t;
  raw r;
  char out[256];
  if (word == NULL) { check(0, "a private map"); lua_close(L); return; }
  /* C waits, Lua notifies until it has woken one */
  r.word = word; r.op = FUTEX_WAIT_PRIVATE; r.tries = 0; r.err = 0;
  pthread_create(&t, NULL, raw_thread, &r);
  run_lua(L, "local n, tries = 0, 0\n"
             "while n == 0 and tries < 30000 do\n"
             "  n = mm:notify(0, 1) tries = tries + 1\n"
             "  if n == 0 then mm:wait(4, 0, 0.001) end\n"
             "end\n"
             "return tostring(n)\n", "", 0, out, sizeof out);
  pthread_join(t, NULL);
  check(strcmp(out, "1") == 0 && r.result == 0,
        "private map: notify wakes a thread's private futex wait, and says 1");
  /* Lua waits, C wakes with a private wake: "ok", the word unchanged */
  r.op = FUTEX_WAKE_PRIVATE; r.tries = 30000; r.err = 0;
  pthread_create(&t, NULL, raw_thread, &r);
  run_lua(L, "return mm:wait(0, 0, 30)", "", 0, out, sizeof out);
  pthread_join(t, NULL);
  check(strcmp(out, "ok") == 0 && r.result == 1,
        "private map: wait is woken by a thread's private futex wake");
  lua_close(L);

  /* a shared map: a private wake finds nobody, a shared one the waiter */
  L = newstate();
  word = newmap(L, "mmap.MAP_SHARED + mmap.MAP_ANONYMOUS");
  if (word == NULL) { check(0, "a shared map"); lua_close(L); return; }
  r.word = word; r.op = FUTEX_WAKE_PRIVATE; r.tries = 200; r.err = 0;
  pthread_create(&t, NULL, raw_thread, &r);
  run_lua(L, "return mm:wait(0, 0, 0.5)", "", 0, out, sizeof out);
  pthread_join(t, NULL);
  check(strcmp(out, "timed-out") == 0 && r.result == 0,
        "shared map: a private wake does not reach its wait");
  r.op = FUTEX_WAKE; r.tries = 30000; r.err = 0;
  pthread_create(&t, NULL, raw_thread, &r);
  run_lua(L, "return mm:wait(0, 0, 30)", "", 0, out, sizeof out);
  pthread_join(t, NULL);
  check(strcmp(out, "ok") == 0 && r.result == 1,
        "shared map: a shared wake does");
  lua_close(L);
}

#else

static void test_private (void) {
  printf("ok %d - atomic: private words # SKIP no futex here\n", ++tests);
}

#endif

/* }====================================================== */


int main (void) {
  char dir[] = "/tmp/atomic_test_XXXXXX", path[64];
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/shared", dir);
  alarm(300);  /* a hang fails the suite instead of blocking it */
  test_counts(path);
  test_pingpong(path);
  test_private();
  unlink(path);
  rmdir(dir);
  printf("# atomic_test: %d tests, %d failed\n", tests, failures);
  return failures != 0;
}
