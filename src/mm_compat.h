/*
** mm_compat.h: what src/mmap.c needs from the Lua C API on every Lua it
** builds for: 5.1, 5.2, 5.3, 5.4, 5.5 and LuaJIT 2.1 (whose API is 5.1's).
**
** src/mmap.c is written against 5.4's API; this header, included after
** lua.h and lauxlib.h, supplies what an older Lua lacks, so that no #if on
** LUA_VERSION_NUM appears in the binding. Each stand-in is a static function
** named mmc_* and a macro that points the 5.4 name at it: the macro comes
** after the Lua headers, so a header that declares the same name (LuaJIT
** declares several 5.2 functions) never clashes with ours.
**
** Integers: before 5.3 every Lua number is a double. The stand-ins for
** lua_tointegerx and luaL_checkinteger give 5.3's rules on top of that: a
** number converts only when it is integral and inside [-2^63, 2^63), and
** anything else raises "number has no integer representation", never a
** silent truncation. (Such numbers are exact only up to 2^53.)
*/
#ifndef MM_COMPAT_H
#define MM_COMPAT_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"


/*
** {======================================================
** Before 5.4: luaL_typeerror, lua_newuserdatauv, luaL_pushfail
** =======================================================
*/
#if LUA_VERSION_NUM < 504

/* 5.4's message: the metatable's __name when there is one. */
static int mmc_typeerror (lua_State *L, int arg, const char *tname) {
  const char *got = luaL_typename(L, arg);
  if (luaL_getmetafield(L, arg, "__name") && lua_type(L, -1) == LUA_TSTRING)
    got = lua_tostring(L, -1);
  else if (lua_type(L, arg) == LUA_TLIGHTUSERDATA)
    got = "light userdata";
  return luaL_argerror(L, arg,
                       lua_pushfstring(L, "%s expected, got %s", tname, got));
}

#define luaL_typeerror(L, arg, tname)  mmc_typeerror(L, arg, tname)
#define lua_newuserdatauv(L, size, nuv)  lua_newuserdata(L, size)
#define luaL_pushfail(L)  lua_pushnil(L)

#endif
/* }====================================================== */


/*
** {======================================================
** Before 5.3: lua_rawget's result, integers
** =======================================================
*/
#if LUA_VERSION_NUM < 503

/* 5.3 returns the type of the value pushed. */
#define lua_rawget(L, idx)  (lua_rawget(L, idx), lua_type(L, -1))

/* 2^63 as a double, exactly. */
#define MMC_TWO63  9223372036854775808.0

static lua_Integer mmc_tointegerx (lua_State *L, int idx, int *ok) {
  lua_Number f = lua_tonumber(L, idx);  /* 0 for a non-number */
  *ok = lua_isnumber(L, idx) && f >= -MMC_TWO63 && f < MMC_TWO63 &&
        (lua_Number)(lua_Integer)f == f;
  return *ok ? (lua_Integer)f : 0;
}

static lua_Integer mmc_checkinteger (lua_State *L, int arg) {
  int ok;
  lua_Integer v = mmc_tointegerx(L, arg, &ok);
  if (!ok) {
    if (lua_isnumber(L, arg))
      luaL_argerror(L, arg, "number has no integer representation");
    else
      luaL_typeerror(L, arg, "number");
  }
  return v;
}

static lua_Integer mmc_optinteger (lua_State *L, int arg, lua_Integer def) {
  return lua_isnoneornil(L, arg) ? def : mmc_checkinteger(L, arg);
}

#define lua_tointegerx(L, idx, ok)  mmc_tointegerx(L, idx, ok)
#define luaL_checkinteger(L, arg)  mmc_checkinteger(L, arg)
#define luaL_optinteger(L, arg, def)  mmc_optinteger(L, arg, def)

#endif
/* }====================================================== */


/*
** {======================================================
** Before 5.2 (5.1 and LuaJIT): libraries, udata tests, buffers, results
** =======================================================
*/
#if LUA_VERSION_NUM < 502

#include "lualib.h"  /* LUA_FILEHANDLE */

