-- mm[i], mm[i] = v, #mm, tostring(mm), and string keys (methods, `closed`).
local H = require "helper"
local mmap = require "mmap"

local MAXI, MINI = math.maxinteger, math.mininteger
local CONTENT = "0123456789abcdef"          -- 16 bytes

describe("mmap indexing", function()
  local maps = {}

  -- Remember a map so that after_each closes it.
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

  -- A map of a temporary file holding `content`; mode is io.open's.
  local function filemap(content, mode, opts)
    local path = H.tmpfile(content)
    local f = assert(io.open(path, mode or "r+b"))
    local mm = keep(assert(mmap.mmap(f, 0, opts)))
    f:close()
    return mm, path
  end

  after_each(function()
    for i = #maps, 1, -1 do
      maps[i]:close()
      maps[i] = nil
    end
    H.cleanup()
  end)

  describe("__index with a number key", function()
    it("returns the byte at a 0-based offset, as an integer", function()
      local mm = anon(CONTENT)
      assert.equals(("0"):byte(), mm[0])
      assert.equals(("5"):byte(), mm[5])
      assert.equals(("f"):byte(), mm[15])
      assert.equals("integer", math.type(mm[0]))
    end)

    it("returns bytes 0 and 255 unchanged", function()
      local mm = anon("\0\255\128")
      assert.equals(0, mm[0])
      assert.equals(255, mm[1])
      assert.equals(128, mm[2])
    end)

    it("counts negative keys from the end", function()
      local mm = anon(CONTENT)
      assert.equals(("f"):byte(), mm[-1])
      assert.equals(("e"):byte(), mm[-2])
      assert.equals(("0"):byte(), mm[-16])
    end)

    it("accepts floats with an integral value", function()
      local mm = anon(CONTENT)
      assert.equals(("2"):byte(), mm[2.0])
      assert.equals(("0"):byte(), mm[0.0])
      assert.equals(("0"):byte(), mm[-0.0])
      assert.equals(("f"):byte(), mm[-1.0])
      assert.equals(("0"):byte(), mm[-16.0])
    end)

    it("does not move the position", function()
      local mm = anon(CONTENT)
      mm:seek(3)
      local _ = mm[10]
      _ = mm[-1]
      assert.equals(3, mm:tell())
    end)

    it("raises 'mmap index out of range' just past either end", function()
      local mm = anon(CONTENT)
      H.raises("mmap index out of range", function() return mm[16] end)
      H.raises("mmap index out of range", function() return mm[-17] end)
      H.raises("mmap index out of range", function() return mm[16.0] end)
      H.raises("mmap index out of range", function() return mm[-17.0] end)
      H.raises("mmap index out of range", function() return mm[1000] end)
    end)

    it("raises 'mmap index out of range' for the extreme integers", function()
      local mm = anon(CONTENT)
      H.raises("mmap index out of range", function() return mm[MAXI] end)
      H.raises("mmap index out of range", function() return mm[MINI] end)
      H.raises("mmap index out of range", function() return mm[MINI + 1] end)
      H.raises("mmap index out of range", function() return mm[MAXI - 1] end)
    end)

    it("raises 'mmap index out of range' for integral floats beyond the integer range", function()
      local mm = anon(CONTENT)
      H.raises("mmap index out of range", function() return mm[2^63] end)
      H.raises("mmap index out of range", function() return mm[-2^63] end)
      H.raises("mmap index out of range", function() return mm[2^64] end)
      H.raises("mmap index out of range", function() return mm[-2^64] end)
      H.raises("mmap index out of range", function() return mm[1e300] end)
      H.raises("mmap index out of range", function() return mm[-1e300] end)
    end)

    it("raises 'mmap indices must be integers' for non-integral numbers", function()
      local mm = anon(CONTENT)
      H.raises("mmap indices must be integers", function() return mm[1.5] end)
      H.raises("mmap indices must be integers", function() return mm[-0.5] end)
      H.raises("mmap indices must be integers", function() return mm[0/0] end)
      H.raises("mmap indices must be integers", function() return mm[math.huge] end)
      H.raises("mmap indices must be integers", function() return mm[-math.huge] end)
    end)

    it("reads a file's bytes through a file map", function()
      local mm = filemap("hello")
      assert.equals(5, #mm)
      assert.equals(("h"):byte(), mm[0])
      assert.equals(("o"):byte(), mm[-1])
    end)

    it("raises 'mmap closed or invalid' on a closed map, before any other check", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() return mm[0] end)
      H.raises("mmap closed or invalid", function() return mm[-1] end)
      H.raises("mmap closed or invalid", function() return mm[100] end)
      H.raises("mmap closed or invalid", function() return mm[1.5] end)
    end)
  end)

  describe("__index with other keys", function()
    it("gives methods for method names", function()
      local mm = anon(CONTENT)
      for _, name in ipairs { "close", "find", "rfind", "flush", "madvise", "move",
                              "read", "read_byte", "readline", "resize", "seek",
                              "seekable", "size", "tell", "write", "write_byte",
                              "slice", "setslice" } do
        assert.equals("function", type(mm[name]), name)
      end
      assert.equals(3, mm.read(mm, 3):len())
    end)

    it("gives nil for unknown names and for numeric strings", function()
      local mm = anon(CONTENT)
      assert.is_nil(mm.nosuchmethod)
      assert.is_nil(mm["1"])
      assert.is_nil(mm["0"])
      assert.is_nil(mm[""])
    end)

    it("gives the closed property as a boolean", function()
      local mm = anon(CONTENT)
      assert.equals(false, mm.closed)
      mm:close()
      assert.equals(true, mm.closed)
    end)

    it("never raises for string keys on a closed map; calling the method does", function()
      local mm = anon(CONTENT)
      mm:close()
      assert.equals("function", type(mm.read))
      assert.equals("function", type(mm.write))
      assert.equals("function", type(mm.close))
      assert.equals("function", type(mm.seek))
      assert.equals("function", type(mm.slice))
      assert.is_nil(mm.nosuchmethod)
      assert.is_nil(mm["1"])
      assert.equals(true, mm.closed)
      H.raises("mmap closed or invalid", function() return mm:read() end)
      H.raises("mmap closed or invalid", function() return mm:tell() end)
    end)

    it("gives nil for tables, booleans, functions and nil", function()
      local mm = anon(CONTENT)
      local ok, v
      for _, key in ipairs { {}, true, false, print } do
        ok, v = pcall(function() return mm[key] end)
        assert.is_true(ok, "raised for a " .. type(key) .. " key: " .. tostring(v))
        assert.is_nil(v)
      end
      ok, v = pcall(function() return mm[nil] end)
      assert.is_true(ok, "raised for a nil key: " .. tostring(v))
      assert.is_nil(v)
    end)
  end)

  describe("__newindex", function()
    it("stores a byte, counting negative keys from the end, without moving the position", function()
      local mm = anon(CONTENT)
      mm:seek(7)
      mm[0] = 65
      mm[-1] = 0
      mm[5] = 255
      assert.equals(65, mm[0])
      assert.equals(0, mm[15])
      assert.equals(255, mm[5])
      assert.equals(7, mm:tell())
      mm:seek(0)
      assert.equals("A1234\255" .. "6789abcde\0", mm:read())
    end)

    it("accepts an integral float key and an integral float value", function()
      local mm = anon(CONTENT)
      mm[2.0] = 66
      mm[3] = 65.0
      mm[-1.0] = 67
      assert.equals(66, mm[2])
      assert.equals(65, mm[3])
      assert.equals("integer", math.type(mm[3]))
      assert.equals(67, mm[15])
    end)

    it("accepts 0 and 255 at both ends", function()
      local mm = anon(CONTENT)
      mm[0] = 255
      mm[15] = 0
      mm[-16] = 254
      assert.equals(254, mm[0])
      assert.equals(0, mm[15])
    end)

    it("checks closed first", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() mm[0] = 65 end)
      H.raises("mmap closed or invalid", function() mm[100] = 65 end)
      H.raises("mmap closed or invalid", function() mm[1.5] = 65 end)
      H.raises("mmap closed or invalid", function() mm[0] = "A" end)
      H.raises("mmap closed or invalid", function() mm[0] = 300 end)
      H.raises("mmap closed or invalid", function() mm.foo = 1 end)
    end)

    it("checks closed before read-only", function()
      local mm = filemap(CONTENT, "rb", { access = mmap.ACCESS_READ })
      mm:close()
      H.raises("mmap closed or invalid", function() mm[0] = 65 end)
    end)

    it("checks read-only before the key and the value", function()
      local mm = filemap(CONTENT, "rb", { access = mmap.ACCESS_READ })
      local RO = "mmap can't modify a readonly memory map."
      H.raises(RO, function() mm[0] = 65 end)
      H.raises(RO, function() mm[100] = 65 end)
      H.raises(RO, function() mm[MAXI] = 65 end)
      H.raises(RO, function() mm[1.5] = 65 end)
      H.raises(RO, function() mm[0] = "A" end)
      H.raises(RO, function() mm[0] = 300 end)
      H.raises(RO, function() mm[100] = "A" end)
      H.raises(RO, function() mm.foo = 1 end)
      assert.equals(("0"):byte(), mm[0])
    end)

    it("checks that the key is an integer before its range and the value", function()
      local mm = anon(CONTENT)
      local NI = "mmap indices must be integers"
      H.raises(NI, function() mm[1.5] = 65 end)
      H.raises(NI, function() mm[1.5] = "A" end)
      H.raises(NI, function() mm[0/0] = 65 end)
      H.raises(NI, function() mm[math.huge] = 65 end)
      H.raises(NI, function() mm[-math.huge] = 65 end)
      H.raises(NI, function() mm[true] = 65 end)
      H.raises(NI, function() mm[{}] = 65 end)
    end)

    it("rejects string keys with 'mmap indices must be integers'", function()
      local mm = anon(CONTENT)
      H.raises("mmap indices must be integers", function() mm.foo = 1 end)
      H.raises("mmap indices must be integers", function() mm["1"] = 65 end)
      H.raises("mmap indices must be integers", function() mm.closed = true end)
      H.raises("mmap indices must be integers", function() mm.read = print end)
      assert.equals(false, mm.closed)
      assert.equals("function", type(mm.read))
      assert.equals(("1"):byte(), mm[1])
    end)

    it("checks the key's range before the value", function()
      local mm = anon(CONTENT)
      local OR = "mmap index out of range"
      H.raises(OR, function() mm[16] = 65 end)
      H.raises(OR, function() mm[-17] = 65 end)
      H.raises(OR, function() mm[16] = "A" end)
      H.raises(OR, function() mm[16] = 300 end)
      H.raises(OR, function() mm[16.0] = 65.5 end)
      H.raises(OR, function() mm[MAXI] = 65 end)
      H.raises(OR, function() mm[MINI] = 65 end)
      H.raises(OR, function() mm[2^63] = 65 end)
      H.raises(OR, function() mm[-2^63] = 65 end)
      H.raises(OR, function() mm[1e300] = 65 end)
    end)

    it("rejects values that are not integers", function()
      local mm = anon(CONTENT)
      local NI = "mmap item value must be an int"
      H.raises(NI, function() mm[0] = "A" end)
      H.raises(NI, function() mm[0] = 65.5 end)
      H.raises(NI, function() mm[0] = 0/0 end)
      H.raises(NI, function() mm[0] = nil end)
      H.raises(NI, function() mm[0] = true end)
      H.raises(NI, function() mm[0] = {} end)
      H.raises(NI, function() mm[-1] = "" end)
      assert.equals(("0"):byte(), mm[0])
      assert.equals(("f"):byte(), mm[15])
    end)

    it("rejects integers outside 0..255", function()
      local mm = anon(CONTENT)
      local RG = "mmap item value must be in range(0, 256)"
      H.raises(RG, function() mm[0] = 256 end)
      H.raises(RG, function() mm[0] = -1 end)
      H.raises(RG, function() mm[0] = 256.0 end)
      H.raises(RG, function() mm[0] = MAXI end)
      H.raises(RG, function() mm[0] = MINI end)
      H.raises(RG, function() mm[0] = 65 + 256 end)
      assert.equals(("0"):byte(), mm[0])
    end)

    it("writes through a shared file map to the file", function()
      local mm, path = filemap("hello")
      mm[0] = ("j"):byte()
      mm[-1] = ("y"):byte()
      assert.equals("jelly", H.slurp(path))
    end)

    it("writes to an ACCESS_COPY map stay in memory", function()
      local mm, path = filemap("hello", "rb", { access = mmap.ACCESS_COPY })
      mm[0] = ("j"):byte()
      assert.equals(("j"):byte(), mm[0])
      assert.is_true(mm:flush())
      assert.equals("hello", H.slurp(path))
    end)

    it("a prot=PROT_READ map is read-only but readable", function()
      local mm = filemap("hello", "r+b", { prot = mmap.PROT_READ })
      assert.equals(("h"):byte(), mm[0])
      H.raises("mmap can't modify a readonly memory map.", function() mm[0] = 65 end)
      assert.equals(("h"):byte(), mm[0])
    end)
  end)

  describe("maps that cannot be read", function()
    it("prot=0: mm[i] raises 'mmap is not readable'", function()
      local mm = keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      H.raises("mmap is not readable", function() return mm[0] end)
      H.raises("mmap is not readable", function() return mm[-1] end)
      H.raises("mmap is not readable", function() return mm[15.0] end)
      -- the readable check comes before the bounds
      H.raises("mmap is not readable", function() return mm[100] end)
    end)

    it("prot=0: string keys still work, and the map is read-only", function()
      local mm = keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      assert.equals("function", type(mm.read))
      assert.equals(false, mm.closed)
      assert.equals(16, #mm)
      H.raises("mmap can't modify a readonly memory map.", function() mm[0] = 1 end)
    end)

    it("prot=PROT_WRITE: writable but mm[i] raises 'mmap is not readable'", function()
      local mm = keep(assert(mmap.mmap(-1, 16, { prot = mmap.PROT_WRITE })))
      mm[0] = 65
      H.raises("mmap is not readable", function() return mm[0] end)
    end)
  end)

  describe("__len", function()
    it("is the mapped length", function()
      assert.equals(16, #anon(CONTENT))
      assert.equals(1, #keep(assert(mmap.mmap(-1, 1))))
      local big = keep(assert(mmap.mmap(-1, 3 * mmap.PAGESIZE + 5)))
      assert.equals(3 * mmap.PAGESIZE + 5, #big)
      assert.equals(5, #filemap("hello"))
    end)

    it("follows resize", function()
      local mm = keep(assert(mmap.mmap(-1, 8192, { flags = mmap.MAP_PRIVATE })))
      assert.is_true(mm:resize(100))
      assert.equals(100, #mm)
    end)

    it("raises on a closed map", function()
      local mm = anon(CONTENT)
      mm:close()
      H.raises("mmap closed or invalid", function() return #mm end)
    end)
  end)

  describe("__tostring", function()
    local function repr(access, length, pos, offset)
      return ("<mmap.mmap closed=false, access=%s, length=%d, pos=%d, offset=%d>")
        :format(access, length, pos, offset)
    end

    it("shows ACCESS_DEFAULT for a default anonymous map", function()
      local mm = keep(assert(mmap.mmap(-1, 10)))
      assert.equals(repr("ACCESS_DEFAULT", 10, 0, 0), tostring(mm))
    end)

    it("shows ACCESS_DEFAULT for flags=MAP_PRIVATE", function()
      local mm = keep(assert(mmap.mmap(-1, 10, { flags = mmap.MAP_PRIVATE })))
      assert.equals(repr("ACCESS_DEFAULT", 10, 0, 0), tostring(mm))
    end)

    it("shows each explicit access mode", function()
      local r = filemap("0123456789", "rb", { access = mmap.ACCESS_READ })
      assert.equals(repr("ACCESS_READ", 10, 0, 0), tostring(r))
      local w = filemap("0123456789", "r+b", { access = mmap.ACCESS_WRITE })
      assert.equals(repr("ACCESS_WRITE", 10, 0, 0), tostring(w))
      local c = filemap("0123456789", "rb", { access = mmap.ACCESS_COPY })
      assert.equals(repr("ACCESS_COPY", 10, 0, 0), tostring(c))
      local d = filemap("0123456789", "r+b")
      assert.equals(repr("ACCESS_DEFAULT", 10, 0, 0), tostring(d))
    end)

    it("shows the access derived from prot", function()
      local r = filemap("0123456789", "r+b", { prot = mmap.PROT_READ })
      assert.equals(repr("ACCESS_READ", 10, 0, 0), tostring(r))
      local n = keep(assert(mmap.mmap(-1, 16, { prot = 0 })))
      assert.equals(repr("ACCESS_READ", 16, 0, 0), tostring(n))
      local w = keep(assert(mmap.mmap(-1, 16, { prot = mmap.PROT_WRITE })))
      assert.equals(repr("ACCESS_WRITE", 16, 0, 0), tostring(w))
    end)

    it("shows the position", function()
      local mm = anon(CONTENT)
      mm:seek(7)
      assert.equals(repr("ACCESS_DEFAULT", 16, 7, 0), tostring(mm))
      mm:seek(0, 2)
      assert.equals(repr("ACCESS_DEFAULT", 16, 16, 0), tostring(mm))
    end)

    it("shows a position past the end after a shrinking resize", function()
      local mm = keep(assert(mmap.mmap(-1, 8192, { flags = mmap.MAP_PRIVATE })))
      assert.equals(5000, #mm:read(5000))
      assert.is_true(mm:resize(4096))
      assert.equals(repr("ACCESS_DEFAULT", 4096, 5000, 0), tostring(mm))
    end)

    it("shows the offset of a file map", function()
      local g = mmap.ALLOCATIONGRANULARITY
      local mm = filemap(("x"):rep(2 * g), "r+b", { offset = g })
      assert.equals(repr("ACCESS_DEFAULT", g, 0, g), tostring(mm))
      local r = filemap(("x"):rep(2 * g), "rb", { access = mmap.ACCESS_READ, offset = g })
      assert.equals(repr("ACCESS_READ", g, 0, g), tostring(r))
    end)

    it("shows the offset of an anonymous map", function()
      local g = mmap.ALLOCATIONGRANULARITY
      local mm = keep(assert(mmap.mmap(-1, 10, { offset = g })))
      assert.equals(repr("ACCESS_DEFAULT", 10, 0, g), tostring(mm))
    end)

    it("is '<mmap.mmap closed=true>' once closed", function()
      local mm = anon(CONTENT)
      mm:close()
      assert.equals("<mmap.mmap closed=true>", tostring(mm))
      local r = filemap("0123456789", "rb", { access = mmap.ACCESS_READ })
      r:close()
      assert.equals("<mmap.mmap closed=true>", tostring(r))
    end)
  end)
end)
