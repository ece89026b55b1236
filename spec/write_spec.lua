-- write, write_byte, move; writes reaching (or not reaching) the file.
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = H.MAXINT, H.MININT
-- A call whose "bad argument" error is matched is written `return (mm:f(...))`:
-- as a tail call, LuaJIT could not name it ("bad argument #2 to '?'").
local CONTENT = "0123456789abcdef"          -- 16 bytes

describe("mmap writing", function()
  after_each(function() H.cleanup() end)

  describe("write", function()
    it("writes at the position, returns the byte count and advances", function()
      local mm = H.anon(CONTENT)
      assert.equals(3, mm:write("ABC"))
      assert.equals(3, mm:tell())
      assert.equals(2, mm:write("DE"))
      assert.equals(5, mm:tell())
      assert.equals("ABCDE56789abcdef", H.all(mm))
      assert.is_true(H.isint(mm:write("x")))
    end)

    it("writes zero bytes", function()
      local mm = H.anon(CONTENT)
      mm:seek(2)
      assert.equals(3, mm:write("a\0b"))
      assert.equals("01a\0b56789abcdef", H.all(mm))
    end)

    it("writes up to exactly the end", function()
      local mm = H.anon(CONTENT)
      mm:seek(10)
      assert.equals(6, mm:write("UVWXYZ"))
      assert.equals(16, mm:tell())
      assert.equals("0123456789UVWXYZ", H.all(mm))
      mm:seek(0)
      assert.equals(16, mm:write(("z"):rep(16)))
      assert.equals(("z"):rep(16), H.all(mm))
    end)

    it("write('') returns 0 anywhere up to the end, the end included", function()
      local mm = H.anon(CONTENT)
      assert.equals(0, mm:write(""))
      assert.equals(0, mm:tell())
      mm:seek(16)
      assert.equals(0, mm:write(""))
      assert.equals(16, mm:tell())
      assert.equals(CONTENT, H.all(mm))
    end)

    it("does no partial write: 'data out of range', nothing written, position kept", function()
      local mm = H.anon(CONTENT)
      mm:seek(14)
      H.raises(H.MSG.data, function() return mm:write("abc") end)
      assert.equals(14, mm:tell())
      assert.equals(CONTENT, H.all(mm))
      mm:seek(16)
      H.raises(H.MSG.data, function() return mm:write("a") end)
      mm:seek(0)
      H.raises(H.MSG.data, function() return mm:write(("x"):rep(17)) end)
      assert.equals(CONTENT, H.all(mm))
      assert.equals(0, mm:tell())
    end)

    it("raises 'data out of range' past the end after a shrinking resize, even for ''", function()
      local mm = H.shrunk()
      H.raises(H.MSG.data, function() return mm:write("abc") end)
      H.raises(H.MSG.data, function() return mm:write("") end)
      assert.equals(5000, mm:tell())
      mm:seek(4096)
      assert.equals(0, mm:write(""))
    end)

    it("raises Lua's type error for a number, without coercing it", function()
      local mm = H.anon(CONTENT)
      H.raises("bad argument #1 to 'write' (string expected, got number)",
        function() return (mm:write(5)) end)
      H.raises("bad argument #1 to 'write' (string expected, got table)",
        function() return (mm:write({})) end)
      H.raises("bad argument #1 to 'write' (string expected, got nil)",
        function() return (mm:write(nil)) end)
      H.raises("bad argument #1 to 'write' (string expected, got no value)",
        function() return (mm:write()) end)
      assert.equals(CONTENT, H.all(mm))
      assert.equals(0, mm:tell())
    end)

    it("raises on a read-only map, even for ''", function()
      local mm = H.readonly(CONTENT)
      H.raises(H.MSG.readonly, function() return mm:write("x") end)
      H.raises(H.MSG.readonly, function() return mm:write("") end)
      mm:seek(16)
      H.raises(H.MSG.readonly, function() return mm:write("abc") end)
      assert.equals(CONTENT, H.all(mm))
    end)

    it("checks the argument's type before read-only, and closed before both", function()
      local mm = H.readonly(CONTENT)
      H.raises("bad argument #1 to 'write' (string expected, got number)",
        function() return (mm:write(5)) end)
      mm:close()
      H.raises(H.MSG.closed, function() return mm:write(5) end)
      H.raises(H.MSG.closed, function() return mm:write("x") end)
    end)

    H.gate(H.NOTWIN.flags, it, pending)("raises on a prot=PROT_READ map", function()
      local mm = H.filemap(CONTENT, "r+b", { prot = mmap.PROT_READ })
      H.raises(H.MSG.readonly, function() return mm:write("x") end)
    end)

    it("raises on a closed map", function()
      local mm = H.anon(CONTENT)
      mm:close()
      H.raises(H.MSG.closed, function() return mm:write("x") end)
      H.raises(H.MSG.closed, function() return mm:write("") end)
    end)

    it("ACCESS_COPY: writes stay in the map; the file is unchanged", function()
      local mm, path = H.filemap("hello world!", "rb", { access = mmap.ACCESS_COPY })
      assert.equals(5, mm:write("HELLO"))
      assert.equals("HELLO world!", H.all(mm))
      assert.equals("hello world!", H.slurp(path))
      assert.is_true(mm:flush())
      assert.equals("hello world!", H.slurp(path))
      mm:close()
      assert.equals("hello world!", H.slurp(path))
    end)

    it("mmap.open(path, 'c'): writes stay in the map", function()
      local path = H.tmpfile("copy me")
      local mm = H.keep(assert(mmap.open(path, "c")))
      assert.equals(4, mm:write("COPY"))
      assert.equals("COPY me", H.all(mm))
      mm:close()
      assert.equals("copy me", H.slurp(path))
    end)

    H.gate(H.NOTWIN.flags, it, pending)("MAP_PRIVATE: writes stay in the map", function()
      local mm, path = H.filemap("private", "r+b", { flags = mmap.MAP_PRIVATE })
      assert.equals(2, mm:write("PR"))
      assert.equals("PRivate", H.all(mm))
      mm:close()
      assert.equals("private", H.slurp(path))
    end)

    it("a shared file map's writes reach the file, before and after flush", function()
      local mm, path = H.filemap("hello world!")
      mm:seek(6)
      assert.equals(5, mm:write("WORLD"))
      assert.equals("hello WORLD!", H.slurp(path))
      assert.is_true(mm:flush())
      assert.equals("hello WORLD!", H.slurp(path))
      mm:close()
      assert.equals("hello WORLD!", H.slurp(path))
    end)

    it("mmap.open(path, 'r+'): writes reach the file", function()
      local path = H.tmpfile("abcdef")
      local mm = H.keep(assert(mmap.open(path, "r+")))
      mm:seek(-2, 2)
      assert.equals(2, mm:write("EF"))
      mm[0] = ("A"):byte()
      assert.equals("AbcdEF", H.slurp(path))
      assert.is_true(mm:flush())
      assert.equals("AbcdEF", H.slurp(path))
    end)

    it("ACCESS_WRITE on a file: writes reach the file", function()
      local mm, path = H.filemap("abcdef", "r+b", { access = mmap.ACCESS_WRITE })
      assert.equals(3, mm:write("XYZ"))
      assert.equals("XYZdef", H.slurp(path))
    end)
  end)

  describe("write_byte", function()
    it("stores the byte, advances and returns true", function()
      local mm = H.anon(CONTENT)
      assert.equals(true, mm:write_byte(65))
      assert.equals(1, mm:tell())
      assert.equals(true, mm:write_byte(0))
      assert.equals(true, mm:write_byte(255))
      assert.equals(3, mm:tell())
      assert.equals("A\0\255" .. "3456789abcdef", H.all(mm))
    end)

    it("accepts an integral float", function()
      local mm = H.anon(CONTENT)
      assert.equals(true, mm:write_byte(66.0))
      assert.equals(66, mm[0])
    end)

    it("writes the last byte, then raises 'write byte out of range'", function()
      local mm = H.anon(CONTENT)
      mm:seek(15)
      assert.equals(true, mm:write_byte(90))
      assert.equals(16, mm:tell())
      H.raises(H.MSG.writebyte, function() return mm:write_byte(1) end)
      assert.equals(16, mm:tell())
      assert.equals("0123456789abcdeZ", H.all(mm))
    end)

    it("raises 'write byte out of range' past the end after a shrinking resize", function()
      local mm = H.shrunk()
      H.raises(H.MSG.writebyte, function() return mm:write_byte(42) end)
      assert.equals(5000, mm:tell())
    end)

    it("raises 'byte must be in range(0, 256)' for other numbers", function()
      local mm = H.anon(CONTENT)
      local BR = H.MSG.byterange
      for _, v in ipairs { 256, -1, 65.5, MAXI, MINI, 2^63, -2^63, 1e300,
                           math.huge, -math.huge, 0/0, -0.5, 255.5 } do
        H.raises(BR, function() return mm:write_byte(v) end)
      end
      assert.equals(0, mm:tell())
      assert.equals(CONTENT, H.all(mm))
    end)

    it("raises Lua's type error for a value that is not a number", function()
      local mm = H.anon(CONTENT)
      H.raises("bad argument #1 to 'write_byte' (number expected, got string)",
        function() return (mm:write_byte("a")) end)
      H.raises("bad argument #1 to 'write_byte' (number expected, got no value)",
        function() return (mm:write_byte()) end)
      H.raises("bad argument #1 to 'write_byte' (number expected, got table)",
        function() return (mm:write_byte({})) end)
      assert.equals(0, mm:tell())
    end)

    it("checks closed, then the value, then read-only, then the end", function()
      local mm = H.readonly(CONTENT)
      H.raises(H.MSG.byterange, function() return mm:write_byte(256) end)
      H.raises("number expected, got string", function() return mm:write_byte("a") end)
      H.raises(H.MSG.readonly, function() return mm:write_byte(65) end)
      mm:seek(16)
      H.raises(H.MSG.readonly, function() return mm:write_byte(65) end)
      mm:close()
      H.raises(H.MSG.closed, function() return mm:write_byte(65) end)
      H.raises(H.MSG.closed, function() return mm:write_byte(256) end)
      H.raises(H.MSG.closed, function() return mm:write_byte("a") end)
    end)

    it("checks the value before the end", function()
      local mm = H.anon(CONTENT)
      mm:seek(16)
      H.raises(H.MSG.byterange, function() return mm:write_byte(-1) end)
    end)

    it("reaches the file through a shared file map", function()
      local mm, path = H.filemap("abc")
      mm:seek(1)
      assert.is_true(mm:write_byte(("B"):byte()))
      assert.equals("aBc", H.slurp(path))
    end)
  end)

  describe("move", function()
    local SR = H.MSG.move

    it("copies count bytes from src to dest and returns true", function()
      local mm = H.anon(CONTENT)
      assert.equals(true, mm:move(0, 4, 4))
      assert.equals("4567456789abcdef", H.all(mm))
      assert.equals(true, mm:move(12, 0, 4))
      assert.equals("4567456789ab4567", H.all(mm))
    end)

    it("handles overlap forwards (dest > src)", function()
      local mm = H.anon(CONTENT)
      assert.is_true(mm:move(2, 0, 8))
      assert.equals("0101234567abcdef", H.all(mm))
      mm:seek(0); mm:write(CONTENT)
      assert.is_true(mm:move(1, 0, 15))
      assert.equals("00123456789abcde", H.all(mm))
    end)

    it("handles overlap backwards (dest < src)", function()
      local mm = H.anon(CONTENT)
      assert.is_true(mm:move(0, 2, 8))
      assert.equals("2345678989abcdef", H.all(mm))
      mm:seek(0); mm:write(CONTENT)
      assert.is_true(mm:move(0, 1, 15))
      assert.equals("123456789abcdeff", H.all(mm))
    end)

    it("does not move the position", function()
      local mm = H.anon(CONTENT)
      mm:seek(3)
      mm:move(0, 8, 8)
      assert.equals(3, mm:tell())
      assert.equals("89abcdef89abcdef", H.all(mm))
    end)

    it("accepts the edge cases: whole map, count 0 at the end, dest == src", function()
      local mm = H.anon(CONTENT)
      assert.is_true(mm:move(0, 0, 16))
      assert.is_true(mm:move(16, 0, 0))
      assert.is_true(mm:move(0, 16, 0))
      assert.is_true(mm:move(16, 16, 0))
      assert.is_true(mm:move(5, 5, 3))
      assert.is_true(mm:move(15, 0, 1))
      assert.equals("0123456789abcde0", H.all(mm))
    end)

    it("raises for bounds outside the map and writes nothing", function()
      local mm = H.anon(CONTENT)
      local bad = {
        { 0, 0, 17 }, { 1, 0, 16 }, { 0, 1, 16 }, { 17, 0, 0 }, { 0, 17, 0 },
        { -1, 0, 0 }, { 0, -1, 0 }, { 0, 0, -1 }, { -1, -1, -1 }, { 15, 0, 2 },
        { MAXI, 0, 1 }, { 0, MAXI, 1 }, { 0, 0, MAXI }, { 1, 1, MAXI },
        { MAXI, MAXI, MAXI }, { MAXI, 0, 0 }, { 0, MAXI, 0 },
        { MINI, 0, 0 }, { 0, MINI, 0 }, { 0, 0, MINI }, { MINI, MINI, MINI },
        { 8, 0, MINI }, { 16, 16, MINI },
      }
      for _, a in ipairs(bad) do
        H.raises(SR, function() return mm:move(a[1], a[2], a[3]) end)
      end
      assert.equals(CONTENT, H.all(mm))
      assert.equals(0, mm:tell())
    end)

    it("raises read-only first, even with bad bounds", function()
      local mm = H.readonly(CONTENT)
      H.raises(H.MSG.readonly, function() return mm:move(0, 4, 4) end)
      H.raises(H.MSG.readonly, function() return mm:move(-1, 0, 100) end)
      H.raises(H.MSG.readonly, function() return mm:move(MAXI, MAXI, MAXI) end)
      assert.equals(CONTENT, H.all(mm))
    end)

    it("raises Lua's type errors for missing or wrong arguments", function()
      local mm = H.anon(CONTENT)
      H.raises("bad argument #3 to 'move' (number expected, got no value)",
        function() return (mm:move(0, 0)) end)
      H.raises("bad argument #1 to 'move' (number expected, got no value)",
        function() return (mm:move()) end)
      H.raises("bad argument #1 to 'move' (number expected, got string)",
        function() return (mm:move("a", 0, 0)) end)
      H.raises("bad argument #2 to 'move' (number has no integer representation)",
        function() return (mm:move(0, 1.5, 0)) end)
      assert.equals(CONTENT, H.all(mm))
    end)

    it("raises on a closed map", function()
      local mm = H.anon(CONTENT)
      mm:close()
      H.raises(H.MSG.closed, function() return mm:move(0, 1, 1) end)
      H.raises(H.MSG.closed, function() return mm:move() end)
    end)

    H.gate(H.NOTWIN.flags, it, pending)("raises 'mmap is not readable' on maps without PROT_READ", function()
      local w = H.keep(assert(mmap.mmap(-1, 16, { prot = mmap.PROT_WRITE })))
      H.raises(H.MSG.unreadable, function() return w:move(0, 1, 1) end)
      -- prot=0 is also read-only: the readable check comes first
      local n = H.keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      H.raises(H.MSG.unreadable, function() return n:move(0, 1, 1) end)
    end)

    it("reaches the file through a shared file map", function()
      local mm, path = H.filemap("abcdef")
      assert.is_true(mm:move(0, 3, 3))
      assert.equals("defdef", H.slurp(path))
    end)
  end)
end)
