/*
** ctest.h: what the C tests that embed Lua share (spec/guard_test.c,
** spec/atomic_test.c): TAP lines for spec/run, and a Lua state that finds
** the module under test, or (after lmmap.h) the one linked into the test.
** Define CTEST_NAME (the word before each test's name) before including
** it, after lua.h, lauxlib.h and lualib.h.
*/
#ifndef CTEST_H
#define CTEST_H

#include <stdio.h>
#include <stdlib.h>

static int tests, failures;

static void check (int cond, const char *what) {
  tests++;
  if (!cond) failures++;
  printf("%sok %d - %s: %s\n", cond ? "" : "not ", tests, CTEST_NAME, what);
  fflush(stdout);  /* children fork: nothing printed twice */
}


/* A new state that finds the module: MMAP_CPATH (spec/run sets it), or
   ./mmap.so. */
static lua_State *newstate (void) {
  lua_State *L = luaL_newstate();
  const char *cpath = getenv("MMAP_CPATH");
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, cpath ? cpath : "./?.so");
  lua_setfield(L, -2, "cpath");
  lua_pop(L, 1);
  return L;
}


#ifdef LMMAP_H
/* A new state whose require "mmap" finds the module linked into this
   program (make windows links the Windows tests so). */
static lua_State *linkedstate (void) {
  lua_State *L = newstate();
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, luaopen_mmap);
  lua_setfield(L, -2, "mmap");
  lua_pop(L, 2);
  return L;
}
#endif

#endif
