-- pack / unpack (doc/mmap.md §12): string.pack formats written into and read from
-- the map, at 0-based offsets, with alignment reckoned from the start of
-- the map.
--
-- The differential part is the heart. Random formats (fixed seed) made of
-- every option of Lua 5.4's format language, with random sizes, byte
-- orders and alignments, and random values (some out of range, some of the
-- wrong type, some missing; some formats malformed), are run through both
-- string.pack / string.unpack and mm:pack / mm:unpack:
--   * mm:pack(fmt, off, ...) must write exactly the bytes that
--     string.pack(("x"):rep(off) .. fmt, ...) gives after its first off
--     (for off = 0: string.pack(fmt, ...) itself), return the offset after
--     them, and leave every other byte alone; when string.pack raises, the
--     same error is raised and the map is unchanged;
--   * mm:unpack(fmt, off) over a map of exactly the bytes of a subject must
--     return what string.unpack(fmt, subject, off + 1) returns (values of
--     the same types, the next position less one), or raise its error.
-- Errors are compared without the position prefix and the function's name;
-- argument numbers are compared too, mapped from string.pack's (fmt, v1,
-- ...) and string.unpack's (fmt, s, init) to the methods' (fmt, offset, ...).
local H = require "helper"
local mmap = require "mmap"

-- Globals of a spec file are looked up through busted's environment, which
-- is slow: the differential loop uses these locals instead.
local string, table, math = string, table, math
local pcall, error, select, type, tostring, tonumber =
  pcall, error, select, type, tostring, tonumber

local SEED = 20251125
local FORMATS = H.VALGRIND and 120 or 2500   -- random formats

-- math.random, but for ranges wider than 2^31 (5.1's math.random(m, n)
-- takes C ints): two draws. Before 5.3 no range is wider than 2^53.
local function rnd(m, n)
  if m == nil then return math.random() end
  if n == nil then return math.random(m) end
  if H.INT64 or (m >= -2 ^ 31 and n < 2 ^ 31) then return math.random(m, n) end
  local draw = math.floor(math.random() * 2 ^ 26) * 2 ^ 27
               + math.floor(math.random() * 2 ^ 27)
  return m + draw % (n - m + 1)
end

-- 64 random bits: math.random(0) on 5.4 (5.3 has no such call); before
-- 5.3 numbers are doubles, so a random integer of at most 53 bits.
local function rnd64()
  if not H.INT64 then return rnd(-2 ^ 53, 2 ^ 53) end
  if H.VERSION < 5.4 then
    return H.bor(H.shl(math.random(0, 0xffffffff), 32), math.random(0, 0xffffffff))
  end
  return math.random(0)
end

-- The reference: string.pack and string.unpack (lua-compat53's port of
-- them before 5.3).
local spack, sunpack = H.spack, H.sunpack
local unpack = H.unpack

-- 5.3's string.unpack (and so lua-compat53's port) does not check that a
-- 'z' ends inside the data: it reads on into the string's terminating
-- '\0', returns the next position past #s + 1, and the option after it
-- raises "data string too short". 5.4, which the module follows, raises
-- "unfinished string for format 'z'" at that 'z'. Where the reference
-- lacks the check, it is made here: every 'z' of the format is unpacked
-- alone with what comes before it, in order; the first one that ends past
-- the data (before anything has raised) is 5.4's error. (Each 'z' byte in
-- a format is a 'z' option, or follows an 'X', which raises.)
local Z_CHECKED = not pcall(sunpack, "z", "a")

local function ref_unpack(fmt, s, init)
  if not Z_CHECKED then
    for i = 1, #fmt do
      if fmt:sub(i, i) == "z" then
        local r = H.pack(pcall(sunpack, fmt:sub(1, i), s, init))
        if not r[1] then break end
        if r[r.n] > #s + 1 then
          error("bad argument #2 to 'unpack' (unfinished string for format 'z')", 0)
        end
      end
    end
  end
  return sunpack(fmt, s, init)
end

-- lua-compat53's string.pack (5.1, 5.2, LuaJIT) truncates a number with no
-- integer representation (1.5, "1.25", 2^63) given to an integer option,
-- where 5.4 raises "number has no integer representation" for it. Where
-- the reference does so, the format is walked to find the first value
-- that an integer option takes and that has no integer representation:
-- the format up to that option, with the values before it and a 0 for
-- it, is packed first (an error there, the option's own size or
-- alignment included, comes first, as in 5.4), then 5.4's error is
-- raised. A format the walk misreads is invalid, and the reference raises
-- before the misread part.
local INT_CHECKED = not pcall(spack, "i4", 1.5)
local INTOPT, VALOPT = {}, {}
for c in ("bBhHlLjJTiI"):gmatch(".") do INTOPT[c], VALOPT[c] = true, true end
for c in ("fdnszc"):gmatch(".") do VALOPT[c] = true end

local function hasint(v)  -- what luaL_checkinteger accepts, or no number at all
  local x = tonumber(v)
  return type(x) ~= "number" or (x == math.floor(x) and x >= -2 ^ 63 and x < 2 ^ 63)
end

-- The first value that 5.4 rejects: its index, and where its option ends.
local function first_nonint(fmt, vals, nv)
  local i, k = 1, 0
  while i <= #fmt do
    local c = fmt:sub(i, i)
    local j = c == "X" and i + 2 or i + 1  -- X takes the option after it
    j = j + #(fmt:match("^%d*", j) or "")  -- nil past the end (5.2+)
    if VALOPT[c] then
      k = k + 1
      if INTOPT[c] and k <= nv and not hasint(vals[k]) then return k, j end
    elseif not c:match("^[<>=!xX ]$") then
      return nil  -- an invalid option ("\0" ends the format)
    end
    i = j
  end
end

local function ref_pack(fmt, ...)
  if not INT_CHECKED then
    local vals = H.pack(...)
    local k, stop = first_nonint(fmt, vals, vals.n)
    if k then
      local before = { unpack(vals, 1, k - 1) }
      before[k] = 0
      local ok, err = pcall(spack, fmt:sub(1, stop - 1), unpack(before, 1, k))
      if not ok then error(err, 0) end
      error(("bad argument #%d to 'pack' (number has no integer representation)")
            :format(k + 1), 0)
    end
  end
  return spack(fmt, ...)
