-- Atomics, wait and notify (doc/mmap.md §12, "Sharing a map"): the results of
-- every operation and format, their misuse, and real processes sharing one
-- file map. MMAP_ATOMIC_SCALE (default 1) scales the processes' counts, for
-- a quick run on a slow machine; the defaults are the manual's numbers.
local H = require "helper"
local mmap = require "mmap"

local SCALE = tonumber(os.getenv("MMAP_ATOMIC_SCALE") or "") or 1
local function scaled(n) return math.max(1, math.floor(n * SCALE)) end

-- Every format accepted, with its size and signedness (the C types' sizes,
-- from string.packsize, for b h i l T).
local FORMATS = {}
for _, f in ipairs({ "i1", "i2", "i4", "i8", "I1", "I2", "I4", "I8", "j", "J",
                     "b", "B", "h", "H", "i", "I", "l", "L", "T" }) do
  local size = H.spacksize(f)
  if size == 1 or size == 2 or size == 4 or size == 8 then
    FORMATS[#FORMATS + 1] = { fmt = f, size = size, signed = f:find("^[bhilj]") ~= nil }
  end
end

--[[ {======================================================
Values as bytes: the limits of each type and wrapping arithmetic, computed on
little-endian byte strings so that they are exact on every Lua (before 5.3 a
number cannot hold every 64-bit value).
====================================================== ]]

local LITTLE = H.spack("=I2", 1) == "\1\0"

-- Little-endian bytes <-> the host's order (the map's).
local function native(le) return LITTLE and le or le:reverse() end

-- (s + k) and (s - k) modulo 2^(8 #s), s little-endian, 0 <= k < 2^53.
local function add_le(s, k)
  local out, carry = {}, k
  for i = 1, #s do
    local t = s:byte(i) + carry
    out[i] = string.char(t % 256)
    carry = H.idiv(t, 256)
  end
  return table.concat(out)
end

local function sub_le(s, k)
  local out, borrow = {}, 0
  for i = 1, #s do
    local t = s:byte(i) - k % 256 - borrow
    k = H.idiv(k, 256)
    borrow = 0
    if t < 0 then t, borrow = t + 256, 1 end
    out[i] = string.char(t)
  end
  return table.concat(out)
end

-- The largest and smallest values of a format, little-endian.
local function max_le(f)
  return ("\255"):rep(f.size - 1) .. (f.signed and "\127" or "\255")
end
local function min_le(f)
  return ("\0"):rep(f.size - 1) .. (f.signed and "\128" or "\0")
end

-- }======================================================

--[[ {======================================================
Processes: children of the spec's Lua, started at once and read later, so
that they run together. They find the module under test, spec/helper.lua and
examples/mutex.lua.
====================================================== ]]

local PRELUDE = 'package.cpath = (os.getenv("MMAP_CPATH") or "./?.so;") .. package.cpath\n'
  .. 'package.path = "./spec/?.lua;./examples/?.lua;" .. package.path\n'
  .. 'local mmap = require "mmap"\n'
  -- The start barrier: count this process in at word 0, sleep until word 4
  -- is set (see release below).
  .. 'local function barrier(mm)\n'
  .. '  mm:atomic_add(0, 1, "i4") mm:notify(0)\n'
  .. '  while mm:atomic_load(4, "i4") == 0 do mm:wait(4, 0, 1) end\n'
  .. 'end\n'

local function start(code)
  local script = H.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write(PRELUDE, code)
  f:close()
  return { p = assert(io.popen(H.luacmd(script))), script = script }
end

-- Wait for a child; its output.
local function finish(c)
  local out = c.p:read("*a")
  c.p:close()
  os.remove(c.script)
  return out
end

-- Start n children running code (with PATH, I (the child's number from 1)
-- and the names of `vars` (numbers, or Lua source) defined), release them together once all are at the barrier, and
-- return their outputs in order. mm is the parent's map of PATH.
local function together(mm, path, n, code, vars)
  local head = ("local PATH, I = %q, %%d\n"):format(path)
  for k, v in pairs(vars or {}) do
    head = head .. ("local %s = %s\n"):format(k, tostring(v))  -- numbers or code
  end
  local kids = {}
  for i = 1, n do kids[i] = start(head:format(i) .. code) end
  -- release: every child counted in at word 0, then word 4 set and notified
  local seen, rounds = mm:atomic_load(0, "i4"), 0
  while seen < n and rounds < 1200 do  -- at most about a minute
    mm:wait(0, seen, 0.05)
    seen, rounds = mm:atomic_load(0, "i4"), rounds + 1
  end
  mm:atomic_store(4, 1, "i4")
  mm:notify(4)
  local outs = {}
  for i = 1, n do outs[i] = finish(kids[i]) end
  assert(seen == n, "only " .. seen .. " of " .. n .. " children started: " .. table.concat(outs, "\n"))
  return outs
end

-- A fresh shared file map of `size` zero bytes; the map and the path.
local function sharedmap(size)
  local path = H.tmpfile(("\0"):rep(size))
  return H.keep(assert(mmap.open(path, "r+"))), path
end

-- }======================================================


describe("atomic operations", function()
  after_each(H.cleanup)

  -- What every format and operation returns, against a model: values of at
  -- most 4 bytes (and small 8-byte ones) are exact numbers on every Lua.
  local function model(f)
    local mod = 2 ^ (8 * f.size)
    local function wrap(x)
      if f.size == 8 then return x end  -- the sequence below never wraps 8 bytes
      x = x % mod
      if f.signed and x >= mod / 2 then x = x - mod end
      return x
    end
    local function u(x) return x % mod end  -- the bits, as a non-negative number
    if f.size == 8 then u = function(x) return x end end  -- native on 5.3+
    return {
      bitwise = { ["and"] = true, ["or"] = true, xor = true },
      add = function(old, v) return wrap(old + v) end,
      sub = function(old, v) return wrap(old - v) end,
      ["and"] = function(old, v) return wrap(H.band(u(old), u(v))) end,
      ["or"] = function(old, v) return wrap(H.bor(u(old), u(v))) end,
      xor = function(old, v) return wrap(H.bxor(u(old), u(v))) end,
      exchange = function(_, v) return v end,
    }
  end

  for _, f in ipairs(FORMATS) do
    it("in format '" .. f.fmt .. "': each operation returns the value before and stores what C would", function()
      local mm = H.anon(("\0"):rep(64))
      local off = 2 * f.size  -- aligned, with neighbours on both sides
      mm:setslice(0, 64, ("\90"):rep(64))
      local lo, hi = mm:slice(0, off), mm:slice(off + f.size, 64)
      local M = model(f)
      local small = f.size == 8 and 1000 or 2 ^ (8 * f.size - (f.signed and 2 or 1))
      local steps = {
        { "store", 5 }, { "add", 7 }, { "add", small }, { "sub", 3 },
        { "and", 6 }, { "or", 9 }, { "xor", 12 }, { "exchange", 3 },
        { "sub", 5 }, { "add", 1 }, { "xor", small - 1 },
      }
      if f.signed then
        steps[#steps + 1] = { "exchange", -1 }
        steps[#steps + 1] = { "add", -2 }
        steps[#steps + 1] = { "and", -4 }
      end
      local value = nil
      for _, s in ipairs(steps) do
        local op, v = s[1], s[2]
        if f.size == 8 and not H.INT64 and M.bitwise[op] and (value < 0 or v < 0) then
          op = "skip"  -- H.band and friends take no negative double
        end
        if op == "skip" then break end
        local got = mm["atomic_" .. op](mm, off, v, f.fmt)
        if op == "store" then
          assert.are.equal(v, got)
          value = v
        else
          assert.are.equal(value, got, op .. " " .. v .. " returns the value before")
          value = M[op](value, v)
        end
        assert.are.equal(value, mm:atomic_load(off, f.fmt), "after " .. op .. " " .. v)
        assert.are.equal(value, (mm:unpack("=" .. f.fmt, off)), "unpack agrees")
        assert.is_true(H.isint(got))
      end
      assert.are.equal(lo, mm:slice(0, off), "the bytes before are untouched")
      assert.are.equal(hi, mm:slice(off + f.size, 64), "the bytes after are untouched")
    end)

    it("in format '" .. f.fmt .. "': add and sub wrap around at the type's limits", function()
      local mm = H.anon(("\0"):rep(16))
      local off = 8
      local max, min = native(max_le(f)), native(min_le(f))
      mm:setslice(off, off + f.size, max)
      assert.are.equal(H.sunpack("=" .. f.fmt, max), mm:atomic_add(off, 1, f.fmt))
      assert.are.equal(min, mm:slice(off, off + f.size), "max + 1 is min")
      assert.are.equal(H.sunpack("=" .. f.fmt, min), mm:atomic_sub(off, 1, f.fmt))
      assert.are.equal(max, mm:slice(off, off + f.size), "min - 1 is max")
      assert.are.equal(H.sunpack("=" .. f.fmt, max), mm:atomic_load(off, f.fmt))
    end)
  end

  it("atomic_cas replaces the value only when it equals expected, and returns what it found", function()
    local mm = H.anon(("\0"):rep(16))
    assert.are.equal(0, mm:atomic_cas(8, 1, 2))
    assert.are.equal(0, mm:atomic_load(8), "1 was expected: nothing replaced")
    assert.are.equal(0, mm:atomic_cas(8, 0, 42))
    assert.are.equal(42, mm:atomic_load(8))
    assert.are.equal(42, mm:atomic_cas(8, 42, -7))
    assert.are.equal(-7, mm:atomic_load(8))
    -- compared as the format's bytes: 255 as "B" is the -1 that "b" stores
    mm:atomic_store(0, -1, "b")
    assert.are.equal(255, mm:atomic_cas(0, 255, 1, "B"))
    assert.are.equal(1, mm:atomic_load(0, "b"))
  end)

  it("the format defaults to 'j' and results are the integers unpack gives", function()
    local mm = H.anon(("\0"):rep(16))
    assert.are.equal(-5, mm:atomic_store(8, -5))
    assert.are.equal(-5, mm:unpack("j", 8))
    assert.are.equal(-5, mm:atomic_load(8, nil))
    -- "J" gives an 8-byte unsigned value's bits as a signed integer, as unpack
    assert.are.equal(mm:unpack("J", 8), mm:atomic_load(8, "J"))
    assert.are.equal(4294967291, mm:atomic_load(8, "I4"))
  end)

  it("atomic_store returns v, and an integral float counts as an integer", function()
    local mm = H.anon(("\0"):rep(8))
    assert.are.equal(7, mm:atomic_store(0, 7.0, "i4"))
    assert.is_true(H.isint(mm:atomic_add(0, 2.0, "i4")))
    assert.are.equal(9, mm:atomic_load(0, "i4"))
  end)

  it("works on private maps (anonymous and ACCESS_COPY) as on shared ones", function()
    local a = H.keep(assert(mmap.mmap(-1, 8, H.private())))
    assert.are.equal(0, a:atomic_add(0, 3))
    assert.are.equal(3, a:atomic_load(0))
    local c = H.filemap(("\0"):rep(8), "rb", { access = mmap.ACCESS_COPY })
    assert.are.equal(0, c:atomic_add(0, 3, "i4"))
    assert.are.equal("timed-out", c:wait(0, 3, 0))
    assert.are.equal(0, c:notify(0))
  end)
end)


describe("atomic misuse", function()
  after_each(H.cleanup)

  local WRITERS = {
    store = function(mm, off, f) return mm:atomic_store(off, 1, f) end,
    add = function(mm, off, f) return mm:atomic_add(off, 1, f) end,
    sub = function(mm, off, f) return mm:atomic_sub(off, 1, f) end,
    ["and"] = function(mm, off, f) return mm:atomic_and(off, 1, f) end,
    ["or"] = function(mm, off, f) return mm:atomic_or(off, 1, f) end,
    xor = function(mm, off, f) return mm:atomic_xor(off, 1, f) end,
    exchange = function(mm, off, f) return mm:atomic_exchange(off, 1, f) end,
    cas = function(mm, off, f) return mm:atomic_cas(off, 0, 1, f) end,
  }
  local ALL = { load = function(mm, off, f) return mm:atomic_load(off, f) end }
  for k, fn in pairs(WRITERS) do ALL[k] = fn end

  it("an offset that is not a multiple of the size raises", function()
    local mm = H.anon(("\0"):rep(64))
    for name, fn in pairs(ALL) do
      for _, f in ipairs({ "i2", "I4", "j", "i8" }) do
        local size = H.spacksize(f)
        for off = 1, size - 1 do
          H.raises(H.MSG.atomicalign, fn, mm, off, f)
          H.raises(H.MSG.atomicalign, fn, mm, size + off, f)
        end
        assert.is_number(fn(mm, size, f))  -- aligned: fine
      end
      assert.is_number(fn(mm, 63, "i1"), name .. ": a byte is always aligned")
    end
    H.raises(H.MSG.atomicalign, mm.wait, mm, 2, 0, 0)
    H.raises(H.MSG.atomicalign, mm.notify, mm, 6)
  end)

  it("an offset past the end, or negative, raises", function()
    local mm = H.anon(("\0"):rep(64))
    for _, fn in pairs(ALL) do
      H.raises(H.MSG.atomicrange, fn, mm, 64, "i1")
      H.raises(H.MSG.atomicrange, fn, mm, 64, "j")
      H.raises(H.MSG.atomicrange, fn, mm, 72, "i4")
      H.raises(H.MSG.atomicrange, fn, mm, -8, "j")
      H.raises(H.MSG.atomicrange, fn, mm, H.MAXINT, "i1")
      H.raises(H.MSG.atomicrange, fn, mm, H.MININT, "j")
      fn(mm, 56, "j")
      fn(mm, 60, "i4")
    end
    H.raises(H.MSG.atomicrange, mm.wait, mm, 64, 0, 0)
    H.raises(H.MSG.atomicrange, mm.notify, mm, -4)
    -- a map whose length is not a multiple of 8: the last whole value only
    local odd = H.anon(("\0"):rep(12))
    odd:atomic_add(8, 1, "i4")
    H.raises(H.MSG.atomicrange, odd.atomic_add, odd, 8, 1, "j")
  end)

  it("a format that is not one integer option of 1, 2, 4 or 8 bytes raises", function()
    local mm = H.anon(("\0"):rep(64))
    for _, f in ipairs({ "", "i3", "I5", "i16", "i0", "i08", "<i4", ">j", "=j", "!j",
                         "jj", "j ", " j", "f", "d", "n", "s4", "z", "x", "c4", "X",
                         "i4\0", "y" }) do
      local shown = f:sub(1, (f:find("\0", 1, true) or #f + 1) - 1)  -- %s stops at "\0"
      for _, fn in pairs(ALL) do
        H.raises(H.MSG.atomicfmt:format(shown), fn, mm, 0, f)
      end
    end
    H.raises("string expected, got number", mm.atomic_load, mm, 0, 4)
  end)

  it("values that do not fit the format raise as pack does", function()
    local mm = H.anon(("\0"):rep(16))
    H.raises(H.MSG.overflow, mm.atomic_store, mm, 0, 128, "i1")
    H.raises(H.MSG.overflow, mm.atomic_add, mm, 0, -129, "i1")
    H.raises(H.MSG.overflow, mm.atomic_sub, mm, 0, 32768, "i2")
    H.raises(H.MSG.overflow, mm.atomic_xor, mm, 0, 2 ^ 31, "i4")
    H.raises(H.MSG.unsigned, mm.atomic_store, mm, 0, 256, "I1")
    H.raises(H.MSG.unsigned, mm.atomic_or, mm, 0, -1, "I2")
    H.raises(H.MSG.unsigned, mm.atomic_and, mm, 0, 2 ^ 32, "I4")
    H.raises(H.MSG.overflow, mm.atomic_cas, mm, 0, 0, 200, "i1")
    H.raises(H.MSG.overflow, mm.atomic_cas, mm, 0, 200, 0, "i1")
    -- the same values string.pack refuses
    assert.is_false(pcall(H.spack, "i1", 128))
    assert.is_false(pcall(H.spack, "I1", 256))
    -- nothing was written
    assert.are.equal(("\0"):rep(16), H.all(mm))
    -- 8 bytes take any integer; a number that is not one raises
    mm:atomic_store(8, -1, "J")
    H.raises("number has no integer representation", mm.atomic_add, mm, 0, 1.5)
    H.raises("number expected, got", mm.atomic_add, mm, 0, "x")
    H.raises("number expected, got no value", mm.atomic_add, mm, 0)
    H.raises("number expected, got no value", mm.atomic_cas, mm, 0, 1)
    -- wait's expected is a 32-bit word, signed or unsigned
    H.raises(H.MSG.overflow, mm.wait, mm, 0, 2 ^ 32, 0)
    H.raises(H.MSG.overflow, mm.wait, mm, 0, -2 ^ 31 - 1, 0)
    H.raises(H.MSG.timeout, mm.wait, mm, 0, 0, 0 / 0)
  end)

  it("a closed map raises from every method", function()
    local mm = assert(mmap.mmap(-1, 16))
    mm:close()
    for _, fn in pairs(ALL) do
      H.raises(H.MSG.closed, fn, mm, 0, "j")
    end
    H.raises(H.MSG.closed, mm.wait, mm, 0, 0, 0)
    H.raises(H.MSG.closed, mm.notify, mm, 0)
  end)

  it("a read-only map refuses the writing operations and nothing else", function()
    local mm = H.readonly(native(add_le(("\0"):rep(8), 7)) .. ("\0"):rep(8))
    for name, fn in pairs(WRITERS) do
      H.raises(H.MSG.readonly, fn, mm, 0, "j")
      assert.are.equal(7, mm:atomic_load(0), name .. " changed nothing")
    end
    assert.are.equal(7, mm:atomic_load(0, "i4"))
    assert.are.equal("not-equal", mm:wait(0, 0, 0))
    assert.are.equal("timed-out", mm:wait(0, 7, 0))
    assert.are.equal(0, mm:notify(0))
  end)

  H.gate(H.NOTWIN.flags, it, pending)("a map that cannot be read raises from every method", function()
    local mm = H.keep(assert(mmap.mmap(-1, 16, { prot = mmap.PROT_WRITE })))
    for _, fn in pairs(ALL) do
      H.raises(H.MSG.unreadable, fn, mm, 0, "j")
    end
    H.raises(H.MSG.unreadable, mm.wait, mm, 0, 0, 0)
    H.raises(H.MSG.unreadable, mm.notify, mm, 0)
  end)

  H.gate(H.NOTWIN.shrink, it, pending)(
      "a truncated file raises the bus error, and the process and map live on", function()
    local mm, path = H.lost()
    local at = H.LOST.BACKED + 8
    local bus = H.buserror(at)
    for _, fn in pairs(ALL) do
      H.raises(bus, fn, mm, at, "j")
      H.raises(H.buserror(at + 3), fn, mm, at + 3, "i1")
    end
    H.raises(bus, mm.wait, mm, at, 0, 0)
    H.raises(bus, mm.wait, mm, at, 0)  -- no timeout: it raises, it does not sleep
    H.raises(bus, mm.notify, mm, at)
    -- the pages the file still backs work
    assert.are.equal(H.sunpack("=j", "abcdefgh"), mm:atomic_add(8, 1))
    assert.are.equal("not-equal", mm:wait(0, 0, 0))
    -- and so does the rest once the file is long enough again
    H.truncate(path, H.LOST.SIZE)
    assert.are.equal(0, mm:atomic_add(at, 5))
    assert.are.equal(5, mm:atomic_load(at))
    mm:close()
  end)
end)


describe("wait and notify in one process", function()
  after_each(H.cleanup)

  it("wait returns 'not-equal' at once when the word differs", function()
    local mm = H.anon(("\0"):rep(8))
    mm:atomic_store(4, 5, "i4")
    assert.are.equal("not-equal", mm:wait(4, 6))  -- no timeout: it would sleep forever
    assert.are.equal("not-equal", mm:wait(0, 1))
    -- the word compares as 32 bits: -1 and 4294967295 are the same word
    mm:atomic_store(0, -1, "i4")
    assert.are.equal("timed-out", mm:wait(0, 4294967295, 0))
    assert.are.equal("timed-out", mm:wait(0, -1, 0))
    assert.are.equal("not-equal", mm:wait(0, 0, 0))
  end)

  it("wait returns 'timed-out' after its timeout, and a zero or negative one at once", function()
    local mm = H.anon(("\0"):rep(8))
    assert.are.equal("timed-out", mm:wait(0, 0, 0))
    assert.are.equal("timed-out", mm:wait(0, 0, -1))
    assert.are.equal("timed-out", mm:wait(0, 0, 0.05))
    local t0 = os.time()
    assert.are.equal("timed-out", mm:wait(0, 0, 1.1))
    local took = os.time() - t0
    assert.is_true(took >= 1 and took < 60, "slept " .. took .. " s for 1.1 s")
  end)

  it("notify returns 0 when nobody waits, whatever the count", function()
    local mm = H.anon(("\0"):rep(8))
    assert.are.equal(0, mm:notify(0))
    assert.are.equal(0, mm:notify(4, 1))
    assert.are.equal(0, mm:notify(4, 0))
    assert.are.equal(0, mm:notify(4, -3))
    assert.are.equal(0, mm:notify(4, math.huge))
    H.raises("number has no integer representation", mm.notify, mm, 0, 1.5)
  end)
end)


describe("processes sharing one file map", function()
  after_each(H.cleanup)

  local N = scaled(100000)

  it("4 processes x " .. N .. " atomic_add(off, 1) end exact in every format, across the type's limits", function()
    local mm, path = sharedmap(64 + 16 * #FORMATS)
    local start_le, offs, fmts = {}, {}, {}
    for k, f in ipairs(FORMATS) do
      local slot = 64 + 16 * (k - 1)
      offs[k], fmts[k] = slot + 8, f.fmt
      mm:setslice(slot, slot + 16, ("\165"):rep(16))  -- sentinels around each value
      -- half-way to the limit: the 4 N additions cross it
      start_le[k] = sub_le(max_le(f), 2 * N)
      mm:setslice(offs[k], offs[k] + f.size, native(start_le[k]))
    end
    local outs = together(mm, path, 4, [[
      local mm = assert(mmap.open(PATH, "r+"))
      local add = mm.atomic_add
      barrier(mm)
      for _ = 1, N do
        for k = 1, #FMTS do add(mm, OFFS[k], 1, FMTS[k]) end
      end
      print("done")
    ]], { N = N, FMTS = "{'" .. table.concat(fmts, "','") .. "'}",
          OFFS = "{" .. table.concat(offs, ",") .. "}" })
    for i = 1, 4 do assert.are.equal("done\n", outs[i]) end
    for k, f in ipairs(FORMATS) do
      local want = native(add_le(start_le[k], 4 * N))
      local slot = 64 + 16 * (k - 1)
      assert.are.equal(want, mm:slice(offs[k], offs[k] + f.size), f.fmt .. " ends exact")
      assert.are.equal(H.sunpack("=" .. f.fmt, want), mm:atomic_load(offs[k], f.fmt))
      assert.are.equal(("\165"):rep(8), mm:slice(slot, slot + 8), f.fmt .. ": the bytes before")
      assert.are.equal(("\165"):rep(8 - f.size), mm:slice(offs[k] + f.size, slot + 16),
                       f.fmt .. ": the bytes after")
    end
  end)

  it("without atomics (unpack then pack) the same count loses updates", function()
    -- the control: it shows that the processes above really overlap
    local lost, tries = 0, 0
    while lost == 0 and tries < 3 do
      tries = tries + 1
      local mm, path = sharedmap(16)
      local outs = together(mm, path, 4, [[
        local mm = assert(mmap.open(PATH, "r+"))
        barrier(mm)
        for _ = 1, N do mm:pack("j", 8, mm:unpack("j", 8) + 1) end
        print("done")
      ]], { N = N })
      for i = 1, 4 do assert.are.equal("done\n", outs[i]) end
      lost = 4 * N - mm:unpack("j", 8)
      assert.is_true(lost >= 0)
    end
    assert.is_true(lost > 0, "no update lost in " .. tries .. " tries of 4 x " .. N)
  end)

  it("the example's mutex makes an 8-byte unpack + pack exact, and a locked reader never sees it torn", function()
    -- The value holds a count c in both 32-bit halves: c * (2^32 + 1). A
    -- pack half done leaves halves that differ (pack writes byte by byte).
    local EACH, READS = scaled(25000), scaled(100000)
    local mm, path = sharedmap(24)
    local outs = together(mm, path, 5, [[
      local Mutex = require "mutex"
      local mm = assert(mmap.open(PATH, "r+"))
      local lock = Mutex.new(mm, 8)
      local TWO32 = 4294967296
      local function torn(v) return v % TWO32 ~= math.floor(v / TWO32) end
      local bad = 0
      barrier(mm)
      if I <= 4 then
        for _ = 1, EACH do
          lock:lock()
          local v = mm:unpack("j", 16)
          if torn(v) then bad = bad + 1 end
          mm:pack("j", 16, (v % TWO32 + 1) * (TWO32 + 1))
          lock:unlock()
        end
      else
        for _ = 1, READS do
          lock:lock()
          if torn(mm:unpack("j", 16)) then bad = bad + 1 end
          lock:unlock()
        end
      end
      print("torn " .. bad)
    ]], { EACH = EACH, READS = READS })
    for i = 1, 5 do assert.are.equal("torn 0\n", outs[i]) end
    assert.are.equal(4 * EACH * (2 ^ 32 + 1), mm:unpack("j", 16))
    assert.are.equal(0, mm:atomic_load(8, "i4"), "the lock is free at the end")
  end)

  -- A writer storing 0 and -1 in turn as "i8" against a reader: the
  -- reader's values, counted as "zeros minus-ones others writes".
  local function alternate(store, load, reads)
    local mm, path = sharedmap(32)
    local outs = together(mm, path, 2, [[
      local mm = assert(mmap.open(PATH, "r+"))
      local store, load = ]] .. store .. [[, ]] .. load .. [[

      barrier(mm)
      if I == 1 then  -- the writer, until the reader is done
        local n = 0
        while mm:atomic_load(24, "i4") == 0 do
          store(mm, 0) store(mm, -1)
          n = n + 2
        end
        print("writes " .. n)
      else
        local zeros, ones, others = 0, 0, 0
        for _ = 1, READS do
          local v = load(mm)
          if v == 0 then zeros = zeros + 1
          elseif v == -1 then ones = ones + 1
          else others = others + 1 end
        end
        mm:atomic_store(24, 1, "i4")
        print("reads " .. zeros .. " " .. ones .. " " .. others)
      end
    ]], { READS = reads })
    local writes = tonumber(outs[1]:match("^writes (%d+)\n$"))
    local zeros, ones, others = outs[2]:match("^reads (%d+) (%d+) (%d+)\n$")
    assert(writes and zeros, table.concat(outs, "\n"))
    return tonumber(zeros), tonumber(ones), tonumber(others), writes
  end

  local READS = scaled(1000000)

  it("atomic_store / atomic_load of 0 and -1 as 'i8': no other value in " .. READS .. " reads", function()
    local zeros, ones, others, writes = alternate(
      'function(mm, v) mm:atomic_store(8, v, "i8") end',
      'function(mm) return mm:atomic_load(8, "i8") end', READS)
    assert.are.equal(READS, zeros + ones + others)
    assert.are.equal(0, others)
    assert.is_true(zeros > 0 and ones > 0 and writes > 0,
      "the writer ran during the reads: " .. zeros .. " " .. ones .. " " .. writes)
  end)

  it("the same with pack / unpack shows torn values (the control)", function()
    local others, tries = 0, 0
    while others == 0 and tries < 3 do
      tries = tries + 1
      local _
      _, _, others = alternate(
        'function(mm, v) mm:pack("i8", 8, v) end',
        'function(mm) return (mm:unpack("i8", 8)) end', READS)
    end
    assert.is_true(others > 0, "no torn value in " .. tries .. " tries")
  end)

  local ROUNDS = scaled(10000)

  it("wait / notify ping-pong: " .. ROUNDS .. " round trips between two processes", function()
    local mm, path = sharedmap(16)
    local outs = together(mm, path, 2, [[
      local mm = assert(mmap.open(PATH, "r+"))
      local mine, oks = I - 1, 0
      barrier(mm)
      for i = 1, ROUNDS do
        local want = 2 * (i - 1) + mine   -- the word's value when it is my turn
        local v = mm:atomic_load(8, "i4")
        while v ~= want do
          local r = mm:wait(8, v, 30)     -- a lost wake fails instead of hanging
          if r == "timed-out" then print("timed out at " .. v) os.exit(1) end
          if r == "ok" then oks = oks + 1 end
          v = mm:atomic_load(8, "i4")
        end
        mm:atomic_add(8, 1, "i4")
        mm:notify(8)
      end
      print("done " .. oks)
    ]], { ROUNDS = ROUNDS })
    local oks = 0
    for i = 1, 2 do
      local n = outs[i]:match("^done (%d+)\n$")
      assert(n, outs[i])
      oks = oks + tonumber(n)
    end
    assert.are.equal(2 * ROUNDS, mm:atomic_load(8, "i4"))
    assert.is_true(oks > 0, "some waits slept and were woken")
  end)

  -- Polling (no address-based wait) wakes no one that notify could count.
  H.gate(os.getenv("MMAP_POSIX_ONLY") == "1" and
         "needs the futex, which the POSIX_ONLY build leaves out: wait polls, notify counts 0"
         or H.NOTWIN.futex, it, pending)(
      "a process sleeping in wait is woken by another's notify; notify counts whom it woke", function()
    local mm, path = sharedmap(16)
    local kids = {}
    for i = 1, 3 do
      kids[i] = start(("local mm = assert(mmap.open(%q, 'r+'))\n"):format(path)
        .. "mm:atomic_add(0, 1, 'i4') mm:notify(0)\n"
        .. "io.write(mm:wait(8, 0, 60))\n")
    end
    -- notify(8, 1) until it has woken one, then twice with count 2, then all
    local woken, calls, counts = 0, 0, {}
    local function until_woken(target, count)
      while woken < target and calls < 3000 do  -- a minute at most
        local n = mm:notify(8, count)
        assert.is_true(n >= 0 and n <= (count or 3) and n <= 3 - woken, "notify woke " .. n)
        woken, calls = woken + n, calls + 1
        if n > 0 then counts[#counts + 1] = n end
        mm:wait(12, 0, 0.02)  -- a short sleep
      end
    end
    until_woken(1, 1)
    until_woken(3, nil)
    local outs = {}
    for i = 1, 3 do outs[i] = finish(kids[i]) end
    assert.are.same({ "ok", "ok", "ok" }, outs)
    assert.are.equal(3, woken)
    assert.are.equal(1, counts[1])
    assert.are.equal(0, mm:notify(8), "nobody is left")
  end)
end)
