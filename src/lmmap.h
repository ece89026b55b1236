/*
** lmmap.h: the C API of lua-mmap, for programs that embed Lua.
**
**   luaopen_mmap(L)     the module opener: luaL_requiref(L, "mmap",
**                       luaopen_mmap, 0) registers it in a host that links
**                       the module in (make static builds libmmap.a)
**   lmmap_check(L, idx, &len, &writable)
**                       the address of the open map at stack index idx, as
**                       luaL_checkudata: raises "mmap expected, got ..." for
**                       anything else and "mmap closed or invalid" for a
**                       closed map
**   lmmap_test(L, idx, &len, &writable)
**                       the same, as luaL_testudata: NULL for anything but
**                       an open map
**
** Both store the map's length in *len and 1 in *writable when the map may
** be written (0 for ACCESS_READ or a map without PROT_WRITE); either
** pointer may be NULL. The address is valid until the map is resized,
** closed or collected (keep the map reachable), and accesses through it are
** not guarded against bus errors (manual §13): a file truncated underneath
** raises SIGBUS in the host's own code.
*/
#ifndef LMMAP_H
#define LMMAP_H

#include <stddef.h>

#include "lua.h"

/*
** The module is built with hidden visibility; this is what stays public.
** Windows: the DLL exports these (mmap.c defines LMMAP_BUILD); a host
** imports them from mmap.dll, or defines LMMAP_STATIC to link libmmap.a.
*/
#if defined(_WIN32)
#if defined(LMMAP_BUILD)
#define LMMAP_API extern __declspec(dllexport)
#elif defined(LMMAP_STATIC)
#define LMMAP_API extern
#else
#define LMMAP_API extern __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define LMMAP_API extern __attribute__((visibility("default")))
#else
#define LMMAP_API extern
#endif

#define LMMAP_VERSION "mmap 0.1.0"

LMMAP_API int luaopen_mmap(lua_State *L);
LMMAP_API void *lmmap_check(lua_State *L, int idx, size_t *len,
                            int *writable);
LMMAP_API void *lmmap_test(lua_State *L, int idx, size_t *len,
                           int *writable);

#endif
