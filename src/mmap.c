/*
** mmap.c: the Lua binding of lua-mmap. Python's mmap for Lua.
**
** This file only translates between the Lua stack and the core (mm_core.h):
** it parses arguments, calls one core function, and pushes the result.
** Misuse raises Python's message; an OS failure returns nil, msg, errno.
**
** Module:  mmap.mmap(fileno, length [, flags [, prot [, access [, offset]]]])
**          mmap.mmap(fileno, length, {flags=, prot=, access=, offset=, trackfd=})
**          mmap.open(path [, mode [, length [, offset]]])
**          mmap.type(x), mmap._VERSION, constants
** Methods: close closed find rfind flush madvise move read read_byte readline
**          resize seek seekable size tell write write_byte slice setslice
**          (beyond Python) lines match gmatch unpack pack topointer
**          mlock munlock atomic_load atomic_store atomic_add atomic_sub
**          atomic_and atomic_or atomic_xor atomic_exchange atomic_cas wait
**          notify
** Meta:    __index __newindex __len __tostring __close __gc
** C API:   luaopen_mmap lmmap_check lmmap_test (src/lmmap.h)
*/
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#define LMMAP_BUILD  /* lmmap.h: export the C API (Windows) */
#include "lmmap.h"
#include "mm_compat.h"
#include "mm_core.h"

#define MMAP_META "mmap"


/*
** {======================================================
** Checkers and results
** =======================================================
*/

/*
** A system failure: nil, message, code, as luaL_fileresult gives them, but
** in the system's words (Windows has its own codes and texts).
*/
static int oserror (lua_State *L, const char *path) {
  char buf[256];
  int code;
  const char *msg = mm_oserror(buf, sizeof buf, &code);
  luaL_pushfail(L);
  if (path != NULL)
    lua_pushfstring(L, "%s: %s", path, msg);
  else
    lua_pushstring(L, msg);
  lua_pushinteger(L, code);
  return 3;
}


/* Raise the message of a misuse status; for MM_EOS push nil, msg, code. */
static int failure (lua_State *L, int status) {
  if (status == MM_EOS)
    return oserror(L, NULL);
  if (status == MM_EBUS) {
    char at[24];
    snprintf(at, sizeof at, "%" PRId64, mm_fault_offset());
    return luaL_error(L, mm_message(MM_EBUS), at);
  }
  return luaL_error(L, "%s", mm_message(status));
}


/* true on success, as Python's None; otherwise as failure(). */
static int result (lua_State *L, int status) {
  if (status != MM_OK)
    return failure(L, status);
  lua_pushboolean(L, 1);
  return 1;
}


/*
** The map at argument 1. Every method and metamethod has the metatable as
** its first upvalue, so this is luaL_checkudata without its registry
** lookup: it runs on every call.
*/
static mm_map *checkmap (lua_State *L) {
  void *m = lua_touserdata(L, 1);
  int same = 0;
  if (m != NULL && lua_getmetatable(L, 1)) {
    same = lua_rawequal(L, -1, lua_upvalueindex(1));
    lua_pop(L, 1);
  }
  if (!same) luaL_typeerror(L, 1, MMAP_META);
  return (mm_map *)m;
}


/* The map at argument 1, which must be open (as liolib's tofile). */
static mm_map *tomap (lua_State *L) {
  mm_map *m = checkmap(L);
  if (m->data == NULL)
    failure(L, MM_ECLOSED);
  return m;
}


/* Checks made after the arguments are parsed, as Python makes them. */
static void readable (lua_State *L, const mm_map *m) {
  if (!mm_readable(m))
    failure(L, MM_ENOTREADABLE);
}


static void writable (lua_State *L, const mm_map *m) {
  if (!mm_writable(m))
    failure(L, MM_EREADONLY);
}


/*
** After allocating a buffer for a result, before copying into it: the
** allocation may have run a finalizer that closed or shrank the map, so
** the bytes up to `end` must still be there.
*/
static int present (const mm_map *m, size_t end) {
  if (m->data == NULL) return MM_ECLOSED;
  if (end > m->size) return MM_EINDEX;
  return MM_OK;
}

static void stillthere (lua_State *L, const mm_map *m, size_t end) {
  int st = present(m, end);
  if (st != MM_OK) failure(L, st);
}


/* A result buffer (mm_compat.h) that will not be pushed: give it back,
   then raise (or return nil, msg, errno) as failure() does. */
static int resultfailure (lua_State *L, mmc_Result *r, int status) {
  mmc_resultfree(r);
  return failure(L, status);
}


/*
** Push bytes [at, at + n) of the map as a string (a capture, an unpacked
** string); short ones through a stack buffer, checked with stillthere
** once the buffer exists.
*/
static void pushbytes (lua_State *L, const mm_map *m, size_t at, size_t n) {
  char buf[LUAL_BUFFERSIZE];
  int st;
  if (n <= sizeof buf) {  /* short values (most) need no Lua buffer */
    stillthere(L, m, at + n);
    if (n && (st = mm_copyout(m, at, n, buf)) != MM_OK) failure(L, st);
    lua_pushlstring(L, buf, n);
  }
  else {
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n);
    stillthere(L, m, at + n);
    if ((st = mm_copyout(m, at, n, p)) != MM_OK) failure(L, st);
    luaL_pushresultsize(&b, n);
  }
}


/* An optional integer: NULL when absent or nil (so nil means omitted). */
static const int64_t *optint (lua_State *L, int arg, int64_t *v) {
  if (lua_isnoneornil(L, arg))
    return NULL;
  *v = (int64_t)luaL_checkinteger(L, arg);
  return v;
}


/* An integer argument that must fit a C int (flags, options). */
static int checkint (lua_State *L, int arg, lua_Integer v) {
  luaL_argcheck(L, v >= -0x7fffffff - 1 && v <= 0x7fffffff, arg,
                "value out of range");
  return (int)v;
}


/* Data arguments are strings; numbers are not coerced (manual §1). */
static const char *checkdata (lua_State *L, int arg, size_t *len) {
  if (lua_type(L, arg) != LUA_TSTRING)
    luaL_typeerror(L, arg, "string");
  return lua_tolstring(L, arg, len);
}


/*
** A number that is an integer in value (2 and 2.0, not 2.5): *ok tells.
** Integral floats beyond the integer range give INT64_MAX or INT64_MIN,
** so that they are simply out of range.
*/
static int64_t tointeger (lua_State *L, int arg, int *ok) {
  lua_Number f;
  lua_Integer i = lua_tointegerx(L, arg, ok);
  if (*ok || lua_type(L, arg) != LUA_TNUMBER)
    return (int64_t)i;
  f = lua_tonumber(L, arg);
  *ok = (f - f == 0) && (f >= 9223372036854775808.0 || f < -9223372036854775808.0);
  return f > 0 ? INT64_MAX : INT64_MIN;
}


