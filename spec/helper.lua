-- Shared helpers for the specs: error texts, temporary files, maps closed
-- after each test, error matching, descriptors. Every spec does
-- `local H = require "helper"`.

-- busted's `assert` (luassert), which the specs see as the global `assert`:
-- the helpers that stand in for spec code check with it, so that a failure
-- there reads and counts as the spec's own.
-- It is loaded at its first use, so that a child process (H.child) that
-- requires this file for a function or two keeps a small heap: the specs
-- whose children make the collector run whole cycles at every allocation
-- need one.
local luassert = setmetatable({}, {
  __index = function(_, k) return require("luassert")[k] end,
  __call = function(_, ...) return require("luassert")(...) end,
})

local H = {}

-- The module's error texts (doc/mmap.md §11, src/mm_core.c's messages[],
-- src/mmap.c), by short name: the one place the specs spell them. Tests match them with H.raises (plain find).
-- `option`, `mode` and `bus` have a value to fill in with string.format.
H.MSG = {
  -- the constructor and mmap.open
  length = "memory mapped length must be positive",
  offset = "memory mapped offset must be positive",
  both = "mmap can't specify both access and flags, prot.",
  access = "mmap invalid access parameter.",
  empty = "cannot mmap an empty file",
  offbig = "mmap offset is greater than file size",
  lenbig = "mmap length is greater than file size",
  closedfile = "attempt to use a closed file",
  option = "mmap: unknown option '%s'",
  mode = "mmap: invalid mode '%s'",
  needlen = "mmap: mode 'w+' needs a length",
  -- any operation
  closed = "mmap closed or invalid",
  readonly = "mmap can't modify a readonly memory map.",
  unreadable = "mmap is not readable",
  bus = "mmap: bus error at offset %d: the file shrank beneath the map or its disk is full",
  -- mm[i], mm[i] = v
  indices = "mmap indices must be integers",
  index = "mmap index out of range",
  itemint = "mmap item value must be an int",
  itemrange = "mmap item value must be in range(0, 256)",
  -- write, write_byte, move
  byterange = "byte must be in range(0, 256)",
  data = "data out of range",
  writebyte = "write byte out of range",
  move = "source, destination, or count out of range",
  -- seek
  seek = "seek out of range",
  whence = "unknown seek type",
  -- flush, madvise
  flush = "flush values out of range",
  madvstart = "madvise start out of bounds",
  madvlen = "madvise length invalid",
  madvlarge = "madvise length too large",
  -- slice, setslice
  zerostep = "slice step cannot be zero",
  wrongsize = "mmap slice assignment is wrong size",
  -- resize, size
  newsize = "new size out of range",
  notrack = "mmap can't resize with trackfd=False.",
  noresize = "mmap can't resize a readonly or copy-on-write memory map.",
  expand = "mmap: can't expand a shared anonymous mapping on Linux",
  nosize = "can't get size with trackfd=False",
  -- atomic_*, wait, notify (`atomicfmt` has the format to fill in)
  atomicfmt = "invalid atomic format '%s': one integer option of 1, 2, 4 or 8 bytes expected",
  atomicrange = "mmap atomic offset out of range",
  atomicalign = "mmap atomic offset must be a multiple of the value's size",
  timeout = "timeout is not a number (NaN)",
  overflow = "integer overflow",
  unsigned = "unsigned overflow",
  -- status texts of the core that are never raised as such
  noerror = "no error",
  syserror = "system error",
}

H.LUA = os.getenv("LUA") or "lua5.4"
-- A Windows Lua (cmd.exe runs its io.popen; doc/mmap.md §14, "Windows"):
-- the directory separator Lua was built with says so, whatever the module.
H.WINDOWS = package.config:sub(1, 1) == "\\"
H.VALGRIND = os.getenv("MMAP_UNDER_VALGRIND") ~= nil

--[[ {======================================================
Portability: the specs run unchanged on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT
2.1, so they use no syntax newer than 5.1's (no //, <<, &, |, ~, goto,
<close>), and what differs between the versions goes through these names.
====================================================== ]]

H.JIT = rawget(_G, "jit") ~= nil
H.VERSION = tonumber(_VERSION:match("%d+%.%d+"))  -- 5.1 for LuaJIT too
-- to-be-closed variables (`local x <close> = ...`): Lua 5.4 and later
H.CLOSE = not H.JIT and H.VERSION >= 5.4
-- 64-bit integers as a subtype of number (5.3+); before that every number
-- is a double, exact up to 2^53.
H.INT64 = math.type ~= nil

