-- slice and setslice: Python's mm[start:stop:step], read and assigned.
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = H.MAXINT, H.MININT
-- The gap between neighbouring numbers next to MAXI and MINI: 1 with 64-bit
-- integers, 1024 with doubles (where MAXI - 1 would round back to MAXI).
local GAP = H.INT64 and 1 or 1024
local CONTENT = "0123456789abcdef"          -- 16 bytes

-- A pure-Lua model of Python's slice semantics: the 0-based offsets that
-- seq[start:stop:step] selects in a sequence of `len` items (nil = omitted).
local function slice_offsets(len, start, stop, step)
  step = step or 1
  assert(step ~= 0)
  -- Python caps a negative step at -maxsize; only the sign and size matter.
  if step < -MAXI then step = -MAXI end
  local neg = step < 0
  local function bound(v, omitted)
    if v == nil then return omitted end
    if v < 0 then
      v = v + len                       -- no overflow: len > 0 > v
      if v < 0 then v = neg and -1 or 0 end
    elseif v >= len then
      v = neg and len - 1 or len
    end
    return v
  end
  local first = bound(start, neg and len - 1 or 0)
  local last = bound(stop, neg and -1 or len)
  local count = 0
  if not neg and first < last then
    count = H.idiv(last - first - 1, step) + 1
  elseif neg and last < first then
    count = H.idiv(first - last - 1, -step) + 1
  end
  local offs = {}
  for k = 0, count - 1 do offs[k + 1] = first + k * step end
  return offs
end