end

-- The collector made to take a step at every allocation; returns a
-- function that sets the defaults back (H.eager_gc: 5.5 takes "param").
local function eager_gc()
  return H.eager_gc(0, 1000)
end

-- Our message is theirs, or theirs printed a count cut to an int: 5.5's
-- string.pack reads counts as size_t and prints an over-large integral size
-- with a %d, where the module prints the whole number (doc/mmap.md §14).
local function same_msg(ours, theirs)
  if ours == theirs then return true end
  local a, rest = ours:match("^integral size %((%d+)%)(.*)$")
  local b, rest2 = theirs:match("^integral size %((%-?%d+)%)(.*)$")
  if not (a and b and rest == rest2 and H.INT64) then return false end
  local low = H.band(math.tointeger(tonumber(a)), 0xffffffff)
  if low >= 0x80000000 then low = low - 0x100000000 end
  return #a >= 10 and low == tonumber(b)
end

-- Calls of the methods are never tail calls (`return values(mm:unpack(...))`,
-- `return (mm:pack(...))`): see H.values.
local values = H.values

-- The memory (KiB) Lua accounts for while fn runs, with the collector
-- stopped so that nothing fn made is freed before it is counted; then what
-- fn returned.
local function growth(fn)
  collectgarbage()
  collectgarbage("stop")
  local before = collectgarbage("count")
  local r = H.pack(pcall(fn))
  local grown = collectgarbage("count") - before
  collectgarbage("restart")
  assert(r[1], r[2])
  return grown, unpack(r, 2, r.n)
end

-- {{======================================================
-- Comparing outcomes

-- An error message as (text, argument number or nil), without the position
-- prefix and the function's name.
local function parse_err(e)
  e = tostring(e):gsub("^[^\n]-:%d+: ", "", 1)
  local n, msg = e:match("^bad argument #(%d+) to '[^']*' %((.*)%)$")
  if n then return msg, tonumber(n) end
  return e, nil
end

-- The outcome of a pcall: { ok = true, n = count, values... } or
-- { ok = false, msg = text, arg = argument number }.
local function outcome(ok, ...)
  if ok then return { ok = true, n = select("#", ...), ... } end
  local msg, argno = parse_err((...))
  return { ok = false, msg = msg, arg = argno }
end

-- Same value, same type, same subtype; floats compared by their bits.
-- (Before 5.3 every number is a double: numbers are compared by their bits.)
local function same(a, b)
  if type(a) ~= type(b) or H.isint(a) ~= H.isint(b) then return false end
  if type(a) == "number" and not (H.INT64 and H.isint(a)) then
    return spack("<d", a) == spack("<d", b)
  end
  return a == b
end

local function show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) == "number" and not H.isint(v) then
    local ok, s = pcall(string.format, "%a", v)  -- 5.1 has no %a
    return ok and s or ("%.17g"):format(v)
  end
  return tostring(v)
end

local function showlist(t, n)
  local out = {}
  for i = 1, n do out[i] = show(t[i]) end
  return "(" .. table.concat(out, ", ") .. ")"
end

-- Raise a failure that says what was being compared.
local function fail(what, fmt, detail)
  error(("%s: format %q: %s"):format(what, fmt, detail), 2)
end

-- string.pack's argument #k is the method's #k + 1 for a value (#1, the
-- format, stays); string.unpack's #3 (init) is the method's #2 (offset).
local function pack_arg(n)
  if n == nil or n == 1 then return n end
  return n + 1
end

local function unpack_arg(n)
  if n == 3 then return 2 end
  return n
end

-- }}======================================================