/* 5.2's, with `false` for a NULL function (a placeholder). */
static void mmc_setfuncs (lua_State *L, const luaL_Reg *l, int nup) {
  luaL_checkstack(L, nup, "too many upvalues");
  for (; l->name != NULL; l++) {
    int i;
    if (l->func == NULL)
      lua_pushboolean(L, 0);
    else {
      for (i = 0; i < nup; i++)
        lua_pushvalue(L, -nup);
      lua_pushcclosure(L, l->func, nup);
    }
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}

static void *mmc_testudata (lua_State *L, int idx, const char *tname) {
  void *p = lua_touserdata(L, idx);
  int same = 0;
  if (p != NULL && lua_getmetatable(L, idx)) {
    luaL_getmetatable(L, tname);
    same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
  }
  return same ? p : NULL;
}

static void mmc_setmetatable (lua_State *L, const char *tname) {
  luaL_getmetatable(L, tname);
  lua_setmetatable(L, -2);
}

static const char *mmc_tolstring (lua_State *L, int idx, size_t *len) {
  if (lua_type(L, idx) == LUA_TSTRING || lua_type(L, idx) == LUA_TNUMBER) {
    lua_pushvalue(L, idx);
    lua_tostring(L, -1);
  }
  else if (lua_type(L, idx) == LUA_TBOOLEAN)
    lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
  else if (lua_isnil(L, idx))
    lua_pushliteral(L, "nil");
  else
    lua_pushfstring(L, "%s: %p", luaL_typename(L, idx), lua_topointer(L, idx));
  return lua_tolstring(L, -1, len);
}

static int mmc_fileresult (lua_State *L, int stat, const char *fname) {
  int en = errno;
  if (stat) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  if (fname != NULL)
    lua_pushfstring(L, "%s: %s", fname, strerror(en));
  else
    lua_pushstring(L, strerror(en));
  lua_pushinteger(L, en);
  return 3;
}

/*
** A result buffer of exactly `size` bytes: 5.1's luaL_Buffer only grows in
** LUAL_BUFFERSIZE steps, so the bytes live in a userdata on the stack top
** until mmc_pushresultsize turns them into the string.
*/
static char *mmc_buffinitsize (lua_State *L, luaL_Buffer *B, size_t size) {
  B->L = L;
  B->p = (char *)lua_newuserdata(L, size ? size : 1);
  return B->p;
}

static void mmc_pushresultsize (luaL_Buffer *B, size_t size) {
  lua_pushlstring(B->L, B->p, size);
  lua_remove(B->L, -2);
}

#define luaL_setfuncs(L, l, nup)  mmc_setfuncs(L, l, nup)
#define luaL_testudata(L, idx, tname)  mmc_testudata(L, idx, tname)
#define luaL_setmetatable(L, tname)  mmc_setmetatable(L, tname)
#define luaL_tolstring(L, idx, len)  mmc_tolstring(L, idx, len)
#define luaL_fileresult(L, stat, fname)  mmc_fileresult(L, stat, fname)
#define luaL_buffinitsize(L, B, size)  mmc_buffinitsize(L, B, size)
#define luaL_pushresultsize(B, size)  mmc_pushresultsize(B, size)
#ifndef luaL_newlib  /* LuaJIT has both */
#define luaL_newlibtable(L, l)  \
  lua_createtable(L, 0, (int)(sizeof(l) / sizeof((l)[0])) - 1)
#define luaL_newlib(L, l)  (luaL_newlibtable(L, l), luaL_setfuncs(L, l, 0))
#endif

#endif
/* }====================================================== */


/*
** {======================================================
** A result string of n bytes, filled in place (read, slice, long lines)
** =======================================================
**
**   p = mmc_resultinit(L, &r, n)   room for n bytes (may raise a memory
**                                  error; nothing to free then)
**   mmc_resultfree(&r)             on a failure before the push
**   mmc_pushresult(&r, len)        the first len <= n bytes as a string
**   mmc_viastack(n, limit)         whether a result of n bytes is better
**                                  copied through a stack buffer of limit
*/
#if LUA_VERSION_NUM >= 505

/*
** 5.5 makes a string over a buffer of the caller's (lua_pushexternalstring),
** so the bytes are copied once, from the map into what becomes the string.
** The buffer comes from the state's own allocator, which Lua later frees it
** through; calling the allocator runs no collection step, but the binding
** re-checks the map after it all the same. Short strings (LUAI_MAXSHORTLEN,
** 40 in 5.5) are copied and interned by Lua whatever one does: they go
** through a small array here and never allocate. The collector learns of
** the bytes (they are outside its count) by a step as large, as 5.5's own
** luaL_pushresult does.
*/
#define MMC_SHORT  40

typedef struct mmc_Result {
  lua_State *L;
  char *p;      /* the buffer, or NULL while the bytes are in small */
  size_t size;  /* bytes asked for */
  char small[MMC_SHORT];
} mmc_Result;

static char *mmc_resultinit (lua_State *L, mmc_Result *r, size_t n) {
  void *ud;
  lua_Alloc allocf = lua_getallocf(L, &ud);
  r->L = L;
  r->size = n;
  r->p = NULL;
  if (n <= MMC_SHORT)
    return r->small;
  r->p = (char *)allocf(ud, NULL, 0, n + 1);  /* + 1: the ending '\0' */
  if (r->p == NULL) {
    lua_pushliteral(L, "not enough memory");
    lua_error(L);
  }
  return r->p;
}

static void mmc_resultfree (mmc_Result *r) {
  if (r->p != NULL) {
    void *ud;
    lua_Alloc allocf = lua_getallocf(r->L, &ud);
    allocf(ud, r->p, r->size + 1, 0);
    r->p = NULL;
  }
}

static void mmc_pushresult (mmc_Result *r, size_t len) {
  lua_State *L = r->L;
  void *ud;
  lua_Alloc allocf = lua_getallocf(L, &ud);
  if (r->p == NULL) {
    lua_pushlstring(L, r->small, len);
    return;
  }
  if (len <= MMC_SHORT) {  /* Lua would copy it: free the buffer first */
    memcpy(r->small, r->p, len);
    mmc_resultfree(r);
    lua_pushlstring(L, r->small, len);
    return;
  }
  if (len < r->size) {  /* Lua frees len + 1 bytes: the block must say so */
    char *q = (char *)allocf(ud, r->p, r->size + 1, len + 1);
    if (q == NULL) {
      mmc_resultfree(r);
      lua_pushliteral(L, "not enough memory");
      lua_error(L);
    }
    r->p = q;
  }
  r->p[len] = '\0';
  lua_pushexternalstring(L, r->p, len, allocf, ud);  /* frees it on failure */
  r->p = NULL;
  lua_gc(L, LUA_GCSTEP, len);
}

#define mmc_viastack(n, limit)  ((n) <= MMC_SHORT)

#else

/* Before 5.5: a luaL_Buffer of exactly n bytes, copied into the string. */
typedef struct mmc_Result {
  luaL_Buffer b;
} mmc_Result;

#define mmc_resultinit(L, r, n)  luaL_buffinitsize(L, &(r)->b, n)
#define mmc_resultfree(r)  ((void)(r))  /* its box goes with the error */
#define mmc_pushresult(r, len)  luaL_pushresultsize(&(r)->b, len)
#define mmc_viastack(n, limit)  ((n) <= (limit))

#endif
/* }====================================================== */


/*
** {======================================================
** Counts in pack formats
** =======================================================
*/

/*
** The largest count string.pack reads ("c" lengths, integral sizes): 5.5
** reads a size_t up to the largest Lua integer, earlier Luas an int.
*/
#if LUA_VERSION_NUM >= 505
#define MMC_COUNTMAX  ((int64_t)((uint64_t)SIZE_MAX < (uint64_t)INT64_MAX ? \
                                 (uint64_t)SIZE_MAX : (uint64_t)INT64_MAX))
#else
#define MMC_COUNTMAX  ((int64_t)INT_MAX)
#endif

/* }====================================================== */


/*
** {======================================================
** io handles: the FILE of an open Lua file
** =======================================================
*/

/*
** The FILE of the io handle at idx, or NULL when idx holds no io handle;
** a closed handle raises liolib's message. 5.2+ mark a closed handle by
** its `closef`; 5.1 and LuaJIT by a NULL FILE (their handle starts with it).
*/
static FILE *mmc_tofile (lua_State *L, int idx) {
#if LUA_VERSION_NUM >= 502
  luaL_Stream *p = (luaL_Stream *)luaL_testudata(L, idx, LUA_FILEHANDLE);
  int closed = p != NULL && p->closef == NULL;
  FILE *f = p != NULL ? p->f : NULL;
#else
  FILE **p = (FILE **)luaL_testudata(L, idx, LUA_FILEHANDLE);
  int closed = p != NULL && *p == NULL;
  FILE *f = p != NULL ? *p : NULL;
#endif
  if (closed)
    luaL_error(L, "attempt to use a closed file");
  return f;
}

/* }====================================================== */

#endif