/* An index key: a number with an integer value, in range. */
static size_t checkindex (lua_State *L, const mm_map *m, int arg) {
  int ok = 0, st;
  size_t at = 0;
  int64_t i = lua_type(L, arg) == LUA_TNUMBER ? tointeger(L, arg, &ok) : 0;
  if (!ok) failure(L, MM_EKEY);
  if ((st = mm_index(m, i, &at)) != MM_OK) failure(L, st);
  return at;
}

/* }====================================================== */


/*
** {======================================================
** Metamethods
** =======================================================
*/

static int m_getbyte (lua_State *L, mm_map *m) {
  int byte, st;
  size_t at;
  if (m->data == NULL) return failure(L, MM_ECLOSED);
  readable(L, m);
  at = checkindex(L, m, 2);
  if ((st = mm_getbyte(m, at, &byte)) != MM_OK) return failure(L, st);
  lua_pushinteger(L, byte);
  return 1;
}


/* Numbers index bytes; strings name methods or "closed"; never raises else. */
static int m_index (lua_State *L) {
  int t = lua_type(L, 2);
  if (t == LUA_TSTRING) {  /* a method, first: the common case, no check */
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL)
      return 1;
    if (strcmp(lua_tostring(L, 2), "closed") == 0)
      lua_pushboolean(L, checkmap(L)->data == NULL);
    return 1;
  }
  if (t == LUA_TNUMBER)
    return m_getbyte(L, checkmap(L));
  lua_pushnil(L);
  return 1;
}


static int m_newindex (lua_State *L) {
  mm_map *m = tomap(L);
  size_t at;
  int ok = 0, st;
  int64_t v;
  writable(L, m);
  at = checkindex(L, m, 2);
  v = lua_type(L, 3) == LUA_TNUMBER ? tointeger(L, 3, &ok) : 0;
  if (!ok) return failure(L, MM_EVALUE);
  if (v < 0 || v > 255) return failure(L, MM_EVALUERANGE);
  if ((st = mm_setbyte(m, at, (int)v)) != MM_OK) return failure(L, st);
  return 0;
}


static int m_len (lua_State *L) {
  lua_pushinteger(L, (lua_Integer)tomap(L)->size);
  return 1;
}


static int m_tostring (lua_State *L) {
  static const char *const names[] = {
    "ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY" };
  mm_map *m = checkmap(L);
  char s[128];  /* %I is 5.3+: lua_pushfstring cannot format the numbers */
  if (m->data == NULL)
    lua_pushliteral(L, "<mmap.mmap closed=true>");
  else {
    snprintf(s, sizeof s, "<mmap.mmap closed=false, access=%s, length=%" PRIu64
             ", pos=%" PRIu64 ", offset=%" PRId64 ">", names[m->access],
             (uint64_t)m->size, (uint64_t)m->pos, (int64_t)m->offset);
    lua_pushstring(L, s);
  }
  return 1;
}


