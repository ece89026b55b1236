/*
** pin_test.c: a module linked without -z nodelete (macOS's linker has no
** such flag) keeps itself loaded: its signal handler must outlive the
** host's dlclose. Loads PIN_SO, a build with MMS_PIN_SELF and no
** -z nodelete (make puts it in $(B)/pin/), makes a map, closes the Lua
** state (which dlcloses the module), then asks the dynamic linker whether
** the library is still there. Prints TAP for spec/run.
*/
#define _GNU_SOURCE  /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static const char *code =
  "package.cpath = ...\n"
  "local m = require('mmap').mmap(-1, 10)\n"
  "m[0] = 1\n"
  "return m[0] + (m:close() and 0 or 1)\n";

int main (void) {
  char path[PATH_MAX], cpath[PATH_MAX + 8];
  lua_State *L;
  int ok;
  if (realpath(PIN_SO, path) == NULL) {
    printf("not ok 1 - pin: %s is missing\n1..1\n", PIN_SO);
    return 1;
  }
  snprintf(cpath, sizeof cpath, "%s", path);
  L = luaL_newstate();
  luaL_openlibs(L);
  ok = luaL_loadstring(L, code) == 0 &&
       (lua_pushstring(L, cpath), lua_pcall(L, 1, 1, 0) == 0) &&
       lua_tointeger(L, -1) == 1;
  if (!ok) printf("# %s\n", lua_tostring(L, -1));
  printf("%sok 1 - pin: the pinning build maps\n", ok ? "" : "not ");
  lua_close(L);  /* unloads what package.loadlib loaded, unless pinned */
  ok = ok && dlopen(path, RTLD_NOW | RTLD_NOLOAD) != NULL;
  printf("%sok 2 - pin: without -z nodelete the library stays loaded after "
         "lua_close (MMS_PIN_SELF)\n1..2\n", ok ? "" : "not ");
  return !ok;
}
