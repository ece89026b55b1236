-- Model-based fuzz test: random sequences of every method and metamethod of
-- the manual (doc/mmap.md §3 to §9), with random and hostile arguments, run
-- against a pure-Lua model of the map (its bytes, position, length, closed
-- state, access mode) written from the manual, not from the module's output.
--
-- Each operation is computed twice: by the model (return values, or the error
-- text it predicts) and by the module (through pcall). Success vs error, the
-- returned values (byte-exact, integer vs float) and the error text (plain
-- substring) must agree, and after every operation the whole content
-- (mm:slice(), which does not move the position), mm:tell() and #mm must equal
-- the model's. The first disagreement fails with the seed, the phase, the
-- operation number, the call and both outcomes.
--
-- Environment:
--   MMAP_FUZZ_SEED   seed (default 20250101)
--   MMAP_FUZZ_OPS    operations in total over all phases (default 100000, or
--                    3000 when MMAP_UNDER_VALGRIND is set)
--   MMAP_FUZZ_STATS  when set, print how often each operation ran (stderr)
local H = require "helper"
local mmap = require "mmap"

-- The extreme integers (on 5.1, 5.2 and LuaJIT, where numbers are doubles,
-- the doubles nearest them that the module takes exactly: see helper.lua).
local MAXI, MINI = H.MAXINT, H.MININT

-- math.tointeger: the integer a number stands for, or nil. Before 5.3 an
-- integral double in [-2^63, 2^63), as the module converts them
-- (src/mm_compat.h).
local tointeger = math.tointeger or function(x)
  if type(x) == "number" and x == math.floor(x) and x >= -2 ^ 63 and x < 2 ^ 63 then
    return x
  end
  return nil
end
local PAGESIZE = mmap.PAGESIZE
local INT_MIN, INT_MAX = -0x80000000, 0x7fffffff

local function envint(name)
  local v = os.getenv(name)
  if v == nil or v == "" then return nil end
  local n = tonumber(v)
  n = n and tointeger(n)
  assert(n, name .. " must be an integer, got '" .. v .. "'")
  return n
end

local UNDER_VALGRIND = os.getenv("MMAP_UNDER_VALGRIND") ~= nil
local SEED = envint("MMAP_FUZZ_SEED") or 20250101
local TOTAL = envint("MMAP_FUZZ_OPS") or (UNDER_VALGRIND and 3000 or 100000)
local STATS = os.getenv("MMAP_FUZZ_STATS") ~= nil

-- The module's error texts are H.MSG's (spec/helper.lua).
local MSG = H.MSG

-- Growth beyond this cannot succeed (the specs only ask for it with sizes far
-- past any address space or file size limit); it must return nil, msg, errno.
local HUGE_SIZE = H.shl(1, 40)

-- The methods of doc/mmap.md §3 to §9 (a string key naming one gives a function).
local METHODS = {}
for name in ([[close find rfind flush madvise move read read_byte readline resize
  seek seekable size tell write write_byte slice setslice]]):gmatch("%S+") do
  METHODS[name] = true
end
METHODS.madvise = not H.WINDOWS or nil  -- Windows has no madvise

------------------------------------------------------------------------------
-- A small deterministic generator (64-bit LCG, high bits), independent of
-- math.random so that nothing else in the process can disturb the sequence.
-- The state is kept as four 16-bit limbs, least significant first, so that
-- the arithmetic is exact on every Lua (before 5.3 numbers are doubles) and
-- a seed gives the same sequence on all of them.

local LCG_MUL = { 0x7F2D, 0x4C95, 0xF42D, 0x5851 } -- 6364136223846793005
local LCG_ADD = { 0x814F, 0xF767, 0x7B7E, 0x1405 } -- 1442695040888963407
local rstate = { 0, 0, 0, 0 }

local function rnd(n) -- 0 .. n-1
  local s, c = rstate
  local m, a = LCG_MUL, LCG_ADD
  local r0 = s[1] * m[1] + a[1]
  local r1 = s[1] * m[2] + s[2] * m[1] + a[2]
  local r2 = s[1] * m[3] + s[2] * m[2] + s[3] * m[1] + a[3]
  local r3 = s[1] * m[4] + s[2] * m[3] + s[3] * m[2] + s[4] * m[1] + a[4]
  s[1] = r0 % 65536; c = H.idiv(r0, 65536); r1 = r1 + c
  s[2] = r1 % 65536; c = H.idiv(r1, 65536); r2 = r2 + c
  s[3] = r2 % 65536; c = H.idiv(r2, 65536); r3 = r3 + c
  s[4] = r3 % 65536
  return (H.idiv(s[3], 2) + s[4] * 32768) % n -- (state >> 33) % n
end

