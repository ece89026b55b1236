/*
** host.c: a C program that embeds Lua 5.4 with lua-mmap linked in.
**
** Lua maps a file and writes into it; C then reads and changes the very same
** bytes through lmmap_check, with no copy; Lua sees C's change. A C function
** registered for Lua takes a map argument the same way.
**
**   make static && cc -Isrc -I/usr/include/lua5.4 examples/host/host.c \
**     libmmap.a -llua5.4 -lm -o host && ./host [FILE]
**
** (`make check` builds it as build/host/host and runs it; `make windows`
** as build/win64/host.exe, linked with -DLMMAP_STATIC.) Exit status 0 when
** every step did what it says.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include "lmmap.h"

/* Lua's part: map the file given, write a greeting, return the map. */
static const char *const script =
  "local mmap = require 'mmap'\n"
  "local mm = assert(mmap.open(path, 'w+', 16))\n"
  "mm:write('hello from Lua!\\n')\n"
  "return mm\n";

/* sum(mm): the sum of a map's bytes, computed in C over the mapping. */
static int sum (lua_State *L) {
  size_t len, i;
  const unsigned char *p = lmmap_check(L, 1, &len, NULL);
  lua_Integer total = 0;
  for (i = 0; i < len; i++)
    total += p[i];
  lua_pushinteger(L, total);
  return 1;
}

/* A file to map when none is given: Lua names a temporary one (Windows:
   in %TEMP%, since its C library's tmpnam names the drive's root). */
static const char *const tempname =
  "local dir = package.config:sub(1, 1) == '\\\\' and os.getenv('TEMP')\n"
  "return dir and dir .. '\\\\lmmap-host-' .. os.time() .. '.bin'\n"
  "  or os.tmpname()\n";

/* Run a chunk of Lua (globals: mm, path); on an error print it, give 0. */
static int run (lua_State *L, const char *code, int nresults) {
  if (luaL_loadstring(L, code) != LUA_OK ||
      lua_pcall(L, 0, nresults, 0) != LUA_OK) {
    fprintf(stderr, "host: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

static int check (int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  return ok;
}

int main (int argc, char **argv) {
  char code[128];
  int ok = 1, writable = 0;
  size_t len = 0, i;
  long total = 0;
  unsigned char *p;
  lua_State *L = luaL_newstate();
  if (L == NULL) return 1;
  luaL_openlibs(L);
  luaL_requiref(L, "mmap", luaopen_mmap, 0);  /* linked in, not loaded */
  lua_pop(L, 1);
  lua_register(L, "sum", sum);

  if (argc > 1)
    lua_pushstring(L, argv[1]);
  else if (!run(L, tempname, 1))
    return 1;
  lua_setglobal(L, "path");

  /* Lua maps the file and writes; the map is left on the stack. */
  if (!run(L, script, 1)) return 1;

  /* C reads the same bytes, then changes one. */
  p = lmmap_check(L, -1, &len, &writable);
  ok &= check(len == 16 && memcmp(p, "hello from Lua!\n", 16) == 0,
              "C reads through lmmap_check what Lua wrote");
  ok &= check(writable == 1, "lmmap_check says the map is writable");
  ok &= check(lmmap_test(L, -1, NULL, NULL) == p, "lmmap_test finds it too");
  p[0] = 'H';
  lua_setglobal(L, "mm");

  /* Lua sees C's change, in the map and, after flush, in the file. */
  ok &= check(run(L,
    "assert(mm:read(5, mm:seek(0)) == 'Hello')\n"
    "assert(mm:flush())\n"
    "local f = assert(io.open(path, 'rb'))\n"
    "assert(f:read('*a') == 'Hello from Lua!\\n')\n"
    "f:close()\n", 0), "Lua sees C's change in the map and in the file");

  /* A C function that takes a map. */
  for (i = 0; i < len; i++) total += p[i];
  snprintf(code, sizeof code, "assert(sum(mm) == %ld)", total);
  ok &= check(run(L, code, 0), "sum(mm), a C function, reads the map");

  /* Anything else: NULL from lmmap_test, an error from lmmap_check. */
  lua_pushliteral(L, "not a map");
  ok &= check(lmmap_test(L, -1, NULL, NULL) == NULL,
              "lmmap_test gives NULL for a string");
  lua_pop(L, 1);
  ok &= check(run(L,
    "local ok, err = pcall(sum, 'x')\n"
    "assert(not ok and err:find('mmap expected, got string', 1, true), err)\n"
    "mm:close()\n"
    "ok, err = pcall(sum, mm)\n"
    "assert(not ok and err:find('mmap closed or invalid', 1, true), err)\n",
    0), "lmmap_check raises for a string and for a closed map");

  if (argc <= 1) run(L, "os.remove(path)", 0);
  lua_close(L);
  printf("host: %s\n", ok ? "all good" : "FAILED");
  return ok ? 0 : 1;
}