-- The largest and smallest integers an argument can carry: on 5.1, 5.2 and
-- LuaJIT the doubles nearest the int64 limits that convert exactly.
H.MAXINT = math.maxinteger or 9223372036854774784   -- 2^63 - 1024
H.MININT = math.mininteger or -9223372036854775808  -- -2^63

H.unpack = table.unpack or unpack
function H.pack(...) return { n = select("#", ...), ... } end

-- Compile `src` with environment `env` (a spec passes its _ENV; on 5.1 and
-- LuaJIT, where _ENV is an unset global, the caller's environment is taken).
function H.load(src, name, env)
  if setfenv and loadstring then
    local f, err = loadstring(src, name)
    if f then setfenv(f, env or getfenv(2)) end
    return f, err
  end
  return load(src, name, "t", env or _G)
end

-- The body of a spec that needs `<close>`, compiled only where it exists:
--   (H.CLOSE and it or pending)("name", H.close_body([[ ... ]], _ENV))
-- On older Luas the test shows as pending and this returns a stub.
function H.close_body(src, env)
  if not H.CLOSE then return function() end end
  return assert(H.load(src, "=close_body", env))
end

-- true when x is an integer: the subtype on 5.3+, an integral finite
-- double before.
function H.isint(x)
  if math.type then return math.type(x) == "integer" end
  return type(x) == "number" and x == math.floor(x) and x - x == 0
end

-- Operators that 5.1 lacks as syntax, on integers (before 5.3: on
-- non-negative integers below 2^53). Compiled from source on 5.3+ so that
-- this file still parses on 5.1.
if H.INT64 then
  local ops = assert(load([[return
    function(a, b) return a // b end, function(a, b) return a & b end,
    function(a, b) return a | b end, function(a, b) return a ~ b end,
    function(a, n) return a << n end, function(a, n) return a >> n end]]))
  H.idiv, H.band, H.bor, H.bxor, H.shl, H.shr = ops()
else
  function H.idiv(a, b) return math.floor(a / b) end
  local function bitwise(a, b, keep)  -- keep(x, y) for bits x, y: 0/1
    local r, bit = 0, 1
    while a > 0 or b > 0 do
      local x, y = a % 2, b % 2
      if keep(x, y) then r = r + bit end
      a, b, bit = (a - x) / 2, (b - y) / 2, bit * 2
    end
    return r
  end
  function H.band(a, b) return bitwise(a, b, function(x, y) return x + y == 2 end) end
  function H.bor(a, b) return bitwise(a, b, function(x, y) return x + y >= 1 end) end
  function H.bxor(a, b) return bitwise(a, b, function(x, y) return x + y == 1 end) end
  function H.shl(a, n) return a * 2 ^ n end
  function H.shr(a, n) return math.floor(a / 2 ^ n) end
end

-- string.pack / unpack / packsize: Lua 5.3's own, or lua-compat53's port
-- of them on 5.1, 5.2 and LuaJIT (Debian package lua-compat53).
do
  local lib = string.pack and string or require "compat53.string"
  H.spack, H.sunpack, H.spacksize = lib.pack, lib.unpack, lib.packsize
end

-- An object whose finalizer is fn: a table on 5.2+, a proxy userdata on 5.1
-- and LuaJIT, where tables have no __gc. Compiled from source, which
-- H.child gives its children too (as `finalizer`): the children that time
-- the collector must not load this whole file, which would grow their heap.
local FINALIZER = [[
  return function(fn)
    if newproxy then
      local p = newproxy(true)
      getmetatable(p).__gc = fn
      return p
    end
    return setmetatable({}, { __gc = fn })
  end]]
H.finalizer = assert(H.load(FINALIZER, "=finalizer", _G))()

-- eager_gc(pause, stepmul): the collector in incremental mode with these
-- parameters, for specs that need finalizers to run during a call; returns
-- a function that sets the previous parameters back. 5.5 removed
-- "setpause"/"setstepmul" (and ignores the numbers of "incremental"): it
-- takes them through "param", where stepmul 0 makes every step a whole
-- cycle. (Children that time the collector set it themselves, in the same
-- way: anything more in their heap moves when a cycle comes.)
local EAGER_GC = [[
  return function(pause, stepmul)
    local v = tonumber(_VERSION:match("%d+%.%d+"))
    collectgarbage("restart")  -- a collector left stopped would never step
    if v >= 5.4 then  -- the generational mode ignores these parameters
      collectgarbage("incremental")
    end
    if v >= 5.5 then
      local p = collectgarbage("param", "pause", pause)
      local m = collectgarbage("param", "stepmul", stepmul)
      return function()
        collectgarbage("param", "pause", p)
        collectgarbage("param", "stepmul", m)
      end
    end
    local p = collectgarbage("setpause", pause)
    local m = collectgarbage("setstepmul", stepmul)
    return function()
      collectgarbage("setpause", p)
      collectgarbage("setstepmul", m)
    end
  end]]
H.eager_gc = assert(H.load(EAGER_GC, "=eager_gc", _G))()

-- Its arguments, returned: `return H.values(mm:read(...))` keeps a method
-- call out of tail position, where LuaJIT loses the function's name and
-- numbers its arguments from self ("bad argument #2 to '?'").
function H.values(...) return ... end

-- A map's address as a number (its topointer light userdata, printed).
function H.address(mm)
  return tonumber(tostring(mm:topointer()):match("0x(%x+)"), 16)
end

-- Run a shell command; returns true when it exited with status 0, its
-- output (stderr included) and the exit status. (pclose's status reaches
-- Lua only on 5.2+, so the shell reports it.)
function H.run(cmd)
  if H.WINDOWS then  -- cmd.exe, which takes off a first and last quote;
    local p = assert(io.popen('"' .. cmd .. ' 2>&1"'))  -- _pclose's status
    local out = p:read("*a")
    local _, _, code = p:close()
    return code == 0, out, code
  end
  local p = assert(io.popen("(" .. cmd .. ") 2>&1; echo \"<exit $?>\""))
  local out = p:read("*a")
  p:close()
  local code = tonumber(out:match("<exit (%d+)>\n?$"))
  out = out:gsub("<exit %d+>\n?$", "")
  return code == 0, out, code
end

-- `it` when the machine has what a test needs (`reason` nil); else a
-- stand-in for `it` that shows the test as pending, the reason in its name.
-- busted hands `it` and `pending` to spec files, not to modules: the spec
-- passes its own.
function H.gate(reason, it, pending)
  if not reason then return it end
  return function(name) pending(name .. " (" .. reason .. ")") end
end

-- A number field of /proc/self/status ("VmHWM", "VmLck", ... in kB), or nil
-- where the kernel does not show it.
function H.status(field)
  -- (under wine, /proc would be found on drive Z: and be the Linux side's)
  if H.WINDOWS then return nil end
  local f = io.open("/proc/self/status", "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("\n" .. field .. ":%s*(%d+)"))
end

-- }======================================================

local made = {}

-- A fresh temporary path holding `content` (a string; "" for an empty file).
function H.tmpfile(content)
  local path = H.tmpname()
  local f = assert(io.open(path, "wb"))
  assert(f:write(content or ""))
  f:close()
  made[#made + 1] = path
  return path
end

-- The whole content of a file, read through Lua's io (not through a map).
function H.slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Size of a file in bytes, by seeking to its end.
function H.filesize(path)
  local f = assert(io.open(path, "rb"))
  local n = f:seek("end")
  f:close()
  return n
end

-- io.lines(path, ...) with the file in binary mode: Windows' text mode
-- would turn "\r\n" into "\n" (io.lines itself elsewhere).
function H.lines(path, ...)
  if not H.WINDOWS then return io.lines(path, ...) end
  local f = assert(io.open(path, "rb"))
  local it = f:lines(...)
  return function()
    local line = it()
    if line == nil then f:close() end  -- as io.lines: Windows would keep the file
    return line
  end
end

-- Truncate or extend a file through a separate handle (not through the map).
function H.truncate(path, size)
  local cur = H.slurp(path)
  local f = assert(io.open(path, "wb"))
  if size <= #cur then
    f:write(cur:sub(1, size))
  else
    f:write(cur, string.rep("\0", size - #cur))
  end
  f:close()
end

local kept = {}

-- Remember a map so that H.cleanup closes it; returns the map.
function H.keep(mm)
  kept[#kept + 1] = mm
  return mm
end

-- Close the maps given (nil ones skipped), then every map kept by H.keep,
-- latest first, then remove every file made by H.tmpfile (call from an
-- after_each / teardown).
function H.cleanup(...)
  for i = 1, select("#", ...) do
    local mm = select(i, ...)
    if mm then mm:close() end
  end
  for i = #kept, 1, -1 do
    kept[i]:close()
    kept[i] = nil
  end
  for i = #made, 1, -1 do
    os.remove(made[i])
    made[i] = nil
  end
end

-- An anonymous map holding `content`, position 0 (kept).
function H.anon(content, opts)
  local mm = H.keep(luassert(require("mmap").mmap(-1, #content, opts)))
  luassert.equals(#content, mm:write(content))
  luassert.equals(0, mm:seek(0))
  return mm
end

-- A map (kept) of a temporary file holding `content`, made through an io
-- handle opened with `mode` ("r+b" unless given) and closed again; returns the
-- map and the path.
function H.filemap(content, mode, opts)
  local path = H.tmpfile(content)
  local f = luassert(io.open(path, mode or "r+b"))
  local mm = H.keep(luassert(require("mmap").mmap(f, 0, opts)))
  f:close()
  return mm, path
end

-- An ACCESS_READ map (kept) of a temporary file holding `content`; returns
-- the map and the path.
function H.readonly(content)
  return H.filemap(content, "rb", { access = require("mmap").ACCESS_READ })
end

-- A map left with its position past its end (kept): position 5000 on a
-- private anonymous map shrunk from 8192 to 4096 bytes (doc/mmap.md §7,
-- `mm:resize`).
function H.shrunk()
  local mmap = require "mmap"
  local mm = H.keep(luassert(mmap.mmap(-1, 8192, { flags = mmap.MAP_PRIVATE })))
  luassert.equals(5000, #mm:read(5000))
  luassert.is_true(mm:resize(4096))
  luassert.equals(4096, #mm)
  return mm
end

-- A map ("r+", not kept) of a file of H.LOST.SIZE bytes (8 pages of
-- "abcdefgh", no "\n") whose file is then truncated underneath, through a
-- separate handle, to 2 pages + 100 bytes: pages 0..2 are still backed (the
-- last one partly), and every access from H.LOST.BACKED on is a bus error.
-- Returns the map and the path.
do
  local P = require("mmap").PAGESIZE
  H.LOST = { SIZE = 8 * P, BACKED = 3 * P }
end
function H.lost()
  local P = require("mmap").PAGESIZE
  local path = H.tmpfile(("abcdefgh"):rep(H.idiv(H.LOST.SIZE, 8)))
  local mm = luassert(require("mmap").open(path, "r+"))
  H.truncate(path, 2 * P + 100)
  return mm, path
end

-- The text of the bus error raised at offset n of a map.
function H.buserror(n)
  return H.MSG.bus:format(n)
end

-- The whole content of a map, read without moving its position.
function H.all(mm)
  local pos = mm:tell()
  mm:seek(0)
  local s = mm:read()
  mm:seek(pos)
  return s
end

-- The access name that tostring(m) reports ("ACCESS_READ", ...).
function H.access_of(m)
  return tostring(m):match("access=([%u_]+)")
end

-- Assert that fn(...) raises an error whose message contains `text` (plain).
function H.raises(text, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error containing '" .. text .. "', got success")
  err = tostring(err)
  assert(err:find(text, 1, true),
    "expected an error containing '" .. text .. "', got '" .. err .. "'")
  return err
end

-- Assert the `nil, message, errno` triple of an OS failure.
function H.oserror(errno, ...)
  local v, msg, code = ...
  assert(v == nil, "expected nil, got " .. tostring(v))
  assert(type(msg) == "string" and #msg > 0, "expected a message, got " .. tostring(msg))
  assert(H.isint(code), "expected an errno, got " .. tostring(code))
  if errno then
    assert(code == errno, ("expected errno %d, got %d (%s)"):format(errno, code, msg))
  end
  return msg, code
end

-- errno values on Linux (the specs run there).
H.EPERM, H.ENOENT, H.EBADF, H.EAGAIN, H.ENOMEM, H.EACCES, H.EFAULT, H.ENODEV,
  H.EINVAL, H.EFBIG = 1, 2, 9, 11, 12, 13, 14, 19, 22, 27

-- The pid of this Lua process (from /proc/self/stat, read by this process).
function H.pid()
  assert(not H.WINDOWS, H.NOTWIN and H.NOTWIN.proc)  -- wine would show Linux's
  local f = assert(io.open("/proc/self/stat", "r"))
  local pid = f:read("*n")
  f:close()
  return pid
end

-- Descriptor numbers of this process that point at `path`, in increasing
-- order (from /proc, listed by ls in a child process).
function H.fds_of(path)
  local p = luassert(io.popen("ls -l /proc/" .. H.pid() .. "/fd"))
  local out = {}
  for line in p:lines() do
    local n, target = line:match("(%d+) %-> (.*)$")
    if target == path then out[#out + 1] = tonumber(n) end
  end
  p:close()
  table.sort(out)
  return out
end

-- The open flags of descriptor `fd` of this process (from /proc fdinfo).
function H.fd_flags(fd)
  local f = luassert(io.open("/proc/" .. H.pid() .. "/fdinfo/" .. fd, "r"))
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("flags:%s*(%d+)"), 8)
end

-- open(2) flags on Linux, to test H.fd_flags against (O_CLOEXEC is 02000000).
H.O_CLOEXEC, H.O_ACCMODE, H.O_RDONLY, H.O_RDWR = 0x80000, 3, 0, 2

-- How many descriptors this process holds open right now. Each probe opens
-- (and closes) one descriptor of its own, which adds the same one to every
-- count; no child process is involved, so nothing races with the count.
function H.fdcount()
  assert(not H.WINDOWS, H.NOTWIN and H.NOTWIN.proc)  -- wine would show Linux's
  local n = 0
  for fd = 0, 1023 do
    local f = io.open("/proc/self/fdinfo/" .. fd, "r")
    if f then
      n = n + 1
      f:close()
    end
  end
  return n
end

-- The same count once the collector has run twice: the baseline of a test
-- that counts descriptors, so that a map an earlier test dropped (and the
-- collector has not reached yet) cannot close its descriptor mid-test.
function H.fdbase()
  collectgarbage("collect")
  collectgarbage("collect")
  return H.fdcount()
end

-- Run a Lua chunk in a second interpreter process that can require "mmap"
-- and "helper", and has H.finalizer as the local `finalizer`; returns
-- everything it printed, stderr included. `prefix` is shell text run first
-- in the child's shell (a ulimit, say); it must not hold '"'. The child
-- reads MMAP_CPATH (set by make check-asan) from its own environment.
function H.child(code, prefix, env)
  local script = H.tmpname()  -- removed here: not every spec calls cleanup
  local f = assert(io.open(script, "wb"))
  f:write('package.cpath = (os.getenv("MMAP_CPATH") or "./?.so;") .. package.cpath\n',
          'package.path = "./spec/?.lua;" .. package.path\n',  -- require "helper"
          ('local finalizer = assert((loadstring or load)(%q))()\n'):format(FINALIZER),
          code)
  f:close()
  local cmd = ('%ssh -c "%sexec %s %s" 2>&1'):format(env or "", prefix or "", H.LUA, script)
  if H.WINDOWS then  -- no shell text there (see H.NOTWIN.sh)
    assert(not prefix, "H.child: no shell prefix on Windows")
    cmd = H.luacmd(script)
  end
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  if H.WINDOWS and out:find("^Can't recognize '") then
    -- wine's cmd.exe could not start the process at all (seen once in
    -- several whole-suite runs, never when the spec runs alone): the
    -- child never ran, so nothing it would test has happened; once more.
    p = assert(io.popen(cmd))
    out = p:read("*a")
    p:close()
  end
  os.remove(script)
  return out
end

-- The same with the plain build (MMAP_PLAIN_CPATH, set by spec/run; else
-- ./mmap.so) and no sanitizer runtime, from the first process on: for a
-- child under `ulimit -v`, where the address space ASan reserves for its
-- shadow memory cannot exist.
function H.plainchild(code, prefix)
  if H.WINDOWS then return H.child(code, prefix) end  -- no sanitizer there
  local plain = os.getenv("MMAP_PLAIN_CPATH")
  return H.child(code, prefix, "env -u LD_PRELOAD " ..
    (plain and "MMAP_CPATH='" .. plain .. "' " or "-u MMAP_CPATH "))
end

--[[ {======================================================
What the machine allows: each answers nil when the machine has what a test
needs, else the reason it has not (for H.gate). Probed in child processes,
so that a limit that kills (SIGXFSZ) kills the probe and not the specs.
====================================================== ]]

-- Can a sparse file of `size` bytes be made where os.tmpname puts files?
-- The filesystem must take that size, the file-size limit (ulimit -f) allow
-- it, and the hole take next to no disk.
function H.sparse(size)
  if H.WINDOWS then  -- NTFS writes a file's holes out unless it is marked
    return "Windows: a file is sparse only once marked so (FSCTL_SET_SPARSE)"
  end
  -- (no sanitizer runtime for dd and stat: make check-asan preloads one)
  local ok, out = H.run(("unset LD_PRELOAD; trap '' XFSZ; f=$(mktemp -p /tmp) || exit 1; "
    .. "dd if=/dev/zero of=\"$f\" bs=1 count=1 seek=%.0f 2>/dev/null; "
    .. "stat -c '%%s %%b %%B' \"$f\"; rm -f \"$f\""):format(size - 1))
  local got, blocks, unit = out:match("^(%d+) (%d+) (%d+)")
  if not (ok and got) then return "cannot make a temporary file: " .. out end
  if tonumber(got) ~= size then
    return ("no sparse file of %.0f bytes here (file-size limit or filesystem)"):format(size)
  end
  if tonumber(blocks) * tonumber(unit) > 1024 * 1024 then
    return "the filesystem of /tmp writes holes out: no sparse files"
  end
  return nil
end

-- Does the address-space limit (ulimit -v) leave room for `size` bytes of
-- maps besides the interpreter's own (a generous 256 MiB of them)?
function H.addrspace(size)
  if H.WINDOWS then return nil end  -- no such limit there
  local _, out = H.run("ulimit -v")
  local kb = tonumber(out:match("^%s*(%d+)"))
  if kb and kb * 1024 < size + 256 * 1024 * 1024 then
    return ("the address-space limit (ulimit -v %d) is too low"):format(kb)
  end
  return nil
end

-- }======================================================

--[[ {======================================================
Reference implementations, in plain Lua on strings, that the specs compare
the module with.
====================================================== ]]

-- find / rfind on the string `s` as on a map holding it at position `pos`
-- (doc/mmap.md §5): Python's bytes.find clamping of start and stop, negative
-- ones from the end; the start defaults to `pos`; a start past the end finds
-- nothing, not even ""; an empty needle is found at the start (find) or the
-- stop (rfind). The 0-based offset, or nil.
function H.find(s, reverse, sub, pos, start, stop)
  local n = #s
  if start == nil then start = pos end
  if stop == nil then stop = n end
  if start < 0 then
    start = start + n
    if start < 0 then start = 0 end
  elseif start > n then
    return nil
  end
  if stop < 0 then
    stop = stop + n
    if stop < 0 then stop = 0 end
  elseif stop > n then
    stop = n
  end
  if stop < start then return nil end
  if sub == "" then
    if reverse then return stop end
    return start
  end
  local best
  local from = start + 1
  while true do
    local k = string.find(s, sub, from, true)
    if k == nil or k - 1 + #sub > stop then break end
    if not reverse then return k - 1 end
    best = k - 1
    from = k + 1
  end
  return best
end

-- }======================================================

-- {======================================================
-- The POSIX_ONLY build
-- make check POSIX_ONLY=1 runs the suite against the portable layer alone
-- (doc/mmap.md §14, "Platforms"), and spec/run exports MMAP_POSIX_ONLY=1.
-- A spec of a Linux or glibc extension is pending there, with the reason
-- H.linux(what) gives (nil in every other build: nothing is skipped).
-- =======================================================

H.POSIX_ONLY = os.getenv("MMAP_POSIX_ONLY") == "1"

function H.linux(what)
  if not H.POSIX_ONLY then return nil end
  return "needs " .. what .. ", which the POSIX_ONLY build leaves out"
end

-- }======================================================

-- {======================================================
-- Windows (H.WINDOWS: a Windows Lua, run under wine by make check-wine)
-- The module has Python's Windows signature there (doc/mmap.md §14): no
-- flags, prot, madvise or PROT_/MAP_/MADV_/MS_ constants, offsets in steps
-- of ALLOCATIONGRANULARITY, the system's own error codes; and the specs
-- have no /proc, no sh and no fork. A spec that cannot hold there is
-- pending with the reason H.notwin(reason) gives (nil elsewhere).
-- =======================================================

function H.notwin(reason)
  if H.WINDOWS then return reason end
  return nil
end

-- Why a spec cannot hold on Windows, by short name: nil elsewhere (for
-- H.gate(H.NOTWIN.flags, it, pending)).
H.NOTWIN = {
  flags = H.notwin("needs prot/flags and PROT_/MAP_ constants, which Windows lacks: "
                   .. "access alone says what a map may do"),
  madvise = H.notwin("needs madvise and MADV_ constants, which Windows lacks"),
  msflags = H.notwin("needs flush's MS_ flags, which Windows lacks"),
  proc = H.notwin("Linux: /proc"),
  sh = H.notwin("needs sh"),
  signals = H.notwin("POSIX signals: Windows has no SIGBUS, kill or sigaction"),
  shrink = H.notwin("Windows cannot cut a mapped file short (ERROR_USER_MAPPED_FILE): "
                    .. "windows_spec cuts it from wine's Unix side"),
  futex = H.notwin("Windows: wait polls (no futex across processes), so notify counts 0"),
}

-- The step of a map's offset: ALLOCATIONGRANULARITY (64 KiB on Windows,
-- the page size elsewhere).
H.GRAN = require("mmap").ALLOCATIONGRANULARITY

-- A fresh temporary path (no file made). os.tmpname names a file in the
-- root of the current drive on Windows: there the name goes into %TEMP%.
function H.tmpname()
  if not H.WINDOWS then return os.tmpname() end
  local dir = os.getenv("TEMP") or os.getenv("TMP") or "."
  while true do
    local path = dir .. os.tmpname()  -- tmpnam's names start with a backslash
    local f = io.open(path, "rb")
    if not f then return path end
    f:close()
  end
end

-- The command that runs the Lua script `script` in H.LUA with the words
-- given (none may hold a space or a quote), stderr with stdout: for
-- io.popen. On Windows each is quoted (cmd.exe takes off the outer pair of
-- quotes of a command that starts with one); elsewhere H.LUA may be a
-- command with words of its own.
function H.luacmd(script, ...)
  local words = { H.LUA, script, ... }
  if H.WINDOWS then
    for i, w in ipairs(words) do words[i] = '"' .. w .. '"' end
    return '"' .. table.concat(words, " ") .. ' 2>&1"'
  end
  return table.concat(words, " ") .. " 2>&1"
end

-- The options of a private anonymous map: MAP_PRIVATE, or on Windows
-- (no flags) ACCESS_COPY of paging-file memory, which copies on write too.
function H.private()
  local mmap = require "mmap"
  if H.WINDOWS then return { access = mmap.ACCESS_COPY } end
  return { flags = mmap.MAP_PRIVATE }
end

-- The arguments after fileno and length that give `access` and `offset`
-- positionally (either may be nil): flags, prot, access, offset on POSIX;
-- tagname, access, offset on Windows.
function H.posargs(access, offset)
  if H.WINDOWS then return nil, access, offset end
  return nil, nil, access, offset
end

-- The codes a map's system calls fail with. Windows gives its own
-- (winerror.h), not errno values, except where the C library fails (EBADF
-- for a descriptor); its words are the system's (wine's differ from
-- Windows'), so H.ostext checks them only where they are strerror's.
-- EALIGN is the code of an offset off the granularity.
H.EALIGN = H.EINVAL
if H.WINDOWS then
  H.EACCES, H.ENOMEM, H.EINVAL = 5, 8, 87   -- ERROR_ACCESS_DENIED, ..._NOT_ENOUGH_MEMORY, ..._INVALID_PARAMETER
  H.EALIGN = 1132                           -- ERROR_MAPPED_ALIGNMENT
end

-- Assert an OS failure's message: strerror's `text`, outside Windows.
function H.ostext(text, msg)
  if not H.WINDOWS then luassert.are.equal(text, msg) end
end

-- }======================================================

return H
