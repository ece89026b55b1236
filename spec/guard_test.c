/*
** guard_test.c: the bus-error guard seen from a C host that embeds Lua
** (doc/mmap.md §13). Run from the repository root (it loads ./mmap.so, or
** what MMAP_CPATH names, through require). Prints TAP lines for spec/run;
** exits non-zero on any failure.
**
**   threads   two pthreads, each with its own lua_State, fault on truncated
**             maps thousands of times; both catch every fault and survive
**   before    a host SIGBUS handler installed before the module: the module's
**             faults never reach it, the host's own faults all do
**   after     the same with the host handler installed after the module
**   default   no host handler: a fault outside the module ends the process
**             with SIGBUS, as it would without the module
**   masked    threads that block every signal (the host's choice) still get
**             their faults raised in Lua, and their mask back unchanged
**   exec      a Lua interpreter started with SIGBUS blocked by its parent
**   chain     a host handler installed after the module that passes every
**             SIGBUS on to the handler it replaced (the module's): a kill
**             or a foreign fault reaches it once and then ends the process,
**             and the module's faults that pass through it are still caught
**   ignored   SIGBUS ignored by the host: a real fault outside the module
**             still ends the process, as the kernel would
**   segv      the guard takes SIGSEGV as well: a host's own segmentation
**             faults still reach its handler (installed before or after),
**             its chaining handler once, or the default action
** Each scenario that touches signal dispositions or masks runs in a child
** process of its own, with an alarm so that a hang fails instead of
** blocking the suite. Every file lives in one mkdtemp directory, removed at
** the end, whatever the children left.
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS */
#include <dirent.h>
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

#define CTEST_NAME "guard"
#include "ctest.h"


/* {====================================================== files */

static char dir[] = "/tmp/guard_test_XXXXXX";

/* dir/name, with the pid of the caller when `own` (names of children). */
static const char *tmppath (char *buf, size_t size, const char *name, int own) {
  if (own)
    snprintf(buf, size, "%s/%s_%ld", dir, name, (long)getpid());
  else
    snprintf(buf, size, "%s/%s", dir, name);
  return buf;
}

/* Remove the directory and whatever the scenarios (or their dead
   children) left in it. */
static void remove_dir (void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];
  if (d == NULL) return;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

/* }====================================================== */




/* Run `code` with the given string argument; its integer result, or -1
   with the error printed as a TAP comment. (0, not LUA_OK: 5.1 and LuaJIT
   have no such name.) */
