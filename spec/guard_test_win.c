/*
** guard_test_win.c: the bus-error guard on Windows, seen from a C host that
** embeds Lua and links the module in (doc/mmap.md §14, "Windows"; the POSIX
** host's cases are in spec/guard_test.c). Built by make windows, run under
** wine by make check-wine; prints TAP lines.
**
**   threads   two threads, each with its own lua_State and its own map of a
**             file cut short, fault at the same time at offsets of their
**             own: each gets its own error, with its own offset
**   before    a host vectored handler added before the module's first map:
**             its own exception (RaiseException) and its own access
**             violation still reach it, the module's faults never do and
**             still raise in Lua
**   after     a second host handler added after the module's, in front of
**             it: the same, and the module's faults, which pass through it,
**             still raise in Lua
**   unarmed   the host touching a lost page of a map itself (lmmap_check's
**             address, outside any guarded call) gets the access violation
**             in its own handler, not a jump into the module
**   pin       mmap.dll, loaded by require and freed by lua_close, stays
**             loaded: its handler is never left pointing at unloaded code
**
** A file is cut short from the Unix side: Windows refuses to shrink a
** mapped file, wine's host does not. Without wine (no
** wine_get_unix_file_name in kernel32) the cases that need a cut are
** skipped with the reason.
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lmmap.h"

#define CTEST_NAME "guard"
#include "ctest.h"


static void skip (const char *what, const char *why) {
  tests++;
  printf("ok %d - %s: %s # SKIP %s\n", tests, CTEST_NAME, what, why);
  fflush(stdout);
}


/* Run `code` with a string and an integer argument: its integer result,
   or -1 with the error as a TAP comment. */