-- {{======================================================
-- Random formats and values

local function randbytes(n, nozero)
  local t = {}
  for i = 1, n do t[i] = nozero and rnd(1, 255) or rnd(0, 255) end
  -- string.char of at most 4096 at a time: 5.1 and LuaJIT's C stack holds
  -- no more than 8000 arguments
  local parts = {}
  for i = 1, n, 4096 do
    parts[#parts + 1] = string.char(unpack(t, i, math.min(n, i + 4095)))
  end
  return table.concat(parts)
end

-- An integer for a size-byte field, often at the edges of its range.
local function goodint(size, signed)
  if size >= 8 then
    local r = rnd(5)
    if r == 1 then return H.MININT end
    if r == 2 then return H.MAXINT end
    if r == 3 then return rnd(-3, 3) end
    return rnd64()  -- every bit random
  end
  local bits = 8 * size
  local lo, hi = 0, H.shl(1, bits) - 1
  if signed then lo, hi = -H.shl(1, bits - 1), H.shl(1, bits - 1) - 1 end
  local r = rnd(8)
  if r == 1 then return lo end
  if r == 2 then return hi end
  if r == 3 then return 0 end
  if r == 4 then return (rnd(lo, hi) + 0.0) end  -- an integral float
  if r == 5 then return tostring(rnd(lo, hi)) end  -- a numeric string
  return rnd(lo, hi)
end

-- Just out of range, or not an integer at all.
local function badint(size, signed)
  local r = rnd(6)
  if size < 8 and r <= 3 then
    local bits = 8 * size
    if not signed then return r == 1 and -1 or H.shl(1, bits) end
    return r == 1 and -H.shl(1, bits - 1) - 1 or H.shl(1, bits - 1)
  end
  if r == 4 then return "abc" end
  if r == 5 then return 1.5 end
  return {}
end

local FLOATS = {
  0.0, -0.0, 1.5, -2.25, 1 / 0, -1 / 0, 0 / 0, math.pi, -math.pi,
  3.4028234663852886e38,        -- FLT_MAX
  -- 0x1.ffffffp127 (no hexadecimal floats in 5.1): 0x1ffffff * 2^103
  0x1ffffff * 2.0 ^ 103,        -- FLT_MAX and half an ulp: rounds to inf
  0x1ffffff * 2.0 ^ 103 - 2.0 ^ 75,  -- just below: rounds to FLT_MAX
  -0x1ffffff * 2.0 ^ 103, 1e39, -1e39, 2.0 ^ -149, 2.0 ^ -150, 1e-50,
  2.0 ^ 1023, 4.9e-324,
}

local function goodfloat()
  local r = rnd(6)
  if r <= 2 then return FLOATS[rnd(#FLOATS)] end
  if r == 3 then return rnd(-1000, 1000) end  -- an integer
  if r == 4 then return "1.25" end             -- a numeric string
  return (rnd() - 0.5) * 10.0 ^ rnd(-40, 40)
end

local function badfloat()
  local r = rnd(3)
  if r == 1 then return "x" end
  if r == 2 then return {} end
  return true
end

local function badstring()
  return rnd(2) == 1 and {} or true
end

-- Options that X can align to (X then consumes them).
local ALIGNABLE = { "i", "i2", "i3", "i8", "I16", "h", "H", "l", "j", "T",
                    "d", "n", "f", "b", "x", "s2", "s4", "i16" }

-- Malformed or edge pieces, inserted into a format now and then.
local WEIRD = { "y", "q", "%", "i0", "i17", "I99", "s0", "s17", "!0", "!17",
                "!3", "!6", "!3i4", "!8i3", "c", "Xc2", "Xz", "X ", "X<", "XX",
                "X!", "X", "\0", "\0y", "i99999999999", "Xi17" }

local FIXED = { { "b", 1, true }, { "B", 1, false }, { "h", 2, true },
                { "H", 2, false }, { "l", 8, true }, { "L", 8, false },
                { "j", 8, true }, { "J", 8, false }, { "T", 8, false } }

-- A random format and values for it: fmt, vals, nv.
local function gen()
  local parts, vals, nv = {}, {}, 0
  local badvalues = rnd(8) == 1
  local function val(good, bad, ...)
    nv = nv + 1
    if badvalues and rnd(4) == 1 then vals[nv] = bad(...)
    else vals[nv] = good(...) end
  end
  local count = rnd(20) == 1 and rnd(30, 60) or rnd(1, 8)
  for k = 1, count do
    local r, p = rnd(100)
    if r <= 20 then
      local o = FIXED[rnd(#FIXED)]
      p = o[1]
      val(goodint, badint, o[2], o[3])
    elseif r <= 35 then
      local signed, n = rnd(2) == 1, rnd(0, 16)
      p = (signed and "i" or "I") .. (n > 0 and n or "")
      val(goodint, badint, n > 0 and n or 4, signed)
    elseif r <= 45 then
      p = ({ "f", "d", "n" })[rnd(3)]
      val(goodfloat, badfloat)
    elseif r <= 52 then
      local n = rnd(0, 16)
      p = "s" .. (n > 0 and n or "")
      local len = rnd(0, 20)
      if n == 1 and rnd(4) == 1 then
        len = badvalues and rnd(2) == 1 and 256 or 255
      end
      val(randbytes, badstring, len)
    elseif r <= 57 then
      p = "z"
      val(function() return randbytes(rnd(0, 12), true) end,
          function() return rnd(2) == 1 and "a\0b" or {} end)
    elseif r <= 65 then
      local n = rnd(0, 12)
      p = "c" .. n
      val(function()
            if n >= 2 and rnd(10) == 1 then return rnd(10, 99) end  -- a number
            return randbytes(rnd(0, n))
          end,
          function() return randbytes(n + rnd(1, 3)) end)
    elseif r <= 70 then
      p = "x"
    elseif r <= 77 then
      p = "X" .. ALIGNABLE[rnd(#ALIGNABLE)]
    elseif r <= 85 then
      p = ({ "<", ">", "=" })[rnd(3)]
    elseif r <= 93 then
      p = "!" .. ({ "", "1", "2", "4", "8", "16" })[rnd(6)]
    else
      p = " "
    end
    parts[k] = p
  end
  if rnd(10) == 1 then
    table.insert(parts, rnd(#parts + 1), WEIRD[rnd(#WEIRD)])
  end
  local r = rnd(30)
  if r == 1 and nv > 0 then nv = nv - 1          -- a value missing
  elseif r == 2 then nv = nv + 1; vals[nv] = 7    -- one too many: ignored
  end
  return table.concat(parts), vals, nv
end

-- }}======================================================


-- {{======================================================
-- The two differential checks

local function newmap(content)
  local mm = assert(mmap.mmap(-1, #content))
  mm:write(content)
  return mm
end

-- mm:pack(fmt, off, ...) against string.pack(("x"):rep(off) .. fmt, ...).
-- The map holds random bytes, and is sometimes too short for the data.
local function check_pack(fmt, vals, nv, off)
  local theirs = outcome(pcall(ref_pack, ("x"):rep(off) .. fmt,
                               unpack(vals, 1, nv)))
  local want = theirs.ok and theirs[1]:sub(off + 1)
  local size = off + (want and #want or rnd(0, 16)) + rnd(0, 4)
  local short = want and #want > 0 and off + #want > 1 and rnd(8) == 1
  if short then size = rnd(math.max(off, 1), off + #want - 1) end
  if size == 0 then size = 1 end
  local fill = randbytes(size)
  local mm = newmap(fill)
  local ours = outcome(pcall(function()
    return values(mm:pack(fmt, off, unpack(vals, 1, nv)))
  end))
  local after = mm:slice()
  mm:close()
  local what = ("pack at %d of %s"):format(off, showlist(vals, nv))
  if theirs.ok and not short then
    if not ours.ok then fail(what, fmt, "raised " .. ours.msg) end
    if ours.n ~= 1 or ours[1] ~= off + #want then
      fail(what, fmt, ("returned %s, not %d"):format(show(ours[1]), off + #want))
    end
    local expect = fill:sub(1, off) .. want .. fill:sub(off + #want + 1)
    if after ~= expect then
      fail(what, fmt, ("wrote %s, not %s"):format(show(after), show(expect)))
    end
    return
  end
  if ours.ok then
    fail(what, fmt, "succeeded where it should raise " ..
         (short and H.MSG.data or theirs.msg))
  end
  local msg, argno = H.MSG.data, nil
  if not theirs.ok then msg, argno = theirs.msg, pack_arg(theirs.arg) end
  if not same_msg(ours.msg, msg) or ours.arg ~= argno then
    fail(what, fmt, ("raised %q (argument %s), not %q (argument %s)")
         :format(ours.msg, tostring(ours.arg), msg, tostring(argno)))
  end
  if after ~= fill then fail(what, fmt, "changed the map while raising") end
end

-- mm:unpack(fmt, off) over a map of exactly subject, against
-- string.unpack(fmt, subject, init) (init: off + 1, or off when negative).
local function check_unpack(fmt, subject, off)
  if #subject == 0 then return end
  local mm = newmap(subject)
  local theirs = outcome(pcall(ref_unpack, fmt, subject,
                               off >= 0 and off + 1 or off))
  local ours = outcome(pcall(function() return values(mm:unpack(fmt, off)) end))
  mm:close()
  local what = ("unpack at %d of %s"):format(off, show(subject))
  if theirs.ok then
    if not ours.ok then fail(what, fmt, "raised " .. ours.msg) end
    if ours.n ~= theirs.n then
      fail(what, fmt, ("%d values, not %d"):format(ours.n, theirs.n))
    end
    for i = 1, theirs.n - 1 do
      if not same(ours[i], theirs[i]) then
        fail(what, fmt, ("value %d is %s, not %s")
             :format(i, show(ours[i]), show(theirs[i])))
      end
    end
    if ours[ours.n] ~= theirs[theirs.n] - 1 then
      fail(what, fmt, ("next offset %s, not %d")
           :format(show(ours[ours.n]), theirs[theirs.n] - 1))
    end
    return
  end
  if ours.ok then fail(what, fmt, "succeeded where it should raise " .. theirs.msg) end
  if not same_msg(ours.msg, theirs.msg) or ours.arg ~= unpack_arg(theirs.arg) then
    fail(what, fmt, ("raised %q (argument %s), not %q (argument %s)")
         :format(ours.msg, tostring(ours.arg), theirs.msg,
                 tostring(unpack_arg(theirs.arg))))
  end
end

-- }}======================================================


describe("pack and unpack, against string.pack and string.unpack", function()
  it(("agree on %d random formats and values"):format(FORMATS), function()
    math.randomseed(SEED)
    local packed = 0
    for _ = 1, FORMATS do
      local fmt, vals, nv = gen()
      check_pack(fmt, vals, nv, 0)
      check_pack(fmt, vals, nv, rnd(1, 17))
      local ok, s = pcall(ref_pack, fmt, unpack(vals, 1, nv))
      if ok then
        packed = packed + 1
        check_unpack(fmt, s, 0)
        -- after k bytes: alignment counts from the start of the map
        local k = rnd(1, 17)
        local subject = randbytes(k) .. s
        check_unpack(fmt, subject, k)
        check_unpack(fmt, subject, k - #subject)  -- the same, from the end
        if #s > 0 then
          check_unpack(fmt, s:sub(1, rnd(0, #s - 1)), 0)  -- too short
        end
      end
      -- arbitrary bytes: big integers that do not fit, unfinished strings
      local junk = randbytes(rnd(1, 48))
      check_unpack(fmt, junk, rnd(0, #junk))
    end
    -- most formats must have packed, or the comparison proves little
    assert.is_true(packed > H.idiv(FORMATS, 2), ("only %d formats packed"):format(packed))
  end)

  it("agree on every option alone, at every offset of a small map", function()
    math.randomseed(SEED + 1)
    local options = { "b", "B", "h", "H", "l", "L", "j", "J", "T", "f", "d",
                      "n", "z", "x", "c0", "c3", "s1", "s", "i", "I" }
    for n = 1, 16 do
      options[#options + 1] = "i" .. n
      options[#options + 1] = "I" .. n
      options[#options + 1] = "s" .. n
    end
    local subject = randbytes(40)
    subject = subject:sub(1, 20) .. "\0" .. subject:sub(22)
    for _, o in ipairs(options) do
      for _, prefix in ipairs({ "<", ">", "=", "!", "!2<", "!4>", "!16" }) do
        for off = 0, #subject, H.VALGRIND and 7 or 1 do
          check_unpack(prefix .. o, subject, off)
          check_unpack(prefix .. "X" .. (o == "z" and "i" or o) .. o, subject, off)
        end
      end
    end
  end)

  it("the quick path for one integer agrees with the general one", function()
    math.randomseed(SEED + 2)
    local mm = H.anon(randbytes(64))
    for _, o in ipairs({ "b", "B", "h", "H", "l", "L", "j", "J", "T", "i", "I",
                         "i1", "i2", "i3", "i5", "i7", "i8", "I1", "I3", "I6",
                         "I8" }) do
      for _, order in ipairs({ "", "<", ">", "=" }) do
        local fmt = order .. o
        for off = 0, 64, H.VALGRIND and 5 or 1 do
          local quick = outcome(pcall(function() return values(mm:unpack(fmt, off)) end))
          local general = outcome(pcall(function() return values(mm:unpack(fmt .. " ", off)) end))
          assert.are.same(general, quick)
        end
      end
    end
  end)
end)


describe("pack", function()
  after_each(function() H.cleanup() end)

  it("returns the offset after the data; a negative offset counts from the end", function()
    local mm = H.anon(("."):rep(16))
    assert.are.equal(4, mm:pack("<i4", 0, 0x64636261))
    assert.are.equal("abcd", mm:slice(0, 4))
    assert.are.equal(16, mm:pack(">I2", -2, 0x4142))
    assert.are.equal("AB", mm:slice(14))
    assert.are.equal(16, mm:pack("", 16))
    assert.are.equal(3, mm:pack("", -13))
    assert.are.equal(12, mm:pack("z", -8, "xyz"))
    assert.are.equal("abcd....xyz\0..AB", mm:slice())
  end)

  it("aligns to the start of the map, not to the offset", function()
    local mm = H.anon(("."):rep(32))
    assert.are.equal(8, mm:pack("<!4 i4", 1, 7))
    assert.are.equal(".\0\0\0\7\0\0\0", mm:slice(0, 8))
    assert.are.equal(24, mm:pack("<!8 b Xd j", 8, 1, 2))
    assert.are.equal("\1" .. ("\0"):rep(7) .. "\2" .. ("\0"):rep(7), mm:slice(8, 24))
    -- string.pack, aligning to its own start, would not pad at all here
    assert.are.equal("\7\0\0\0", spack("<!4 i4", 7))
    assert.are.same({ 7, 8 }, { mm:unpack("<!4 i4", 1) })
    assert.are.same({ 1, 2, 24 }, { mm:unpack("<!8 b Xd j", 8) })
  end)

  it("writes nothing when a value after good ones is bad", function()
    local fill = ("\170"):rep(32)
    local mm = H.anon(fill)
    H.raises("bad argument #5 to 'pack' (integer overflow)",
             function() return (mm:pack("<i4 i4 i1", 0, 1, 2, 300)) end)
    H.raises("bad argument #4 to 'pack' (number expected, got string)",
             function() return (mm:pack("<i4 d i4", 0, 1, "x", 3)) end)
    H.raises("bad argument #4 to 'pack' (string contains zeros)",
             function() return (mm:pack("i4 z", 0, 1, "a\0")) end)
    H.raises("bad argument #3 to 'pack' (string longer than given size)",
             function() return (mm:pack("c2 i4", 0, "abc", 1)) end)
    H.raises("bad argument #4 to 'pack' (string length does not fit in given size)",
             function() return (mm:pack("b s1", 0, 1, ("x"):rep(256))) end)
    H.raises("bad argument #4 to 'pack' (unsigned overflow)",
             function() return (mm:pack("B B", 0, 1, -1)) end)
    H.raises("bad argument #4 to 'pack' (number expected, got nil)",
             function() return (mm:pack("i4 i4", 0, 1)) end)
    H.raises("invalid format option 'y'",
             function() return (mm:pack("i4 i4 y", 0, 1, 2)) end)
    H.raises("bad argument #1 to 'pack' (format asks for alignment not power of 2)",
             function() return (mm:pack("i4 !3 i4", 0, 1, 2)) end)
    assert.are.equal(fill, H.all(mm))
  end)

  it("writes nothing, raising 'data out of range', when the data does not fit", function()
    local fill = ("\170"):rep(32)
    local mm = H.anon(fill)
    H.raises(H.MSG.data, function() return (mm:pack("c40", 0, "")) end)
    H.raises(H.MSG.data, function() return (mm:pack("i4 i4", 28, 1, 2)) end)
    H.raises(H.MSG.data, function() return (mm:pack("i4 i4", -6, 1, 2)) end)
    H.raises(H.MSG.data, function() return (mm:pack("!8 b d", 24, 1, 2)) end)
    H.raises(H.MSG.data, function() return (mm:pack("s4", 0, ("x"):rep(29))) end)
    H.raises(H.MSG.data, function() return (mm:pack("", 33)) end)
    H.raises(H.MSG.data, function() return (mm:pack("", -33)) end)
    H.raises(H.MSG.data, function() return (mm:pack("b", H.MAXINT, 1)) end)
    H.raises(H.MSG.data, function() return (mm:pack("b", H.MININT, 1)) end)
    local ones = {}
    for i = 1, 100 do ones[i] = 1 end
    H.raises(H.MSG.data, function() return (mm:pack(("b"):rep(100), 0, unpack(ones))) end)
    assert.are.equal(fill, H.all(mm))
    -- the value errors come first, as argument checks
    H.raises("integer overflow", function() return (mm:pack("b", 100, 1000)) end)
    assert.are.equal(32, mm:pack("c32", 0, "exactly"))
  end)

  it("takes long formats (more items than it holds on the C stack)", function()
    local mm = H.anon(("."):rep(1000))
    local fmt = ("<i2 z "):rep(50)
    local vals = {}
    for i = 1, 50 do vals[2 * i - 1], vals[2 * i] = i, ("v" .. i) end
    local want = spack(fmt, unpack(vals))
    assert.are.equal(#want, mm:pack(fmt, 0, unpack(vals)))
    assert.are.equal(want, mm:slice(0, #want))
    local got = { mm:unpack(fmt) }
    assert.are.equal(#want, table.remove(got))
    assert.are.same(vals, got)
    -- the same on a map too short for it: nothing written
    local small = H.anon(("."):rep(20))
    H.raises(H.MSG.data, function() return (small:pack(fmt, 0, unpack(vals))) end)
    assert.are.equal(("."):rep(20), H.all(small))
  end)

  it("writes formats of about as many items as it holds at once, and twice that, as string.pack does", function()
    -- 32 items are kept on the C stack; longer formats are written in
    -- batches of 32: every count around those edges, with padding and
    -- spaces (which are no items) among them
    for _, count in ipairs({ 1, 30, 31, 32, 33, 34, 63, 64, 65, 96, 97 }) do
      local parts, vals = {}, {}
      for i = 1, count do
        parts[i] = (i % 3 == 0) and "<i2 x" or (i % 3 == 1) and "  B" or ">s1"
        vals[i] = (i % 3 == 2) and ("s" .. i) or i
      end
      local fmt = table.concat(parts, " ")
      local want = spack("!2 x " .. fmt, unpack(vals, 1, count)):sub(2)
      local mm = H.anon(("#"):rep(#want + 2))
      assert.are.equal(#want + 1, mm:pack("!2 " .. fmt, 1, unpack(vals, 1, count)))
      assert.are.equal("#" .. want .. "#", H.all(mm), count)
    end
  end)

  it("writes and reads long strings", function()
    local big = randbytes(100000)
    local mm = H.anon(("\0"):rep(100008))
    assert.are.equal(100008, mm:pack("<s8", 0, big))
    assert.are.same({ big, 100008 }, { mm:unpack("<s8") })
    assert.are.same({ big:sub(1, 99999), 100007 }, { mm:unpack("c99999", 8) })
  end)

  it("survives a finalizer that closes the map in the middle of a call", function()
    -- every allocation a call makes (its buffers, numbers made strings)
    -- may run finalizers: one closing the map must leave a clean error.
    -- Each finalizer closes whichever map is current, and a new one is
    -- armed before every call, so that one always waits for the collector:
    -- when a cycle ends depends on the heap (busted's is large), and Lua
    -- 5.1 and LuaJIT keep an object alive while a dead register of a
    -- running function still holds it (arm's frame is gone when it returns).
    local outcomes, numbers, current = {}, {}, nil
    for i = 1, 40 do numbers[i] = i end  -- made strings by "s": allocations
    local function arm() H.finalizer(function() if current then current:close() end end) end
    local restore = eager_gc()  -- a step at every allocation
    -- Strings of varied bytes: Lua 5.1 interns every string, and the
    -- same 100 bytes again would allocate nothing.
    local noise, at = randbytes(4096), 0
    for _ = 1, H.VALGRIND and 10 or 100 do
      local mm = assert(mmap.mmap(-1, 4096))
      mm:write(noise)
      current = mm
      local ok, err = pcall(function()
        for _ = 1, 50 do
          arm()
          at = (at + 7) % 2000
          mm:unpack(("c100 "):rep(20), at)
          arm()
          mm:pack(("s"):rep(40), 0, unpack(numbers))
        end
      end)
      current = nil
      outcomes[ok and "ok" or parse_err(err)] = true
      mm:close()
    end
    restore()
    collectgarbage()
    local seen = {}
    for k in pairs(outcomes) do
      assert.truthy(k == "ok" or k == H.MSG.closed, k)
      seen[#seen + 1] = k
    end
    -- and a finalizer did close the map inside a call at least once:
    -- otherwise this case stressed nothing
    assert.truthy(outcomes[H.MSG.closed],
                  "no finalizer ran during a call; outcomes: " .. table.concat(seen, ", "))
  end)

  -- A format of any length costs a bounded amount of memory: nothing is
  -- kept for a character that gives no value, nor for one that does.
  it("uses no memory that grows with the format: spaces", function()
    local spaces = (" "):rep(2 ^ 21)
    local mm = H.anon("abc")
    local mine, off = growth(function() return mm:pack(spaces, 1) end)
    local theirs = growth(function() return spack(spaces) end)
    assert.are.equal(1, off)
    assert.is_true(mine < 1024, ("mm:pack grew by %.0f KiB"):format(mine))
    assert.is_true(mine < theirs + 1024,
                   ("mm:pack grew by %.0f KiB, string.pack by %.0f"):format(mine, theirs))
    assert.are.equal("abc", H.all(mm))
  end)

  it("uses no memory that grows with the format: padding, where string.pack makes a string as long", function()
    local n = 2 ^ 20
    local fmt = ("x"):rep(n)
    local mm = H.anon(("\170"):rep(n))
    local mine, off = growth(function() return mm:pack(fmt, 0) end)
    local theirs, want = growth(function() return spack(fmt) end)
    assert.are.equal(n, off)
    assert.is_true(mine < 1024, ("mm:pack grew by %.0f KiB"):format(mine))
    if H.VERSION >= 5.5 then
      -- 5.5 hands a long luaL_Buffer result over as an external string,
      -- which collectgarbage("count") does not see: the control is a table
      -- of at least as many bytes
      theirs = growth(function()
        local t = {}
        for i = 1, n / 4 do t[i] = i end
        return t
      end)
    end
    assert.is_true(theirs >= n / 1024 and mine < theirs,
                   ("mm:pack grew by %.0f KiB, the control by %.0f"):format(mine, theirs))
    assert.are.equal(want, H.all(mm))
  end)

  it("uses no memory that grows with the format: many values among spaces, written in order", function()
    local many = 7000  -- below the 8000 values a C function takes on 5.1
    local fmt = ("B" .. (" "):rep(127)):rep(many)
    local vals = {}
    for i = 1, many do vals[i] = (i * 7) % 256 end
    local mm = H.anon(("."):rep(many + 2))
    local mine, off = growth(function() return mm:pack(fmt, 1, unpack(vals, 1, many)) end)
    local theirs, want = growth(function() return spack(fmt, unpack(vals, 1, many)) end)
    assert.are.equal(many + 1, off)
    assert.is_true(mine < 1024, ("mm:pack grew by %.0f KiB"):format(mine))
    assert.is_true(mine < theirs + 1024,
                   ("mm:pack grew by %.0f KiB, string.pack by %.0f"):format(mine, theirs))
    assert.are.equal("." .. want .. ".", H.all(mm))
  end)

  it("does not move the position", function()
    local mm = H.anon(("."):rep(16))
    mm:seek(5)
    mm:pack("i4", 0, 1)
    mm:unpack("i4", 8)
    assert.are.equal(5, mm:tell())
  end)
end)


describe("unpack", function()
  after_each(function() H.cleanup() end)

  it("defaults to offset 0 and returns the offset after the values", function()
    local mm = H.anon(spack("<i4 z d", -7, "hi", 0.5))
    assert.are.same({ -7, "hi", 0.5, 15 }, { mm:unpack("<i4 z d") })
    assert.are.same({ "hi", 7 }, { mm:unpack("z", 4) })
    assert.are.same({ "\249\255\255\255hi", 7 }, { mm:unpack("z", nil) })
    assert.are.same({ 15 }, { mm:unpack("", 15) })
    assert.are.same({ 0.5, 15 }, { mm:unpack("<d", -8) })
  end)

  it("keeps integers and floats apart, as string.unpack does", function()
    local mm = H.anon(spack("<j d f", 3, 3.0, 3.0))
    local a, b, c = mm:unpack("<j d f")
    assert.are.same({ 3, 3, 3 }, { a, b, c })
    assert.is_true(H.isint(a))
    if H.INT64 then  -- before 5.3 every number is a float: nothing to tell apart
      assert.are.equal("integer", math.type(a))
      assert.are.equal("float", math.type(b))
      assert.are.equal("float", math.type(c))
    end
  end)

  it("raises for an offset outside the map, where string.unpack would clamp a negative one", function()
    local mm = H.anon("abcdefgh")
    local msg = "bad argument #2 to 'unpack' (initial position out of string)"
    H.raises(msg, function() return (mm:unpack("b", 9)) end)
    H.raises(msg, function() return (mm:unpack("b", -9)) end)
    H.raises(msg, function() return (mm:unpack("b", H.MININT)) end)
    H.raises(msg, function() return (mm:unpack("b", H.MAXINT)) end)
    -- the one deliberate difference: string.unpack takes -9 as 1 (from 5.4
    -- on: 5.3's, and lua-compat53's port of it, raise there as well)
    local ok, v = pcall(sunpack, "b", "abcdefgh", -9)
    if H.VERSION >= 5.4 and not H.JIT then
      assert.are.equal(("a"):byte(), v)
    else
      assert.is_false(ok)
      assert.truthy(tostring(v):find("initial position out of string", 1, true), v)
    end
    H.raises("bad argument #2 to 'unpack' (data string too short)",
             function() return (mm:unpack("b", 8)) end)
    H.raises("bad argument #2 to 'unpack' (number has no integer representation)",
             function() return (mm:unpack("b", 1.5)) end)
  end)

  it("raises string.unpack's errors", function()
    local mm = H.anon(("\255"):rep(9) .. "abc")
    H.raises("9-byte integer does not fit into Lua Integer", function() return (mm:unpack("I9")) end)
    assert.are.same({ -1, 9 }, { mm:unpack("i9") })
    H.raises("bad argument #2 to 'unpack' (unfinished string for format 'z')",
             function() return (mm:unpack("z", 9)) end)
    H.raises("bad argument #2 to 'unpack' (data string too short)",
             function() return (mm:unpack("s1")) end)
    H.raises("missing size for format option 'c'", function() return (mm:unpack("c")) end)
    H.raises("integral size (17) out of limits [1,16]", function() return (mm:unpack("i17")) end)
    H.raises("bad argument #1 to 'unpack' (invalid next option for option 'X')",
             function() return (mm:unpack("Xc1")) end)
  end)

  it("uses no memory for a long format of spaces", function()
    local fmt = (" "):rep(2 ^ 21) .. "<i2"
    local mm = H.anon("\5\1")
    local mine, v, off = growth(function() return mm:unpack(fmt) end)
    local theirs = growth(function() return sunpack(fmt, "\5\1") end)
    assert.are.same({ 261, 2 }, { v, off })
    assert.is_true(mine < 1024, ("mm:unpack grew by %.0f KiB"):format(mine))
    assert.is_true(mine < theirs + 1024,
                   ("mm:unpack grew by %.0f KiB, string.unpack by %.0f"):format(mine, theirs))
  end)

  it("returns as many values as string.unpack, and fails past the stack's limit as it does", function()
    if H.VALGRIND then return end
    local fmt = ("c0"):rep(1000001)
    local mm = H.anon("x")
    local _, theirs = pcall(sunpack, fmt, "x")
    H.raises(parse_err(theirs), function() return (mm:unpack(fmt)) end)
    -- 5.1 and LuaJIT hold at most 8000 values on a C function's stack
    -- (LUAI_MAXCSTACK): fewer values there, but still as many as string.unpack
    local many = (H.VERSION < 5.2 or H.JIT) and 7000 or 50000
    assert.are.equal(many + 1, select("#", mm:unpack(("c0"):rep(many))))
    assert.are.equal(many + 1, select("#", sunpack(("c0"):rep(many), "x")))
  end)
end)


describe("pack and unpack: order of the checks", function()
  after_each(function() H.cleanup() end)

  it("a closed map raises before the arguments are looked at", function()
    local mm = H.anon("abcd")
    mm:close()
    H.raises(H.MSG.closed, function() return (mm:pack(nil)) end)
    H.raises(H.MSG.closed, function() return (mm:unpack({})) end)
    H.raises(H.MSG.closed, function() return (mm:pack("i4", 0, 1)) end)
    H.raises(H.MSG.closed, function() return (mm:unpack("i4")) end)
  end)

  it("then the types of the arguments", function()
    local mm = H.anon("abcdefgh")
    H.raises("bad argument #1 to 'pack' (string expected, got nil)",
             function() return (mm:pack(nil, 0)) end)
    H.raises("bad argument #2 to 'pack' (number expected, got no value)",
             function() return (mm:pack("i4")) end)
    H.raises("bad argument #2 to 'pack' (number has no integer representation)",
             function() return (mm:pack("i4", 0.5, 1)) end)
    H.raises("bad argument #1 to 'unpack' (string expected, got table)",
             function() return (mm:unpack({})) end)
    H.raises("bad argument #2 to 'unpack' (number expected, got string)",
             function() return (mm:unpack("i4", "x")) end)
  end)

  it("a read-only map: values and format are checked first, then read-only, then bounds", function()
    local mm = H.readonly("abcdefgh")
    H.raises("bad argument #3 to 'pack' (number expected, got string)",
             function() return (mm:pack("i4", 0, "x")) end)
    H.raises("invalid format option 'y'", function() return (mm:pack("y", 0)) end)
    H.raises(H.MSG.readonly, function() return (mm:pack("i4", 0, 1)) end)
    H.raises(H.MSG.readonly, function() return (mm:pack("i4", 100, 1)) end)
    H.raises(H.MSG.readonly, function() return (mm:pack("", 0)) end)
    assert.are.equal("abcdefgh", mm:slice())
    assert.are.same({ "abcdefgh", 8 }, { mm:unpack("c8") })
  end)

  H.gate(H.NOTWIN.flags, it, pending)(
      "a map that cannot be read: unpack raises 'mmap is not readable' after the types, before the bounds", function()
    local m = H.keep(assert(mmap.mmap(-1, 10, nil, 0)))
    H.raises("bad argument #2 to 'unpack' (number expected, got string)",
             function() return (m:unpack("i4", "x")) end)
    H.raises(H.MSG.unreadable, function() return (m:unpack("i4")) end)
    H.raises(H.MSG.unreadable, function() return (m:unpack("i4", 100)) end)
    H.raises(H.MSG.unreadable, function() return (m:unpack("y")) end)
    H.raises(H.MSG.readonly, function() return (m:pack("i4", 0, 1)) end)
  end)

  H.gate(H.NOTWIN.flags, it, pending)("a write-only map packs but does not unpack", function()
    local m = H.keep(assert(mmap.mmap(-1, 10, mmap.MAP_SHARED, mmap.PROT_WRITE)))
    assert.are.equal(4, m:pack("<i4", 0, 7))
    H.raises(H.MSG.unreadable, function() return (m:unpack("<i4")) end)
  end)
end)


-- The file shrinks underneath the map: pack and unpack raise the bus error
-- with the offset of the first byte they needed that the file lost, write
-- nothing, and the map lives on (as in guard_spec.lua).
describe("pack and unpack: the bus-error guard", function()
  if H.NOTWIN.shrink then
    pending(H.NOTWIN.shrink)
    return
  end
  local SIZE, BACKED = H.LOST.SIZE, H.LOST.BACKED
  local hundred = {}
  for i = 1, 100 do hundred[i] = i end
  local mm, path
  before_each(function() mm, path = H.lost() end)
  after_each(function()
    mm:close()
    H.cleanup()
  end)

  local cases = {
    { "unpack of one integer", function(m) return m:unpack("<i4", BACKED) end, BACKED },
    { "unpack of one integer, farther in", function(m) return m:unpack("<j", SIZE - 8) end, SIZE - 8 },
    { "unpack across the end of the backing",
      function(m) return m:unpack("<i4 i4", BACKED - 4) end, BACKED },
    { "unpack of a float", function(m) return m:unpack("d", BACKED + 8) end, BACKED + 8 },
    { "unpack of z", function(m) return m:unpack("z", BACKED) end, BACKED },
    { "unpack of s4", function(m) return m:unpack("<s4", BACKED) end, BACKED },
    { "unpack of a string copied out later",
      function(m) return m:unpack("<I4 c10", BACKED - 4) end, BACKED },
    { "unpack of c, from a backed page into a lost one",
      function(m) return m:unpack("c100", BACKED - 50) end, BACKED },
    { "pack of one integer", function(m) return m:pack("<i4", BACKED, 1) end, BACKED },
    { "pack across the end of the backing",
      function(m) return m:pack("<i4 i4", BACKED - 4, 1, 2) end, BACKED },
    { "pack of a long string", function(m) return m:pack("s", BACKED - 100, ("y"):rep(500)) end, BACKED },
    -- written in batches: the lost page is under a later one, and the
    -- first one must not have been written
    { "pack of many items, the lost page under a later batch",
      function(m) return m:pack(("<i4"):rep(100), BACKED - 200, unpack(hundred)) end, BACKED },
  }

  for _, c in ipairs(cases) do
    local name, op, n = c[1], c[2], c[3]
    it(name .. " raises with offset " .. n .. " and writes nothing", function()
      local before = mm:slice(0, BACKED)
      local ok, err = pcall(op, mm)
      assert.is_false(ok)
      assert.truthy(tostring(err):find(H.buserror(n), 1, true), tostring(err))
      ok, err = pcall(op, mm)
      assert.is_false(ok)
      assert.truthy(tostring(err):find(H.buserror(n), 1, true), tostring(err))
      assert.are.equal(before, mm:slice(0, BACKED))
      -- the map survives, and packs and unpacks where the file is
      assert.are.same({ 97, 98, 99, 100, 4 }, { mm:unpack("BBBB") })
      assert.are.equal(8, mm:pack("<i4 i4", 0, 1, 2))
      assert.are.same({ 1, 2, 8 }, { mm:unpack("<i4 i4") })
      assert.are.equal("mmap", mmap.type(mm))
    end)
  end

  it("works again once the file grows back", function()
    assert.is_false((pcall(mm.unpack, mm, "<i4", BACKED)))
    H.truncate(path, SIZE)
    assert.are.equal(BACKED + 4, mm:pack("<i4", BACKED, -5))
    assert.are.same({ -5, BACKED + 4 }, { mm:unpack("<i4", BACKED) })
  end)
end)

-- Counts: the running Lua's string.unpack decides how many digits make one
-- (5.5 reads up to about 2^63/10, earlier Luas stop near INT_MAX/10).
describe("pack and unpack counts", function()
  it("read as many digits as this Lua's string.pack reads", function()
    local mm = H.anon("abc")
    for _, fmt in ipairs { "c3000000000", "c2147483647", "c99999999999999",
                           "i3000000000", "c99999999999999999999" } do
      local ok1, e1 = pcall(H.sunpack, fmt, "abc")
      local ok2, e2 = pcall(mm.unpack, mm, fmt)
      assert.are.equal(ok1, ok2, fmt)
      assert.is_false(ok2, fmt)
      assert(same_msg(parse_err(e2), parse_err(e1)),
        fmt .. ": " .. tostring(e2) .. " vs " .. tostring(e1))
      local ok3, e3 = pcall(H.spack, fmt, "abc")
      local ok4, e4 = pcall(mm.pack, mm, fmt, 0, "abc")
      assert.is_false(ok4, fmt)
      -- (a format string.pack takes may ask it for more memory than
      -- there is; the map's bound comes first for mm:pack)
      if not ok3 and not tostring(e3):find("not enough memory", 1, true) then
        assert(same_msg(parse_err(e4), parse_err(e3)),
          fmt .. ": " .. tostring(e4) .. " vs " .. tostring(e3))
      end
    end
  end)
end)
