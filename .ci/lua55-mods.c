/*
** lua55-mods.c: the two small C modules that busted needs besides lfs,
** written for the Lua 5.5 that .ci/lua55 builds (Debian packages them only
** for 5.1-5.4, and a module built for another Lua must never be loaded).
**
**   term.core     isatty(file): is this io handle a terminal? (busted's
**                 runner picks its default output with it)
**   system.core   gettime(), monotime(), sleep(seconds): what busted's
**                 core takes from luasystem (wall clock, monotonic clock,
**                 a pause), as seconds in floats
**
** One file builds both: .ci/lua55 links it as term/core.so and as
** system/core.so, and each require finds its own luaopen_* in it. It is
** also busted's for the Windows Luas of .ci/win64 (term/core.dll and
** system/core.dll): the _WIN32 half below has the same four functions.
*/
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <stdio.h>
#include <time.h>
#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

int luaopen_term_core (lua_State *L);
int luaopen_system_core (lua_State *L);


#ifdef _WIN32

/* The wall clock: 100 ns units since 1601, made seconds since 1970. */
static int sys_gettime (lua_State *L) {
  FILETIME ft;
  ULARGE_INTEGER t;
  GetSystemTimeAsFileTime(&ft);
  t.LowPart = ft.dwLowDateTime;
  t.HighPart = ft.dwHighDateTime;
  lua_pushnumber(L, (lua_Number)(t.QuadPart - 116444736000000000ULL) / 1e7);
  return 1;
}

static int sys_monotime (lua_State *L) {
  LARGE_INTEGER count, freq;
  QueryPerformanceCounter(&count);
  QueryPerformanceFrequency(&freq);
  lua_pushnumber(L, (lua_Number)count.QuadPart / (lua_Number)freq.QuadPart);
  return 1;
}

/* Sleep takes milliseconds: a fraction of one still pauses (rounded up). */
static int sys_sleep (lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  if (s > 0)
    Sleep((DWORD)(s * 1e3 + 0.999));
  return 0;
}

static int term_isatty (lua_State *L) {
  luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  lua_pushboolean(L, p->closef != NULL && p->f != NULL &&
                     _isatty(_fileno(p->f)));
  return 1;
}

#else

/* A clock's reading as seconds. */
static lua_Number seconds (clockid_t id) {
  struct timespec ts;
  if (clock_gettime(id, &ts) != 0)
    return 0;
  return (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9;
}

static int sys_gettime (lua_State *L) {
  lua_pushnumber(L, seconds(CLOCK_REALTIME));
  return 1;
}

static int sys_monotime (lua_State *L) {
  lua_pushnumber(L, seconds(CLOCK_MONOTONIC));
  return 1;
}

/* Sleeps the whole time asked, even when a signal interrupts it. */
static int sys_sleep (lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec ts;
  if (s <= 0)
    return 0;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
  return 0;
}

static int term_isatty (lua_State *L) {
  luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  lua_pushboolean(L, p->closef != NULL && p->f != NULL &&
                     isatty(fileno(p->f)));
  return 1;
}

#endif

int luaopen_system_core (lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"gettime", sys_gettime},
    {"monotime", sys_monotime},
    {"sleep", sys_sleep},
    {NULL, NULL}
  };
  luaL_newlib(L, funcs);
  return 1;
}

int luaopen_term_core (lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"isatty", term_isatty},
    {NULL, NULL}
  };
  luaL_newlib(L, funcs);
  return 1;
}