static long run_lua (lua_State *L, const char *code, const char *arg, long n) {
  long r;
  if (luaL_loadstring(L, code) != 0 || (lua_pushstring(L, arg),
      lua_pushinteger(L, n), lua_pcall(L, 2, 1, 0) != 0)) {
    printf("# %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return -1;
  }
  r = (long)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return r;
}


/* {====================================================== files */

typedef char *(CDECL *unixname_fn)(const WCHAR *);
static unixname_fn unixname;  /* wine's, or NULL */

/* A fresh path in the temporary directory (the file exists, empty). */
static void tmppath (char *buf) {
  char dir[MAX_PATH];
  GetTempPathA(sizeof dir, dir);
  GetTempFileNameA(dir, "gtw", 0, buf);
}

static long long filesize (const char *path) {
  WIN32_FILE_ATTRIBUTE_DATA a;
  if (!GetFileAttributesExA(path, GetFileExInfoStandard, &a)) return -1;
  return ((long long)a.nFileSizeHigh << 32) | a.nFileSizeLow;
}

/* Set the file's size from the Unix side (wine's host truncate), and wait
   until Windows sees it. 1 when it did. */
static int cut (const char *path, long long size) {
  WCHAR w[MAX_PATH];
  char *u, cmd[1024];
  int i;
  if (unixname == NULL) return 0;
  MultiByteToWideChar(CP_ACP, 0, path, -1, w, MAX_PATH);
  if ((u = unixname(w)) == NULL) return 0;
  snprintf(cmd, sizeof cmd, "start /wait /unix /usr/bin/truncate -s %lld \"%s\"",
           size, u);
  HeapFree(GetProcessHeap(), 0, u);
  system(cmd);
  for (i = 0; i < 1000 && filesize(path) != size; i++) Sleep(10);
  return filesize(path) == size;
}

/* }====================================================== */


/* The map of a 64 KiB file, as the global m; 0, or -1. */
static const char *map_chunk =
  "local path = ...\n"
  "local f = assert(io.open(path, 'wb')) f:write(('x'):rep(65536)) f:close()\n"
  "m = assert(require('mmap').open(path, 'r+'))\n"
  "return 0\n";

/* n touches of the global m at offsets of the formula given (mult, add):
   how many raised the bus error with their own offset. */
static const char *fault_chunk =
  "local how, n = ...\n"
  "local mult, add = how:match('(%d+) (%d+)')\n"
  "local caught = 0\n"
  "for i = 1, n do\n"
  "  local at = (i * mult + add) % 65536\n"
  "  local ok, err = pcall(function() return m[at] end)\n"
  "  if not ok and err:find('bus error at offset ' .. at .. ':', 1, true) then\n"
  "    caught = caught + 1\n"
  "  end\n"
  "end\n"
  "return caught\n";

/* The map still works for what the file has again. */
static const char *back_chunk =
  "return (m[100] == 0 and m:read(3) == '\\0\\0\\0') and 1 or 0\n";


/* {====================================================== threads */

#define PER_THREAD 5000

typedef struct job {
  lua_State *L;
  const char *how;
  long caught;
} job;

static volatile LONG ready;

static DWORD WINAPI worker (LPVOID arg) {
  job *j = (job *)arg;
  InterlockedIncrement(&ready);
  while (ready < 2) Sleep(0);  /* both start faulting together */
  j->caught = run_lua(j->L, fault_chunk, j->how, PER_THREAD);
  return 0;
}

static void test_threads (void) {
  char path[2][MAX_PATH];
  job jobs[2] = { { NULL, "4099 0", -2 }, { NULL, "7919 13", -2 } };
  HANDLE t[2];
  int i, cut_ok = 1;
  for (i = 0; i < 2; i++) {
    tmppath(path[i]);
    jobs[i].L = linkedstate();
    cut_ok &= run_lua(jobs[i].L, map_chunk, path[i], 0) == 0 &&
              cut(path[i], 0);
  }
  if (!cut_ok)
    skip("threads", "cannot cut a mapped file short (needs wine)");
  else {
    for (i = 0; i < 2; i++)
      t[i] = CreateThread(NULL, 0, worker, &jobs[i], 0, NULL);
    WaitForMultipleObjects(2, t, TRUE, 60000);
    for (i = 0; i < 2; i++) CloseHandle(t[i]);
    check(jobs[0].caught == PER_THREAD,
          "thread 1: every fault raised, with the offset of its own touch");
    check(jobs[1].caught == PER_THREAD,
          "thread 2: every fault raised, with the offset of its own touch");
    check(cut(path[0], 65536) && run_lua(jobs[0].L, back_chunk, "", 0) == 1,
          "thread 1's map reads again once the file is long again");
  }
  for (i = 0; i < 2; i++) {
    lua_close(jobs[i].L);
    DeleteFileA(path[i]);
  }
}

/* }====================================================== */


/* {====================================================== host handlers */

#define HOST_CODE 0xE0C0FFEEu  /* an exception of the host's own */

static unsigned char *host_page;  /* PAGE_NOACCESS: the host's own fault */
static void *host_env[5];
static volatile LONG own_codes, own_faults, passed_on;

/* Handles the host's exception and its page's access violation; lets
   everything else pass, counting it. */
static LONG CALLBACK host_handler (EXCEPTION_POINTERS *ep) {
  const EXCEPTION_RECORD *r = ep->ExceptionRecord;
  if (r->ExceptionCode == HOST_CODE) {
    own_codes++;
    return EXCEPTION_CONTINUE_EXECUTION;
  }
  if (r->ExceptionCode == EXCEPTION_ACCESS_VIOLATION &&
      r->NumberParameters >= 2 &&
      (unsigned char *)r->ExceptionInformation[1] >= host_page &&
      (unsigned char *)r->ExceptionInformation[1] < host_page + 4096) {
    own_faults++;
    __builtin_longjmp(host_env, 1);
  }
  passed_on++;
  return EXCEPTION_CONTINUE_SEARCH;
}

static volatile unsigned char sink;

/* The faulting load, in a call of its own: GCC keeps the landing point of
   a __builtin_setjmp only where a call after it could jump there, and
   would drop it for a plain load. */
static __attribute__((noinline)) void load (const unsigned char *p) {
  sink = *p;
}

/* The host's own access violation: 1 when its handler took it. */
static int host_fault (void) {
  LONG before = own_faults;
  if (__builtin_setjmp(host_env) == 0)
    load(host_page + 10);
  return own_faults == before + 1;
}

/* The host's own exception, continued by its handler: 1 when it was. */
static int host_raise (void) {
  LONG before = own_codes;
  RaiseException(HOST_CODE, 0, 0, NULL);
  return own_codes == before + 1;
}

/* A map of a file cut short, in L's global m; 1 if made. */
static int lost_map (lua_State *L, char *path) {
  tmppath(path);
  return run_lua(L, map_chunk, path, 0) == 0 && cut(path, 0);
}

static void test_before (void) {
  lua_State *L;
  char path[MAX_PATH];
  void *h = AddVectoredExceptionHandler(1, host_handler);
  check(h != NULL && host_raise() && host_fault(),
        "a host handler added before any map takes its own exceptions");
  L = linkedstate();
  if (!lost_map(L, path))
    skip("host handler before: the module's faults", "needs wine");
  else {
    passed_on = 0;
    check(run_lua(L, fault_chunk, "4099 1", 100) == 100,
          "host handler before: the module's faults raise in Lua");
    check(passed_on == 0, "host handler before: the module, first, took "
          "them before it");
  }
  check(host_raise() && host_fault(),
        "host handler before: its own exceptions still reach it");
  lua_close(L);
  DeleteFileA(path);
  RemoveVectoredExceptionHandler(h);
}

static void test_after (void) {
  lua_State *L = linkedstate();
  char path[MAX_PATH];
  void *h;
  unsigned char *p, *own = host_page;
  size_t len;
  int lost = lost_map(L, path);
  h = AddVectoredExceptionHandler(1, host_handler);  /* in front now */
  check(h != NULL && host_raise() && host_fault(),
        "a host handler added after the module takes its own exceptions");
  if (!lost)
    skip("host handler after: the module's faults", "needs wine");
  else {
    passed_on = 0;
    check(run_lua(L, fault_chunk, "4099 1", 100) == 100 && passed_on == 100,
          "host handler after: the module's faults pass through it and "
          "raise in Lua");
    /* the host touches a lost page of the map itself: not armed */
    lua_getglobal(L, "m");
    p = (unsigned char *)lmmap_check(L, -1, &len, NULL);
    lua_pop(L, 1);
    host_page = p;
    check(len == 65536 && host_fault(),
          "a lost page touched by the host, outside the module's calls, "
          "is the host's fault");
    host_page = own;
    check(run_lua(L, fault_chunk, "7 3", 10) == 10,
          "and the module's faults raise in Lua after it");
  }
  check(host_raise() && host_fault(),
        "host handler after: its own exceptions still reach it");
  lua_close(L);
  DeleteFileA(path);
  RemoveVectoredExceptionHandler(h);
}

/*
** A new thread, which has never touched the module, faults on a page of
** the host's: the module's handlers (the linked-in one and the DLL's) must
** let it pass without a look at that thread's guard state, to a host
** handler that makes the page readable and lets the load run again.
*/
static unsigned char *fresh_page;
static volatile LONG fixed;

static LONG CALLBACK fixer (EXCEPTION_POINTERS *ep) {
  const EXCEPTION_RECORD *r = ep->ExceptionRecord;
  const unsigned char *a = (const unsigned char *)r->ExceptionInformation[1];
  DWORD old;
  if (r->ExceptionCode != EXCEPTION_ACCESS_VIOLATION ||
      r->NumberParameters < 2 || a < fresh_page || a >= fresh_page + 4096 ||
      !VirtualProtect(fresh_page, 4096, PAGE_READWRITE, &old))
    return EXCEPTION_CONTINUE_SEARCH;
  fixed++;
  return EXCEPTION_CONTINUE_EXECUTION;
}

static DWORD WINAPI fresh_fault (LPVOID arg) {
  (void)arg;
  load(fresh_page + 1);
  return 0;
}

static int fresh_thread_fault (void) {
  LONG before = fixed;
  HANDLE t;
  void *h;
  fresh_page = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_NOACCESS);
  if (fresh_page == NULL) return 0;
  h = AddVectoredExceptionHandler(0, fixer);
  t = CreateThread(NULL, 0, fresh_fault, NULL, 0, NULL);
  if (t != NULL) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
  }
  RemoveVectoredExceptionHandler(h);
  VirtualFree(fresh_page, 0, MEM_RELEASE);
  return t != NULL && fixed == before + 1;
}


