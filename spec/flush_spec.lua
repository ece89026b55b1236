-- flush([offset [, size [, flags]]]): msync of a range, Python 3.15's signature,
-- with the manual's rules (doc/mmap.md §8): the caller's values are checked first ("flush values
-- out of range"), size nil/omitted means "from offset to the end", and only then
-- is the range widened to whole pages (so an unaligned offset is not EINVAL).
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = H.MAXINT, H.MININT
local P = mmap.PAGESIZE

describe("flush", function()
  local mm
  after_each(function() H.cleanup(mm); mm = nil end)

  describe("on a 16-byte anonymous map", function()
    before_each(function() mm = assert(mmap.mmap(-1, 16)) end)

    it("returns true for flush(), flush(0), flush(0, 16), flush(0, 0)", function()
      assert.are.equal(true, mm:flush())
      assert.are.equal(true, mm:flush(0))
      assert.are.equal(true, mm:flush(0, 16))
      assert.are.equal(true, mm:flush(0, 0))
    end)

    it("nil offset / nil size are omitted, independently", function()
      assert.are.equal(true, mm:flush(nil))
      assert.are.equal(true, mm:flush(nil, 16))
      assert.are.equal(true, mm:flush(nil, 0))
      assert.are.equal(true, mm:flush(0, nil))
      assert.are.equal(true, mm:flush(nil, nil))
      assert.are.equal(true, mm:flush(nil, nil, mmap.MS_SYNC))
      H.raises(H.MSG.flush, mm.flush, mm, nil, 17)
    end)

    it("flush(offset) runs from offset to the end", function()
      assert.are.equal(true, mm:flush(1))
      assert.are.equal(true, mm:flush(8))
      assert.are.equal(true, mm:flush(15))
      assert.are.equal(true, mm:flush(16))   -- offset == #mm: an empty range
      assert.are.equal(true, mm:flush(8, nil))
    end)

    it("unaligned offsets are widened to whole pages, not EINVAL", function()
      assert.are.equal(true, mm:flush(1, 1))
      assert.are.equal(true, mm:flush(1, 6))
      assert.are.equal(true, mm:flush(15, 1))
      assert.are.equal(true, mm:flush(16, 0))
      assert.are.equal(true, mm:flush(7, 0))
    end)

    -- Python's examples, adapted: flush(4096) is out of range because 4096 > 16
    for _, args in ipairs {
      { 0, 17 }, { -1, 1 }, { 0, -1 }, { 17, 0 }, { 17 }, { 4096 }, { -1 },
      { 1, 16 }, { 16, 1 }, { 8, 9 }, { nil, -1 }, { 0, -2 },
    } do
      it(("raises for flush(%s, %s)"):format(tostring(args[1]), tostring(args[2])), function()
        H.raises(H.MSG.flush, mm.flush, mm, args[1], args[2])
      end)
    end

    it("math.maxinteger / math.mininteger never wrap", function()
      H.raises(H.MSG.flush, mm.flush, mm, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, MINI)
      H.raises(H.MSG.flush, mm.flush, mm, 0, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, 1, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, 16, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, MAXI, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, MAXI, 1)
      H.raises(H.MSG.flush, mm.flush, mm, 0, MINI)
      H.raises(H.MSG.flush, mm.flush, mm, MINI, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, MINI, 16)
      H.raises(H.MSG.flush, mm.flush, mm, nil, MAXI)
      H.raises(H.MSG.flush, mm.flush, mm, MAXI, nil, mmap.MS_SYNC)
    end)

    it("checks the bounds before the flags", function()
      H.raises(H.MSG.flush, mm.flush, mm, 0, 17, 12345)
      H.raises(H.MSG.flush, mm.flush, mm, 17, nil, 12345)
    end)

    H.gate(H.NOTWIN.msflags, it, pending)("accepts MS_SYNC, MS_ASYNC and MS_INVALIDATE as flags", function()
      assert.are.equal(true, mm:flush(0, 16, mmap.MS_SYNC))
      assert.are.equal(true, mm:flush(0, 16, mmap.MS_ASYNC))
      assert.are.equal(true, mm:flush(0, 16, mmap.MS_INVALIDATE))
      assert.are.equal(true, mm:flush(nil, nil, mmap.MS_ASYNC))
      assert.are.equal(true, mm:flush(3, 5, mmap.MS_ASYNC))
      assert.are.equal(true, mm:flush(0, 16, H.bor(mmap.MS_SYNC, mmap.MS_INVALIDATE)))
    end)

    H.gate(H.NOTWIN.msflags, it, pending)("invalid flags give nil, message, EINVAL", function()
      H.oserror(H.EINVAL, mm:flush(0, 16, 12345))
      H.oserror(H.EINVAL, mm:flush(nil, nil, 12345))
      H.oserror(H.EINVAL, mm:flush(0, 16, H.bor(mmap.MS_SYNC, mmap.MS_ASYNC)))
      -- the map is still usable afterwards
      assert.are.equal(true, mm:flush())
    end)

    it("arguments must be numbers", function()
      H.raises("number expected, got string", mm.flush, mm, "x")
      H.raises("number expected, got table", mm.flush, mm, 0, {})
      H.raises("number has no integer representation", mm.flush, mm, 1.5)
      -- not a tail call: LuaJIT loses a tail-called C function's name
      H.raises("bad argument #2 to 'flush' (number expected, got string)",
        function() mm:flush(0, "y") end)
    end)

    it("does not move the position or change the data", function()
      mm:write("hello")
      assert.are.equal(true, mm:flush())
      assert.are.equal(5, mm:tell())
      assert.are.equal("hello", mm:slice(0, 5))
    end)
  end)

  describe("on a 3-page map", function()
    before_each(function() mm = assert(mmap.mmap(-1, 3 * P)) end)

    it("flush(PAGESIZE, PAGESIZE) and flush(PAGESIZE) return true", function()
      assert.are.equal(true, mm:flush(P, P))
      assert.are.equal(true, mm:flush(P))          -- Python 3.13/3.14 raise here
      assert.are.equal(true, mm:flush(2 * P))
      assert.are.equal(true, mm:flush(3 * P))
      assert.are.equal(true, mm:flush(2 * P, P))
      assert.are.equal(true, mm:flush(0, 3 * P))
    end)

    it("widens unaligned ranges spanning pages", function()
      assert.are.equal(true, mm:flush(P + 1, 10))
      assert.are.equal(true, mm:flush(P - 1, 2))
      assert.are.equal(true, mm:flush(P + 17))
      assert.are.equal(true, mm:flush(3 * P - 1, 1))
    end)

    it("raises past the end", function()
      H.raises(H.MSG.flush, mm.flush, mm, 3 * P + 1)
      H.raises(H.MSG.flush, mm.flush, mm, 2 * P, P + 1)
      H.raises(H.MSG.flush, mm.flush, mm, 0, 3 * P + 1)
      H.raises(H.MSG.flush, mm.flush, mm, P, MAXI)
    end)
  end)

  describe("on a file-backed map", function()
    it("writes the data to the file", function()
      local path = H.tmpfile(string.rep(".", 2 * P + 10))
      mm = assert(mmap.open(path, "r+"))
      mm:seek(P + 3)
      mm:write("flushed!")
      mm[0] = 65
      assert.are.equal(true, mm:flush())
      local content = H.slurp(path)
      assert.are.equal(2 * P + 10, #content)
      assert.are.equal("A", content:sub(1, 1))
      assert.are.equal("flushed!", content:sub(P + 4, P + 11))
      mm:seek(2 * P + 2)
      mm:write("tail")
      assert.are.equal(true, mm:flush(2 * P + 2, 4))
      assert.are.equal("..tail....", H.slurp(path):sub(2 * P + 1))
    end)

    it("works on a map made from an io file handle, with flags", function()
      local path = H.tmpfile(string.rep("\0", 100))
      local f = assert(io.open(path, "r+b"))
      mm = assert(mmap.mmap(f, 0))
      f:close()
      mm:write("abc")
      if not H.WINDOWS then  -- no MS_ flags there
        assert.are.equal(true, mm:flush(0, 3, mmap.MS_ASYNC))
      end
      assert.are.equal(true, mm:flush(1, 2))
      if not H.WINDOWS then
        assert.are.equal(true, mm:flush(0, nil, mmap.MS_INVALIDATE))
      end
      assert.are.equal("abc", H.slurp(path):sub(1, 3))
      if not H.WINDOWS then
        H.oserror(H.EINVAL, mm:flush(0, 100, 12345))
      end
      H.raises(H.MSG.flush, mm.flush, mm, 0, 101)
      H.raises(H.MSG.flush, mm.flush, mm, 101)
    end)

    it("works on a map at an offset", function()
      local G = H.GRAN  -- the offset's step (64 KiB on Windows, P elsewhere)
      local path = H.tmpfile(string.rep("-", G + P))
      mm = assert(mmap.open(path, "r+", P, G))
      mm:write("xyz")
      assert.are.equal(true, mm:flush())
      assert.are.equal(true, mm:flush(1, 2))
      assert.are.equal("xyz", H.slurp(path):sub(G + 1, G + 3))
      H.raises(H.MSG.flush, mm.flush, mm, P + 1)
    end)
  end)

  describe("on ACCESS_READ and ACCESS_COPY maps", function()
    for _, mode in ipairs { "r", "c" } do
      describe("(mode '" .. mode .. "')", function()
        local path
        before_each(function()
          path = H.tmpfile("0123456789abcdef")
          mm = assert(mmap.open(path, mode))
        end)

        it("returns true in range", function()
          assert.are.equal(true, mm:flush())
          assert.are.equal(true, mm:flush(0))
          assert.are.equal(true, mm:flush(0, 16))
          assert.are.equal(true, mm:flush(1, 1))
          assert.are.equal(true, mm:flush(16))
          assert.are.equal(true, mm:flush(nil, 5))
        end)

        it("only checks the bounds (flags are not passed to msync)", function()
          assert.are.equal(true, mm:flush(0, 16, 12345))
          if not H.WINDOWS then  -- no MS_ flags there
            assert.are.equal(true, mm:flush(3, nil, H.bor(mmap.MS_SYNC, mmap.MS_ASYNC)))
          end
        end)

        it("still raises 'flush values out of range'", function()
          H.raises(H.MSG.flush, mm.flush, mm, 17)
          H.raises(H.MSG.flush, mm.flush, mm, 0, 17)
          H.raises(H.MSG.flush, mm.flush, mm, 0, -1)
          H.raises(H.MSG.flush, mm.flush, mm, -1)
          H.raises(H.MSG.flush, mm.flush, mm, 1, MAXI)
          H.raises(H.MSG.flush, mm.flush, mm, MAXI)
          H.raises(H.MSG.flush, mm.flush, mm, 0, 17, 12345)
        end)
      end)
    end

    it("a copy-on-write map's changes never reach the file", function()
      local path = H.tmpfile("0123456789")
      mm = assert(mmap.open(path, "c"))
      mm[0] = 88
      assert.are.equal(true, mm:flush())
      assert.are.equal(88, mm[0])
      assert.are.equal("0123456789", H.slurp(path))
    end)
  end)

  describe("on a private anonymous map", function()
    it("returns true", function()
      mm = assert(mmap.mmap(-1, 16, H.private()))
      assert.are.equal(true, mm:flush())
      assert.are.equal(true, mm:flush(1, 1))
      H.raises(H.MSG.flush, mm.flush, mm, 0, 17)
    end)
  end)

  describe("on a closed map", function()
    it("raises 'mmap closed or invalid'", function()
      local m = assert(mmap.mmap(-1, 16))
      assert.are.equal(true, m:close())
      H.raises(H.MSG.closed, m.flush, m)
      H.raises(H.MSG.closed, m.flush, m, 0, 16)
      H.raises(H.MSG.closed, m.flush, m, 17)
      H.raises(H.MSG.closed, m.flush, m, 0, 16, 12345)
      -- the closed check comes before the arguments are parsed
      H.raises(H.MSG.closed, m.flush, m, "x")
    end)

    it("a self that is not a map raises 'mmap expected'", function()
      local m = assert(mmap.mmap(-1, 16))
      H.raises("mmap expected, got table", m.flush, {})
      -- Lua names a userdata by its metatable's __name from 5.3 on
      H.raises("mmap expected, got " .. (H.INT64 and "FILE*" or "userdata"),
        m.flush, io.stdout)
      m:close()
    end)
  end)
end)
