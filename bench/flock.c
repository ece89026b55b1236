/*
** bench/flock.c: what the contention benchmark (bench/contend.lua) needs
** and Lua lacks: a blocking flock(2) lock on a file, and a monotonic clock.
** A Lua module, built by `make bench` as bench/flock.so:
**
**   local flock = require "flock"
**   local fd = flock.open(path)   -- a descriptor of the file, read-write
**   flock.lock(fd)                -- LOCK_EX: waits until the lock is ours
**   flock.unlock(fd)
**   flock.now()                   -- seconds on CLOCK_MONOTONIC
*/
#define _DEFAULT_SOURCE  /* flock */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"

int luaopen_flock(lua_State *L);

static int fail (lua_State *L, const char *what) {
  return luaL_error(L, "%s: %s", what, strerror(errno));
}

static int f_open (lua_State *L) {
  int fd = open(luaL_checkstring(L, 1), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(L, lua_tostring(L, 1));
  lua_pushinteger(L, fd);
  return 1;
}

static int lockop (lua_State *L, int op) {
  int fd = (int)luaL_checkinteger(L, 1), r;
  while ((r = flock(fd, op)) != 0 && errno == EINTR) {}
  if (r != 0) return fail(L, "flock");
  lua_pushboolean(L, 1);
  return 1;
}

static int f_lock (lua_State *L) {
  return lockop(L, LOCK_EX);
}

static int f_unlock (lua_State *L) {
  return lockop(L, LOCK_UN);
}

static int f_now (lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

int luaopen_flock (lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"open", f_open}, {"lock", f_lock}, {"unlock", f_unlock}, {"now", f_now},
    {NULL, NULL}
  };
#if LUA_VERSION_NUM >= 502
  luaL_newlib(L, funcs);
#else
  luaL_register(L, "flock", funcs);
#endif
  return 1;
}
