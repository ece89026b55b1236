/*
** handle_test.c: no system handle left behind by maps on Windows (doc/mmap.md
** §14, "Windows"). A host that links the module in counts its own handles
** (NtQuerySystemInformation's handle list: wine's GetProcessHandleCount
** always says 0) before and after a thousand maps of each kind, opened and
** closed, collected, or refused. Built by make windows, run under wine by
** make check-wine; prints TAP lines.
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "lmmap.h"

#define CTEST_NAME "handles"
#include "ctest.h"


/* {====================================================== counting */

/* The system's list of every process's handles (class 16). */
typedef struct entry {
  USHORT pid, backtrace;
  UCHAR type, attributes;
  USHORT handle;
  PVOID object;
  ULONG access;
} entry;

typedef struct handles {
  ULONG count;
  entry e[1];
} handles;

typedef LONG (WINAPI *query_fn)(ULONG, PVOID, ULONG, PULONG);

/* This process's handles, or -1. */
static long count_handles (void) {
  static query_fn query;
  ULONG size = 1 << 16, got, i, self = GetCurrentProcessId() & 0xffff;
  handles *h;
  LONG st;
  long n = 0;
  if (query == NULL)
    query = (query_fn)(void (*)(void))GetProcAddress(
        GetModuleHandleA("ntdll"), "NtQuerySystemInformation");
  if (query == NULL) return -1;
  for (;;) {
    if ((h = (handles *)malloc(size)) == NULL) return -1;
    st = query(16, h, size, &got);
    if (st != (LONG)0xC0000004) break;  /* STATUS_INFO_LENGTH_MISMATCH */
    free(h);
    size *= 2;
  }
  if (st != 0) {
    free(h);
    return -1;
  }
  for (i = 0; i < h->count; i++)
    if (h->e[i].pid == self) n++;
  free(h);
  return n;
}

/* }====================================================== */


/* Run `code` with the path and n: 1 when it returned true. */
static int run_lua (lua_State *L, const char *code, const char *path, int n) {
  int r;
  if (luaL_loadstring(L, code) != 0 || (lua_pushstring(L, path),
      lua_pushinteger(L, n), lua_pcall(L, 2, 1, 0) != 0)) {
    printf("# %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
  }
  r = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return r;
}

static const char *const cases[][2] = {
  { "mmap.mmap of a Lua file handle, closed",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "local f = assert(io.open(path, 'r+b'))\n"
    "for i = 1, n do\n"
    "  local m = assert(mmap.mmap(f, 0)) m[0] = i % 256 m:close()\n"
    "end\n"
    "f:close() return true\n" },
  { "mmap.mmap with trackfd = false, closed",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "local f = assert(io.open(path, 'r+b'))\n"
    "for i = 1, n do\n"
    "  local m = assert(mmap.mmap(f, 0, { trackfd = false })) m:close()\n"
    "end\n"
    "f:close() return true\n" },
  { "mmap.open, closed",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "for i = 1, n do\n"
    "  local m = assert(mmap.open(path, 'r+')) m[1] = i % 256 m:close()\n"
    "end\n"
    "return true\n" },
  { "mmap.open, left to the collector",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "for i = 1, n do assert(mmap.open(path, 'r')) end\n"
    "collectgarbage() collectgarbage()\n"
    "return true\n" },
  { "mmap.open refused (an offset of one page)",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "for i = 1, n do assert(mmap.open(path, 'r', 0, mmap.PAGESIZE) == nil) end\n"
    "return true\n" },
  { "tagged paging-file memory, closed",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "for i = 1, n do\n"
    "  local m = assert(mmap.mmap(-1, 4096, 'handle_test')) m:close()\n"
    "end\n"
    "return true\n" },
  { "paging-file memory grown and shrunk, closed",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "for i = 1, n do\n"
    "  local m = assert(mmap.mmap(-1, 4096))\n"
    "  assert(m:resize(8192)) assert(m:resize(100)) m:close()\n"
    "end\n"
    "return true\n" },
  { "a file map resized, refused under a second view, closed",
    "local path, n = ...\n"
    "local mmap = require 'mmap'\n"
    "for i = 1, n do\n"
    "  local m = assert(mmap.open(path, 'r+'))\n"
    "  local o = assert(mmap.open(path, 'r'))\n"
    "  assert(m:resize(4096) == nil) o:close()\n"
    "  assert(m:resize(4096)) assert(m:resize(65536 * 2)) m:close()\n"
    "end\n"
    "return true\n" },
};

#define N 1000

int main (void) {
  lua_State *L = linkedstate();
  char dir[MAX_PATH], path[MAX_PATH];
  HANDLE ev[100];
  long before, after;
  size_t i;
  FILE *f;
  GetTempPathA(sizeof dir, dir);
  GetTempFileNameA(dir, "hdl", 0, path);
  f = fopen(path, "wb");
  for (i = 0; f != NULL && i < 2 * 65536; i++) fputc('h', f);
  if (f != NULL) fclose(f);
  /* the measure itself: 100 handles more are 100 more */
  before = count_handles();
  for (i = 0; i < 100; i++) ev[i] = CreateEventA(NULL, FALSE, FALSE, NULL);
  after = count_handles();
  for (i = 0; i < 100; i++) CloseHandle(ev[i]);
  check(before > 0 && after - before == 100,
        "the count sees 100 new handles as 100");
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char what[200];
    int ok = run_lua(L, cases[i][1], path, 10);  /* what is made once */
    before = count_handles();
    ok = ok && run_lua(L, cases[i][1], path, N);
    lua_gc(L, LUA_GCCOLLECT, 0);
    after = count_handles();
    snprintf(what, sizeof what, "%d x %s: %ld handles before, %ld after",
             N, cases[i][0], before, after);
    check(ok && before > 0 && after == before, what);
  }
  lua_close(L);
  check(DeleteFileA(path), "the file goes: nothing holds it");
  printf("1..%d\n", tests);
  return failures != 0;
}
