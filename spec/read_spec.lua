-- read, read_byte, readline, tell.
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = math.maxinteger, math.mininteger
local CONTENT = "0123456789abcdef"          -- 16 bytes

describe("mmap reading", function()
  local maps = {}

  local function keep(mm)
    maps[#maps + 1] = mm
    return mm
  end

  -- An anonymous map holding `content`, position 0.
  local function anon(content, opts)
    local mm = keep(assert(mmap.mmap(-1, #content, opts)))
    assert.equals(#content, mm:write(content))
    assert.equals(0, mm:seek(0))
    return mm
  end

  -- The state of facts §3.17's example: pos 5000 on a map shrunk to 4096.
  local function shrunk()
    local mm = keep(assert(mmap.mmap(-1, 8192, { flags = mmap.MAP_PRIVATE })))
    assert.equals(5000, #mm:read(5000))
    assert.is_true(mm:resize(4096))
    assert.equals(4096, #mm)
    return mm
  end

  after_each(function()
    for i = #maps, 1, -1 do
      maps[i]:close()
      maps[i] = nil
    end
    H.cleanup()
  end)

  describe("read", function()
    it("with n omitted reads all the rest and advances to the end", function()
      local mm = anon(CONTENT)
      assert.equals(CONTENT, mm:read())
      assert.equals(16, mm:tell())
    end)

    it("with nil or a negative n reads all the rest", function()
      local mm = anon(CONTENT)
      mm:seek(4)
      assert.equals("456789abcdef", mm:read(nil))
      mm:seek(4)
      assert.equals("456789abcdef", mm:read(-1))
      mm:seek(10)
      assert.equals("abcdef", mm:read(-5))
      mm:seek(10)
      assert.equals("abcdef", mm:read(MINI))
      assert.equals(16, mm:tell())
    end)

    it("reads n bytes and advances by n", function()
      local mm = anon(CONTENT)
      assert.equals("0123", mm:read(4))
      assert.equals(4, mm:tell())
      assert.equals("4", mm:read(1))
      assert.equals(5, mm:tell())
      assert.equals("56789", mm:read(5))
      assert.equals(10, mm:tell())
    end)

    it("read(0) is the empty string and does not move", function()
      local mm = anon(CONTENT)
      mm:seek(3)
      assert.equals("", mm:read(0))
      assert.equals(3, mm:tell())
    end)

    it("reads only what remains when n is larger", function()
      local mm = anon(CONTENT)
      mm:seek(12)
      assert.equals("cdef", mm:read(100))
      assert.equals(16, mm:tell())
      mm:seek(12)
      assert.equals("cdef", mm:read(5))
      assert.equals(16, mm:tell())
    end)

    it("read(math.maxinteger) reads the rest without overflowing", function()
      local mm = anon(CONTENT)
      mm:seek(1)
      assert.equals(CONTENT:sub(2), mm:read(MAXI))
      assert.equals(16, mm:tell())
      mm:seek(15)
      assert.equals("f", mm:read(MAXI))
      assert.equals(16, mm:tell())
    end)

    it("at the end: read(n > 0) is nil, read(), read(nil), read(-1) and read(0) are ''", function()
      local mm = anon(CONTENT)
      mm:seek(0, 2)
      assert.is_nil(mm:read(1))
      assert.is_nil(mm:read(14))
      assert.is_nil(mm:read(MAXI))
      assert.equals("", mm:read())
      assert.equals("", mm:read(nil))
      assert.equals("", mm:read(-1))
      assert.equals("", mm:read(0))
      assert.equals(16, mm:tell())
    end)

    it("returns nil as a single value at the end (like file:read)", function()
      local mm = anon(CONTENT)
      mm:read()
      assert.equals(1, select("#", mm:read(1)))
    end)

    it("keeps zero bytes", function()
      local mm = anon("a\0b\0\0")
      assert.equals("a\0b", mm:read(3))
      assert.equals("\0\0", mm:read())
    end)

    it("reads a file map's content", function()
      local path = H.tmpfile("line one\nline two\n")
      local mm = keep(assert(mmap.open(path, "r")))
      assert.equals("line one\nline two\n", mm:read())
    end)

    it("accepts a numeric string and an integral float for n", function()
      local mm = anon(CONTENT)
      assert.equals("012", mm:read("3"))
      assert.equals("34", mm:read(2.0))
      assert.equals(5, mm:tell())
    end)

    it("raises Lua's type errors for a bad n", function()
      local mm = anon(CONTENT)
      H.raises("bad argument #1 to 'read' (number expected, got string)",
        function() return mm:read("x") end)
      H.raises("bad argument #1 to 'read' (number expected, got table)",
        function() return mm:read({}) end)
      H.raises("bad argument #1 to 'read' (number expected, got boolean)",
        function() return mm:read(true) end)
      H.raises("bad argument #1 to 'read' (number has no integer representation)",
        function() return mm:read(1.5) end)
      assert.equals(0, mm:tell())
    end)

    it("ignores extra arguments", function()
      local mm = anon(CONTENT)
      assert.equals("01", mm:read(2, "extra", {}))
    end)

    it("raises on a closed map, before checking its argument", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() return mm:read() end)
      H.raises("mmap closed or invalid", function() return mm:read(1) end)
      H.raises("mmap closed or invalid", function() return mm:read(0) end)
      H.raises("mmap closed or invalid", function() return mm:read("x") end)
    end)

    it("raises a Lua type error when self is not a map", function()
      local mm = anon(CONTENT)
      H.raises("mmap expected, got table", function() return mm.read({}) end)
      H.raises("mmap expected, got no value", function() return mm.read() end)
    end)
  end)

  describe("read_byte", function()
    it("returns the byte at the position as an integer and advances", function()
      local mm = anon("A\0\255z")
      assert.equals(65, mm:read_byte())
      assert.equals(1, mm:tell())
      assert.equals(0, mm:read_byte())
      assert.equals(255, mm:read_byte())
      local b = mm:read_byte()
      assert.equals(("z"):byte(), b)
      assert.equals("integer", math.type(b))
      assert.equals(4, mm:tell())
    end)

    it("returns nil at the end and does not move", function()
      local mm = anon("AB")
      mm:seek(2)
      assert.is_nil(mm:read_byte())
      assert.is_nil(mm:read_byte())
      assert.equals(2, mm:tell())
    end)

    it("reads every byte in turn", function()
      local mm = anon(CONTENT)
      local got = {}
      for b in mm.read_byte, mm do got[#got + 1] = string.char(b) end
      assert.equals(CONTENT, table.concat(got))
    end)

    it("raises on a closed map", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() return mm:read_byte() end)
    end)
  end)

  describe("readline", function()
    it("returns lines including the newline, then the last line without, then nil", function()
      local mm = anon("line1\nline2\n\nlast")
      assert.equals("line1\n", mm:readline())
      assert.equals(6, mm:tell())
      assert.equals("line2\n", mm:readline())
      assert.equals(12, mm:tell())
      assert.equals("\n", mm:readline())
      assert.equals("last", mm:readline())
      assert.equals(17, mm:tell())
      assert.is_nil(mm:readline())
      assert.is_nil(mm:readline())
      assert.equals(17, mm:tell())
    end)

    it("ends a map whose last byte is a newline with nil", function()
      local mm = anon("a\nb\n")
      assert.equals("a\n", mm:readline())
      assert.equals("b\n", mm:readline())
      assert.is_nil(mm:readline())
    end)

    it("ends lines only at '\\n'", function()
      local mm = anon("ab\rc\nd")
      assert.equals("ab\rc\n", mm:readline())
      assert.equals("d", mm:readline())
      assert.is_nil(mm:readline())
      local cr = anon("x\ry\r")
      assert.equals("x\ry\r", cr:readline())
    end)

    it("returns the trailing zero bytes as a last line", function()
      local mm = keep(assert(mmap.mmap(-1, 16)))
      mm:write("ab\n")
      mm:seek(0)
      assert.equals("ab\n", mm:readline())
      assert.equals(("\0"):rep(13), mm:readline())
      assert.is_nil(mm:readline())
    end)

    it("starts at the position", function()
      local mm = anon("hello\nworld\n")
      mm:seek(3)
      assert.equals("lo\n", mm:readline())
      mm:seek(5)
      assert.equals("\n", mm:readline())
      assert.equals("world\n", mm:readline())
    end)

    it("works as a generic-for iterator: for line in mm.readline, mm", function()
      local mm = anon("one\ntwo\n\nthree\nfour")
      local lines = {}
      for line in mm.readline, mm do lines[#lines + 1] = line end
      assert.same({ "one\n", "two\n", "\n", "three\n", "four" }, lines)
      assert.equals(#mm, mm:tell())
    end)

    it("iterates over a file map's lines", function()
      local path = H.tmpfile("alpha\nbeta\ngamma\n")
      local mm = keep(assert(mmap.open(path)))
      local lines = {}
      for line in mm.readline, mm do lines[#lines + 1] = line end
      assert.same({ "alpha\n", "beta\n", "gamma\n" }, lines)
    end)

    it("iterates over a long map", function()
      local parts = {}
      for i = 1, 500 do parts[i] = ("line %d\n"):format(i) end
      local mm = anon(table.concat(parts))
      local n = 0
      for line in mm.readline, mm do
        n = n + 1
        assert(line == parts[n], "line " .. n)
      end
      assert.equals(500, n)
    end)

    it("raises on a closed map", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() return mm:readline() end)
    end)
  end)

  describe("tell", function()
    it("is 0 on a fresh map and follows reads and seeks", function()
      local mm = anon(CONTENT)
      assert.equals(0, mm:tell())
      assert.equals("integer", math.type(mm:tell()))
      mm:read(3)
      assert.equals(3, mm:tell())
      mm:read_byte()
      assert.equals(4, mm:tell())
      mm:seek(11)
      assert.equals(11, mm:tell())
      mm:readline()
      assert.equals(16, mm:tell())
    end)

    it("raises on a closed map", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() return mm:tell() end)
    end)
  end)

  describe("after a shrinking resize leaves the position past the end", function()
    it("tell() is still 5000", function()
      assert.equals(5000, shrunk():tell())
    end)

    it("read(14) is nil, read() and read(0) are '', and the position stays", function()
      local mm = shrunk()
      assert.is_nil(mm:read(14))
      assert.is_nil(mm:read(1))
      assert.equals("", mm:read())
      assert.equals("", mm:read(nil))
      assert.equals("", mm:read(-1))
      assert.equals("", mm:read(0))
      assert.equals(5000, mm:tell())
    end)

    it("readline() and read_byte() are nil, and the position stays", function()
      local mm = shrunk()
      assert.is_nil(mm:readline())
      assert.is_nil(mm:read_byte())
      assert.equals(5000, mm:tell())
    end)

    it("reading works again after seeking back", function()
      local mm = shrunk()
      assert.equals(4096, mm:seek(-904, 1))
      assert.equals("", mm:read())
      assert.equals(4095, mm:seek(4095))
      assert.equals(0, mm:read_byte())
      assert.is_nil(mm:read_byte())
    end)
  end)

  describe("a map that cannot be read", function()
    local function noread(prot)
      return keep(assert(mmap.mmap(-1, 16, { prot = prot })))
    end

    it("prot=0: read, read_byte and readline raise 'mmap is not readable'", function()
      local mm = noread(0)
      H.raises("mmap is not readable", function() return mm:read() end)
      H.raises("mmap is not readable", function() return mm:read(4) end)
      H.raises("mmap is not readable", function() return mm:read(0) end)
      H.raises("mmap is not readable", function() return mm:read_byte() end)
      H.raises("mmap is not readable", function() return mm:readline() end)
      assert.equals(0, mm:tell())
    end)

    it("prot=0: they raise at the end too (the check precedes the bounds)", function()
      local mm = noread(0)
      assert.equals(16, mm:seek(0, 2))
      H.raises("mmap is not readable", function() return mm:read() end)
      H.raises("mmap is not readable", function() return mm:read(1) end)
      H.raises("mmap is not readable", function() return mm:read_byte() end)
      H.raises("mmap is not readable", function() return mm:readline() end)
      assert.equals(16, mm:tell())
    end)

    it("prot=0: tell and seek still work; closed wins over not readable", function()
      local mm = noread(0)
      assert.equals(5, mm:seek(5))
      assert.equals(5, mm:tell())
      mm:close()
      H.raises("mmap closed or invalid", function() return mm:read() end)
    end)

    it("prot=PROT_WRITE: reading raises 'mmap is not readable'", function()
      local mm = noread(mmap.PROT_WRITE)
      H.raises("mmap is not readable", function() return mm:read(1) end)
      H.raises("mmap is not readable", function() return mm:read_byte() end)
      H.raises("mmap is not readable", function() return mm:readline() end)
    end)
  end)
end)