/*
** The DLL, loaded by require from MMAP_CPATH and freed by lua_close (Lua
** calls FreeLibrary), stays loaded once it has made a map: its vectored
** handler is still in the process's list, and unloading its code would
** leave the system calling into nothing at the next exception.
*/
static void test_pin (void) {
  static const char chunk[] =
    "local m = require('mmap').mmap(-1, 10)\n"
    "m[3] = 7\n"
    "return m[3]\n";
  lua_State *L = newstate();
  HMODULE loaded;
  void *h;
  int ok = run_lua(L, chunk, "", 0) == 7;
  loaded = GetModuleHandleA("mmap.dll");
  lua_close(L);
  check(ok && loaded != NULL && GetModuleHandleA("mmap.dll") == loaded,
        "mmap.dll stays loaded after lua_close frees it: its handler is pinned");
  h = AddVectoredExceptionHandler(0, host_handler);  /* after the DLL's */
  check(h != NULL && host_fault() && host_raise(),
        "exceptions after that pass through the DLL's handler to the host");
  check(fresh_thread_fault(),
        "a thread that never used a map: its access violation reaches the host");
  RemoveVectoredExceptionHandler(h);
}

/* }====================================================== */


int main (void) {
  DWORD old;
  unixname = (unixname_fn)(void (*)(void))GetProcAddress(
      GetModuleHandleA("kernel32"), "wine_get_unix_file_name");
  host_page = VirtualAlloc(NULL, 4096, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (host_page == NULL || !VirtualProtect(host_page, 4096, PAGE_NOACCESS, &old)) {
    printf("not ok 1 - guard: a PAGE_NOACCESS page for the host\n");
    return 1;
  }
  test_before();  /* first: before the module's first map */
  test_threads();
  test_after();
  test_pin();
  printf("1..%d\n", tests);
  return failures != 0;
}