/* close(), __close and __gc: unmap and release; idempotent, never raises. */
static int m_gc (lua_State *L) {
  mm_close(checkmap(L));
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** Methods
** =======================================================
*/

static int m_close (lua_State *L) {
  mm_close(checkmap(L));
  lua_pushboolean(L, 1);
  return 1;
}


static int findx (lua_State *L, int reverse) {
  mm_map *m = tomap(L);
  size_t n;
  const char *sub = checkdata(L, 2, &n);
  int64_t a, b, found;
  const int64_t *start = optint(L, 3, &a), *stop = optint(L, 4, &b);
  int st;
  readable(L, m);
  if ((st = mm_find(m, sub, n, start, stop, reverse, &found)) != MM_OK)
    return failure(L, st);
  if (found < 0)
    lua_pushnil(L);
  else
    lua_pushinteger(L, (lua_Integer)found);
  return 1;
}


static int m_find (lua_State *L) {
  return findx(L, 0);
}


static int m_rfind (lua_State *L) {
  return findx(L, 1);
}


static int m_flush (lua_State *L) {
  mm_map *m = tomap(L);
  int64_t a, b;
  const int64_t *offset = optint(L, 2, &a), *size = optint(L, 3, &b);
  int f, *flags = NULL;
  if (!lua_isnoneornil(L, 4)) {
    f = checkint(L, 4, luaL_checkinteger(L, 4));
    flags = &f;
  }
  return result(L, mm_flush(m, offset, size, flags));
}


/* mlock() / munlock(): pin the whole mapping in RAM, or unpin it. */
static int m_mlock (lua_State *L) {
  return result(L, mm_lock(tomap(L), 1));
}


static int m_munlock (lua_State *L) {
  return result(L, mm_lock(tomap(L), 0));
}


static int m_madvise (lua_State *L) {
  mm_map *m = tomap(L);
  int option = checkint(L, 2, luaL_checkinteger(L, 2));
  int64_t a, b;
  const int64_t *start = optint(L, 3, &a), *length = optint(L, 4, &b);
  return result(L, mm_advise(m, option, start, length));
}


static int m_move (lua_State *L) {
  mm_map *m = tomap(L);
  int64_t dest = (int64_t)luaL_checkinteger(L, 2);
  int64_t src = (int64_t)luaL_checkinteger(L, 3);
  int64_t count = (int64_t)luaL_checkinteger(L, 4);
  readable(L, m);
  writable(L, m);
  return result(L, mm_move(m, dest, src, count));
}


/*
** Reads up to a page skip luaL_Buffer's box: one copy less and no block to
** allocate. Kept small: hosts may run Lua on small thread stacks.
*/
#define READ_STACK 4096

/*
** Push n bytes from the position (n already clamped), advancing it. Where
** the Lua takes a buffer as the string (mm_compat.h), only short reads go
** through the stack.
*/
static int pushread (lua_State *L, mm_map *m, size_t n) {
  mmc_Result r;
  char *p;
  int st;
  if (mmc_viastack(n, READ_STACK)) {  /* one copy less, no box to allocate */
    char buf[READ_STACK];
    if (n && (st = mm_read(m, n, buf)) != MM_OK) return failure(L, st);
    lua_pushlstring(L, buf, n);
    return 1;
  }
  p = mmc_resultinit(L, &r, n);
  if ((st = present(m, m->pos + n)) == MM_OK)
    st = mm_read(m, n, p);
  if (st != MM_OK) return resultfailure(L, &r, st);
  mmc_pushresult(&r, n);
  return 1;
}


/* read([n]): nil at the end when n > 0, "" when reading all (manual §3). */
static int m_read (lua_State *L) {
  mm_map *m = tomap(L);
  lua_Integer n = luaL_optinteger(L, 2, -1);
  size_t left;
  readable(L, m);
  left = mm_remaining(m);
  if (n > 0 && left == 0) {
    lua_pushnil(L);
    return 1;
  }
  if (n < 0 || (uint64_t)n > left)
    n = (lua_Integer)left;
  return pushread(L, m, (size_t)n);
}


static int m_read_byte (lua_State *L) {
  mm_map *m = tomap(L);
  int byte, st;
  readable(L, m);
  if ((st = mm_read_byte(m, &byte)) != MM_OK) return failure(L, st);
  if (byte < 0)
    lua_pushnil(L);
  else
    lua_pushinteger(L, byte);
  return 1;
}


/*
** Push the line at the position and advance past it; nil at the end. keep:
** keep the "\n". Short lines come from one guarded step into a stack
** buffer; a longer one through a Lua buffer.
*/
static int pushline (lua_State *L, mm_map *m, int keep) {
  char buf[LUAL_BUFFERSIZE];
  size_t n;
  int st = mm_getline(m, buf, sizeof buf, &n);
  if (st != MM_OK) return failure(L, st);
  if (n == 0) {
    lua_pushnil(L);
    return 1;
  }
  if (n <= sizeof buf)
    lua_pushlstring(L, buf, n - (!keep && buf[n - 1] == '\n'));
  else {
    mmc_Result r;
    char *p = mmc_resultinit(L, &r, n);
    if ((st = present(m, m->pos + n)) == MM_OK)
      st = mm_read(m, n, p);
    if (st != MM_OK) return resultfailure(L, &r, st);
    mmc_pushresult(&r, n - (!keep && p[n - 1] == '\n'));
  }
  return 1;
}


static int m_readline (lua_State *L) {
  mm_map *m = tomap(L);
  readable(L, m);
  return pushline(L, m, 1);
}


/* The iterator of lines(): the map and the format are its upvalues. */
static int lines_step (lua_State *L) {
  mm_map *m = (mm_map *)lua_touserdata(L, lua_upvalueindex(1));
  if (m->data == NULL) return failure(L, MM_ECLOSED);
  return pushline(L, m, lua_toboolean(L, lua_upvalueindex(2)));
}


/* lines([fmt]): "l" (default) drops the newline, "L" keeps it. */
static int m_lines (lua_State *L) {
  mm_map *m = tomap(L);
  const char *fmt = luaL_optstring(L, 2, "l");
  if (*fmt == '*') fmt++;  /* "*l", as Lua 5.1 spelled it */
  luaL_argcheck(L, (fmt[0] == 'l' || fmt[0] == 'L') && fmt[1] == '\0', 2,
                "invalid format");
  readable(L, m);
  lua_settop(L, 1);
  lua_pushboolean(L, fmt[0] == 'L');
  lua_pushcclosure(L, lines_step, 2);
  return 1;
}


/* The address, for C, LuaJIT's FFI and lrexlib; not guarded (manual §12). */
static int m_topointer (lua_State *L) {
  lua_pushlightuserdata(L, tomap(L)->data);
  return 1;
}


static int m_resize (lua_State *L) {
  mm_map *m = tomap(L);
  int64_t newsize = (int64_t)luaL_checkinteger(L, 2);
  return result(L, mm_resize(m, newsize));
}


/* A whence: 0/1/2 or "set"/"cur"/"end"; anything else is -1. */
static int towhence (lua_State *L, int arg) {
  static const char *const names[] = { "set", "cur", "end" };
  int ok, i;
  lua_Integer w;
  if (lua_type(L, arg) == LUA_TSTRING) {
    const char *s = lua_tostring(L, arg);
    for (i = 0; i < 3; i++)
      if (strcmp(s, names[i]) == 0) return i;
    return -1;
  }
  w = lua_tointegerx(L, arg, &ok);
  return (lua_type(L, arg) == LUA_TNUMBER && ok && w >= 0 && w <= 2)
         ? (int)w : -1;
}


/*
** seek(pos [, whence]) in Python's order, seek(whence [, offset]) in Lua's;
** seek() alone is tell(), with no range check.
*/
static int m_seek (lua_State *L) {
  mm_map *m = tomap(L);
  int64_t off, newpos;
  int whence, st;
  if (lua_type(L, 2) == LUA_TSTRING) {
    whence = towhence(L, 2);
    off = (int64_t)luaL_optinteger(L, 3, 0);
  }
  else if (lua_isnoneornil(L, 2) && lua_isnoneornil(L, 3)) {
    lua_pushinteger(L, (lua_Integer)m->pos);
    return 1;
  }
  else {
    off = (int64_t)luaL_optinteger(L, 2, 0);
    whence = lua_isnoneornil(L, 3) ? 0 : towhence(L, 3);
  }
  if ((st = mm_seek(m, off, whence, &newpos)) != MM_OK)
    return failure(L, st);
  lua_pushinteger(L, (lua_Integer)newpos);
  return 1;
}


static int m_seekable (lua_State *L) {
  checkmap(L);
  lua_pushboolean(L, 1);
  return 1;
}


static int m_size (lua_State *L) {
  int64_t size;
  int st = mm_size(tomap(L), &size);
  if (st != MM_OK) return failure(L, st);
  lua_pushinteger(L, (lua_Integer)size);
  return 1;
}


static int m_tell (lua_State *L) {
  lua_pushinteger(L, (lua_Integer)tomap(L)->pos);
  return 1;
}


static int m_write (lua_State *L) {
  mm_map *m = tomap(L);
  size_t n;
  const char *data = checkdata(L, 2, &n);
  int st;
  writable(L, m);
  if ((st = mm_write(m, data, n)) != MM_OK) return failure(L, st);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}


static int m_write_byte (lua_State *L) {
  mm_map *m = tomap(L);
  int ok;
  int64_t v;
  luaL_checktype(L, 2, LUA_TNUMBER);
  v = tointeger(L, 2, &ok);
  if (!ok || v < 0 || v > 255) return failure(L, MM_EBYTE);
  writable(L, m);
  return result(L, mm_write_byte(m, (int)v));
}


/* Optional slice bounds: start and stop at 2 and 3, a step at step_arg. */
typedef struct bounds {
  int64_t v[3];
  const int64_t *p[3];  /* NULL: omitted */
} bounds;


static void checkbounds (lua_State *L, int step_arg, bounds *b) {
  b->p[0] = optint(L, 2, &b->v[0]);
  b->p[1] = optint(L, 3, &b->v[1]);
  b->p[2] = step_arg ? optint(L, step_arg, &b->v[2]) : NULL;
}


static void resolve (lua_State *L, const mm_map *m, const bounds *b,
                     mm_slice *s) {
  int st = mm_slice_resolve(m, b->p[0], b->p[1], b->p[2], s);
  if (st != MM_OK) failure(L, st);
}


static int m_slice (lua_State *L) {
  mm_map *m = tomap(L);
  bounds bd;
  mm_slice s;
  mmc_Result r;
  char *p;
  int st;
  checkbounds(L, 4, &bd);
  readable(L, m);
  resolve(L, m, &bd, &s);
  p = mmc_resultinit(L, &r, s.count);
  if ((st = present(m, mm_slice_end(&s))) == MM_OK && s.count)
    st = mm_gather(m, &s, p);
  if (st != MM_OK) return resultfailure(L, &r, st);
  mmc_pushresult(&r, s.count);
  return 1;
}


/*
** setslice(start, stop, data) or setslice(start, stop, step, data): the
** count of arguments decides (manual §4); a fifth and later are ignored.
*/
static int m_setslice (lua_State *L) {
  mm_map *m = tomap(L);
  int step_arg = lua_gettop(L) >= 5 ? 4 : 0;
  size_t n;
  const char *data;
  bounds bd;
  mm_slice s;
  int st;
  checkbounds(L, step_arg, &bd);  /* arguments are checked left to right */
  data = checkdata(L, step_arg ? 5 : 4, &n);
  writable(L, m);
  resolve(L, m, &bd, &s);
  if (s.count != n) return failure(L, MM_ESLICESIZE);
  if (n && (st = mm_scatter(m, &s, data)) != MM_OK) return failure(L, st);
  lua_pushboolean(L, 1);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Module functions
** =======================================================
*/

/* fileno: an integer descriptor (-1: anonymous) or an open Lua file. */
static int checkfd (lua_State *L, int *fd) {
  FILE *f = mmc_tofile(L, 1);
  if (f != NULL) {
    *fd = mm_filefd(f);  /* its buffer reaches the file first */
    return *fd >= 0;
  }
  if (lua_type(L, 1) != LUA_TNUMBER)
    luaL_typeerror(L, 1, "file or integer");
  {
    lua_Integer v = luaL_checkinteger(L, 1);
    *fd = (v >= -1 && v <= 0x7fffffff) ? (int)v : -2;  /* -2: a bad fd */
  }
  return 1;
}


/* Access outside 0..3 stays invalid when narrowed to an int. */
static int checkaccess (int64_t v) {
  return (v >= 0 && v <= 3) ? (int)v : -1;
}


/* An integer option from the table at t; the value is on the stack top. */
static int64_t intoption (lua_State *L, int t, const char *key) {
  int ok;
  lua_Integer v = lua_tointegerx(L, -1, &ok);
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_argerror(L, t, lua_pushfstring(L,
        "option '%s': number expected, got %s", key, luaL_typename(L, -1)));
  if (!ok)
    luaL_argerror(L, t, lua_pushfstring(L,
        "option '%s': number has no integer representation", key));
  return (int64_t)v;
}


/*
** tagname (Windows): a string without zero bytes, or nil; "" names
** nothing, as nil. It stays on the stack, where the map is made.
*/
static const char *checktag (lua_State *L, int arg, int t) {
  size_t len;
  const char *tag;
  if (lua_isnoneornil(L, arg)) return NULL;
  if (lua_type(L, arg) != LUA_TSTRING) {
    if (arg == t) luaL_typeerror(L, arg, "string");
    luaL_argerror(L, t, lua_pushfstring(L,
        "option 'tagname': string expected, got %s", luaL_typename(L, arg)));
  }
  tag = lua_tolstring(L, arg, &len);
  if (strlen(tag) != len)
    luaL_argerror(L, t, "tagname contains a zero byte");
  return tag;
}


/* The option's index in keys, or 6 (unknown) for a key that this
   platform's signature lacks: flags and prot, or tagname. */
static int optionkey (const char *const *keys, const char *k) {
  int i = 0;
  while (keys[i] != NULL && strcmp(keys[i], k) != 0) i++;
  if (mm_tagnames() ? i <= 1 : i == 5) i = 6;
  return i;
}


static void getoptions (lua_State *L, int t, mm_params *p) {
  static const char *const keys[] = {
    "flags", "prot", "access", "offset", "trackfd", "tagname", NULL };
  lua_pushnil(L);
  while (lua_next(L, t) != 0) {
    const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
    int i = optionkey(keys, k);
    if (i == 5) {  /* the string stays reachable: the table holds it */
      p->tag = checktag(L, -1, t);
      lua_pop(L, 1);
      continue;
    }
    switch (i) {
      case 0: p->flags = checkint(L, t, intoption(L, t, k)); break;
      case 1: p->prot = checkint(L, t, intoption(L, t, k)); break;
      case 2: p->access = checkaccess(intoption(L, t, k)); break;
      case 3: p->offset = intoption(L, t, k); break;
      case 4:
        if (!lua_isboolean(L, -1))
          luaL_argerror(L, t, lua_pushfstring(L,
              "option 'trackfd': boolean expected, got %s",
              luaL_typename(L, -1)));
        p->fdmode = lua_toboolean(L, -1) ? MM_FD_DUP : MM_FD_BORROW;
        break;
      default:
        luaL_error(L, "mmap: unknown option '%s'", luaL_tolstring(L, -2, NULL));
    }
    lua_pop(L, 1);
  }
}


static mm_map *newmap (lua_State *L) {
  mm_map *m = (mm_map *)lua_newuserdatauv(L, sizeof(mm_map), 0);
  memset(m, 0, sizeof *m);
  m->fd = -1;
  luaL_setmetatable(L, MMAP_META);
  return m;
}


/* Push the new map, nil + msg + errno for an OS failure, or raise. */
static int created (lua_State *L, int status, const char *path) {
  if (status == MM_OK) return 1;
  if (status == MM_EOS) return oserror(L, path);
  return failure(L, status);
}


static int mmap_new (lua_State *L) {
  mm_params p;
  mm_defaults(&p);
  if (!checkfd(L, &p.fd))
    return oserror(L, NULL);
  p.length = (int64_t)luaL_checkinteger(L, 2);
  if (lua_istable(L, 3))
    getoptions(L, 3, &p);
  else if (mm_tagnames()) {  /* Windows: fileno, length, tagname, access, offset */
    p.tag = checktag(L, 3, 3);
    p.access = checkaccess(luaL_optinteger(L, 4, MM_ACCESS_DEFAULT));
    p.offset = (int64_t)luaL_optinteger(L, 5, 0);
  }
  else {
    p.flags = checkint(L, 3, luaL_optinteger(L, 3, p.flags));
    p.prot = checkint(L, 4, luaL_optinteger(L, 4, p.prot));
    p.access = checkaccess(luaL_optinteger(L, 5, MM_ACCESS_DEFAULT));
    p.offset = (int64_t)luaL_optinteger(L, 6, 0);
  }
  return created(L, mm_create(newmap(L), &p), NULL);
}


/* "r", "r+", "w+", "c", each with an optional trailing "b". */
static int checkmode (lua_State *L, int arg) {
  static const char *const modes[] = { "r", "r+", "w+", "c" };
  size_t len;
  const char *mode = luaL_optlstring(L, arg, "r", &len);
  size_t n = (len > 0 && mode[len - 1] == 'b') ? len - 1 : len;
  int i;
  for (i = 0; i < 4; i++)  /* lengths compared: no embedded "\0" passes */
    if (strlen(modes[i]) == n && memcmp(modes[i], mode, n) == 0)
      return i;
  return luaL_error(L, "mmap: invalid mode '%s'", mode);
}


static int mmap_open (lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int mode = checkmode(L, 2);
  int64_t length = (int64_t)luaL_optinteger(L, 3, 0);
  int64_t offset = (int64_t)luaL_optinteger(L, 4, 0);
  if (mode == MM_MODE_WPLUS && length == 0)
    return luaL_error(L, "mmap: mode 'w+' needs a length");
  return created(L, mm_openpath(newmap(L), path, mode, length, offset), path);
}


static int mmap_type (lua_State *L) {
  mm_map *m;
  luaL_checkany(L, 1);
  m = (mm_map *)luaL_testudata(L, 1, MMAP_META);
  if (m == NULL)
    luaL_pushfail(L);
  else if (m->data == NULL)
    lua_pushliteral(L, "closed mmap");
  else
    lua_pushliteral(L, "mmap");
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Patterns: match and gmatch run Lua 5.4's patterns over the mapped bytes
** in place (mm_match.h); only the values they return are copied out, each
** by a guarded copy after the match.
** =======================================================
*/

#include "mm_match.h"


/* A start or stop: negative counts from the end of n bytes, then >= 0. */
static int64_t patbound (int64_t v, size_t n) {
  if (v < 0) {
    v += (int64_t)n;  /* cannot overflow: n <= INT64_MAX */
    if (v < 0) v = 0;
  }
  return v;
}


/*
** The values of mm_match's result, as string.match's: the captures, or the
** whole match when there is none; positions are 0-based offsets.
*/
static int pushmatch (lua_State *L, const mm_map *m, int st,
                      const mm_matchres *r) {
  int i;
  if (st == MM_EPATTERN) return luaL_error(L, "%s", r->msg);
  if (st != MM_OK) return failure(L, st);
  if (!r->found) {
    luaL_pushfail(L);
    return 1;
  }
  if (r->ncap == 0) {
    pushbytes(L, m, r->start, r->end - r->start);
    return 1;
  }
  luaL_checkstack(L, r->ncap, "too many captures");
  for (i = 0; i < r->ncap; i++) {
    if (r->cap[i].len == MM_CAP_POSITION)
      lua_pushinteger(L, (lua_Integer)r->cap[i].at);
    else
      pushbytes(L, m, r->cap[i].at, r->cap[i].len);
  }
  return r->ncap;
}


/*
** match(pattern [, start [, stop]]): the subject is [0, stop) and the search
** starts at start, as string.match(s:sub(1, stop), pattern, start + 1);
** nil when start is past stop.
*/
static int m_match (lua_State *L) {
  mm_map *m = tomap(L);
  size_t plen;
  const char *p = checkdata(L, 2, &plen);
  int64_t a, b;
  const int64_t *start = optint(L, 3, &a), *stop = optint(L, 4, &b);
  mm_matchres r;
  readable(L, m);
  a = start ? patbound(*start, m->size) : 0;
  b = stop ? patbound(*stop, m->size) : (int64_t)m->size;
  if (b > (int64_t)m->size) b = (int64_t)m->size;
  if (a > b) {
    luaL_pushfail(L);
    return 1;
  }
  return pushmatch(L, m,
                   mm_match(m, p, plen, (size_t)a, (size_t)b, 0, NULL, &r),
                   &r);
}


/* The state of a gmatch iterator: its third upvalue. */
typedef struct gmstate {
  int64_t src;    /* where the next search starts */
  int64_t stop;   /* if hasstop; else the end of the map at each step */
  size_t last;    /* if haslast: where the last match ended */
  int hasstop, haslast;
} gmstate;


/* The iterator: the map, the pattern and a gmstate are its upvalues. */
static int gmatch_step (lua_State *L) {
  mm_map *m = (mm_map *)lua_touserdata(L, lua_upvalueindex(1));
  size_t plen;
  const char *p = lua_tolstring(L, lua_upvalueindex(2), &plen);
  gmstate *gm = (gmstate *)lua_touserdata(L, lua_upvalueindex(3));
  int64_t size, stop;
  mm_matchres r;
  int st;
  if (m->data == NULL) return failure(L, MM_ECLOSED);
  size = (int64_t)m->size;  /* again at each step: a resize changes it */
  stop = (gm->hasstop && gm->stop < size) ? gm->stop : size;
  if (gm->src > stop) return 0;
  st = mm_match(m, p, plen, (size_t)gm->src, (size_t)stop, 1,
                gm->haslast ? &gm->last : NULL, &r);
  if (st == MM_OK && !r.found) return 0;  /* as string.gmatch: no value */
  if (r.found) {  /* the next search starts where this match ended */
    gm->src = (int64_t)r.end;
    gm->last = r.end;
    gm->haslast = 1;
  }
  return pushmatch(L, m, st, &r);
}


/* gmatch(pattern [, start [, stop]]): string.gmatch's iterator over the map. */
static int m_gmatch (lua_State *L) {
  mm_map *m = tomap(L);
  size_t plen;
  int64_t a, b;
  const int64_t *start, *stop;
  gmstate *gm;
  checkdata(L, 2, &plen);
  start = optint(L, 3, &a);
  stop = optint(L, 4, &b);
  readable(L, m);
  lua_settop(L, 2);  /* the map and the pattern: upvalues 1 and 2 */
  gm = (gmstate *)lua_newuserdatauv(L, sizeof *gm, 0);
  gm->src = start ? patbound(*start, m->size) : 0;
  gm->hasstop = stop != NULL;
  gm->stop = stop ? patbound(*stop, m->size) : 0;
  gm->last = 0;
  gm->haslast = 0;
  lua_pushcclosure(L, gmatch_step, 3);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Binary packing: unpack and pack read and write string.pack formats in
** the map (mm_pack.h), raising string.unpack's and string.pack's errors.
** Alignment is reckoned from the start of the map. unpack decodes under
** one guard and copies strings out afterwards; pack takes and checks every
** value first, and writes nothing unless all of them are good and fit.
** Neither keeps anything for a character of the format that gives no
** value: a long format of spaces or padding costs no memory.
** =======================================================
*/

#include "mm_pack.h"

/* The core's integers and floats must be this Lua's. */
typedef char pack_sizes_agree[(sizeof(lua_Integer) == sizeof(int64_t) &&
                               sizeof(lua_Number) == sizeof(double)) ? 1 : -1];

#define PACK_AUTO 32  /* items or values held on the C stack */

/* Does an option of this kind take a value (pack) or give one (unpack)? */
#define HASVALUE(kind) ((kind) >= MMP_INT && (kind) <= MMP_ZSTR)

#ifdef LUAI_MAXSTACK
#define PACK_MAXVALUES LUAI_MAXSTACK  /* more could never be returned */
#else
#define PACK_MAXVALUES 1000000
#endif


/*
** Raise a status of the packing core with string.pack's wording: format
** errors name the format, value and data errors argument arg.
*/
static int packfailure (lua_State *L, int st, int64_t detail, int arg) {
  const char *msg, *text = mmp_message(st), *d = strstr(text, "%d");
  if (st <= MMP_EBASE) return failure(L, st);
  if (st == MMP_EMANY)
    return luaL_error(L, "stack overflow (%s)", text);
  if (d != NULL && (detail > INT_MAX || detail < INT_MIN)) {
    /* a count past an int (5.5 reads them as size_t): the whole number,
       where string.pack's own message would print it cut to an int */
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, detail);
    lua_pushlstring(L, text, (size_t)(d - text));
    lua_pushstring(L, num);
    lua_pushstring(L, d + 2);
    lua_concat(L, 3);
    msg = lua_tostring(L, -1);
  }
  else
    msg = lua_pushfstring(L, text, (int)detail);
  switch (mmp_blame(st)) {
    case MMP_BLAME_FORMAT: return luaL_argerror(L, 2, msg);
    case MMP_BLAME_DATA: return luaL_argerror(L, arg, msg);
    default: return luaL_error(L, "%s", msg);
  }
}


static void pushunpacked (lua_State *L, const mm_map *m,
                          const mmp_value *v) {
  switch (v->kind) {
    case MMP_INT: lua_pushinteger(L, (lua_Integer)v->v.i); break;
    case MMP_DOUBLE: lua_pushnumber(L, (lua_Number)v->v.d); break;
    default: pushbytes(L, m, v->v.str.at, v->v.str.len);
  }
}


/* unpack's quick path: a format of one integer option (mmp_single). */
static int unpackint (lua_State *L, const mm_map *m, size_t off,
                      const mmp_option *o) {
  int64_t v;
  int st;
  if ((size_t)o->size > m->size - off)
    return packfailure(L, MMP_ESHORT, 0, 3);
  if ((st = mm_unpack_int(m, off, o, &v)) != MM_OK)
    return failure(L, st);
  lua_pushinteger(L, (lua_Integer)v);
  lua_pushinteger(L, (lua_Integer)(off + (size_t)o->size));
  return 2;
}


/* The offset of unpack: negative from the end, then within [0, #mm]. */
static size_t unpackoffset (lua_State *L, const mm_map *m, int64_t off) {
  if (off < 0) off += (int64_t)m->size;  /* cannot overflow */
  luaL_argcheck(L, off >= 0 && (uint64_t)off <= m->size, 3,
                "initial position out of string");
  return (size_t)off;
}


/*
** How many values fmt gives, counted up to its first format error (where
** unpacking stops too) and up to PACK_MAXVALUES (one more raises "too many
** results"): the room unpack makes for them. The options do not depend on
** the offset, only their padding does, so 0 stands for it.
*/
static size_t unpackcount (const char *fmt) {
  mmp_format f;
  mmp_option o;
  size_t n = 0;
  int64_t detail;
  mmp_init(&f, fmt);
  while (n < PACK_MAXVALUES && mmp_next(&f, 0, &o, &detail) == MM_OK &&
         o.kind != MMP_END)
    n += HASVALUE(o.kind);
  return n;
}


/*
** unpack(fmt [, offset]): the values, then the offset after them. The
** values are decoded into C first, under one guard: up to PACK_AUTO on the
** C stack, more in a userdata of 24 bytes for each value the format gives
** (not for each character), at most PACK_MAXVALUES of them. That memory
** is bounded by a constant always (24 MB with a stack of a million slots),
** and by the values returned whenever unpack succeeds (each takes a slot
** of the Lua stack as well); a call that fails part way has had room for
** the values after the failure too.
*/
static int m_unpack (lua_State *L) {
  mm_map *m = tomap(L);
  size_t flen, cap = PACK_AUTO, off, i, want;
  const char *fmt = luaL_checklstring(L, 2, &flen);
  int64_t given = (int64_t)luaL_optinteger(L, 3, 0);
  mmp_value autovals[PACK_AUTO], *vals = autovals;
  mmp_option o;
  mmp_result r;
  int st;
  readable(L, m);
  off = unpackoffset(L, m, given);
  if (mmp_single(fmt, &o))
    return unpackint(L, m, off, &o);
  /* an option takes a character at least: short formats fit autovals */
  if (flen > PACK_AUTO && (want = unpackcount(fmt)) > PACK_AUTO) {
    cap = want;
    vals = (mmp_value *)lua_newuserdatauv(L, cap * sizeof *vals, 0);
    if (m->data == NULL) return failure(L, MM_ECLOSED);  /* a finalizer */
    off = unpackoffset(L, m, given);
  }
  st = mm_unpack(m, fmt, off, vals, cap, &r);
  if (st != MM_OK) return packfailure(L, st, r.detail, 3);
  luaL_checkstack(L, (int)r.n + 4, "too many results");
  for (i = 0; i < r.n; i++)
    pushunpacked(L, m, &vals[i]);
  lua_pushinteger(L, (lua_Integer)r.next);
  return (int)r.n + 1;
}


/* Take an item's value from argument arg, converting as string.pack does. */
static void packvalue (lua_State *L, int arg, mmp_item *it) {
  switch (it->opt.kind) {
    case MMP_INT: case MMP_UINT:
      it->v.i = (int64_t)luaL_checkinteger(L, arg);
      break;
    case MMP_FLOAT: case MMP_DOUBLE:
      it->v.d = (double)luaL_checknumber(L, arg);
      break;
    default:
      it->v.str.s = luaL_checklstring(L, arg, &it->v.str.len);
  }
}


/*
** pack's first pass: read the format, take and check every value as
** string.pack does (raising its errors) and count the bytes from offset
** off. Alignment is reckoned from off even when it is out of the map,
** which the caller checks afterwards. *n counts the items that have bytes;
** the first PACK_AUTO of them are kept in items (with pointers to their
** strings, which stay on the stack), so that a short format, the common
** case, needs no second pass. Nothing else is kept.
*/
static uint64_t packmeasure (lua_State *L, const char *fmt, int64_t off,
                             mmp_item *items, size_t *n) {
  mmp_format f;
  mmp_item it;
  uint64_t total = 0, before;
  int arg = 3, st;
  int64_t detail = 0;
  mmp_init(&f, fmt);
  for (;;) {
    st = mmp_next(&f, (uint64_t)off + total, &it.opt, &detail);
    if (st != MM_OK) packfailure(L, st, detail, 2);
    if (it.opt.kind == MMP_END) return total;
    if (HASVALUE(it.opt.kind)) packvalue(L, ++arg, &it);
    before = total;
    if ((st = mmp_measure(&it, &total)) != MM_OK) packfailure(L, st, 0, arg);
    if (total != before && (*n)++ < PACK_AUTO) items[*n - 1] = it;
  }
}


/*
** pack's second pass, for a format of more than PACK_AUTO items, once
** everything is checked and fits: read the format again and write the
** items in batches of PACK_AUTO in items, so that the memory used is the
** same for any format. The values are taken again from the same
** arguments, as the first pass left them (lua_tolstring made a number
** packed as a string a string in its slot): the same options come at the
** same offsets with the same values, and nothing can fail or raise.
** Taking them allocates nothing and runs no Lua code, so no finalizer can
** close or resize the map between batches; and no Lua API is called while
** a batch is armed (mm_pack). The first batch reads every page of the
** whole range before it writes anything.
*/
static int packwrite (lua_State *L, mm_map *m, const char *fmt, size_t off,
                      size_t total, mmp_item *items) {
  mmp_format f;
  uint64_t pos = off, before;
  size_t start = off, probe = total, n = 0;
  int arg = 3, st;
  int64_t detail;
  mmp_init(&f, fmt);
  for (;;) {
    mmp_item *it = &items[n];
    if (mmp_next(&f, pos, &it->opt, &detail) != MM_OK  /* never: pass 1 */
        || it->opt.kind == MMP_END)
      break;
    if (HASVALUE(it->opt.kind)) packvalue(L, ++arg, it);
    before = pos;
    mmp_measure(it, &pos);  /* MM_OK: pass 1 measured this very item */
    if (pos != before && ++n == PACK_AUTO) {
      st = mm_pack(m, start, items, n, (size_t)pos - start, probe);
      if (st != MM_OK) return st;
      start = (size_t)pos;
      probe = 0;
      n = 0;
    }
  }
  return mm_pack(m, start, items, n, (size_t)pos - start, probe);
}


/*
** pack(fmt, offset, ...): write the values at offset (negative: from the
** end); returns the offset after them. Checks come in the project's order:
** the arguments (format and values, as string.pack checks them), then
** closed (by a finalizer the first pass ran), read-only, then "data out
** of range" when the bytes do not all fit. Only then is anything written.
** The memory used is bounded by a constant whatever the format's length
** (numbers packed as strings are made strings, as string.pack makes them).
*/
static int m_pack (lua_State *L) {
  mm_map *m = tomap(L);
  const char *fmt = luaL_checkstring(L, 2);
  int64_t off = (int64_t)luaL_checkinteger(L, 3);
  mmp_item items[PACK_AUTO];
  size_t n = 0;
  uint64_t total;
  int st;
  if (off < 0) off += (int64_t)m->size;  /* may stay negative: checked last */
  lua_pushnil(L);  /* as string.pack: a missing value reads as nil */
  total = packmeasure(L, fmt, off, items, &n);
  if (m->data == NULL) return failure(L, MM_ECLOSED);  /* by a finalizer */
  writable(L, m);
  if (off < 0 || (uint64_t)off > m->size || total > m->size - (size_t)off)
    return failure(L, MM_EDATA);
  if (n <= PACK_AUTO)  /* all kept: one batch */
    st = mm_pack(m, (size_t)off, items, n, (size_t)total, (size_t)total);
  else
    st = packwrite(L, m, fmt, (size_t)off, (size_t)total, items);
  if (st != MM_OK) return failure(L, st);
  lua_pushinteger(L, (lua_Integer)off + (lua_Integer)total);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Atomics: atomic_* read or change one aligned integer of the map in one
** indivisible step, and wait / notify sleep on and wake a 4-byte word
** (mm_atomic.h; doc/mmap.md §12). Checks in pack's order: the arguments
** (offset, values, format, then whether the values fit it), then
** readable, then read-only, then where the value lies.
** =======================================================
*/

#include <math.h>  /* HUGE_VAL */

#include "mm_atomic.h"

/* The format at argument arg ("j" when absent or nil) as a type. */
static void atomictype (lua_State *L, int arg, mma_type *t) {
  size_t len = 1;
  const char *fmt = "j";
  if (!lua_isnoneornil(L, arg))
    fmt = checkdata(L, arg, &len);
  if (mma_type_of(fmt, len, t) != MM_OK)
    luaL_argerror(L, arg, lua_pushfstring(L, mm_message(MM_EATOMICFMT), fmt));
}


/* Raise string.pack's error when the value at arg does not fit type t. */
static void atomicfits (lua_State *L, int arg, const mma_type *t,
                        int64_t v) {
  int st = mma_fits(t, v);
  if (st != MM_OK)
    luaL_argerror(L, arg, mmp_message(st));
}


/* atomic_*(offset, [v, [desired,]] [fmt]): nv values before the format. */
static int atomicop (lua_State *L, int op, int nv) {
  mm_map *m = tomap(L);
  int64_t off = (int64_t)luaL_checkinteger(L, 2), v[2] = { 0, 0 }, old;
  mma_type t;
  size_t at;
  int i, st;
  for (i = 0; i < nv; i++)
    v[i] = (int64_t)luaL_checkinteger(L, 3 + i);
  atomictype(L, 3 + nv, &t);
  for (i = 0; i < nv; i++)
    atomicfits(L, 3 + i, &t, v[i]);
  readable(L, m);
  if (op != MMA_LOAD) writable(L, m);
  if ((st = mm_atomic_at(m, off, t.size, &at)) != MM_OK ||
      (st = mm_atomic(m, at, &t, op, v[0], v[1], &old)) != MM_OK)
    return failure(L, st);
  lua_pushinteger(L, (lua_Integer)old);
  return 1;
}


static int m_atomic_load (lua_State *L) {
  return atomicop(L, MMA_LOAD, 0);
}


static int m_atomic_store (lua_State *L) {
  return atomicop(L, MMA_STORE, 1);
}


static int m_atomic_add (lua_State *L) {
  return atomicop(L, MMA_ADD, 1);
}


static int m_atomic_sub (lua_State *L) {
  return atomicop(L, MMA_SUB, 1);
}


static int m_atomic_and (lua_State *L) {
  return atomicop(L, MMA_AND, 1);
}


static int m_atomic_or (lua_State *L) {
  return atomicop(L, MMA_OR, 1);
}


static int m_atomic_xor (lua_State *L) {
  return atomicop(L, MMA_XOR, 1);
}


static int m_atomic_exchange (lua_State *L) {
  return atomicop(L, MMA_EXCHANGE, 1);
}


static int m_atomic_cas (lua_State *L) {
  return atomicop(L, MMA_CAS, 2);
}


/* Timeouts from this many seconds on (some 285 years) never end. */
#define WAIT_FOREVER 9.0e9

/*
** wait(offset, expected [, timeout]): expected is compared with the word
** as 32 bits, so that it may be given signed or unsigned ("i4" or "I4");
** timeout in seconds, nil (or math.huge) for none, negative as 0.
*/
static int m_wait (lua_State *L) {
  static const char *const outcomes[] = { "ok", "not-equal", "timed-out" };
  mm_map *m = tomap(L);
  int64_t off = (int64_t)luaL_checkinteger(L, 2), ns = -1;
  int64_t expected = (int64_t)luaL_checkinteger(L, 3);
  size_t at;
  int st, outcome;
  if (!lua_isnoneornil(L, 4)) {
    lua_Number s = luaL_checknumber(L, 4);
    luaL_argcheck(L, s == s, 4, mm_message(MM_ETIMEOUT));
    ns = s <= 0 ? 0 : s >= WAIT_FOREVER ? -1 : (int64_t)(s * 1e9);
  }
  if (expected < INT32_MIN || expected > (int64_t)UINT32_MAX)
    luaL_argerror(L, 3, mmp_message(MMP_EOVERFLOW));
  readable(L, m);
  if ((st = mm_atomic_at(m, off, 4, &at)) != MM_OK ||
      (st = mm_wait(m, at, (uint32_t)expected, ns, &outcome)) != MM_OK)
    return failure(L, st);
  lua_pushstring(L, outcomes[outcome]);
  return 1;
}


/* notify(offset [, count]): count nil or math.huge for all, negative as 0. */
static int m_notify (lua_State *L) {
  mm_map *m = tomap(L);
  int64_t off = (int64_t)luaL_checkinteger(L, 2), count = INT64_MAX, woken;
  size_t at;
  int st;
  if (!lua_isnoneornil(L, 3) &&
      !(lua_type(L, 3) == LUA_TNUMBER && lua_tonumber(L, 3) == HUGE_VAL)) {
    count = (int64_t)luaL_checkinteger(L, 3);
    if (count < 0) count = 0;
  }
  readable(L, m);
  if ((st = mm_atomic_at(m, off, 4, &at)) != MM_OK ||
      (st = mm_notify(m, at, count, &woken)) != MM_OK)
    return failure(L, st);
  lua_pushinteger(L, (lua_Integer)woken);
  return 1;
}

/* }====================================================== */


static const luaL_Reg meta[] = {
  {"__newindex", m_newindex},
  {"__len", m_len},
  {"__tostring", m_tostring},
  {"__close", m_gc},
  {"__gc", m_gc},
  {"__index", NULL},  /* placeholder: a closure over the method table */
  {NULL, NULL}
};

static const luaL_Reg methods[] = {
  {"atomic_add", m_atomic_add},
  {"atomic_and", m_atomic_and},
  {"atomic_cas", m_atomic_cas},
  {"atomic_exchange", m_atomic_exchange},
  {"atomic_load", m_atomic_load},
  {"atomic_or", m_atomic_or},
  {"atomic_store", m_atomic_store},
  {"atomic_sub", m_atomic_sub},
  {"atomic_xor", m_atomic_xor},
  {"close", m_close},
  {"find", m_find},
  {"flush", m_flush},
  {"gmatch", m_gmatch},
  {"lines", m_lines},
  {"madvise", m_madvise},
  {"match", m_match},
  {"mlock", m_mlock},
  {"move", m_move},
  {"munlock", m_munlock},
  {"notify", m_notify},
  {"pack", m_pack},
  {"read", m_read},
  {"read_byte", m_read_byte},
  {"readline", m_readline},
  {"resize", m_resize},
  {"rfind", m_rfind},
  {"seek", m_seek},
  {"seekable", m_seekable},
  {"setslice", m_setslice},
  {"size", m_size},
  {"slice", m_slice},
  {"tell", m_tell},
  {"topointer", m_topointer},
  {"unpack", m_unpack},
  {"wait", m_wait},
  {"write", m_write},
  {"write_byte", m_write_byte},
  {NULL, NULL}
};

static const luaL_Reg funcs[] = {
  {"mmap", mmap_new},
  {"open", mmap_open},
  {"type", mmap_type},
  {NULL, NULL}
};


/* Methods and metamethods get the metatable as upvalue 1 (see checkmap). */
static void createmeta (lua_State *L) {
  luaL_newmetatable(L, MMAP_META);
  lua_pushliteral(L, MMAP_META);    /* 5.3+ set it; 5.1/5.2 do not */
  lua_setfield(L, -2, "__name");
  lua_pushvalue(L, -1);
  luaL_setfuncs(L, meta, 1);
  luaL_newlibtable(L, methods);
  lua_pushvalue(L, -2);
  luaL_setfuncs(L, methods, 1);     /* stack: metatable, methods */
  if (!mm_advises()) {  /* Windows: absent, as in Python there */
    lua_pushnil(L);
    lua_setfield(L, -2, "madvise");
  }
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, m_index, 2);  /* upvalues: metatable, methods */
  lua_setfield(L, -3, "__index");
  lua_pop(L, 2);
}


static void setconstants (lua_State *L) {
  static const char *const access[] = {
    "ACCESS_DEFAULT", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY" };
  const mm_const *c;
  int i;
  for (i = 0; i < 4; i++) {
    lua_pushinteger(L, i);
    lua_setfield(L, -2, access[i]);
  }
  lua_pushinteger(L, (lua_Integer)mm_pagesize());
  lua_setfield(L, -2, "PAGESIZE");
  lua_pushinteger(L, (lua_Integer)mm_granularity());
  lua_setfield(L, -2, "ALLOCATIONGRANULARITY");
  for (c = mm_constants(); c->name != NULL; c++) {
    lua_pushinteger(L, (lua_Integer)c->value);
    lua_setfield(L, -2, c->name);
  }
}


/*
** The C API (src/lmmap.h): a map's address for host code, as
** luaL_testudata / luaL_checkudata give a userdata's. A closed map has no
** address: lmmap_test gives NULL, lmmap_check raises as every method does.
*/
LMMAP_API void *lmmap_test (lua_State *L, int idx, size_t *len,
                            int *writable) {
  mm_map *m = (mm_map *)luaL_testudata(L, idx, MMAP_META);
  if (m == NULL || m->data == NULL)
    return NULL;
  if (len != NULL) *len = m->size;
  if (writable != NULL) *writable = mm_writable(m);
  return m->data;
}


LMMAP_API void *lmmap_check (lua_State *L, int idx, size_t *len,
                             int *writable) {
  void *p = lmmap_test(L, idx, len, writable);
  if (p == NULL) {
    if (luaL_testudata(L, idx, MMAP_META) == NULL)
      luaL_typeerror(L, idx, MMAP_META);
    failure(L, MM_ECLOSED);
  }
  return p;
}


LMMAP_API int luaopen_mmap (lua_State *L) {
  mmp_countmax(MMC_COUNTMAX);  /* format counts as this Lua reads them */
  createmeta(L);
  luaL_newlib(L, funcs);
  setconstants(L);
  lua_pushliteral(L, LMMAP_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
