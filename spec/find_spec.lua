-- find / rfind: Python's mmap.find and mmap.rfind with the manual's rules
-- (doc/mmap.md §5): 0-based offsets, nil instead of -1, nil start/stop =
-- omitted, the start defaults to the current position, a start past the end
-- finds nothing (not even ""). The reference they are compared with is H.find.
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = H.MAXINT, H.MININT
local ONE16 = "one two ones\0\0\0\0"
local ONE12 = "one two ones"

describe("find/rfind", function()
  local mm
  after_each(function() H.cleanup(mm); mm = nil end)

  describe("Python's table on the 16-byte map 'one two ones\\0\\0\\0\\0'", function()
    before_each(function() mm = H.anon(ONE16) end)

    -- { args, find result, rfind result }
    local cases = {
      { { "one" }, 0, 8 },
      { { "ones" }, 8, 8 },
      { { "one", 1 }, 8, 8 },
      { { "one", 0, -1 }, 0, 8 },
      { { "one", 1, -2 }, 8, 8 },
      { { "" }, 0, 16 },
      { { "", 16 }, 16, 16 },
      { { "", 17 }, nil, nil },   -- a start past the end -> nil
      { { "", 100 }, nil, nil },
      { { "", 5, 2 }, nil, nil },
      { { "", -1 }, 15, 16 },
      { { "one", -100 }, 0, 8 },
      { { "one", -100, -100 }, nil, nil },
    }
    for _, c in ipairs(cases) do
      local args, f, r = c[1], c[2], c[3]
      local shown = {}
      for i, a in ipairs(args) do
        shown[i] = type(a) == "string" and ("%q"):format(a) or tostring(a)
      end
      local label = "(" .. table.concat(shown, ", ") .. ")"
      it("find" .. label .. " == " .. tostring(f), function()
        assert.are.equal(f, mm:find(H.unpack(args)))
        assert.are.equal(0, mm:tell())
      end)
      it("rfind" .. label .. " == " .. tostring(r), function()
        assert.are.equal(r, mm:rfind(H.unpack(args)))
        assert.are.equal(0, mm:tell())
      end)
    end

    it("returns integers, not floats", function()
      assert.is_true(H.isint(mm:find("one")))
      assert.is_true(H.isint(mm:rfind("one")))
      assert.is_true(H.isint(mm:find("")))
    end)
  end)

  describe("Python's 12-byte map 'one two ones'", function()
    before_each(function() mm = H.anon(ONE12) end)

    it("find('one', 1, -2) is nil and rfind('one', 0, -2) is 0", function()
      assert.is_nil(mm:find("one", 1, -2))
      assert.are.equal(0, mm:rfind("one", 0, -2))
    end)

    it("with pos 9 the default start is 9", function()
      assert.are.equal(9, mm:seek(9))
      assert.is_nil(mm:rfind("one"))
      assert.is_nil(mm:find("one"))
      assert.are.equal(8, mm:rfind("one", 0))
      assert.are.equal(0, mm:find("one", 0))
      assert.are.equal(8, mm:find("one", 1))
      assert.are.equal(9, mm:tell())
    end)

    it("find('one', 13) is nil", function()
      assert.is_nil(mm:find("one", 13))
      assert.is_nil(mm:rfind("one", 13))
    end)
  end)

  describe("the default start", function()
    before_each(function() mm = H.anon(ONE16) end)

    it("is the current position, for find and rfind", function()
      mm:seek(1)
      assert.are.equal(8, mm:find("one"))
      assert.are.equal(8, mm:rfind("one"))
      assert.are.equal(1, mm:find(""))
      assert.are.equal(16, mm:rfind(""))
      mm:seek(9)
      assert.is_nil(mm:find("one"))
      assert.are.equal(9, mm:find(""))
      mm:seek(16)
      assert.is_nil(mm:find("\0"))
      assert.are.equal(16, mm:find(""))
      assert.are.equal(16, mm:rfind(""))
    end)

    it("follows reads", function()
      assert.are.equal("one", mm:read(3))
      assert.are.equal(6, mm:find("o"))
      assert.are.equal(3, mm:tell())
    end)

    it("nil start is the position, independently of stop: find('x', nil, 10)", function()
      assert.are.equal(0, mm:find("one", nil, 10))
      assert.are.equal(0, mm:rfind("one", nil, 10))  -- "ones" at 8 ends at 11
      assert.are.equal(8, mm:rfind("one", nil, 11))
      mm:seek(1)
      assert.is_nil(mm:find("one", nil, 10))
      assert.is_nil(mm:rfind("one", nil, 10))
      assert.are.equal(8, mm:find("one", nil, 11))
      assert.are.equal(1, mm:find("", nil, 10))
      assert.are.equal(10, mm:rfind("", nil, 10))
      assert.is_nil(mm:find("", nil, 0))
    end)

    it("nil stop is the end, independently of start", function()
      assert.are.equal(8, mm:find("one", 1, nil))
      assert.are.equal(8, mm:rfind("one", 0, nil))
      assert.are.equal(16, mm:rfind("", 3, nil))
      assert.are.equal(3, mm:find("", 3, nil))
      assert.are.equal(0, mm:find("one", nil, nil))
      assert.are.equal(8, mm:rfind("one", nil, nil))
    end)

    it("a position past the end (after a shrinking resize) gives nil", function()
      local big = assert(mmap.mmap(-1, 32))
      big:seek(20)
      assert.is_true(big:resize(16))
      assert.are.equal(20, big:tell())
      -- the default start (20) is past the end: nil for every needle
      assert.is_nil(big:find(""))
      assert.is_nil(big:rfind(""))
      assert.is_nil(big:find("\0"))
      assert.is_nil(big:rfind("\0", nil, 16))
      -- an explicit start still works
      assert.are.equal(0, big:find("", 0))
      assert.are.equal(16, big:rfind("", 0))
      assert.are.equal(15, big:rfind("\0", 0))
      assert.are.equal(20, big:tell())
      big:close()
    end)
  end)

  describe("negative indices and clamping", function()
    before_each(function() mm = H.anon(ONE16) end)

    it("negative start counts from the end", function()
      assert.are.equal(8, mm:find("one", -8))
      assert.is_nil(mm:find("one", -7))
      assert.are.equal(8, mm:rfind("one", -16))
      assert.are.equal(0, mm:find("one", -16))
      assert.are.equal(0, mm:find("one", -17))
      assert.are.equal(12, mm:find("\0", -4))
      assert.are.equal(15, mm:find("\0", -1))
    end)

    it("negative stop counts from the end", function()
      assert.are.equal(8, mm:rfind("one", 0, -5))
      assert.are.equal(0, mm:rfind("one", 0, -6))
      assert.is_nil(mm:find("one", 0, -14))
      assert.are.equal(0, mm:find("one", 0, -13))
      assert.are.equal(14, mm:rfind("\0", 0, -1))
    end)

    it("a start below the beginning clamps to 0, a stop beyond the end to #mm", function()
      assert.are.equal(0, mm:find("one", -1000, 1000))
      assert.are.equal(8, mm:rfind("one", -1000, 1000))
      assert.are.equal(15, mm:rfind("\0", -1000, 1000))
      assert.are.equal(0, mm:find("", -1000, 1000))
      assert.are.equal(16, mm:rfind("", -1000, 1000))
    end)

    it("a stop below the beginning clamps to 0", function()
      assert.is_nil(mm:find("one", 0, -1000))
      assert.is_nil(mm:rfind("o", -1000, -1000))
      assert.are.equal(0, mm:find("", 0, -1000))
      assert.are.equal(0, mm:rfind("", 0, -1000))
      assert.are.equal(0, mm:find("", -1000, -1000))
      assert.are.equal(0, mm:rfind("", -1000, -1000))
    end)

    it("stop before start gives nil, even for the empty needle", function()
      assert.is_nil(mm:find("", 5, 2))
      assert.is_nil(mm:rfind("", 5, 2))
      assert.is_nil(mm:find("e", 3, 2))
      assert.is_nil(mm:find("", -1, -2))
      assert.is_nil(mm:rfind("", -1, -2))
      assert.is_nil(mm:find("", 16, 15))
      assert.are.equal(5, mm:find("", 5, 5))
      assert.are.equal(5, mm:rfind("", 5, 5))
      assert.are.equal(5, mm:find("", 5, -11))
    end)

    it("start == #mm matches only the empty needle", function()
      assert.is_nil(mm:find("\0", 16))
      assert.is_nil(mm:rfind("\0", 16))
      assert.are.equal(16, mm:find("", 16, 100))
      assert.are.equal(16, mm:rfind("", 16, 100))
    end)
  end)

  describe("integer bounds never error", function()
    before_each(function() mm = H.anon(ONE16) end)

    it("math.mininteger / math.maxinteger as start and stop", function()
      assert.are.equal(0, mm:find("one", MINI))
      assert.are.equal(8, mm:rfind("one", MINI))
      assert.are.equal(0, mm:find("one", 0, MAXI))
      assert.are.equal(8, mm:rfind("one", 0, MAXI))
      assert.are.equal(0, mm:find("one", MINI, MAXI))
      assert.are.equal(8, mm:rfind("one", MINI, MAXI))
      assert.is_nil(mm:find("one", MAXI))
      assert.is_nil(mm:rfind("one", MAXI))
      assert.is_nil(mm:find("one", MAXI, MAXI))
      assert.is_nil(mm:find("one", 0, MINI))
      assert.is_nil(mm:rfind("one", MINI, MINI))
      assert.is_nil(mm:find("one", MAXI, MINI))
    end)

    it("with the empty needle", function()
      assert.are.equal(0, mm:find("", MINI))
      assert.are.equal(16, mm:rfind("", MINI))
      assert.are.equal(16, mm:rfind("", MINI, MAXI))
      assert.are.equal(0, mm:find("", MINI, MAXI))
      assert.are.equal(0, mm:find("", 0, MINI))
      assert.are.equal(0, mm:rfind("", MINI, MINI))
      assert.is_nil(mm:find("", MAXI))
      assert.is_nil(mm:rfind("", MAXI))
      assert.is_nil(mm:find("", MAXI, MAXI))
      assert.is_nil(mm:rfind("", MAXI, MINI))
    end)

    it("near the limits", function()
      assert.are.equal(0, mm:find("one", MINI + 1, MAXI - 1))
      assert.are.equal(8, mm:rfind("one", MINI + 15, MAXI - 15))
      assert.is_nil(mm:find("", MAXI - 15))
      assert.are.equal(0, mm:rfind("", -16, MINI + 1))
    end)
  end)

  describe("needles", function()
    before_each(function() mm = H.anon(ONE16) end)

    it("nil when absent", function()
      assert.is_nil(mm:find("zzz"))
      assert.is_nil(mm:rfind("zzz"))
      assert.is_nil(mm:find("onex"))
      assert.is_nil(mm:rfind("one "  .. "x"))
      assert.is_nil(mm:find("two", 5))
      assert.is_nil(mm:rfind("two", 0, 6))
      assert.are.equal(4, mm:rfind("two", 0, 7))
    end)

    it("leave the position unchanged, found or not", function()
      mm:seek(3)
      mm:find("one")
      mm:rfind("one")
      mm:find("zzz")
      mm:find("", 10)
      mm:rfind("", 17)
      assert.are.equal(3, mm:tell())
    end)

    it("a number needle raises 'string expected, got number'", function()
      H.raises("string expected, got number", mm.find, mm, 5)
      H.raises("string expected, got number", mm.rfind, mm, 5)
      H.raises("string expected, got number", mm.find, mm, 1.5, 0)
      H.raises("string expected, got number", mm.rfind, mm, 0, 0, 16)
    end)

    it("the full message names the method and the argument", function()
      -- (`return (...)`: as a tail call, LuaJIT could not name the method)
      H.raises("bad argument #1 to 'find' (string expected, got number)",
        function() return (mm:find(5)) end)
      H.raises("bad argument #1 to 'rfind' (string expected, got number)",
        function() return (mm:rfind(5)) end)
      H.raises("bad argument #2 to 'rfind' (number expected, got string)",
        function() return (mm:rfind("x", "y")) end)
    end)

    it("start and stop accept integral floats and numeric strings", function()
      assert.are.equal(8, mm:find("one", 1.0))
      assert.are.equal(8, mm:find("one", "1"))
      assert.are.equal(0, mm:rfind("one", 0, 10.0))
      H.raises("number has no integer representation", mm.find, mm, "one", 1.5)
      H.raises("number has no integer representation", mm.rfind, mm, "one", 0, 0.5)
      H.raises("number expected, got string", mm.find, mm, "one", "x")
      H.raises("number expected, got table", mm.find, mm, "one", 0, {})
    end)

    it("other non-string needles raise", function()
      H.raises("string expected", mm.find, mm)
      H.raises("string expected", mm.find, mm, nil)
      H.raises("string expected", mm.rfind, mm, {})
      H.raises("string expected", mm.find, mm, true)
    end)

    it("needles containing \\0", function()
      assert.are.equal(12, mm:find("\0"))
      assert.are.equal(15, mm:rfind("\0"))
      assert.are.equal(11, mm:find("s\0"))
      assert.are.equal(11, mm:rfind("s\0"))
      assert.are.equal(12, mm:find("\0\0\0\0"))
      assert.are.equal(12, mm:rfind("\0\0\0\0"))
      assert.are.equal(13, mm:find("\0\0", 13))
      assert.are.equal(14, mm:rfind("\0\0"))
      assert.is_nil(mm:find("\0\0\0\0\0"))
      assert.is_nil(mm:find("s\0\0\0\0\0"))
      local z = H.anon("a\0b\0c\0\0")
      assert.are.equal(1, z:find("\0"))
      assert.are.equal(2, z:find("b\0c"))
      assert.are.equal(5, z:find("\0\0"))
      assert.are.equal(6, z:rfind("\0"))
      assert.is_nil(z:find("b\0\0"))
      assert.is_nil(z:find("\0a"))
      z:close()
    end)

    it("a needle longer than the map is never found", function()
      assert.is_nil(mm:find(ONE16 .. "\0"))
      assert.is_nil(mm:rfind(ONE16 .. "\0"))
      assert.is_nil(mm:find("\0" .. ONE16, MINI, MAXI))
      assert.is_nil(mm:find(string.rep("o", 17)))
      assert.is_nil(mm:rfind(string.rep("x", 1000)))
    end)

    it("the whole map is found at 0, only in the whole range", function()
      assert.are.equal(0, mm:find(ONE16))
      assert.are.equal(0, mm:rfind(ONE16))
      assert.is_nil(mm:find(ONE16, 1))
      assert.is_nil(mm:rfind(ONE16, 0, 15))
      assert.are.equal(0, mm:rfind(ONE16, -16, 16))
    end)

    it("1-byte needles", function()
      assert.are.equal(0, mm:find("o"))
      assert.are.equal(8, mm:rfind("o"))
      assert.are.equal(6, mm:find("o", 1))
      assert.are.equal(6, mm:rfind("o", 0, 8))
      assert.are.equal(4, mm:find("t"))
      assert.are.equal(4, mm:rfind("t"))
      assert.are.equal(5, mm:find("w"))
      assert.are.equal(11, mm:find("s"))
      assert.are.equal(7, mm:rfind(" "))
      assert.are.equal(3, mm:find(" "))
      assert.are.equal(10, mm:rfind("e"))
      assert.is_nil(mm:find("o", 9))
      assert.is_nil(mm:find("x"))
      assert.is_nil(mm:find("\255"))
    end)

    it("matches at the very end and at the very start", function()
      local m = H.anon("abcabc")
      assert.are.equal(5, m:rfind("c"))
      assert.are.equal(5, m:find("c", 5))
      assert.are.equal(5, m:find("c", -1))
      assert.is_nil(m:find("c", 5, 5))
      assert.are.equal(3, m:find("abc", 3))
      assert.are.equal(3, m:rfind("abc"))
      assert.are.equal(4, m:find("bc", 4))
      assert.is_nil(m:find("abc", 3, 5))
      assert.are.equal(3, m:rfind("abc", 3, 6))
      assert.are.equal(0, m:find("a"))
      assert.are.equal(0, m:find("abc", 0, 3))
      assert.is_nil(m:find("abc", 0, 2))
      assert.are.equal(0, m:rfind("abc", 0, 5))
      assert.are.equal(0, m:rfind("a", 0, 1))
      assert.is_nil(m:rfind("a", 0, 0))
      assert.are.equal(0, m:rfind("abcabc"))
      m:close()
    end)

    it("works on a map larger than a page, across page boundaries", function()
      local P = mmap.PAGESIZE
      local m = assert(mmap.mmap(-1, 3 * P))
      m:seek(P - 2)
      m:write("NEEDLE")
      m:seek(3 * P - 3)
      m:write("END")
      m:seek(0)
      assert.are.equal(P - 2, m:find("NEEDLE"))
      assert.are.equal(P - 2, m:rfind("NEEDLE"))
      assert.are.equal(3 * P - 3, m:find("END"))
      assert.are.equal(3 * P - 3, m:rfind("END", -3))
      assert.is_nil(m:find("NEEDLE", P - 1))
      assert.is_nil(m:find("NEEDLE", 0, P + 3))
      assert.are.equal(3 * P, m:rfind(""))
      m:close()
    end)

    it("works on a file-backed map", function()
      local path = H.tmpfile("xx one two ones yy")
      local m = assert(mmap.open(path, "r"))
      assert.are.equal(3, m:find("one"))
      assert.are.equal(11, m:rfind("one"))
      assert.are.equal(16, m:find("yy", -2))
      m:close()
    end)
  end)

  describe("on a closed map", function()
    it("raises 'mmap closed or invalid'", function()
      local m = H.anon(ONE16)
      m:close()
      H.raises(H.MSG.closed, m.find, m, "one")
      H.raises(H.MSG.closed, m.rfind, m, "one")
      H.raises(H.MSG.closed, m.find, m, "", 0, 1)
      -- the closed check comes before the arguments are parsed
      H.raises(H.MSG.closed, m.find, m, 5)
      H.raises(H.MSG.closed, m.rfind, m)
    end)

    it("a self that is not a map raises 'mmap expected'", function()
      local m = H.anon(ONE16)
      H.raises("mmap expected, got table", m.find, {}, "one")
      H.raises("mmap expected, got nil", m.rfind, nil, "one")
      H.raises("mmap expected, got string", m.find, "one two", "one")
      m:close()
    end)
  end)

  describe("against a pure-Lua reference", function()
    it("agrees with Python's clamping over random needles, starts and stops", function()
      local s = "abaab\0aba\0\0abbaab"   -- 18 bytes
      local n = #s
      local m = H.anon(s)
      math.randomseed(20240611)
      local alphabet = { "a", "b", "\0" }
      local bounds = { MINI, MAXI, MINI + 1, MAXI - 1, -n - 1, -n, n, n + 1 }
      local function rnd_bound()
        local r = math.random(1, 10)
        if r == 1 then return nil end
        if r == 2 then return bounds[math.random(#bounds)] end
        return math.random(-n - 3, n + 3)
      end
      local checked = 0
      for _ = 1, 1500 do
        local sub
        if math.random(2) == 1 then
          local i = math.random(1, n + 1)
          sub = s:sub(i, i + math.random(0, 4) - 1)
        else
          local t = {}
          for j = 1, math.random(0, 4) do t[j] = alphabet[math.random(#alphabet)] end
          sub = table.concat(t)
        end
        local pos = math.random(0, n)
        m:seek(pos)
        local start, stop = rnd_bound(), rnd_bound()
        local got_f = m:find(sub, start, stop)
        local got_r = m:rfind(sub, start, stop)
        local want_f = H.find(s, false, sub, pos, start, stop)
        local want_r = H.find(s, true, sub, pos, start, stop)
        local what = ("(%q, %s, %s) at pos %d"):format(sub, tostring(start), tostring(stop), pos)
        assert(got_f == want_f, "find" .. what .. ": want " .. tostring(want_f) .. ", got " .. tostring(got_f))
        assert(got_r == want_r, "rfind" .. what .. ": want " .. tostring(want_r) .. ", got " .. tostring(got_r))
        assert(m:tell() == pos, "position moved by find" .. what)
        checked = checked + 1
      end
      assert.are.equal(1500, checked)
      m:close()
    end)
  end)
end)

-- find over maps long enough for the vectorised search of the platform
-- layer (16 positions a step, then glibc memmem past a budget): the
-- results must be string.find's (plain), shifted to 0-based.
describe("find on larger maps", function()
  after_each(function() H.cleanup() end)

  local function lcg(seed)
    return function(n)
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    end
  end

  it("agrees with string.find on random haystacks and needles (find and rfind)", function()
    local rnd = lcg(4242)
    local rounds = H.VALGRIND and 20 or 300
    for _ = 1, rounds do
      local n = 16 + rnd(3000)
      local alpha = ({ "ab", "abc", "abcdefgh" })[rnd(3) + 1]
      local t = {}
      for i = 1, n do
        local k = rnd(#alpha) + 1
        t[i] = alpha:sub(k, k)
      end
      local hay = table.concat(t)
      local mm = H.anon(hay)
      for _ = 1, 10 do
        local len = 2 + rnd(40)
        local needle
        if rnd(2) == 0 then  -- a piece of the haystack, sometimes altered
          local at = rnd(#hay) + 1
          needle = hay:sub(at, at + len - 1)
          if rnd(3) == 0 then needle = needle .. "z" end
        else
          local u = {}
          for i = 1, len do
            local k = rnd(#alpha) + 1
            u[i] = alpha:sub(k, k)
          end
          needle = table.concat(u)
        end
        local start = rnd(#hay)
        local want = hay:find(needle, start + 1, true)
        local got = mm:find(needle, start)
        assert.are.equal(want and want - 1, got,
          ("find(%q, %d) in %d bytes"):format(needle, start, #hay))
        local last, at = nil, hay:find(needle, start + 1, true)
        while at do
          last = at
          at = hay:find(needle, at + 1, true)
        end
        assert.are.equal(last and last - 1, mm:rfind(needle, start),
          ("rfind(%q, %d) in %d bytes"):format(needle, start, #hay))
      end
    end
  end)

  it("stays right on inputs that defeat the filter", function()
    local n = H.VALGRIND and 20000 or 1000000
    local hay = ("a"):rep(n - 1) .. "b"
    local mm = H.anon(hay)
    assert.are.equal(n - 20, mm:find(("a"):rep(19) .. "b", 0))
    assert.are.equal(n - 2, mm:find("ab", 0))
    assert.is_nil(mm:find(("a"):rep(30) .. "c", 0))
    assert.are.equal(0, mm:find(("a"):rep(50), 0))
    assert.are.equal(n - 20, mm:rfind(("a"):rep(19) .. "b", 0))
    assert.are.equal(n - 51, mm:rfind(("a"):rep(50), 0))
    assert.are.equal(0, mm:rfind(("a"):rep(50), 0, 50))
    assert.is_nil(mm:rfind("ba", 0))
  end)
end)