static long run_lua (lua_State *L, const char *code, const char *arg,
                     long n) {
  long r;
  if (luaL_loadstring(L, code) != 0) {
    fprintf(stderr, "# %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  lua_pushstring(L, arg);
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

static long lua_faults (lua_State *L, const char *path, long n) {
  return run_lua(L, chunk, path, n);
}


/* {====================================================== threads */

#define PER_THREAD 20000

typedef struct job {
  char path[128];
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
    tmppath(jobs[i].path, sizeof jobs[i].path, i == 0 ? "thread1" : "thread2", 0);
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

/* A SIGBUS outside the module: a raw map of a truncated file. 1: caught
   by host_handler. */
static int raw_fault (void) {
  char path[128];
  int fd, caught;
  volatile unsigned char *p;
  tmppath(path, sizeof path, "raw", 1);
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
  char path[128];
  tmppath(path, sizeof path, "before", 1);
  install_host();
  L = newstate();
  check(lua_faults(L, path, 100) == 100,
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
  char path[128];
  tmppath(path, sizeof path, "after", 1);
  check(lua_faults(L, path, 100) == 100,
        "no host handler yet: the module's faults raise in Lua");
  install_host();
  check(raw_fault() && host_calls == 1,
        "host handler installed after: it receives the host's own fault");
  check(lua_faults(L, path, 100) == 100 && host_calls == 1,
        "host handler installed after: a new map puts the guard back in front");
  check(raw_fault() && host_calls == 2,
        "host handler installed after: the host's faults still reach it");
  lua_close(L);
}

static void scenario_default (void) {
  lua_State *L = newstate();
  char path[128];
  lua_faults(L, tmppath(path, sizeof path, "default", 1), 10);
  raw_fault();  /* no host handler: this must end the process */
  _exit(0);
}

/* }====================================================== */


/* {====================================================== masked threads */

/* 1 when the calling thread's mask is `want`, signal by signal. */
static int same_mask (const sigset_t *want) {
  sigset_t cur;
  int s;
  pthread_sigmask(SIG_BLOCK, NULL, &cur);
  for (s = 1; s < 65; s++)
    if (sigismember(&cur, s) != sigismember(want, s)) return 0;
  return 1;
}

typedef struct masked {
  int late;      /* 1: use maps unmasked first, then block everything */
  long caught;
  int kept;      /* the mask was the host's after every call */
} masked;

/*
** A thread that blocks every signal, as hosts do that leave signals to one
** thread of their own. With `late`, it first uses maps with nothing blocked
** (the guard reads its mask then), and blocks everything afterwards: the
** new map it makes then is what lets the guard notice.
*/
static void *masked_worker (void *arg) {
  masked *w = (masked *)arg;
  lua_State *L = newstate();
  sigset_t all;
  char path[128];
  tmppath(path, sizeof path, w->late ? "late" : "masked", 1);
  sigfillset(&all);
  if (w->late && lua_faults(L, path, 10) != 10) {
    lua_close(L);
    return NULL;
  }
  pthread_sigmask(SIG_SETMASK, &all, NULL);
  pthread_sigmask(SIG_BLOCK, NULL, &all);  /* what the system kept of it */
  w->caught = lua_faults(L, path, 1000);
  w->kept = same_mask(&all);
  w->caught += lua_faults(L, path, 1000);
  w->kept = w->kept && same_mask(&all);
  lua_close(L);
  return NULL;
}

static void scenario_masked (void) {
  masked w[2];
  pthread_t t;
  int i;
  alarm(60);
  for (i = 0; i < 2; i++) {
    w[i].late = i;
    w[i].caught = -2;
    w[i].kept = 0;
    pthread_create(&t, NULL, masked_worker, &w[i]);
    pthread_join(t, NULL);
  }
  check(w[0].caught == 2000,
        "a thread that blocks every signal: each fault raises in Lua");
  check(w[0].kept, "a thread that blocks every signal: its mask is kept");
  check(w[1].caught == 2000,
        "a thread that blocks every signal after using maps: a new map "
        "makes the guard notice, each fault raises in Lua");
  check(w[1].kept, "a thread that blocks every signal later: its mask is kept");
}

/*
** A Lua interpreter whose parent blocked SIGBUS before exec: the fault
** raises, and SIGBUS is blocked again afterwards (from /proc/self/status;
** SIGBUS is bit 7 - 1 of SigBlk). Exit status 0 when both hold.
*/
static const char *exec_chunk =
  "package.cpath = os.getenv('MMAP_CPATH') or './?.so'\n"
  "local path = os.getenv('GUARD_PATH')\n"
  "local mmap = require 'mmap'\n"
  "local f = io.open(path, 'wb') f:write(('x'):rep(65536)) f:close()\n"
  "local m = assert(mmap.open(path, 'r+'))\n"
  "io.open(path, 'wb'):close()\n"
  "local ok, err = pcall(function() return m[5000] end)\n"
  "local raised = not ok and err:find('bus error at offset 5000:', 1, true)\n"
  "local s = io.open('/proc/self/status'):read('*a')\n"
  "local blk = tonumber(s:match('SigBlk:%s*%x-(%x%x)\\n'), 16)\n"
  "m:close() os.remove(path)\n"
  "if not raised then io.stderr:write('# ', tostring(err), '\\n') end\n"
  "os.exit((raised and math.floor(blk / 64) % 2 == 1) and 0 or 3)\n";

static void scenario_exec (void) {
  sigset_t bus;
  char path[128];
  const char *lua = getenv("LUA");
  sigemptyset(&bus);
  sigaddset(&bus, SIGBUS);
  sigprocmask(SIG_BLOCK, &bus, NULL);
  setenv("GUARD_PATH", tmppath(path, sizeof path, "exec", 1), 1);
  alarm(60);  /* kept across exec */
  execlp(lua ? lua : "lua5.4", lua ? lua : "lua5.4", "-e", exec_chunk,
         (char *)NULL);
  _exit(4);
}

/* }====================================================== */


/* {====================================================== chaining hosts */

/* Counts in memory shared with the parent: a child may die by SIGBUS. */
static volatile int *shared;

static struct sigaction replaced;  /* what the chaining host replaced */

/* A host handler that passes every SIGBUS on to the one it replaced, as
   crash reporters and virtual machines do. Installed without SA_NODEFER:
   SIGBUS is blocked while it runs. */
static void chaining_handler (int sig, siginfo_t *si, void *ctx) {
  shared[0]++;
  if ((replaced.sa_flags & SA_SIGINFO) && replaced.sa_handler != SIG_DFL &&
      replaced.sa_handler != SIG_IGN)
    replaced.sa_sigaction(sig, si, ctx);
  else if (replaced.sa_handler != SIG_DFL && replaced.sa_handler != SIG_IGN)
    replaced.sa_handler(sig);
  else {
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

static void install_chaining (void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = chaining_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, &replaced);
}

/* The module is installed, the host chains after it, a new map puts the
   module back in front: a kill -BUS must reach the host once, then end
   the process as the host's fallback (the default) would. */
static void scenario_chain_kill (void) {
  lua_State *L = newstate();
  char path[128];
  alarm(10);
  tmppath(path, sizeof path, "chain_kill", 1);
  lua_faults(L, path, 10);
  install_chaining();
  shared[1] = (int)lua_faults(L, path, 10);  /* the module back in front */
  shared[2] = shared[0];
  kill(getpid(), SIGBUS);
  _exit(0);
}

/* The same with a fault outside the module. */
static void scenario_chain_fault (void) {
  lua_State *L = newstate();
  char path[128];
  alarm(10);
  tmppath(path, sizeof path, "chain_fault", 1);
  lua_faults(L, path, 10);
  install_chaining();
  lua_faults(L, path, 10);
  raw_fault();
  _exit(0);
}

/*
** Faults of the module that reach it through the chaining host (the host
** is in front: no map made since it was installed). The host runs with
** SIGBUS blocked; the module's jump out of it must not leave it blocked,
** or the next fault would end the process.
*/
static const char *map_chunk =
  "local path = ...\n"
  "local f = io.open(path, 'wb') f:write(('x'):rep(65536)) f:close()\n"
  "m = assert(require('mmap').open(path, 'r+'))\n"
  "io.open(path, 'wb'):close()\n"
  "return 0\n";
static const char *fault_chunk =
  "local ok, err = pcall(function() return m[7000] end)\n"
  "return (not ok and err:find('bus error at offset 7000:', 1, true)) and 1 or 0\n";

static void scenario_chain_mask (void) {
  lua_State *L = newstate();
  char path[128];
  sigset_t mask;
  int i, caught = 0;
  alarm(10);
  run_lua(L, map_chunk, tmppath(path, sizeof path, "chain_mask", 1), 0);
  install_chaining();
  pthread_sigmask(SIG_BLOCK, NULL, &mask);
  for (i = 0; i < 3; i++)
    caught += (int)run_lua(L, fault_chunk, "", 0);
  check(caught == 3 && shared[0] == 3,
        "a chaining host in front: the module's faults pass through it, "
        "each raises in Lua");
  check(same_mask(&mask), "a chaining host in front: the mask is kept");
  unlink(path);
  lua_close(L);
}

/* }====================================================== */


/* {====================================================== SIGSEGV */

/*
** The guard takes SIGSEGV too (a fault inside its range: spec/core_test.c),
** so it chains SIGSEGV as it chains SIGBUS: a host's own segmentation
** fault, a PROT_NONE page here, still reaches the host's handler, before
** or after the module installed its own, or ends the process without one.
*/
static void install_host_segv (void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = host_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, NULL);
}

static volatile unsigned char segv_sink;

/* A SIGSEGV outside the module. 1: caught by host_handler. */
static int raw_segv (void) {
  volatile unsigned char *p = mmap(NULL, 4096, PROT_NONE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int caught = 0;
  if (p == MAP_FAILED) return 0;
  if (sigsetjmp(host_env, 1) == 0)
    segv_sink = p[10];  /* faults: the page cannot be read */
  else
    caught = 1;
  munmap((void *)p, 4096);
  return caught;
}

static void scenario_segv_host (void) {
  lua_State *L;
  char path[128];
  alarm(10);
  tmppath(path, sizeof path, "segv", 1);
  install_host_segv();
  L = newstate();
  check(lua_faults(L, path, 10) == 10 && raw_segv() && host_calls == 1,
        "SIGSEGV: a host handler installed first receives the host's fault");
  signal(SIGSEGV, SIG_DFL);
  host_calls = 0;
  lua_faults(L, path, 10);
  install_host_segv();
  check(raw_segv() && host_calls == 1,
        "SIGSEGV: a host handler installed after receives it");
  check(lua_faults(L, path, 10) == 10 && raw_segv() && host_calls == 2,
        "SIGSEGV: and still does once a new map put the guard in front");
  lua_close(L);
}

static void scenario_segv_default (void) {
  lua_State *L = newstate();
  char path[128];
  alarm(10);
  lua_faults(L, tmppath(path, sizeof path, "segv_default", 1), 10);
  raw_segv();  /* no host handler: this must end the process */
  _exit(0);
}

/* A chaining host for SIGSEGV: a foreign fault reaches it once, then the
   process ends, as the default action the host falls back to would. */
static void scenario_segv_chain (void) {
  lua_State *L = newstate();
  struct sigaction sa;
  char path[128];
  alarm(10);
  tmppath(path, sizeof path, "segv_chain", 1);
  lua_faults(L, path, 10);
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = chaining_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSEGV, &sa, &replaced);
  lua_faults(L, path, 10);  /* the module back in front */
  raw_segv();
  _exit(0);
}

/* }====================================================== */


/* {====================================================== ignored */

/* SIGBUS ignored before the module loads: a real fault outside the module
   still ends the process (the kernel forces a fault through SIG_IGN). */
static void scenario_ignored_fault (void) {
  lua_State *L = newstate();
  char path[128];
  alarm(10);
  signal(SIGBUS, SIG_IGN);
  lua_faults(L, tmppath(path, sizeof path, "ignored", 1), 10);
  raw_fault();
  _exit(0);
}

/* }====================================================== */


/* Run a scenario in a child; its TAP lines go to our stdout. */
static void in_child (void (*scenario)(void), int *status) {
  pid_t pid;
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    scenario();
    fflush(stdout);
    _exit(failures != 0);
  }
  waitpid(pid, status, 0);
}

static int passed (int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Ended by SIGSEGV's default action, or, where AddressSanitizer's runtime
   is preloaded (make check-asan), by its SIGSEGV handler, which reports
   and aborts: it is the handler the module found there. */
static int killed_by_segv (int status) {
  if (!WIFSIGNALED(status)) return 0;
  return WTERMSIG(status) == SIGSEGV ||
         (getenv("ASAN_OPTIONS") != NULL && WTERMSIG(status) == SIGABRT);
}

static int killed_by_bus (int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}


int main (void) {
  int status;
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                -1, 0);
  if (shared == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  test_threads();
  in_child(scenario_before, &status);
  check(passed(status), "scenario 'host handler before' passed in its own process");
  in_child(scenario_after, &status);
  check(passed(status), "scenario 'host handler after' passed in its own process");
  in_child(scenario_default, &status);
  check(killed_by_bus(status),
        "no host handler: a fault outside the module ends the process by SIGBUS");
  in_child(scenario_masked, &status);
  check(passed(status), "scenario 'threads that block every signal' passed "
        "in its own process");
  in_child(scenario_exec, &status);
  check(passed(status), "Lua started with SIGBUS blocked: the fault raises "
        "and SIGBUS is blocked again afterwards");
  shared[0] = shared[1] = shared[2] = 0;
  in_child(scenario_chain_kill, &status);
  check(shared[1] == 10 && shared[2] == 0,
        "a chaining host installed after: a new map puts the guard in front");
  check(killed_by_bus(status) && shared[0] == 1,
        "a chaining host installed after: kill -BUS reaches it once, then "
        "ends the process");
  shared[0] = 0;
  in_child(scenario_chain_fault, &status);
  check(killed_by_bus(status) && shared[0] == 1,
        "a chaining host installed after: a foreign fault reaches it once, "
        "then ends the process");
  shared[0] = 0;
  in_child(scenario_chain_mask, &status);
  check(passed(status), "scenario 'chaining host in front' passed in its own process");
  in_child(scenario_segv_host, &status);
  check(passed(status), "scenario 'host SIGSEGV handler' passed in its own process");
  in_child(scenario_segv_default, &status);
  check(killed_by_segv(status),
        "no host handler: a SIGSEGV outside the module ends the process by SIGSEGV");
  shared[0] = 0;
  in_child(scenario_segv_chain, &status);
  check(killed_by_segv(status) && shared[0] == 1,
        "a chaining host installed after: a foreign SIGSEGV reaches it once, "
        "then ends the process");
  in_child(scenario_ignored_fault, &status);
  check(killed_by_bus(status),
        "SIGBUS ignored: a fault outside the module still ends the process");
  remove_dir();
  check(access(dir, F_OK) != 0, "the scenarios' files are all removed");
  printf("1..%d\n", tests);
  return failures != 0;
}
