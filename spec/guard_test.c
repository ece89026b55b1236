/*
** guard_test.c: the bus-error guard seen from a C host that embeds Lua.
** Run from the repository root (it loads ./mmap.so through require).
** Prints TAP lines for spec/run; exits non-zero on any failure.
**
**   threads  two pthreads, each with its own lua_State, fault on truncated
**            maps thousands of times; both catch every fault and survive
**   before   a host SIGBUS handler installed before the module: the module's
**            faults never reach it, the host's own faults all do
**   after    the same with the host handler installed after the module
**   default  no host handler: a fault outside the module ends the process
**            with SIGBUS, as it would without the module
** Each handler scenario runs in a child process of its own, since signal
** dispositions belong to the whole process.
*/
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int tests, failures;

static void check (int cond, const char *what) {
  tests++;
  if (!cond) failures++;
  printf("%sok %d - guard: %s\n", cond ? "" : "not ", tests, what);
  fflush(stdout);
}


/* A new state that finds ./mmap.so. */
static lua_State *newstate (void) {
  lua_State *L = luaL_newstate();
  const char *cpath = getenv("MMAP_CPATH");  /* make check-asan sets it */
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, cpath ? cpath : "./?.so");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  return L;
}


/*
** Map a fresh 64 KiB file, truncate it to nothing, touch it n times at
** varying offsets, grow it back and read again. Returns how many of the n
** touches raised the right message, or -1 if anything else went wrong.
*/
static const char *chunk =
  "local path, n = ...\n"
  "local mmap = require 'mmap'\n"
  "local f = io.open(path, 'wb') f:write(('x'):rep(65536)) f:close()\n"
  "local m = assert(mmap.open(path, 'r+'))\n"
  "io.open(path, 'wb'):close()\n"
  "local caught = 0\n"
  "for i = 1, n do\n"
  "  local at = (i * 4099) % 65536\n"
  "  local ok, err = pcall(function() return m[at] end)\n"
  "  if not ok and err:find('bus error at offset ' .. at .. ':', 1, true) then\n"
  "    caught = caught + 1\n"
  "  end\n"
  "end\n"
  "f = io.open(path, 'wb') f:write(('y'):rep(65536)) f:close()\n"
  "if m[100] ~= 121 or m:read(3) ~= 'yyy' then return -1 end\n"
  "m:close() os.remove(path)\n"
  "return caught\n";

/* (0, not LUA_OK: 5.1 and LuaJIT have no such name.) */
static long lua_faults (lua_State *L, const char *path, long n) {
  long r;
  if (luaL_loadstring(L, chunk) != 0) return -1;
  lua_pushstring(L, path);
  lua_pushinteger(L, n);
  if (lua_pcall(L, 2, 1, 0) != 0) {
    fprintf(stderr, "# %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  r = (long)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return r;
}


/* {====================================================== threads */

#define PER_THREAD 20000

typedef struct job {
  char path[64];
  long caught;
} job;

static void *worker (void *arg) {
  job *j = (job *)arg;
  lua_State *L = newstate();
  j->caught = lua_faults(L, j->path, PER_THREAD);
  lua_close(L);
  return NULL;
}

static void test_threads (void) {
  pthread_t t[2];
  job jobs[2];
  int i;
  for (i = 0; i < 2; i++) {
    snprintf(jobs[i].path, sizeof jobs[i].path, "/tmp/guard_test_%ld_%d",
             (long)getpid(), i);
    jobs[i].caught = -2;
    pthread_create(&t[i], NULL, worker, &jobs[i]);
  }
  for (i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  check(jobs[0].caught == PER_THREAD,
        "thread 1: every fault on its truncated map raised, then it read again");
  check(jobs[1].caught == PER_THREAD,
        "thread 2: every fault on its truncated map raised, then it read again");
}

/* }====================================================== */


/* {====================================================== host handlers */

static sigjmp_buf host_env;
static volatile sig_atomic_t host_calls;

static void host_handler (int sig, siginfo_t *si, void *ctx) {
  (void)sig; (void)si; (void)ctx;
  host_calls++;
  siglongjmp(host_env, 1);
}

static void install_host (void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = host_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, NULL);
}

/* A SIGBUS outside the module: a raw map of a truncated file. 1: caught. */
static int raw_fault (void) {
  char path[64];
  int fd, caught;
  volatile unsigned char *p;
  snprintf(path, sizeof path, "/tmp/guard_raw_%ld", (long)getpid());
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, 8192) != 0) return 0;
  p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return 0;
  if (ftruncate(fd, 0) != 0) return 0;
  caught = 0;
  if (sigsetjmp(host_env, 1) == 0) {
    unsigned char c = p[4096];  /* faults: the file is empty now */
    (void)c;
  }
  else
    caught = 1;
  munmap((void *)p, 8192);
  close(fd);
  unlink(path);
  return caught;
}

static void scenario_before (void) {
  lua_State *L;
  install_host();
  L = newstate();
  check(lua_faults(L, "/tmp/guard_before", 100) == 100,
        "host handler installed first: the module's faults raise in Lua");
  check(host_calls == 0, "host handler installed first: it saw none of them");
  check(raw_fault() && host_calls == 1,
        "host handler installed first: it receives the host's own fault");
  lua_close(L);
  check(raw_fault() && host_calls == 2,
        "host handler installed first: still so after lua_close");
}

static void scenario_after (void) {
  lua_State *L = newstate();
  check(lua_faults(L, "/tmp/guard_after", 100) == 100,
        "no host handler yet: the module's faults raise in Lua");
  install_host();
  check(raw_fault() && host_calls == 1,
        "host handler installed after: it receives the host's own fault");
  check(lua_faults(L, "/tmp/guard_after", 100) == 100 && host_calls == 1,
        "host handler installed after: a new map puts the guard back in front");
  check(raw_fault() && host_calls == 2,
        "host handler installed after: the host's faults still reach it");
  lua_close(L);
}

static void scenario_default (void) {
  lua_State *L = newstate();
  lua_faults(L, "/tmp/guard_default", 10);
  raw_fault();  /* no host handler: this must end the process */
  _exit(0);
}

/* Run a scenario in a child; its TAP lines go to our stdout. */
static int in_child (void (*scenario)(void), int *status) {
  pid_t pid;
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    scenario();
    fflush(stdout);
    _exit(failures != 0);
  }
  waitpid(pid, status, 0);
  return pid;
}

/* }====================================================== */


int main (void) {
  int status;
  test_threads();
  in_child(scenario_before, &status);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "scenario 'host handler before' passed in its own process");
  in_child(scenario_after, &status);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "scenario 'host handler after' passed in its own process");
  in_child(scenario_default, &status);
  check(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS,
        "no host handler: a fault outside the module ends the process by SIGBUS");
  printf("1..%d\n", tests);
  return failures != 0;
}
