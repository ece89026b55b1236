/*
** lmmap.h: the C API of lua-mmap, for programs that embed Lua.
**
**   luaopen_mmap(L)   the module opener, for luaL_requiref(L, "mmap", ...)
*/
#ifndef LMMAP_H
#define LMMAP_H

#include "lua.h"

/* The module is built with hidden visibility; this is what stays public. */
#if defined(__GNUC__)
#define LMMAP_API extern __attribute__((visibility("default")))
#else
#define LMMAP_API extern
#endif

#define LMMAP_VERSION "mmap 0.1.0"

LMMAP_API int luaopen_mmap(lua_State *L);

#endif