-- What s[start:stop:step] is, for a Lua string s.
local function ref_slice(s, start, stop, step)
  local out = {}
  for i, o in ipairs(slice_offsets(#s, start, stop, step)) do
    out[i] = s:sub(o + 1, o + 1)
  end
  return table.concat(out)
end

-- What s becomes after s[start:stop:step] = data (data of the right size).
local function ref_setslice(s, start, stop, step, data)
  local bytes = {}
  for i = 1, #s do bytes[i] = s:sub(i, i) end
  for i, o in ipairs(slice_offsets(#s, start, stop, step)) do
    bytes[o + 1] = data:sub(i, i)
  end
  return table.concat(bytes)
end

local NIL = setmetatable({}, { __tostring = function() return "nil" end })
local function val(v) if v == NIL then return nil end return v end

-- Bounds and steps for the differential tests. Under valgrind a thinner grid.
local BOUNDS, STEPS, SETBOUNDS
if H.VALGRIND then
  BOUNDS = { NIL, -20, -17, -16, -15, -3, -1, 0, 1, 2, 7, 15, 16, 17, 20,
             MAXI, MINI }
  STEPS = { NIL, 1, 3, 16, 17, MAXI, -1, -2, -16, -17, MINI }
else
  BOUNDS = { NIL, MAXI, MINI, MAXI - GAP, MINI + GAP }
  for v = -20, 20 do BOUNDS[#BOUNDS + 1] = v end
  STEPS = { NIL, 1, 2, 3, 4, 5, 7, 15, 16, 17, MAXI,
            -1, -2, -3, -5, -15, -16, -17, MINI, MINI + GAP }
end
SETBOUNDS = { NIL, -20, -17, -16, -15, -10, -3, -1, 0, 1, 2, 5, 10, 15, 16, 17, 20,
              MAXI, MINI }

describe("mmap slices", function()
  local function reset(mm, content)
    mm:seek(0)
    mm:write(content)
    mm:seek(0)
  end

  local function show(...)
    local t = H.pack(...)
    for i = 1, t.n do  -- %q takes only strings before 5.4
      t[i] = type(t[i]) == "string" and ("%q"):format(t[i]):gsub("\n", "n") or tostring(t[i])
    end
    return "(" .. table.concat(t, ", ", 1, t.n) .. ")"
  end

  after_each(function() H.cleanup() end)

  describe("the reference model", function()
    it("agrees with known Python results", function()
      assert.equals("fedcba9876543210", ref_slice(CONTENT, nil, nil, -1))
      assert.equals("147", ref_slice(CONTENT, 1, 10, 3))
      assert.equals("def", ref_slice(CONTENT, -3))
      assert.equals("", ref_slice(CONTENT, 10, 2))
      assert.equals("f", ref_slice(CONTENT, nil, nil, MINI))
      assert.equals("", ref_slice(CONTENT, MINI, nil, MINI))
      assert.equals("fedcba98765", ref_slice(CONTENT, nil, 4, -1))
      assert.equals("fc963", ref_slice(CONTENT, 20, 0, -3))
    end)
  end)

  describe("slice", function()
    it("with no bounds is the whole map", function()
      local mm = H.anon(CONTENT)
      assert.equals(CONTENT, mm:slice())
      assert.equals(CONTENT, mm:slice(nil))
      assert.equals(CONTENT, mm:slice(nil, nil))
      assert.equals(CONTENT, mm:slice(nil, nil, nil))
      assert.equals(CONTENT, mm:slice(nil, nil, 1))
    end)

    it("follows Python's examples", function()
      local mm = H.anon(CONTENT)
      assert.equals("fedcba9876543210", mm:slice(nil, nil, -1))
      assert.equals("", mm:slice(10, 2))
      assert.equals("", mm:slice(100, 200))
      assert.equals("def", mm:slice(-3))
      assert.equals("def", mm:slice(-3, nil))
      assert.equals("147", mm:slice(1, 10, 3))
    end)

    it("takes each nil as omitted, independently", function()
      local mm = H.anon(CONTENT)
      assert.equals("0123", mm:slice(nil, 4))
      assert.equals("456789abcdef", mm:slice(4, nil))
      assert.equals("02468ace", mm:slice(nil, nil, 2))
      assert.equals("fedcba98765", mm:slice(nil, 4, -1))
      assert.equals("43210", mm:slice(4, nil, -1))
      assert.equals("4567", mm:slice(4, 8, nil))
      assert.equals("fdb", mm:slice(nil, 9, -2))
    end)

    it("handles negative bounds and steps", function()
      local mm = H.anon(CONTENT)
      assert.equals("cde", mm:slice(-4, -1))
      assert.equals("edc", mm:slice(-2, -5, -1))
      assert.equals("fc963", mm:slice(20, 0, -3))
      assert.equals("0", mm:slice(-100, 1))
      assert.equals("", mm:slice(-100, -100))
      assert.equals("0", mm:slice(0, -100, -1))
    end)

    it("clamps the extreme integers without overflow", function()
      local mm = H.anon(CONTENT)
      assert.equals(CONTENT, mm:slice(0, MAXI))
      assert.equals(CONTENT, mm:slice(MINI, MAXI))
      assert.equals(CONTENT, mm:slice(MINI))
      assert.equals("fedcba9876543210", mm:slice(MAXI, MINI, -1))
      assert.equals("", mm:slice(MAXI, MAXI))
      assert.equals("", mm:slice(MINI, MINI))
      assert.equals("", mm:slice(MAXI, MINI))
      assert.equals("0", mm:slice(nil, nil, MAXI))
      assert.equals("0", mm:slice(MINI, MAXI, MAXI))
      assert.equals("5", mm:slice(5, nil, MAXI))
    end)

    it("takes math.mininteger as a step without crashing", function()
      local mm = H.anon(CONTENT)
      assert.equals("f", mm:slice(nil, nil, MINI))
      assert.equals("f", mm:slice(MAXI, MINI, MINI))
      assert.equals("", mm:slice(MINI, nil, MINI))
      assert.equals("", mm:slice(MINI, MAXI, MINI))
      assert.equals("7", mm:slice(7, nil, MINI))
      assert.equals("", mm:slice(7, 7, MINI))
      assert.equals("f", mm:slice(nil, nil, MINI + GAP))
    end)

    it("raises 'slice step cannot be zero'", function()
      local mm = H.anon(CONTENT)
      H.raises(H.MSG.zerostep, function() return mm:slice(0, 16, 0) end)
      H.raises(H.MSG.zerostep, function() return mm:slice(nil, nil, 0) end)
      H.raises(H.MSG.zerostep, function() return mm:slice(100, 200, 0) end)
      H.raises(H.MSG.zerostep, function() return mm:slice(MAXI, MINI, 0) end)
      H.raises(H.MSG.zerostep, function() return mm:slice(0, 16, 0.0) end)
    end)

    it("returns a string and does not move the position", function()
      local mm = H.anon(CONTENT)
      mm:seek(5)
      assert.equals("string", type(mm:slice(0, 3)))
      assert.equals(5, mm:tell())
      assert.equals("", mm:slice(3, 3))
      assert.equals(5, mm:tell())
    end)

    it("keeps zero bytes and reads a file map", function()
      local mm = H.anon("a\0b\0c")
      assert.equals("a\0b\0c", mm:slice())
      assert.equals("\0\0", mm:slice(1, nil, 2))
      local path = H.tmpfile("file content")
      local fm = H.keep(assert(mmap.open(path)))
      assert.equals("content", fm:slice(5))
      assert.equals("tnetnoc elif", fm:slice(nil, nil, -1))
    end)

    it("works on a read-only map", function()
      local mm = H.readonly(CONTENT)
      assert.equals("01", mm:slice(0, 2))
    end)

    it("raises Lua's type errors for bad bounds", function()
      local mm = H.anon(CONTENT)
      -- not tail calls: LuaJIT loses a tail-called C function's name
      H.raises("bad argument #1 to 'slice' (number expected, got string)",
        function() mm:slice("a") end)
      H.raises("bad argument #2 to 'slice' (number expected, got table)",
        function() mm:slice(0, {}) end)
      H.raises("bad argument #3 to 'slice' (number has no integer representation)",
        function() mm:slice(0, 4, 1.5) end)
    end)

    it("raises on a closed map", function()
      local mm = H.anon(CONTENT)
      mm:close()
      H.raises(H.MSG.closed, function() return mm:slice() end)
      H.raises(H.MSG.closed, function() return mm:slice(0, 1) end)
      H.raises(H.MSG.closed, function() return mm:slice(0, 1, 0) end)
    end)

    H.gate(H.NOTWIN.flags, it, pending)("raises 'mmap is not readable' on a prot=0 map", function()
      local mm = H.keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      H.raises(H.MSG.unreadable, function() return mm:slice() end)
      H.raises(H.MSG.unreadable, function() return mm:slice(0, 0) end)
      H.raises(H.MSG.unreadable, function() return mm:slice(100, 200) end)
    end)

    it("matches the reference over many (start, stop, step)", function()
      local mm = H.anon(CONTENT)
      local bad, n = {}, 0
      for _, a in ipairs(BOUNDS) do
        for _, b in ipairs(BOUNDS) do
          for _, c in ipairs(STEPS) do
            local s, e, p = val(a), val(b), val(c)
            local want = ref_slice(CONTENT, s, e, p)
            local ok, got = pcall(mm.slice, mm, s, e, p)
            n = n + 1
            if not ok or got ~= want then
              bad[#bad + 1] = ("slice(%s, %s, %s): want %q, got %s"):format(
                tostring(a), tostring(b), tostring(c), want, show(got))
              if #bad >= 20 then break end
            end
          end
        end
      end
      assert.same({}, bad)
      assert.is_true(n > 1000)
      assert.equals(0, mm:tell())
    end)

    it("matches the reference when the step or stop is left out entirely", function()
      local mm = H.anon(CONTENT)
      local bad = {}
      for _, a in ipairs(BOUNDS) do
        local s = val(a)
        local want1 = ref_slice(CONTENT, s)
        local got1 = mm:slice(s)
        if got1 ~= want1 then bad[#bad + 1] = "slice(" .. tostring(a) .. ")" end
        for _, b in ipairs(BOUNDS) do
          local e = val(b)
          if mm:slice(s, e) ~= ref_slice(CONTENT, s, e) then
            bad[#bad + 1] = "slice(" .. tostring(a) .. ", " .. tostring(b) .. ")"
          end
        end
      end
      assert.same({}, bad)
    end)
  end)

  describe("setslice", function()
    it("3 arguments: (start, stop, data), returns true", function()
      local mm = H.anon(CONTENT)
      assert.equals(true, mm:setslice(2, 5, "XYZ"))
      assert.equals("01XYZ56789abcdef", H.all(mm))
      assert.equals(true, mm:setslice(-2, nil, "!!"))
      assert.equals("01XYZ56789abcd!!", H.all(mm))
      assert.equals(true, mm:setslice(nil, 1, "#"))
      assert.equals("#1XYZ56789abcd!!", H.all(mm))
      assert.equals(true, mm:setslice(nil, nil, CONTENT))
      assert.equals(CONTENT, H.all(mm))
    end)

    it("4 arguments: (start, stop, step, data), returns true", function()
      local mm = H.anon(CONTENT)
      assert.equals(true, mm:setslice(0, 16, 2, "ABCDEFGH"))
      assert.equals("A1B3C5D7E9FbGdHf", H.all(mm))
      reset(mm, CONTENT)
      -- the first byte of the data goes to the last offset
      assert.equals(true, mm:setslice(nil, nil, -1, "0123456789ABCDEF"))
      assert.equals("FEDCBA9876543210", H.all(mm))
      reset(mm, CONTENT)
      assert.equals(true, mm:setslice(1, 10, 3, "xyz"))
      assert.equals("0x23y56z89abcdef", H.all(mm))
      reset(mm, CONTENT)
      assert.equals(true, mm:setslice(2, 5, nil, "XYZ"))
      assert.equals("01XYZ56789abcdef", H.all(mm))
      reset(mm, CONTENT)
      assert.equals(true, mm:setslice(nil, nil, nil, ("q"):rep(16)))
      assert.equals(("q"):rep(16), H.all(mm))
    end)

    it("accepts an empty slice with an empty string", function()
      local mm = H.anon(CONTENT)
      assert.equals(true, mm:setslice(10, 2, ""))
      assert.equals(true, mm:setslice(100, 200, ""))
      assert.equals(true, mm:setslice(5, 5, ""))
      assert.equals(true, mm:setslice(2, 10, -1, ""))
      assert.equals(true, mm:setslice(MAXI, MAXI, ""))
      assert.equals(CONTENT, H.all(mm))
    end)

    it("clamps the extreme integers and takes math.mininteger as a step", function()
      local mm = H.anon(CONTENT)
      assert.is_true(mm:setslice(MINI, MAXI, CONTENT:upper()))
      assert.equals("0123456789ABCDEF", H.all(mm))
      assert.is_true(mm:setslice(MAXI, MINI, MINI, "z"))
      assert.equals("0123456789ABCDEz", H.all(mm))
      assert.is_true(mm:setslice(MINI, MAXI, MAXI, "a"))
      assert.equals("a123456789ABCDEz", H.all(mm))
      assert.is_true(mm:setslice(MINI, nil, MINI, ""))
      assert.equals("a123456789ABCDEz", H.all(mm))
    end)

    it("keeps zero bytes and does not move the position", function()
      local mm = H.anon(CONTENT)
      mm:seek(9)
      assert.is_true(mm:setslice(0, 3, "\0x\0"))
      assert.equals(9, mm:tell())
      assert.equals("\0x\0" .. "3456789abcdef", H.all(mm))
    end)

    it("raises 'mmap slice assignment is wrong size' and writes nothing", function()
      local mm = H.anon(CONTENT)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(0, 3, "ab") end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(0, 3, "abcd") end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(10, 2, "x") end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(100, 200, "x") end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(0, 16, 2, "ABCDEFG") end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(nil, nil, -1, "") end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(nil, nil, ("x"):rep(17)) end)
      H.raises(H.MSG.wrongsize, function() return mm:setslice(MINI, MAXI, "short") end)
      assert.equals(CONTENT, H.all(mm))
    end)

    it("raises 'slice step cannot be zero' before the size check", function()
      local mm = H.anon(CONTENT)
      H.raises(H.MSG.zerostep, function() return mm:setslice(0, 3, 0, "abc") end)
      H.raises(H.MSG.zerostep, function() return mm:setslice(0, 3, 0, "much too long") end)
      H.raises(H.MSG.zerostep, function() return mm:setslice(0, 0, 0, "") end)
      assert.equals(CONTENT, H.all(mm))
    end)

    it("raises on a read-only map before the step and size checks", function()
      local mm = H.readonly(CONTENT)
      H.raises(H.MSG.readonly, function() return mm:setslice(0, 1, "x") end)
      H.raises(H.MSG.readonly, function() return mm:setslice(0, 3, "x") end)
      H.raises(H.MSG.readonly, function() return mm:setslice(0, 1, 0, "x") end)
      H.raises(H.MSG.readonly, function() return mm:setslice(5, 2, "") end)
      assert.equals(CONTENT, H.all(mm))
      if H.WINDOWS then return end  -- no prot there
      local n = H.keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      H.raises(H.MSG.readonly, function() return n:setslice(0, 1, "x") end)
    end)

    -- not tail calls: LuaJIT loses a tail-called C function's name
    it("raises Lua's type errors for data that is not a string, before read-only", function()
      local mm = H.anon(CONTENT)
      H.raises("bad argument #4 to 'setslice' (string expected, got number)",
        function() mm:setslice(0, 1, 1, 5) end)
      -- 3 arguments with a number third: read as the data it is #3, got
      -- number; read as the step with the data missing it is #4, got no
      -- value; either way a Lua type error about a string.
      H.raises("to 'setslice' (string expected, got",
        function() mm:setslice(0, 1, 5) end)
      H.raises("bad argument #1 to 'setslice' (number expected, got table)",
        function() mm:setslice({}, 1, "x") end)
      local ro = H.readonly(CONTENT)
      H.raises("bad argument #4 to 'setslice' (string expected, got number)",
        function() ro:setslice(0, 1, 1, 5) end)
      assert.equals(CONTENT, H.all(mm))
    end)

    it("raises on a closed map, first", function()
      local mm = H.anon(CONTENT)
      mm:close()
      H.raises(H.MSG.closed, function() return mm:setslice(0, 1, "x") end)
      H.raises(H.MSG.closed, function() return mm:setslice(0, 3, "x") end)
      H.raises(H.MSG.closed, function() return mm:setslice(0, 1, 0, "x") end)
      H.raises(H.MSG.closed, function() return mm:setslice(0, 1, 1, 5) end)
    end)

    it("reaches the file through a shared file map", function()
      local path = H.tmpfile("abcdef")
      local mm = H.keep(assert(mmap.open(path, "r+")))
      assert.is_true(mm:setslice(nil, nil, -2, "XYZ"))
      assert.equals("aZcYeX", H.slurp(path))
    end)

    it("matches the reference over many (start, stop, step), both forms", function()
      local mm = H.anon(CONTENT)
      local letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      local bad, n = {}, 0
      local function check(label, want, ok, ret)
        n = n + 1
        local got = H.all(mm)
        if not ok or ret ~= true or got ~= want then
          bad[#bad + 1] = ("%s: want %q, got %s"):format(label, want,
            show(ok, ret, got))
        end
        reset(mm, CONTENT)
      end
      for _, a in ipairs(SETBOUNDS) do
        for _, b in ipairs(SETBOUNDS) do
          for _, c in ipairs(STEPS) do
            if #bad >= 20 then break end
            local s, e, p = val(a), val(b), val(c)
            local len = #slice_offsets(16, s, e, p)
            local data = letters:sub(1, len)
            local want = ref_setslice(CONTENT, s, e, p, data)
            local label = ("setslice(%s, %s, %s, %q)"):format(
              tostring(a), tostring(b), tostring(c), data)
            check(label, want, pcall(mm.setslice, mm, s, e, p, data))
            if p == nil then
              check(label .. " [3 args]", want, pcall(mm.setslice, mm, s, e, data))
            end
            -- one byte too many, and one too few, change nothing
            local ok, err = pcall(mm.setslice, mm, s, e, p, data .. "+")
            if ok or not tostring(err):find(H.MSG.wrongsize, 1, true) or H.all(mm) ~= CONTENT then
              bad[#bad + 1] = label .. " +1 byte: " .. show(ok, err)
              reset(mm, CONTENT)
            end
            if len > 0 then
              ok, err = pcall(mm.setslice, mm, s, e, p, data:sub(2))
              if ok or not tostring(err):find(H.MSG.wrongsize, 1, true) or H.all(mm) ~= CONTENT then
                bad[#bad + 1] = label .. " -1 byte: " .. show(ok, err)
                reset(mm, CONTENT)
              end
            end
          end
        end
      end
      assert.same({}, bad)
      assert.is_true(n > 1000)
    end)
  end)
end)