-- state = s xor 0x2545F4914F6CDD1D (s two's complement; |s| < 2^53 before 5.3)
local function reseed(s)
  local x = s < 0 and -s or s
  local limbs = {}
  for i = 1, 4 do
    limbs[i] = x % 65536
    x = H.idiv(x, 65536)
  end
  if s < 0 then -- negate: invert and add one
    local c = 1
    for i = 1, 4 do
      local v = 65535 - limbs[i] + c
      limbs[i], c = v % 65536, H.idiv(v, 65536)
    end
  end
  local mix = { 0xDD1D, 0x4F6C, 0xF491, 0x2545 }
  for i = 1, 4 do rstate[i] = H.bxor(limbs[i], mix[i]) end
  for _ = 1, 8 do rnd(2) end
end

local function pick(list)
  return list[rnd(#list) + 1]
end

------------------------------------------------------------------------------
-- The model's outcome of one operation: the packed return values (R(...)), a
-- predicted error (raised as a FAIL object), or OSERR (nil, message, errno with
-- any message and errno).

local FAIL = {}
local OSERR = setmetatable({}, { __tostring = function() return "<OSERR>" end })
local ANYFUNC = setmetatable({}, { __tostring = function() return "<a function>" end })

local function fail(msg, alts)
  error(setmetatable({ msg = msg, alts = alts }, FAIL), 0)
end

local function R(...)
  return H.pack(...)
end

local OTHER -- another open map, passed as a hostile argument ("got mmap")
local TBL = {}
local FUNC = function() end

-- The type name luaL_typeerror shows for argument i of the packed list a.
local function tname(a, i)
  if i > a.n then return "no value" end
  local v = a[i]
  if rawequal(v, OTHER) then return "mmap" end
  return type(v)
end

-- Argument errors are collected while the arguments are parsed, then raised
-- together by args_done(): the manual orders them before the value checks but not
-- among themselves, so when several arguments are bad any of their errors
-- is accepted (the module checks setslice's data before its bounds, say).
local ARGERRS = {}

local function argfail(a, i, name, what)
  if what == nil then what = "number expected, got " .. tname(a, i) end
  ARGERRS[#ARGERRS + 1] = ("bad argument #%d to '%s' (%s)"):format(i, name, what)
  return 0 -- a placeholder value: args_done() raises before it is used
end

local function args_done()
  if #ARGERRS > 0 then fail(ARGERRS[1], ARGERRS) end
end

-- luaL_checkinteger: integers, floats with an integer representation, and
-- strings convertible to such numbers.
local function reqint(a, i, name)
  local v = a[i]
  local x = v
  if type(v) == "string" then x = tonumber(v) end
  if type(x) == "number" then
    local k = tointeger(x)
    if k then return k end
    return argfail(a, i, name, "number has no integer representation")
  end
  return argfail(a, i, name)
end

-- luaL_optinteger with nil meaning omitted (doc/mmap.md §1).
local function optint(a, i, name)
  if a[i] == nil then return nil end
  return reqint(a, i, name)
end

-- Data arguments are real strings (doc/mmap.md §1): a number is not coerced.
local function reqstr(a, i, name)
  if type(a[i]) ~= "string" then
    argfail(a, i, name, "string expected, got " .. tname(a, i))
    return ""
  end
  return a[i]
end

-- A number with an integral value (doc/mmap.md §1: 2.0 counts, 2.5, nan, inf do
-- not); integral floats beyond the integer range stand for the extreme
-- integers, so that they are simply out of range. nil otherwise.
local function integral(v)
  if type(v) ~= "number" then return nil end
  local k = tointeger(v)
  if k then return k end
  if v ~= v or v == math.huge or v == -math.huge or v ~= math.floor(v) then
    return nil
  end
  return v > 0 and MAXI or MINI
end

local function need_open(M)
  if M.closed then fail(MSG.closed) end
end

local function need_writable(M)
  if M.access == "ACCESS_READ" then fail(MSG.readonly) end
end

-- PySlice_Unpack + PySlice_AdjustIndices for a sequence of length n:
-- returns the first index, the step and the slice length.
local function adjust(n, start, stop, step)
  if step == nil then step = 1 end
  if step == 0 then fail(MSG.zerostep) end
  if step < -MAXI then step = -MAXI end
  if start == nil then start = step < 0 and MAXI or 0 end
  if stop == nil then stop = step < 0 and MINI or MAXI end
  if start < 0 then
    start = start + n
    if start < 0 then start = step < 0 and -1 or 0 end
  elseif start >= n then
    start = step < 0 and n - 1 or n
  end
  if stop < 0 then
    stop = stop + n
    if stop < 0 then stop = step < 0 and -1 or 0 end
  elseif stop >= n then
    stop = step < 0 and n - 1 or n
  end
  local len = 0
  if step < 0 then
    if stop < start then len = H.idiv(start - stop - 1, -step) + 1 end
  elseif start < stop then
    len = H.idiv(stop - start - 1, step) + 1
  end
  return start, step, len
end

------------------------------------------------------------------------------
-- The model of each operation. M: { s = bytes, n = #s, pos, closed, access,
-- kind = "anon-private" | "anon-shared" | "file", fsize (file size) }.

local MODEL = {}

MODEL.index = function(M, a)
  local k = a[1]
  local t = type(k)
  if t == "string" then
    if k == "closed" then return R(M.closed) end
    if METHODS[k] then return R(ANYFUNC) end
    return R(nil)
  elseif t ~= "number" then
    return R(nil)
  end
  need_open(M)
  local i = integral(k)
  if i == nil then fail(MSG.indices) end
  if i < 0 then i = i + M.n end
  if i < 0 or i >= M.n then fail(MSG.index) end
  return R(M.s:byte(i + 1))
end

MODEL.newindex = function(M, a)
  need_open(M)
  need_writable(M)
  local i = integral(a[1])
  if i == nil then fail(MSG.indices) end
  if i < 0 then i = i + M.n end
  if i < 0 or i >= M.n then fail(MSG.index) end
  local v = integral(a[2])
  if v == nil then fail(MSG.itemint) end
  if v < 0 or v > 255 then fail(MSG.itemrange) end
  M.s = M.s:sub(1, i) .. string.char(v) .. M.s:sub(i + 2)
  return R()
end

MODEL.len = function(M)
  need_open(M)
  return R(M.n)
end

MODEL.tostring = function(M)
  if M.closed then return R("<mmap.mmap closed=true>") end
  return R(("<mmap.mmap closed=false, access=%s, length=%d, pos=%d, offset=0>")
    :format(M.access, M.n, M.pos))
end

MODEL.type = function(M)
  return R(M.closed and "closed mmap" or "mmap")
end

MODEL.close = function(M)
  M.closed = true
  return R(true)
end

MODEL.seekable = function()
  return R(true)
end

MODEL.tell = function(M)
  need_open(M)
  return R(M.pos)
end

MODEL.size = function(M)
  need_open(M)
  if M.kind == "file" then return R(M.fsize) end
  return R(M.n)
end

MODEL.read = function(M, a)
  need_open(M)
  local want = optint(a, 1, "read")
  args_done()
  local rest = M.pos < M.n and M.n - M.pos or 0
  if want ~= nil and want > 0 and rest == 0 then return R(nil) end
  local take = rest
  if want ~= nil and want >= 0 and want < rest then take = want end
  local out = M.s:sub(M.pos + 1, M.pos + take)
  M.pos = M.pos + take
  return R(out)
end

MODEL.read_byte = function(M)
  need_open(M)
  if M.pos >= M.n then return R(nil) end
  M.pos = M.pos + 1
  return R(M.s:byte(M.pos))
end

MODEL.readline = function(M)
  need_open(M)
  if M.pos >= M.n then return R(nil) end
  local stop = M.s:find("\n", M.pos + 1, true) or M.n
  local out = M.s:sub(M.pos + 1, stop)
  M.pos = stop
  return R(out)
end

MODEL.write = function(M, a)
  need_open(M)
  local d = reqstr(a, 1, "write")
  args_done()
  need_writable(M)
  if M.pos > M.n or M.n - M.pos < #d then fail(MSG.data) end
  M.s = M.s:sub(1, M.pos) .. d .. M.s:sub(M.pos + #d + 1)
  M.pos = M.pos + #d
  return R(#d)
end

MODEL.write_byte = function(M, a)
  need_open(M)
  if type(a[1]) ~= "number" then argfail(a, 1, "write_byte") end
  args_done()
  local b = integral(a[1])
  if b == nil or b < 0 or b > 255 then fail(MSG.byterange) end
  need_writable(M)
  if M.pos >= M.n then fail(MSG.writebyte) end
  M.s = M.s:sub(1, M.pos) .. string.char(b) .. M.s:sub(M.pos + 2)
  M.pos = M.pos + 1
  return R(true)
end

-- The reference search of find_spec.lua (H.find), on the model's bytes.
local function gfind(M, a, name, reverse)
  need_open(M)
  local sub = reqstr(a, 1, name)
  local start = optint(a, 2, name)
  local stop = optint(a, 3, name)
  args_done()
  return R(H.find(M.s, reverse, sub, M.pos, start, stop))
end

MODEL.find = function(M, a) return gfind(M, a, "find", false) end
MODEL.rfind = function(M, a) return gfind(M, a, "rfind", true) end

MODEL.slice = function(M, a)
  need_open(M)
  local start = optint(a, 1, "slice")
  local stop = optint(a, 2, "slice")
  local step = optint(a, 3, "slice")
  args_done()
  local at, by, len = adjust(M.n, start, stop, step)
  local out = {}
  for k = 1, len do
    out[k] = M.s:sub(at + 1, at + 1)
    at = at + by
  end
  return R(table.concat(out))
end

-- doc/mmap.md §4: 3 arguments = (start, stop, data); otherwise (start, stop, step,
-- data), the data always last of the form.
MODEL.setslice = function(M, a)
  need_open(M)
  local start = optint(a, 1, "setslice")
  local stop = optint(a, 2, "setslice")
  local step, d
  if a.n <= 3 then
    d = reqstr(a, 3, "setslice")
  else
    step = optint(a, 3, "setslice")
    d = reqstr(a, 4, "setslice")
  end
  args_done()
  need_writable(M)
  local at, by, len = adjust(M.n, start, stop, step)
  if #d ~= len then fail(MSG.wrongsize) end
  local bytes = { M.s:byte(1, -1) }
  for k = 1, len do
    bytes[at + 1] = d:byte(k)
    at = at + by
  end
  M.s = string.char(H.unpack(bytes, 1, M.n))
  return R(true)
end

MODEL.move = function(M, a)
  need_open(M)
  local dest = reqint(a, 1, "move")
  local src = reqint(a, 2, "move")
  local count = reqint(a, 3, "move")
  args_done()
  need_writable(M)
  if dest < 0 or src < 0 or count < 0 or M.n - dest < count or M.n - src < count then
    fail(MSG.move)
  end
  local piece = M.s:sub(src + 1, src + count)
  M.s = M.s:sub(1, dest) .. piece .. M.s:sub(dest + count + 1)
  return R(true)
end

local WHENCE = { set = 0, cur = 1, ["end"] = 2 }

local function towhence(w)
  if type(w) == "string" then return WHENCE[w] end
  local k = type(w) == "number" and tointeger(w)
  if k and k >= 0 and k <= 2 then return k end
  return nil
end

local function doseek(M, whence, off)
  local base = whence == 0 and 0 or whence == 1 and M.pos or M.n
  if off < -base or off > M.n - base then fail(MSG.seek) end
  M.pos = base + off
  return R(M.pos)
end

MODEL.seek = function(M, a)
  need_open(M)
  local first, second = a[1], a[2]
  if type(first) == "string" then -- Lua's order: seek(whence [, offset])
    local off = optint(a, 2, "seek") or 0
    args_done()
    local w = WHENCE[first]
    if w == nil then fail(MSG.whence) end
    return doseek(M, w, off)
  end
  if first == nil and second == nil then return R(M.pos) end -- unchecked tell
  local off = optint(a, 1, "seek") or 0 -- Python's order: seek(pos [, whence])
  args_done()
  local w = 0
  if second ~= nil then
    w = towhence(second)
    if w == nil then fail(MSG.whence) end
  end
  return doseek(M, w, off)
end

MODEL.flush = function(M, a)
  need_open(M)
  local off = optint(a, 1, "flush") or 0
  local size = optint(a, 2, "flush")
  local flags = optint(a, 3, "flush")
  if flags ~= nil and (flags < INT_MIN or flags > INT_MAX) then
    argfail(a, 3, "flush", "value out of range")
  end
  args_done()
  if off < 0 or off > M.n then fail(MSG.flush) end
  if size ~= nil and (size < 0 or size > M.n - off) then fail(MSG.flush) end
  return R(true)
end

MODEL.madvise = function(M, a)
  need_open(M)
  local option = reqint(a, 1, "madvise")
  if option < INT_MIN or option > INT_MAX then
    argfail(a, 1, "madvise", "value out of range")
  end
  local start = optint(a, 2, "madvise") or 0
  local length = optint(a, 3, "madvise") or M.n
  args_done()
  if start < 0 or start >= M.n then fail(MSG.madvstart) end
  if length < 0 then fail(MSG.madvlen) end
  if MAXI - start < length then fail(MSG.madvlarge) end
  -- the options used never fail except for an unaligned start (EINVAL)
  if start % PAGESIZE ~= 0 then return R(nil, "Invalid argument", 22) end
  return R(true)
end

MODEL.resize = function(M, a)
  need_open(M)
  local size = reqint(a, 1, "resize")
  args_done()
  if M.access == "ACCESS_READ" or M.access == "ACCESS_COPY" then fail(MSG.noresize) end
  if size < 1 then fail(MSG.newsize) end
  -- (Windows grows paging-file memory by a copy: no shared anonymous
  -- mapping is shared with another process there, no fork making one)
  if M.kind == "anon-shared" and size > M.n and not H.WINDOWS then fail(MSG.expand) end
  if size > HUGE_SIZE then return OSERR end
  if size < M.n then
    M.s = M.s:sub(1, size)
  else -- new bytes are zero, also where a shrink left old bytes in the page
    M.s = M.s .. string.rep("\0", size - M.n)
  end
  M.n = size
  if M.kind == "file" then M.fsize = size end
  return R(true)
end

------------------------------------------------------------------------------
-- How the module is called: method syntax, so that Lua's argument errors are
-- numbered without self and name the method.

-- The methods are not called as tail calls (`return values(mm:read(...))`):
-- see H.values.
local values = H.values

local CALL = {
  index = function(mm, k) return mm[k] end,
  newindex = function(mm, k, v) mm[k] = v end,
  len = function(mm) return #mm end,
  tostring = function(mm) return tostring(mm) end,
  type = function(mm) return mmap.type(mm) end,
  close = function(mm, ...) return values(mm:close(...)) end,
  seekable = function(mm, ...) return values(mm:seekable(...)) end,
  tell = function(mm, ...) return values(mm:tell(...)) end,
  size = function(mm, ...) return values(mm:size(...)) end,
  read = function(mm, ...) return values(mm:read(...)) end,
  read_byte = function(mm, ...) return values(mm:read_byte(...)) end,
  readline = function(mm, ...) return values(mm:readline(...)) end,
  write = function(mm, ...) return values(mm:write(...)) end,
  write_byte = function(mm, ...) return values(mm:write_byte(...)) end,
  find = function(mm, ...) return values(mm:find(...)) end,
  rfind = function(mm, ...) return values(mm:rfind(...)) end,
  slice = function(mm, ...) return values(mm:slice(...)) end,
  setslice = function(mm, ...) return values(mm:setslice(...)) end,
  move = function(mm, ...) return values(mm:move(...)) end,
  seek = function(mm, ...) return values(mm:seek(...)) end,
  flush = function(mm, ...) return values(mm:flush(...)) end,
  madvise = function(mm, ...) return values(mm:madvise(...)) end,
  resize = function(mm, ...) return values(mm:resize(...)) end,
}

------------------------------------------------------------------------------
-- Argument generators.

-- (Before 5.3, MAXI - 1 and MINI + 1 are the doubles MAXI and MINI.)
local EXTREME = { MINI, MAXI, MAXI - 1, MINI + 1, H.shl(1, 53), -H.shl(1, 53), H.shl(1, 62) }

local function small(M) -- an integer in [-n-4, n+4]
  return rnd(2 * M.n + 9) - M.n - 4
end

local function float(M)
  local k = rnd(11)
  if k < 3 then return small(M) + 0.0 end -- integral: accepted as an integer
  if k < 5 then return small(M) + 0.5 end
  if k == 5 then return 0 / 0 end
  if k == 6 then return math.huge end
  if k == 7 then return -math.huge end
  if k == 8 then return 2.0 ^ 53 end
  if k == 9 then return 2.0 ^ 63 end
  return -(2.0 ^ 63)
end

local function numstr(M)
  local k = rnd(7)
  if k < 3 then return tostring(small(M)) end
  if k == 3 then return small(M) .. ".0" end
  if k == 4 then return "2.5" end
  if k == 5 then return " 0x2 " end
  return "1e999"
end

local function hostile()
  local k = rnd(10)
  if k == 0 then return nil end
  if k == 1 then return "abc" end
  if k == 2 then return "" end
  if k == 3 then return TBL end
  if k == 4 then return true end
  if k == 5 then return false end
  if k == 6 then return FUNC end
  if k == 7 then return OTHER end
  if k == 8 then return 0 / 0 end
  return "set"
end

-- Any integer-ish argument, mostly valid and small.
local function anyint(M)
  local r = rnd(100)
  if r < 58 then return small(M) end
  if r < 66 then return pick { 0, 1, -1, M.n, M.n - 1, M.pos } end
  if r < 74 then return pick(EXTREME) end
  if r < 84 then return float(M) end
  if r < 90 then return numstr(M) end
  return hostile()
end

-- An optional integer: nil (omitted) a third of the time.
local function optany(M)
  if rnd(3) == 0 then return nil end
  return anyint(M)
end

local ALPHABET = { "a", "b", "\n", "\0", "ab", "\n\n", "ba" }

local function randstr(len)
  local t = {}
  local k = 0
  while k < len do
    local r = rnd(10)
    local piece
    if r < 8 then piece = pick(ALPHABET) else piece = string.char(rnd(256)) end
    t[#t + 1] = piece
    k = k + #piece
  end
  return table.concat(t):sub(1, len)
end

-- A data argument of about `len` bytes, or hostile now and then.
local function data(len)
  local r = rnd(100)
  if r < 90 then return randstr(len) end
  if r < 94 then return rnd(10) end -- a number: not coerced
  return hostile()
end

-- A substring of the content (so that find has something to find), or noise.
local function needle(M)
  local r = rnd(100)
  if r < 60 then
    local from = rnd(M.n + 1)
    return M.s:sub(from + 1, from + rnd(4))
  end
  if r < 90 then return randstr(rnd(4)) end
  return data(1)
end

local KEYS = { "closed", "read", "write", "setslice", "close", "nosuch", "1", "",
  "Read", "size", "seekable", "tell" }

local function key(M)
  local r = rnd(100)
  if r < 62 then return small(M) end
  if r < 68 then return pick(EXTREME) end
  if r < 80 then return float(M) end
  if r < 90 then return pick(KEYS) end
  return hostile()
end

local function P(...) return H.pack(...) end

-- Keep the first n of a packed list (the others are absent).
local function first(n, a)
  for i = n + 1, a.n do a[i] = nil end
  a.n = n
  return a
end

local function step(M)
  local r = rnd(100)
  if r < 25 then return nil end
  if r < 75 then return pick { 1, 2, 3, -1, -2, -3, 1, -1, 5, -7 } end
  if r < 82 then return 0 end
  if r < 90 then return pick { MINI, MAXI, MINI + 1, MAXI - 1, M.n, -M.n } end
  return anyint(M)
end

-- The slice length that (start, stop, step) would select, or a random one.
local function slicelen(M, start, stop, stp)
  local function int(v) return type(v) == "number" and tointeger(v) or nil end
  local ok, _, _, len = pcall(adjust, M.n, int(start), int(stop), int(stp))
  if ok and rnd(5) > 0 then return len end
  return rnd(M.n + 2)
end

local WHENCES = { 0, 1, 2, 0, 1, 2, "set", "cur", "end", 3, -1, MAXI, 1.0, 1.5,
  "bogus", "1", TBL, true }

local OPTIONS = { mmap.MADV_NORMAL, mmap.MADV_RANDOM, mmap.MADV_SEQUENTIAL,
  mmap.MADV_WILLNEED }

local GEN = {}

GEN.index = function(M) return P(key(M)) end

GEN.newindex = function(M)
  local r = rnd(100)
  local v
  if r < 70 then v = rnd(256)
  elseif r < 78 then v = pick { -1, 256, 1000, MAXI, MINI, -256 }
  elseif r < 88 then v = pick { 65.0, 65.5, 0 / 0, math.huge, 2.0 ^ 63, 2.0 ^ 53, 255.0, -0.0, 0.5 }
  elseif r < 90 then v = nil
  else v = pick { "A", "65", TBL, true, FUNC } end
  local k = key(M)
  if type(k) == "string" and rnd(2) == 0 then k = small(M) end
  return P(k, v)
end

GEN.len = function() return P() end
GEN.tostring = GEN.len
GEN.type = GEN.len
GEN.close = GEN.len
GEN.seekable = GEN.len
GEN.tell = GEN.len
GEN.size = GEN.len
GEN.read_byte = GEN.len
GEN.readline = GEN.len

GEN.read = function(M)
  local r = rnd(100)
  if r < 20 then return P() end
  if r < 60 then return P(rnd(M.n + 3)) end
  if r < 70 then return P(-1 - rnd(3)) end
  if r < 75 then return P(nil) end
  return P(anyint(M))
end

GEN.write = function(M)
  local room = M.n - M.pos
  if room < 0 then room = 0 end
  local len = rnd(100) < 80 and rnd(room + 1) or rnd(M.n + 3)
  if rnd(20) == 0 then return P() end
  return P(data(len))
end

GEN.write_byte = function()
  local r = rnd(100)
  if r < 75 then return P(rnd(256)) end
  if r < 82 then return P(pick { -1, 256, MAXI, MINI, 1000 }) end
  if r < 90 then return P(pick { 66.0, 65.5, 0 / 0, math.huge, 2.0 ^ 63, 255.0 }) end
  if r < 93 then return P() end
  if r < 95 then return P(nil) end
  return P(pick { "A", "65", TBL, true })
end

local function gfindgen(M)
  local n = 1 + rnd(3)
  local s = needle(M)
  local a = P(s, optany(M), optany(M))
  -- the start defaults to the position: leave it out more often than not
  if rnd(10) < 7 and type(a[2]) ~= "number" then a[2] = nil end
  return first(n, a)
end
GEN.find = gfindgen
GEN.rfind = gfindgen

local function bound(M)
  local r = rnd(100)
  if r < 30 then return nil end
  if r < 85 then return small(M) end
  return anyint(M)
end

GEN.slice = function(M)
  return first(rnd(4), P(bound(M), bound(M), step(M)))
end

GEN.setslice = function(M)
  local start, stop = bound(M), bound(M)
  local r = rnd(100)
  if r < 45 then
    return P(start, stop, data(slicelen(M, start, stop, nil)))
  elseif r < 92 then
    local stp = step(M)
    return P(start, stop, stp, data(slicelen(M, start, stop, stp)))
  end
  return first(rnd(3), P(start, stop, randstr(rnd(3))))
end

GEN.move = function(M)
  local function arg()
    if rnd(100) < 85 then return rnd(M.n + 2) end
    return anyint(M)
  end
  if rnd(30) == 0 then return first(rnd(3), P(arg(), arg(), arg())) end
  return P(arg(), arg(), arg())
end

GEN.seek = function(M)
  local r = rnd(100)
  local function off()
    if rnd(100) < 80 then return small(M) end
    return anyint(M)
  end
  if r < 35 then return P(off()) end
  if r < 65 then return P(off(), pick(WHENCES)) end
  if r < 80 then return P(pick { "set", "cur", "end", "bogus", "3" }, off()) end
  if r < 86 then return P(pick { "set", "cur", "end" }) end
  if r < 90 then return P() end
  if r < 93 then return P(nil, pick(WHENCES)) end
  return P(anyint(M), pick(WHENCES))
end

GEN.flush = function(M)
  local function arg()
    local r = rnd(100)
    if r < 30 then return nil end
    if r < 85 then return rnd(M.n + 3) - 1 end
    return anyint(M)
  end
  local flags
  local r = rnd(7)
  if r >= 2 then flags = ({ mmap.MS_SYNC, mmap.MS_ASYNC, TBL, "x", 1.5 })[r - 1] end
  return first(rnd(4), P(arg(), arg(), flags))
end

GEN.madvise = function(M)
  local opt
  local r = rnd(100)
  if r < 88 then opt = pick(OPTIONS)
  elseif r < 93 then opt = pick { MAXI, MINI, INT_MAX + 1 }
  else opt = hostile() end
  local function arg()
    local q = rnd(100)
    if q < 35 then return nil end
    if q < 50 then return 0 end
    if q < 85 then return small(M) end
    if q < 90 then return pick { MAXI, MAXI - 1, MINI } end
    return anyint(M)
  end
  return first(1 + rnd(3), P(opt, arg(), arg()))
end

GEN.resize = function()
  local r = rnd(100)
  if r < 75 then return P(1 + rnd(80)) end
  if r < 80 then return P(pick { 0, -1, MINI }) end
  if r < 88 then return P(pick { MAXI, MAXI - 1, H.shl(1, 53), 2.0 ^ 53, H.shl(1, 62) }) end
  if r < 92 then return P(pick { 3.0, 2.5, "7", "x" }) end
  if r < 95 then return P() end
  return P(hostile())
end

-- Arity of each method, for the extra arguments appended now and then.
local ARITY = { close = 0, seekable = 0, tell = 0, size = 0, read_byte = 0,
  readline = 0, read = 1, write = 1, write_byte = 1, find = 3, rfind = 3, slice = 3,
  setslice = 4, move = 3, seek = 2, flush = 3, madvise = 3, resize = 1 }

-- Operation weights (per thousand).
local WEIGHTS = {
  index = 80, newindex = 70, len = 15, tostring = 15, type = 8, close = 3,
  seekable = 8, tell = 15, size = 15, read = 60, read_byte = 40, readline = 40,
  write = 60, write_byte = 45, find = 60, rfind = 60, slice = 75, setslice = 75,
  move = 45, seek = 80, flush = 30, madvise = 30, resize = 50,
}
if H.WINDOWS then WEIGHTS.madvise = nil end  -- none there
local ORDER = {}
for name in pairs(WEIGHTS) do ORDER[#ORDER + 1] = name end
table.sort(ORDER) -- pairs order is not deterministic; the sequence must be
local CUMUL, WTOTAL = {}, 0
for i, name in ipairs(ORDER) do
  WTOTAL = WTOTAL + WEIGHTS[name]
  CUMUL[i] = WTOTAL
end

local function pickop(M)
  if M.closed and rnd(12) == 0 then return "close" end
  local x = rnd(WTOTAL)
  for i, c in ipairs(CUMUL) do
    if x < c then return ORDER[i] end
  end
end

------------------------------------------------------------------------------
-- Rendering, for the failure report.

local function quote(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    if c == "\n" then return "\\n" end
    if c == '"' or c == "\\" then return "\\" .. c end
    return ("\\%d"):format(c:byte())
  end) .. '"'
end

local function show(v)
  if v == nil then return "nil" end
  if rawequal(v, OTHER) then return "other_mmap" end
  if v == TBL then return "{}" end
  if v == FUNC then return "function() end" end
  if v == ANYFUNC or v == OSERR then return tostring(v) end
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" then
    if H.isint(v) and (H.INT64 or math.abs(v) < 2 ^ 53) then
      if v == MINI then return "math.mininteger" end
      return tostring(v)
    end
    if v ~= v then return "(0/0)" end
    if v == math.huge then return "math.huge" end
    if v == -math.huge then return "-math.huge" end
    if v == math.floor(v) and math.abs(v) < 2 ^ 63 then return ("%.1f"):format(v) end
    if v == math.floor(v) then return ("(%s2.0^63)"):format(v < 0 and "-" or "") end
    return ("%.17g"):format(v)
  end
  return tostring(v)
end

local function showlist(a, from, to)
  local t = {}
  for i = from, to do t[#t + 1] = show(a[i]) end
  return table.concat(t, ", ")
end

local function showcall(name, a)
  if name == "index" then return "mm[" .. show(a[1]) .. "]" end
  if name == "newindex" then return "mm[" .. show(a[1]) .. "] = " .. show(a[2]) end
  if name == "len" then return "#mm" end
  if name == "tostring" then return "tostring(mm)" end
  if name == "type" then return "mmap.type(mm)" end
  return ("mm:%s(%s)"):format(name, showlist(a, 1, a.n))
end

local function showout(o)
  if o.alts and #o.alts > 1 then return "raises one of '" .. table.concat(o.alts, "' / '") .. "'" end
  if o.err then return "raises '" .. o.err .. "'" end
  if o == OSERR then return "returns nil, <message>, <errno>" end
  return "returns (" .. showlist(o, 1, o.n) .. ")"
end

------------------------------------------------------------------------------
-- The driver.

local function same(e, v)
  if e == ANYFUNC then return type(v) == "function" end
  if type(e) == "number" then
    return type(v) == "number" and H.isint(e) == H.isint(v) and e == v
  end
  return rawequal(e, v)
end

-- Does the actual outcome (pcall's packed results) match the expected one?
local function agrees(exp, act)
  if exp.err then
    if act[1] or type(act[2]) ~= "string" then return false end
    for _, text in ipairs(exp.alts or { exp.err }) do
      if act[2]:find(text, 1, true) then return true end
    end
    return false
  end
  if not act[1] then return false end
  if exp == OSERR then
    return act[2] == nil and type(act[3]) == "string" and #act[3] > 0
      and H.isint(act[4])
  end
  for i = 1, math.max(exp.n, act.n - 1) do
    if not same(exp[i], act[i + 1]) then return false end
  end
  return true
end

local function actual_outcome(act)
  if not act[1] then return { err = tostring(act[2]) } end
  local o = { n = act.n - 1 }
  for i = 2, act.n do o[i - 1] = act[i] end
  return o
end

local COUNTS = {}

local function writefile(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

-- Run `nops` operations of one phase: "anon", "r+", "r" or "c".
local function run(phase, nops, seed)
  reseed(seed)
  local path = phase ~= "anon" and H.tmpfile("") or nil
  local mm, M
  local closed_left = 0
  local opno = 0

  local function report(what, call, exp, act, before)
    error(([[
fuzz mismatch: %s
  reproduce: MMAP_FUZZ_SEED=%d MMAP_FUZZ_OPS=%d, phase '%s', operation #%d of %d
  map before: kind=%s access=%s closed=%s length=%d pos=%d
  bytes before: %s
  call: %s
  expected: %s
  actual:   %s
  model after: length=%d pos=%d bytes=%s]]):format(what, SEED, TOTAL, phase, opno, nops,
      before.kind, before.access, tostring(before.closed), before.n, before.pos,
      quote(before.s), call, exp, act, M.n, M.pos, quote(M.s)), 0)
  end

  local function check_file()
    if not path then return end
    local disk = H.slurp(path)
    local want = phase == "r+" and M.s or M.orig
    if disk ~= want then
      report("file content differs from the model", "(file check)", quote(want), quote(disk), M)
    end
  end

  local function open()
    local n = 1 + rnd(64)
    local content = randstr(n)
    if phase == "anon" then
      local shared = rnd(6) == 0
      if shared then
        mm = assert(mmap.mmap(-1, n))
      else
        -- (on Windows, without flags: paging-file memory, which no other
        -- process shares, behaves as the private kind in the model)
        mm = assert(mmap.mmap(-1, n, not H.WINDOWS and { flags = mmap.MAP_PRIVATE } or nil))
      end
      assert(mm:write(content) == n)
      M = { kind = shared and "anon-shared" or "anon-private", access = "ACCESS_DEFAULT" }
    else
      writefile(path, content)
      mm = assert(mmap.open(path, phase))
      M = { kind = "file", fsize = n, orig = content,
        access = ({ ["r+"] = "ACCESS_WRITE", r = "ACCESS_READ", c = "ACCESS_COPY" })[phase] }
    end
    M.s, M.n, M.closed = content, n, false
    M.pos = rnd(n + 1)
    assert(mm:seek(M.pos) == M.pos)
  end

  open()
  for i = 1, nops do
    opno = i
    if M.closed and closed_left <= 0 then
      check_file()
      open()
    end
    local name = pickop(M)
    local a = GEN[name](M)
    local arity = ARITY[name]
    if arity and rnd(12) == 0 then -- extra arguments, after explicit nils
      for k = a.n + 1, arity do a[k] = nil end
      a.n = math.max(a.n, arity)
      for _ = 1, 1 + rnd(2) do
        a.n = a.n + 1
        a[a.n] = rnd(2) == 0 and hostile() or anyint(M)
      end
    end

    local before = { s = M.s, n = M.n, pos = M.pos, closed = M.closed,
      access = M.access, kind = M.kind }
    ARGERRS = {}
    local ok, exp = pcall(MODEL[name], M, a)
    if not ok then
      if getmetatable(exp) ~= FAIL then error(exp, 0) end -- a bug of the model
      exp = { err = exp.msg, alts = exp.alts }
    end
    assert(#ARGERRS == 0 or not ok, "model bug: argument errors not raised by " .. name)
    local act = H.pack(pcall(CALL[name], mm, H.unpack(a, 1, a.n)))
    if not agrees(exp, act) then
      report("outcome differs", showcall(name, a), showout(exp),
        showout(actual_outcome(act)), before)
    end
    local c = COUNTS[name] or { n = 0, how = {} }
    COUNTS[name] = c
    c.n = c.n + 1
    if STATS then
      local how = exp == OSERR and "nil, msg, errno"
        or exp.err and (exp.err:match("^(bad argument #%d+ to '[%w_]+' %(.-)[%s)]") or exp.err)
        or (exp.n >= 2 and exp[1] == nil) and "nil, msg, errno"
        or (exp.n == 0 or exp[1] ~= nil) and "ok" or "ok: nil"
      if before.closed then how = "[closed] " .. how end
      c.how[how] = (c.how[how] or 0) + 1
    end

    -- the whole state after every operation
    if M.closed then
      if mmap.type(mm) ~= "closed mmap" or mm.closed ~= true then
        report("map not closed", showcall(name, a), "closed", tostring(mm), before)
      end
      if not before.closed then closed_left = 5 + rnd(40) end
      closed_left = closed_left - 1
    else
      local okk, len, pos, s = pcall(function() return #mm, mm:tell(), mm:slice() end)
      if not okk or len ~= M.n or pos ~= M.pos or s ~= M.s then
        local got = okk and ("length=%s pos=%s bytes=%s"):format(tostring(len),
          tostring(pos), type(s) == "string" and quote(s) or tostring(s)) or tostring(len)
        report("state differs after the operation", showcall(name, a),
          ("length=%d pos=%d bytes=%s"):format(M.n, M.pos, quote(M.s)), got, before)
      end
      if path and name == "resize" then
        local disk = H.filesize(path)
        if disk ~= M.fsize then
          report("file size differs after resize", showcall(name, a),
            tostring(M.fsize), tostring(disk), before)
        end
      end
      if path and i % 97 == 0 then check_file() end
    end
  end
  if not M.closed then mm:close() end
  check_file()
end

------------------------------------------------------------------------------

describe("fuzz (model-based)", function()
  setup(function()
    OTHER = assert(mmap.mmap(-1, 1))
  end)

  teardown(function()
    if OTHER then OTHER:close() end
    H.cleanup()
    if STATS then
      local names = {}
      for name in pairs(COUNTS) do names[#names + 1] = name end
      table.sort(names)
      local total = 0
      for _, name in ipairs(names) do
        local c = COUNTS[name]
        io.stderr:write(("%-11s %7d\n"):format(name, c.n))
        local hows = {}
        for how in pairs(c.how) do hows[#hows + 1] = how end
        table.sort(hows)
        for _, how in ipairs(hows) do
          io.stderr:write(("    %7d  %s\n"):format(c.how[how], how))
        end
        total = total + c.n
      end
      io.stderr:write(("%-11s %7d\n"):format("total", total))
    end
  end)

  -- share of the operations, phase
  local PHASES = {
    { 45, "anon", "private and shared anonymous maps (resizable)" },
    { 25, "r+", "file-backed ACCESS_WRITE maps (mmap.open 'r+')" },
    { 15, "r", "read-only file maps (mmap.open 'r')" },
    { 15, "c", "copy-on-write file maps (mmap.open 'c')" },
  }
  local given = 0
  for k, ph in ipairs(PHASES) do
    local nops = k < #PHASES and H.idiv(TOTAL * ph[1], 100) or TOTAL - given
    given = given + nops
    it(("%d operations on %s agree with the model"):format(nops, ph[3]), function()
      run(ph[2], nops, SEED + 7919 * k)
    end)
  end
end)
